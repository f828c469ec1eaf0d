// The app's frame: who is signed in, one QueryClient, one transport (with
// the bearer token), toasts; then the sign-in screen or the board. The board
// remounts (fresh store, fresh watch) on every sign-in and sign-out.
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { isUnauthenticated } from "./api/errors";
import { AuthProvider, useAuth } from "./api/session";
import { TransportProvider } from "./api/transport";
import { Board } from "./components/Board";
import { SignInScreen } from "./components/SignInScreen";
import { ToastProvider } from "./components/Toasts";
import { BoardStoreProvider } from "./hooks/useBoardState";

export function App() {
  return (
    <AuthProvider>
      <AuthenticatedApp />
    </AuthProvider>
  );
}

function AuthenticatedApp() {
  const auth = useAuth();
  const { reportUnauthenticated, generation } = auth;
  const [queryClient] = useState(() => {
    const onError = (error: unknown) => {
      if (isUnauthenticated(error)) reportUnauthenticated();
    };
    return new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      defaultOptions: {
        queries: { refetchOnWindowFocus: false, retry: (n, error) => !isUnauthenticated(error) && n < 2 },
      },
    });
  });
  useEffect(() => {
    if (generation > 0) queryClient.clear();
  }, [generation, queryClient]);

  return (
    <QueryClientProvider client={queryClient}>
      <TransportProvider token={auth.currentToken}>
        <ToastProvider>
          {auth.signInNeeded ? (
            <SignInScreen />
          ) : (
            <BoardStoreProvider key={generation}>
              <Board />
            </BoardStoreProvider>
          )}
        </ToastProvider>
      </TransportProvider>
    </QueryClientProvider>
  );
}
