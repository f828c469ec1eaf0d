// The board's columns (GetBoard), fetched once per board. Without their
// counts: the board counts its own cards, and counting reads every lead on
// the server.
import { useQuery } from "@tanstack/react-query";
import { useLeadBoard } from "../api/transport";

export function useColumns() {
  const client = useLeadBoard();
  return useQuery({
    queryKey: ["columns"],
    queryFn: async () => (await client.getBoard({ columnsOnly: true })).columns,
    staleTime: Infinity,
  });
}
