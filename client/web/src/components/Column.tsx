// One column: its header (always in view) and its cards, scrolling on its
// own; only the cards in view are rendered (@tanstack/react-virtual). Every
// column is a drop zone; one that refuses the dragged card says why.
import { useDroppable } from "@dnd-kit/core";
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useRef } from "react";
import { groupOf } from "../board/columns";
import type { Moves } from "../board/moves";
import type { ColumnView } from "../board/view";
import { ColumnRole, type BoardColumn } from "../gen/leadboard/v1/board_pb";
import type { Lead } from "../gen/leadboard/v1/lead_pb";
import { ColumnHeader } from "./ColumnHeader";
import { LeadCard } from "./LeadCard";

export interface DropHint {
  // Whether the dragged card may be dropped here.
  ok: boolean;
  // Why not, shown while the card is over this column.
  reason: string | null;
}

function emptyText(column: BoardColumn, filtered: boolean): string {
  if (filtered) return "No leads here match the filters.";
  switch (column.role) {
    case ColumnRole.PEOPLE:
      return "Drag enriched leads here.";
    case ColumnRole.SUCCESS:
      return "Leads land here when their enrichment succeeds.";
    case ColumnRole.FAILURE:
      return "Leads whose enrichment failed land here.";
    default:
      return "Agents move cards here as they work.";
  }
}

const estimateSize = () => 124;

export const Column = memo(function Column({ column, columns, view, moves, synced, filtered, hint, onOpen, onMove }: {
  column: BoardColumn;
  columns: readonly BoardColumn[];
  view: ColumnView | undefined;
  moves: Moves;
  synced: boolean;
  filtered: boolean;
  hint: DropHint | null;
  onOpen: (id: string) => void;
  onMove: (lead: Lead, to: BoardColumn, note?: string) => void;
}) {
  const { setNodeRef } = useDroppable({ id: column.id, data: { column } });
  const scroller = useRef<HTMLDivElement>(null);
  const leads = view?.leads ?? [];
  // Stable functions: the virtualizer recomputes every item's position
  // (O(cards)) when they change, so they change only with the cards.
  const getItemKey = useCallback((i: number) => leads[i].id, [leads]);
  const virtualizer = useVirtualizer({
    count: leads.length,
    getScrollElement: () => scroller.current,
    estimateSize,
    overscan: 4,
    getItemKey,
  });
  const group = groupOf(column);
  const hintClass = hint ? (hint.ok ? "drop-ok" : "drop-refused") : "";
  // An empty working column of the pipeline folds into a narrow strip, so
  // the columns people work in stay in view; it opens when a card arrives.
  const folded = synced && leads.length === 0 && group === "pipeline" && !column.terminal && !filtered;
  if (folded) {
    return (
      <section ref={setNodeRef} className={`column column-folded ${hintClass}`} data-testid={`column-${column.id}`}
               data-column={column.id} aria-label={`${column.title}: no leads. ${emptyText(column, false)}`}
               title={`${column.title}: ${emptyText(column, false)}`}>
        <span className="count" data-testid={`count-${column.id}`}>0</span>
        <span className="folded-title">{column.title}</span>
        {hint?.reason && <div className="drop-reason folded-reason" role="status" data-testid={`refusal-${column.id}`}>{hint.reason}</div>}
      </section>
    );
  }

  return (
    <section
      ref={setNodeRef}
      className={`column column-${group} ${column.terminal ? "column-terminal" : ""} ${hintClass}`}
      data-testid={`column-${column.id}`}
      data-column={column.id}
      aria-label={`${column.title}: ${view?.totals.count ?? 0} leads${view?.totals.stalled ? `, ${view.totals.stalled} stalled` : ""}`}
    >
      <ColumnHeader column={column} totals={view?.totals} />
      {hint?.reason && (
        <div className="drop-reason" role="status" data-testid={`refusal-${column.id}`}>{hint.reason}</div>
      )}
      <div className="column-scroll" ref={scroller}>
        {synced && leads.length === 0 && <p className="column-empty">{emptyText(column, filtered)}</p>}
        {!synced && <div className="column-skeleton" aria-hidden><i /><i /><i /></div>}
        <div className="column-cards" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const lead = leads[item.index];
            const move = moves.get(lead.id);
            return (
              <div key={item.key} className="card-slot" data-index={item.index} ref={virtualizer.measureElement}
                   style={{ transform: `translateY(${item.start}px)` }}>
                <LeadCard lead={lead} column={column} columns={columns} pending={!!move?.pending}
                          onOpen={onOpen} onMove={onMove} />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
});
