// Keeps the board store in step with WatchLeads: the snapshot is gathered in
// one SnapshotBuilder and published at `synced`; live changes are queued and
// applied once per animation frame (or every 100 ms when frames do not run,
// as in a background tab). A broken stream resumes from the last revision
// with backoff (catching up with the changed leads' current cards when the
// server no longer has every change); OUT_OF_RANGE, from a server that
// cannot catch up, starts over from a snapshot (the old board stays on
// screen until the new one is complete); UNAUTHENTICATED goes back
// to sign-in. The stream is cancelled when the board unmounts.
import { Code, ConnectError } from "@connectrpc/connect";
import { useLayoutEffect, useState } from "react";
import { useAuth } from "../api/session";
import { useLeadBoard } from "../api/transport";
import { applyBatch, SnapshotBuilder } from "../board/boardState";
import { toCard } from "../board/card";
import { unbatch } from "../board/unbatch";
import { ChangeKind, type WatchLeadsResponse } from "../gen/leadboard/v1/leadboard_pb";
import { useBoardStore } from "./useBoardState";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "resyncing";

export function useBoardStream(): ConnectionState {
  const client = useLeadBoard();
  const store = useBoardStore();
  const { reportUnauthenticated } = useAuth();
  const [connection, setConnection] = useState<ConnectionState>("connecting");

  // A layout effect: the watch opens before the first paint rather than
  // after it (~0.1 s sooner on this VM); the snapshot is the long pole.
  useLayoutEffect(() => {
    const abort = new AbortController();
    let queue: WatchLeadsResponse[] = [];
    let frame = 0;
    let timer = 0;
    const flush = () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      frame = timer = 0;
      if (queue.length === 0) return;
      const batch = queue;
      queue = [];
      store.publish(applyBatch(store.state, batch, Date.now()));
    };
    const schedule = () => {
      if (frame) return;
      frame = requestAnimationFrame(flush);
      timer = window.setTimeout(flush, 100);
    };

    (async () => {
      let backoff = 250;
      let builder: SnapshotBuilder | null = store.state.synced ? null : new SnapshotBuilder();
      while (!abort.signal.aborted) {
        try {
          if (builder) builder = new SnapshotBuilder(); // a snapshot cut short starts over
          const since = builder ? 0n : store.state.lastRevision;
          let received = 0;
          performance.mark("leadboard:watch-open");
          // conflate: when the board falls behind, the server sends each
          // lead's newest card rather than cutting the watch off; catch_up:
          // after a long absence, the changed leads' current cards rather
          // than OUT_OF_RANGE and a whole new snapshot.
          // snapshotPages: the snapshot in pages of up to 1,000 cards (a
          // browser pays per message: 100,000 one-card messages took ~3 s).
          // batch: what waits for the board (a burst, a snapshot, a
          // replay) comes as one response, taken apart here, so everything
          // below sees the messages one by one, as before.
          const request = { sinceRevision: since, conflate: true, catchUp: true, snapshotPages: true, batch: true };
          for await (const arrived of client.watchLeads(request, { signal: abort.signal })) {
            for (const response of unbatch(arrived)) {
              const change = response.change;
              if (change.case === "snapshotPage") {
                if (!builder) continue; // pages only ever precede `synced` of a snapshot
                for (const lead of change.value.leads) builder.add(toCard(lead));
                const before = received;
                received += change.value.leads.length;
                if (Math.floor(received / 5000) > Math.floor(before / 5000)) store.setLoading(received);
                continue;
              }
              if (change.case === "leadChange" && change.value.lead) toCard(change.value.lead);
              if (builder && change.case === "leadChange" && change.value.kind === ChangeKind.SNAPSHOT) {
                if (change.value.lead) builder.add(change.value.lead);
                if (++received % 5000 === 0) store.setLoading(received);
                continue;
              }
              if (change.case === "synced") {
                if (builder) {
                  // Marks for the board benchmark: snapshot received, then shown.
                  performance.mark("leadboard:snapshot-received", { detail: builder.size });
                  queue = [];
                  store.publish(builder.build(response.revision));
                  builder = null;
                  performance.mark("leadboard:snapshot-published");
                } else {
                  queue.push(response);
                  flush();
                }
                setConnection("live");
                backoff = 250;
                continue;
              }
              queue.push(response);
              schedule();
            }
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          const error = ConnectError.from(e);
          if (error.code === Code.Unauthenticated) {
            reportUnauthenticated();
            return;
          }
          flush();
          if (error.code === Code.OutOfRange) {
            builder = new SnapshotBuilder();
            setConnection("resyncing");
            continue;
          }
        }
        if (abort.signal.aborted) return;
        flush();
        setConnection("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    })();
    return () => {
      abort.abort();
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [client, store, reportUnauthenticated]);
  return connection;
}
