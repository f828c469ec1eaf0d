// GetAgentStats for the Agents view, kept live: refetched every 5 s and,
// at most every 2 s, when the watch stream delivers changes (agents starting
// and ending move the figures). The previous figures stay on screen while a
// refetch is in flight.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useLeadBoard } from "../api/transport";
import { statsRequest, type StatsWindow } from "../board/agentStats";
import { useBoardStore } from "./useBoardState";

const kEveryMs = 5000;
const kAfterChangesMs = 2000;

export function useAgentStats(win: StatsWindow, jobId: string) {
  const client = useLeadBoard();
  const store = useBoardStore();
  const queryClient = useQueryClient();
  const queryKey = ["agentStats", win, jobId];
  const query = useQuery({
    queryKey,
    queryFn: ({ signal }) => client.getAgentStats(statsRequest(win, jobId, Date.now()), { signal }),
    refetchInterval: kEveryMs,
    placeholderData: keepPreviousData,
  });

  // Changes on the stream: refetch, throttled (leading and trailing).
  useEffect(() => {
    let seen = store.state.lastRevision;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refetch = () => {
      timer = undefined;
      last = Date.now();
      void queryClient.invalidateQueries({ queryKey, exact: true });
    };
    const unsubscribe = store.subscribe(() => {
      const revision = store.state.lastRevision;
      if (revision <= seen) return;
      seen = revision;
      if (timer !== undefined) return;
      const wait = last + kAfterChangesMs - Date.now();
      if (wait <= 0) refetch();
      else timer = setTimeout(refetch, wait);
    });
    return () => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [store, queryClient, win, jobId]);
  return query;
}
