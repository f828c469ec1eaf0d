import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createRoot } from "react-dom/client";
import { Board } from "./Board";
import { TransportProvider } from "./transport";

const queryClient = new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: false } } });

createRoot(document.getElementById("root")!).render(
  <QueryClientProvider client={queryClient}>
    <TransportProvider>
      <Board />
    </TransportProvider>
  </QueryClientProvider>,
);
