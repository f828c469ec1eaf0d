// The pipeline jobs for the job filter (ListJobs, newest first), refreshed
// when the board (re)connects, when the filter is opened and every 30 s (so
// a job that stalls is marked).
import { useQuery } from "@tanstack/react-query";
import { useLeadBoard } from "../api/transport";

export function useJobs() {
  const client = useLeadBoard();
  return useQuery({
    queryKey: ["jobs"],
    queryFn: async () => (await client.listJobs({ pageSize: 200 })).jobs,
    staleTime: 10_000,
    refetchInterval: 30_000,
  });
}
