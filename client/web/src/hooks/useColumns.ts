// The board's columns (GetBoard), fetched once per board.
import { useQuery } from "@tanstack/react-query";
import { useLeadBoard } from "../api/transport";

export function useColumns() {
  const client = useLeadBoard();
  return useQuery({
    queryKey: ["columns"],
    queryFn: async () => (await client.getBoard({})).columns,
    staleTime: Infinity,
  });
}
