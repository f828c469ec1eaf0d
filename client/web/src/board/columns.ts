// Who may move which card where. Pipeline columns (working, success,
// failure) are filled by agents; people's columns only by people. A person
// may move a card that is not mid-run from Enriched, Failed or a people's
// column into a people's column, and from a people's column back to
// Enriched (the server's rule: BoardColumn.accepts_moves).
import { ColumnRole, type BoardColumn } from "../gen/leadboard/v1/board_pb";
import { LeadStatus, type Lead } from "../gen/leadboard/v1/lead_pb";

export type ColumnGroup = "pipeline" | "people";

export const groupOf = (column: BoardColumn): ColumnGroup =>
  column.role === ColumnRole.PEOPLE ? "people" : "pipeline";

const movableFrom = (column: BoardColumn | undefined) =>
  !!column && (column.role === ColumnRole.PEOPLE || column.role === ColumnRole.SUCCESS || column.role === ColumnRole.FAILURE);

// Why the card cannot be picked up, or null when it can.
export function dragRefusal(lead: Lead, from: BoardColumn | undefined): string | null {
  if (lead.status === LeadStatus.ENRICHING || !movableFrom(from)) return "Agents are working on this lead";
  return null;
}

// Why the card cannot go to `to`, or null when it can.
export function dropRefusal(lead: Lead, from: BoardColumn | undefined, to: BoardColumn): string | null {
  const cannotDrag = dragRefusal(lead, from);
  if (cannotDrag) return cannotDrag;
  if (!to.acceptsMoves) return "Agents move cards here";
  if (to.id === lead.stage) return "Already here";
  if (to.role === ColumnRole.SUCCESS && from?.role !== ColumnRole.PEOPLE) return "Only cards people moved can go back here";
  return null;
}

// The columns a person may move the card to, in board order.
export function moveTargets(lead: Lead, columns: readonly BoardColumn[]): BoardColumn[] {
  const from = columns.find((c) => c.id === lead.stage);
  return columns.filter((to) => dropRefusal(lead, from, to) === null);
}
