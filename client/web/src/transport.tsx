// One grpc-web transport for the whole app, injected through context. The
// proxy's URL comes from ?api=, else http://127.0.0.1:8080.
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { LeadBoard } from "./gen/leadboard/v1/leadboard_pb";

const TransportContext = createContext<Transport | null>(null);

export function apiUrl(): string {
  return new URLSearchParams(window.location.search).get("api") ?? "http://127.0.0.1:8080";
}

export function TransportProvider({ transport, children }: { transport?: Transport; children: ReactNode }) {
  const value = useMemo(() => transport ?? createGrpcWebTransport({ baseUrl: apiUrl() }), [transport]);
  return <TransportContext.Provider value={value}>{children}</TransportContext.Provider>;
}

export function useLeadBoard(): Client<typeof LeadBoard> {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error("useLeadBoard outside TransportProvider");
  return useMemo(() => createClient(LeadBoard, transport), [transport]);
}
