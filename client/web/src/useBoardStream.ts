// Keeps the board's query cache in step with WatchLeads: snapshot, then live
// changes; on a broken stream resumes from the last revision with backoff;
// on OUT_OF_RANGE starts over from a snapshot. Cancelled on unmount.
import { Code, ConnectError } from "@connectrpc/connect";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { initialBoardState, reduce, type BoardAction, type BoardState } from "./boardState";
import { useLeadBoard } from "./transport";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "resyncing";
export const boardKey = ["board-state"] as const;

export function useBoardStream(): ConnectionState {
  const client = useLeadBoard();
  const queryClient = useQueryClient();
  const [connection, setConnection] = useState<ConnectionState>("connecting");

  useEffect(() => {
    const abort = new AbortController();
    const dispatch = (action: BoardAction) =>
      queryClient.setQueryData<BoardState>(boardKey, (s) => reduce(s ?? initialBoardState, action));
    const resumeFrom = () => queryClient.getQueryData<BoardState>(boardKey)?.lastRevision ?? 0n;
    (async () => {
      let backoff = 250;
      while (!abort.signal.aborted) {
        try {
          for await (const response of client.watchLeads({ sinceRevision: resumeFrom() }, { signal: abort.signal })) {
            dispatch({ type: "response", response });
            if (response.change.case === "synced") {
              setConnection("live");
              backoff = 250;
            }
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          const error = ConnectError.from(e);
          if (error.code === Code.OutOfRange) {
            dispatch({ type: "restart" });
            setConnection("resyncing");
            continue;
          }
        }
        if (abort.signal.aborted) return;
        setConnection("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    })();
    return () => abort.abort();
  }, [client, queryClient]);
  return connection;
}
