// The pipeline jobs for the job filter (ListJobs, newest first), refreshed
// when the board (re)connects and when the filter is opened.
import { useQuery } from "@tanstack/react-query";
import { useLeadBoard } from "../api/transport";

export function useJobs() {
  const client = useLeadBoard();
  return useQuery({
    queryKey: ["jobs"],
    queryFn: async () => (await client.listJobs({ pageSize: 200 })).jobs,
    staleTime: 10_000,
  });
}
