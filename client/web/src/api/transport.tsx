// One grpc-web transport for the whole app, injected through context. The
// proxy's URL comes from ?api=, else http://127.0.0.1:8080. An interceptor
// adds `authorization: Bearer TOKEN` to every call (the watch included) when
// the person signed in with a token.
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { LeadBoard } from "../gen/leadboard/v1/leadboard_pb";

const TransportContext = createContext<Transport | null>(null);

export function apiUrl(): string {
  return new URLSearchParams(window.location.search).get("api") ?? "http://127.0.0.1:8080";
}

export function bearer(token: () => string): Interceptor {
  return (next) => (request) => {
    const value = token();
    if (value) request.header.set("authorization", `Bearer ${value}`);
    return next(request);
  };
}

export function TransportProvider({
  transport,
  token,
  children,
}: {
  transport?: Transport;
  token: () => string;
  children: ReactNode;
}) {
  const value = useMemo(
    () => transport ?? createGrpcWebTransport({ baseUrl: apiUrl(), interceptors: [bearer(token)] }),
    [transport, token],
  );
  return <TransportContext.Provider value={value}>{children}</TransportContext.Provider>;
}

export function useLeadBoard(): Client<typeof LeadBoard> {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error("useLeadBoard outside TransportProvider");
  return useMemo(() => createClient(LeadBoard, transport), [transport]);
}
