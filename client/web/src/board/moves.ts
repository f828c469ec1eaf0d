// Optimistic moves: an overlay over the server's truth (BoardState), kept
// apart from it so live changes keep flowing underneath.
//
// Lifecycle (driven by the move mutation):
//   beginMove    the card shows in the target column, pending;
//   confirmMove  the server accepted at revision R: the card stays there,
//                no longer pending, until the watch stream delivers R;
//   correctMove  the server refused because someone else moved it first:
//                the card shows where the server says until the stream
//                delivers that revision;
//   dropMove     any other failure: back to the server's truth at once.
// settleMoves drops every entry the stream has caught up with, so the
// stream's own MOVED change replaces the overlay without a flicker.
import type { Lead } from "../gen/leadboard/v1/lead_pb";
import type { LeadIndex } from "./leadIndex";

export interface PendingMove {
  // Which mutation owns the entry: a later move of the same card wins.
  readonly token: number;
  readonly leadId: string;
  readonly toStage: string;
  // The card's revision when the move began.
  readonly baseRevision: bigint;
  // Once known, the revision the stream must reach before the overlay goes.
  readonly settleRevision: bigint | null;
  // True until the server answers.
  readonly pending: boolean;
}

export type Moves = ReadonlyMap<string, PendingMove>;
export const noMoves: Moves = new Map();

let nextToken = 1;

export function beginMove(moves: Moves, lead: Lead, toStage: string): [Moves, number] {
  const token = nextToken++;
  const next = new Map(moves);
  next.set(lead.id, { token, leadId: lead.id, toStage, baseRevision: lead.revision, settleRevision: null, pending: true });
  return [next, token];
}

function update(moves: Moves, leadId: string, token: number, change: (m: PendingMove) => PendingMove | null): Moves {
  const move = moves.get(leadId);
  if (!move || move.token !== token) return moves;
  const next = new Map(moves);
  const changed = change(move);
  if (changed) next.set(leadId, changed);
  else next.delete(leadId);
  return next;
}

export const confirmMove = (moves: Moves, leadId: string, token: number, revision: bigint): Moves =>
  update(moves, leadId, token, (m) => ({ ...m, settleRevision: revision, pending: false }));

export const correctMove = (moves: Moves, leadId: string, token: number, stage: string, revision: bigint): Moves =>
  update(moves, leadId, token, (m) => ({ ...m, toStage: stage, settleRevision: revision, pending: false }));

export const dropMove = (moves: Moves, leadId: string, token: number): Moves => update(moves, leadId, token, () => null);

// Drops the entries whose settle revision the board has reached.
export function settleMoves(moves: Moves, byId: LeadIndex): Moves {
  let next: Map<string, PendingMove> | null = null;
  for (const move of moves.values()) {
    if (move.settleRevision === null) continue;
    const truth = byId.get(move.leadId);
    if (truth && truth.revision >= move.settleRevision) {
      next ??= new Map(moves);
      next.delete(move.leadId);
    }
  }
  return next ?? moves;
}
