// The columns in their two groups — the pipeline's (read-only: agents move
// these cards) and the people's (drop targets) — with drag and drop
// (dnd-kit: mouse, touch and keyboard sensors; arrow keys jump column to
// column).
// At narrow widths one column shows at a time, chosen with a switcher.
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  MouseSensor,
  TouchSensor,
  pointerWithin,
  rectIntersection,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
  type UniqueIdentifier,
} from "@dnd-kit/core";
import { useCallback, useMemo, useState } from "react";
import type { BoardState } from "../board/boardState";
import { dropRefusal, groupOf } from "../board/columns";
import { count } from "../board/format";
import type { Moves } from "../board/moves";
import type { ColumnView } from "../board/view";
import type { BoardColumn } from "../gen/leadboard/v1/board_pb";
import type { Lead } from "../gen/leadboard/v1/lead_pb";
import type { ConnectionState } from "../hooks/useBoardStream";
import { useMoveLead } from "../hooks/useMoveLead";
import { Column, type DropHint } from "./Column";
import { ColumnSwitcher } from "./ColumnSwitcher";
import { CardBody } from "./LeadCard";
import { useToast } from "./Toasts";

// Arrow left/right moves a keyboard drag to the next column's top.
const columnCoordinates: KeyboardCoordinateGetter = (event, { context }) => {
  const { collisionRect, droppableRects } = context;
  if (!collisionRect || (event.code !== "ArrowRight" && event.code !== "ArrowLeft")) return undefined;
  event.preventDefault();
  const center = collisionRect.left + collisionRect.width / 2;
  const rects = [...droppableRects.values()].sort((a, b) => a.left - b.left);
  const target = event.code === "ArrowRight"
    ? rects.find((r) => r.left > center)
    : [...rects].reverse().find((r) => r.left + r.width < center);
  if (!target) return undefined;
  return { x: target.left + (target.width - collisionRect.width) / 2, y: Math.max(target.top + 60, collisionRect.top) };
};

const collisions: CollisionDetection = (args) => {
  const hits = pointerWithin(args);
  return hits.length ? hits : rectIntersection(args);
};

export function BoardColumns(props: {
  columns: readonly BoardColumn[];
  views: Readonly<Record<string, ColumnView>>;
  state: BoardState;
  moves: Moves;
  loading: number;
  connection: ConnectionState;
  filtered: boolean;
  narrow: boolean;
  onOpen: (id: string) => void;
}) {
  const { columns, views, state, moves, narrow } = props;
  const toast = useToast();
  const move = useMoveLead(columns);
  const [active, setActive] = useState<Lead | null>(null);
  const [overId, setOverId] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const sensors = useSensors(
    // A mouse drag starts after 6 px; a touch only after a 250 ms press, so
    // a swipe still scrolls the column.
    useSensor(MouseSensor, { activationConstraint: { distance: 6 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 250, tolerance: 8 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter: columnCoordinates,
      keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space", "Enter"] },
    }),
  );
  const byId = useMemo(() => new Map(columns.map((c) => [c.id, c])), [columns]);

  const moveTo = useCallback(
    (lead: Lead, to: BoardColumn, note?: string) => {
      const refusal = dropRefusal(lead, byId.get(lead.stage), to);
      if (refusal) {
        if (to.id !== lead.stage) toast(refusal, "info");
        return;
      }
      move.mutate({ lead, to, note });
    },
    [byId, move.mutate, toast], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const onDragStart = (e: DragStartEvent) => setActive((e.active.data.current?.lead as Lead) ?? null);
  const onDragOver = (e: DragOverEvent) => setOverId(e.over ? String(e.over.id) : null);
  const onDragEnd = (e: DragEndEvent) => {
    // The card as it was picked up: if someone moves it meanwhile, the
    // server refuses the move (expected_revision) and says who did.
    const lead = active ?? (e.active.data.current?.lead as Lead | undefined);
    const to = e.over ? byId.get(String(e.over.id)) : undefined;
    setActive(null);
    setOverId(null);
    if (lead && to) moveTo(lead, to);
  };
  const onDragCancel = () => {
    setActive(null);
    setOverId(null);
  };

  const hintFor = (column: BoardColumn): DropHint | null => {
    if (!active) return null;
    const refusal = dropRefusal(active, byId.get(active.stage), column);
    if (refusal === "Already here") return column.id === overId ? { ok: false, reason: null } : null;
    return { ok: !refusal, reason: column.id === overId ? refusal : null };
  };

  // What a screen reader hears while a card is dragged.
  const nameOf = (id: UniqueIdentifier) => {
    const lead = state.byId.get(String(id));
    return lead?.profile?.companyName || String(id);
  };
  const overText = (id: UniqueIdentifier, over: UniqueIdentifier | undefined) => {
    const to = over === undefined ? undefined : byId.get(String(over));
    const lead = state.byId.get(String(id));
    if (!to || !lead) return `${nameOf(id)} is over no column.`;
    const refusal = dropRefusal(lead, byId.get(lead.stage), to);
    return `${nameOf(id)} is over ${to.title}${refusal && refusal !== "Already here" ? `: ${refusal.toLowerCase()}` : ""}.`;
  };
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${nameOf(active.id)}.`,
    onDragOver: ({ active, over }) => overText(active.id, over?.id),
    onDragEnd: ({ active, over }) => `${overText(active.id, over?.id)} Dropped.`,
    onDragCancel: ({ active }) => `Moving ${nameOf(active.id)} was cancelled.`,
  };

  const current = narrow ? (shown && byId.has(shown) ? shown : columns[0]?.id) : undefined;
  const renderColumn = (column: BoardColumn) => (
    <Column
      key={column.id}
      column={column}
      columns={columns}
      view={views[column.id]}
      moves={moves}
      synced={state.synced}
      filtered={props.filtered}
      hint={hintFor(column)}
      onOpen={props.onOpen}
      onMove={moveTo}
    />
  );
  const pipeline = columns.filter((c) => groupOf(c) === "pipeline");
  const people = columns.filter((c) => groupOf(c) === "people");

  return (
    <DndContext sensors={sensors} collisionDetection={collisions} onDragStart={onDragStart} onDragOver={onDragOver}
                onDragEnd={onDragEnd} onDragCancel={onDragCancel}
                accessibility={{ announcements, screenReaderInstructions: { draggable:
                  "Press space to pick up the card, arrow keys to choose a column, space again to drop it, Escape to cancel. The card's menu also moves it." } }}>
      {!state.synced && (
        <div className="board-loading" role="status" data-testid="board-loading">
          <span className="spinner" aria-hidden />
          {props.connection === "connecting" && props.loading === 0
            ? "Loading the board…"
            : `Loading the board… ${count(props.loading)} leads received`}
        </div>
      )}
      {state.synced && state.byId.size === 0 && (
        <div className="board-empty" data-testid="board-empty">
          <strong>No leads yet.</strong> Cards appear here as soon as a pipeline harvests leads, and move column to
          column as agents enrich them. Then drag the enriched ones into your sales stages.
        </div>
      )}
      {narrow ? (
        <main className="columns columns-narrow">
          <ColumnSwitcher columns={columns} views={views} current={current} onChange={setShown} />
          {columns.filter((c) => c.id === current).map(renderColumn)}
        </main>
      ) : (
        <main className="columns">
          <section className="group group-pipeline" aria-label="Pipeline columns: agents move these cards">
            <div className="group-label">Pipeline <span>· agents move these</span></div>
            <div className="group-columns">{pipeline.map(renderColumn)}</div>
          </section>
          {people.length > 0 && (
            <section className="group group-people" aria-label="People's columns: drag cards here">
              <div className="group-label">People <span>· drag cards here</span></div>
              <div className="group-columns">{people.map(renderColumn)}</div>
            </section>
          )}
        </main>
      )}
      <DragOverlay dropAnimation={null}>
        {active ? (
          <div className="card card-overlay">
            <CardBody lead={active} column={byId.get(active.stage)} />
          </div>
        ) : null}
      </DragOverlay>
    </DndContext>
  );
}
