// What the board draws: per column the cards that pass the filters, with the
// optimistic moves laid over them, and the totals of exactly those cards.
// Views are cached per ColumnIndex object, so a column a batch did not touch
// keeps the same view (and its component does not re-render).
import type { Lead } from "../gen/leadboard/v1/lead_pb";
import type { BoardState, ColumnIndex } from "./boardState";
import type { Matcher } from "./filters";
import type { Moves } from "./moves";
import { noTotals, sumTotals, totalsOf, type Totals } from "./totals";

export interface ColumnView {
  readonly leads: readonly Lead[];
  readonly totals: Totals;
}

const emptyView: ColumnView = { leads: [], totals: noTotals };
const cache = new WeakMap<ColumnIndex, { match: Matcher | null; view: ColumnView }>();

// The column's cards that pass `match` (all when null).
export function columnView(index: ColumnIndex | undefined, match: Matcher | null): ColumnView {
  if (!index) return emptyView;
  if (!match) return index;
  const hit = cache.get(index);
  if (hit && hit.match === match) return hit.view;
  const leads = index.leads.filter(match);
  const view = { leads, totals: totalsOf(leads) };
  cache.set(index, { match, view });
  return view;
}

// `view` of column `columnId` with the optimistic moves applied: cards moved
// out are hidden, cards moved in are shown first.
export function withMoves(view: ColumnView, columnId: string, moves: Moves, state: BoardState, match: Matcher | null): ColumnView {
  if (moves.size === 0) return view;
  const movedOut = new Set<string>();
  const movedIn: Lead[] = [];
  for (const move of moves.values()) {
    const truth = state.byId.get(move.leadId);
    if (!truth) continue;
    if (truth.stage === columnId && move.toStage !== columnId) movedOut.add(move.leadId);
    if (move.toStage === columnId && truth.stage !== columnId) {
      const shown = { ...truth, stage: columnId };
      if (!match || match(shown)) movedIn.push(shown);
    }
  }
  if (movedOut.size === 0 && movedIn.length === 0) return view;
  const leads = movedIn.concat(movedOut.size ? view.leads.filter((l) => !movedOut.has(l.id)) : view.leads);
  return { leads, totals: totalsOf(leads) };
}

export function boardViews(
  state: BoardState,
  moves: Moves,
  columnIds: readonly string[],
  match: Matcher | null,
): Record<string, ColumnView> {
  const views: Record<string, ColumnView> = {};
  for (const id of columnIds) views[id] = withMoves(columnView(state.columns[id], match), id, moves, state, match);
  return views;
}

export interface Summary {
  readonly totals: Totals;
  // Leads in the "meeting scheduled" column.
  readonly meetings: number;
}

// The summary bar: the sum of the columns shown (the same numbers their
// headers show).
export function summarize(views: Readonly<Record<string, ColumnView>>, meetingsColumn = "meeting_scheduled"): Summary {
  return {
    totals: sumTotals(Object.values(views).map((v) => v.totals)),
    meetings: views[meetingsColumn]?.totals.count ?? 0,
  };
}
