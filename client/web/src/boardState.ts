// The board's state and the pure reducer that folds WatchLeads messages into
// it. The TanStack Query cache holds a BoardState; the stream only ever calls
// setQueryData(key, s => reduce(s, action)).
//
// Rules: snapshot entries accumulate until `synced`, which replaces the
// board; live changes are keyed by lead id and an older revision never
// overwrites a newer one; `restart` (after OUT_OF_RANGE) begins a new
// snapshot. lastRevision is where a reconnect resumes from.
import type { Lead } from "./gen/leadboard/v1/lead_pb";
import { ChangeKind, type WatchLeadsResponse } from "./gen/leadboard/v1/leadboard_pb";

export interface BoardState {
  leads: Readonly<Record<string, Lead>>;
  lastRevision: bigint;
  synced: boolean;
  // Snapshot entries received since the watch (re)started from revision 0.
  pending: Readonly<Record<string, Lead>> | null;
}

export type BoardAction =
  | { type: "response"; response: WatchLeadsResponse }
  | { type: "restart" };

export const initialBoardState: BoardState = {
  leads: {},
  lastRevision: 0n,
  synced: false,
  pending: {},
};

const max = (a: bigint, b: bigint) => (a > b ? a : b);

export function reduce(state: BoardState, action: BoardAction): BoardState {
  if (action.type === "restart") {
    return { ...state, synced: false, pending: {}, lastRevision: 0n };
  }
  const response = action.response;
  switch (response.change.case) {
    case "synced":
      return {
        leads: state.pending ?? state.leads,
        pending: null,
        synced: true,
        lastRevision: max(state.lastRevision, response.revision),
      };
    case "progress":
      return state.synced && response.revision > state.lastRevision
        ? { ...state, lastRevision: response.revision }
        : state;
    case "leadChange": {
      const change = response.change.value;
      const lead = change.lead;
      if (!lead) return state;
      if (change.kind === ChangeKind.SNAPSHOT) {
        return { ...state, pending: { ...(state.pending ?? {}), [lead.id]: lead } };
      }
      const lastRevision = max(state.lastRevision, response.revision);
      const existing = state.leads[lead.id];
      if (existing && existing.revision >= lead.revision) {
        return lastRevision === state.lastRevision ? state : { ...state, lastRevision };
      }
      return { ...state, leads: { ...state.leads, [lead.id]: lead }, lastRevision };
    }
    default:
      return state;
  }
}

// Leads of one column, most recently changed first.
export function leadsInColumn(state: BoardState, columnId: string, jobId: string): Lead[] {
  return Object.values(state.leads)
    .filter((lead) => lead.stage === columnId && (!jobId || lead.jobId === jobId))
    .sort((a, b) => (a.revision > b.revision ? -1 : a.revision < b.revision ? 1 : 0));
}
