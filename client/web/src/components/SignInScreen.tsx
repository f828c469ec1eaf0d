// Shown when the server asks for a token: a board token and the person's
// name (recorded as the actor of their moves), kept for this browser session.
import { useState, type FormEvent } from "react";
import { useAuth } from "../api/session";

export function SignInScreen() {
  const auth = useAuth();
  const [token, setToken] = useState("");
  const [name, setName] = useState(auth.session.name);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) auth.signIn(token, name);
  };
  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} data-testid="sign-in">
        <h1>leadboard</h1>
        <p className="signin-lead">This board needs a board token. Ask your operator for one.</p>
        {auth.refusal && (
          <p className="signin-error" role="alert" data-testid="sign-in-error">
            {auth.refusal}
          </p>
        )}
        <label>
          Board token
          <input type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)}
                 autoFocus required aria-label="Board token" />
        </label>
        <label>
          Your name <span className="hint">(shown on the cards you move)</span>
          <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Your name" placeholder="Ana" />
        </label>
        <button type="submit" className="primary" disabled={!token.trim()}>Sign in</button>
        <p className="hint">The token is kept only for this browser tab's session.</p>
      </form>
    </main>
  );
}
