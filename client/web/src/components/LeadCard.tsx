// A lead's card: company, website and sector; the agent at work with its
// activity; score chips; the tier; who moved it here; a failure line or a
// warning count; a "Stalled 12 min" badge; time in stage; the "⋮" menu
// (Move to…). Times come from the shared clock, so a tick re-renders those
// few words, never the card. Cards that people
// may move are draggable; a card being moved shows pending; a card that just
// changed glows briefly.
import { useDraggable } from "@dnd-kit/core";
import { memo, type KeyboardEvent } from "react";
import { kRecentMs } from "../board/boardState";
import { dragRefusal } from "../board/columns";
import { stalledSinceMs } from "../board/stalled";
import { msOfTimestamp } from "../board/time";
import type { BoardColumn } from "../gen/leadboard/v1/board_pb";
import { ActorKind, LeadStatus, type Lead } from "../gen/leadboard/v1/lead_pb";
import { useBoardStore } from "../hooks/useBoardState";
import { CardTime } from "./CardTime";
import { MoveMenu } from "./MoveMenu";
import { ScoreChips } from "./ScoreChips";
import { StalledBadge } from "./StalledBadge";
import { TierBadge } from "./TierBadge";

export function CardBody({ lead, column, menu }: {
  lead: Lead;
  column: BoardColumn | undefined;
  menu?: React.ReactNode;
}) {
  const entered = msOfTimestamp(lead.stageEnteredAt);
  const stalled = stalledSinceMs(lead);
  const atWork = lead.status === LeadStatus.ENRICHING && !!lead.currentAgent;
  const by = lead.stageEnteredBy?.kind === ActorKind.PERSON ? lead.stageEnteredBy.name : "";
  return (
    <>
      <div className="card-head">
        <span className="card-title">{lead.profile?.companyName || lead.id}</span>
        {menu}
      </div>
      {(lead.profile?.website || lead.profile?.sector) && (
        <div className="card-meta">
          {lead.profile?.website && <span className="card-site">{lead.profile.website.replace(/^https?:\/\/(www\.)?/, "")}</span>}
          {lead.profile?.sector && <span className="card-sector">{lead.profile.sector}</span>}
        </div>
      )}
      {atWork && (
        <div className="card-agent" title={lead.activity}>
          <span className="pulse" aria-hidden /> <span className="agent-name">{lead.currentAgent}</span>
          {lead.activity && <span className="card-activity"> · {lead.activity}</span>}
        </div>
      )}
      <ScoreChips lead={lead} />
      {lead.error && (
        <div className="card-failure" title={lead.error.message} data-testid="card-failure">
          Failed{lead.error.agent ? ` in ${lead.error.agent}` : ""}: {lead.error.message}
        </div>
      )}
      {(by || lead.stageNote) && column && (
        <div className="card-moved" title={lead.stageNote}>
          {by ? `Moved by ${by}` : ""}{by && lead.stageNote ? " · " : ""}{lead.stageNote ? `“${lead.stageNote}”` : ""}
        </div>
      )}
      <div className="card-footer">
        <TierBadge tier={lead.qualificationTier} />
        {stalled !== undefined && <StalledBadge sinceMs={stalled} />}
        {lead.warnings.length > 0 && (
          <span className="badge badge-warn" title={lead.warnings.map((w) => w.message).join("\n")}>
            ⚠ {lead.warnings.length}
          </span>
        )}
        {entered !== undefined && <CardTime sinceMs={entered} />}
      </div>
    </>
  );
}

export const LeadCard = memo(function LeadCard({ lead, column, columns, pending, onOpen, onMove }: {
  lead: Lead;
  column: BoardColumn;
  columns: readonly BoardColumn[];
  pending: boolean;
  onOpen: (id: string) => void;
  onMove: (lead: Lead, to: BoardColumn, note?: string) => void;
}) {
  const store = useBoardStore();
  // The column the server has it in (the card may be shown elsewhere while a move is pending).
  const from = columns.find((c) => c.id === store.state.byId.get(lead.id)?.stage) ?? column;
  const refusal = dragRefusal(lead, from);
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({
    id: lead.id,
    data: { lead: store.state.byId.get(lead.id) ?? lead },
    disabled: !!refusal || pending,
  });
  const changedAt = store.state.recent.get(lead.id);
  const glow = changedAt !== undefined && Date.now() - changedAt < kRecentMs;
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter" && e.target === e.currentTarget) onOpen(lead.id);
    listeners?.onKeyDown?.(e);
  };
  const company = lead.profile?.companyName || lead.id;
  return (
    <article
      ref={setNodeRef}
      {...attributes}
      {...listeners}
      // dnd-kit marks a card it may not drag aria-disabled, but the card
      // still opens its details: it is not disabled.
      aria-disabled={undefined}
      onKeyDown={onKeyDown}
      onClick={() => onOpen(lead.id)}
      aria-roledescription={refusal ? "card" : "draggable card"}
      aria-label={`${company}${lead.stalledSince ? ", stalled" : ""}${pending ? ", moving" : ""}`}
      title={refusal ?? undefined}
      className={[
        "card",
        lead.error ? "card-failed" : "",
        lead.stalledSince ? "card-stalled" : "",
        pending ? "card-pending" : "",
        isDragging ? "card-dragging" : "",
        refusal ? "card-locked" : "card-movable",
      ].join(" ")}
      data-testid={`card-${lead.id}`}
      data-stage={lead.stage}
      data-pending={pending ? "true" : undefined}
      data-stalled={lead.stalledSince ? "true" : undefined}
    >
      {glow && <span key={String(lead.revision)} className="card-glow" aria-hidden />}
      <CardBody
        lead={lead}
        column={column}
        menu={<MoveMenu lead={lead} from={from} columns={columns} onMove={onMove} onOpen={onOpen} />}
      />
      {pending && <span className="spinner card-spinner" aria-hidden />}
    </article>
  );
});
