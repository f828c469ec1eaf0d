// Who is using the board: a board token (when the server asks for one) and
// the person's name, recorded as the actor of their moves. Both are kept for
// the browser session (sessionStorage). Any call answered UNAUTHENTICATED
// reports it here, which brings the sign-in screen back.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";

export interface Session {
  readonly token: string;
  readonly name: string;
}

const kStorageKey = "leadboard.session";

function load(): Session {
  try {
    const saved = JSON.parse(sessionStorage.getItem(kStorageKey) ?? "{}");
    return { token: String(saved.token ?? ""), name: String(saved.name ?? "") };
  } catch {
    return { token: "", name: "" };
  }
}

function save(session: Session): void {
  sessionStorage.setItem(kStorageKey, JSON.stringify(session));
}

export interface Auth {
  readonly session: Session;
  // The server asked for a token (it runs with --tokens_file).
  readonly authRequired: boolean;
  // Show the sign-in screen instead of the board.
  readonly signInNeeded: boolean;
  // Why the last token was refused, if it was.
  readonly refusal: string | null;
  // Bumped on every sign-in and sign-out: the board remounts with it.
  readonly generation: number;
  // The token for the transport's interceptor (current at call time).
  readonly currentToken: () => string;
  signIn(token: string, name: string): void;
  setName(name: string): void;
  signOut(): void;
  reportUnauthenticated(): void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session>(load);
  const [authRequired, setAuthRequired] = useState(false);
  const [signInNeeded, setSignInNeeded] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const token = useRef(session.token);
  const currentToken = useCallback(() => token.current, []);

  const update = useCallback((next: Session) => {
    token.current = next.token;
    save(next);
    setSession(next);
  }, []);

  const reportUnauthenticated = useCallback(() => {
    setAuthRequired(true);
    setSignInNeeded((already) => {
      if (!already) setRefusal(token.current ? "The server refused this token: it is unknown or was revoked." : null);
      return true;
    });
  }, []);

  const auth = useMemo<Auth>(
    () => ({
      session,
      authRequired,
      signInNeeded,
      refusal,
      generation,
      currentToken,
      signIn(newToken, name) {
        update({ token: newToken.trim(), name: name.trim() });
        setRefusal(null);
        setSignInNeeded(false);
        setGeneration((g) => g + 1);
      },
      setName(name) {
        update({ ...session, name: name.trim() });
      },
      signOut() {
        update({ token: "", name: session.name });
        setRefusal(null);
        setSignInNeeded(authRequired);
        setGeneration((g) => g + 1);
      },
      reportUnauthenticated,
    }),
    [session, authRequired, signInNeeded, refusal, generation, currentToken, update, reportUnauthenticated],
  );
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside AuthProvider");
  return auth;
}
