// The lead's life on the board (GetLead's history): each column it was in,
// when it entered and left, how long it stayed, who moved it there and with
// which note; then the time it spent in each column, all visits added up.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Duration } from "@bufbuild/protobuf/wkt";
import { actorLabel, longDuration } from "../../../board/format";
import type { BoardColumn } from "../../../gen/leadboard/v1/board_pb";
import { ActorKind, type Lead } from "../../../gen/leadboard/v1/lead_pb";
import { Nothing } from "../parts";

const ms = (d: Duration | undefined) => (d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : 0);
const when = (t: Parameters<typeof timestampDate>[0] | undefined) =>
  t ? timestampDate(t).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" }) : "";

const kindClass: Record<number, string> = {
  [ActorKind.PERSON]: "by-person",
  [ActorKind.AGENT]: "by-agent",
  [ActorKind.PIPELINE]: "by-pipeline",
};

export function HistoryTab({ lead, columns }: { lead: Lead; columns: readonly BoardColumn[] }) {
  const title = (id: string) => columns.find((c) => c.id === id)?.title ?? id;
  if (!lead.history.length) return <Nothing what="stage history" />;
  const longest = Math.max(1, ...lead.timeInStage.map((t) => ms(t.total)));
  return (
    <div className="history">
      <ol className="timeline" data-testid="history">
        {[...lead.history].reverse().map((visit) => (
          <li key={`${visit.revision}-${visit.stage}`} className={`visit ${kindClass[visit.enteredBy?.kind ?? 0] ?? ""}`}
              data-testid="history-visit" data-stage={visit.stage}>
            <div className="visit-head">
              <strong>{title(visit.stage)}</strong>
              <span className="visit-duration">{longDuration(ms(visit.duration))}{visit.leftAt ? "" : " so far"}</span>
            </div>
            <div className="visit-when">
              {when(visit.enteredAt)} → {visit.leftAt ? when(visit.leftAt) : "now"}
            </div>
            <div className="visit-by">by {actorLabel(visit.enteredBy)}</div>
            {visit.note && <blockquote className="visit-note">{visit.note}</blockquote>}
          </li>
        ))}
      </ol>
      {lead.timeInStage.length > 0 && (
        <table className="time-in-stage" data-testid="time-in-stage">
          <caption>Time in each column</caption>
          <tbody>
            {lead.timeInStage.map((t) => (
              <tr key={t.stage}>
                <th scope="row">{title(t.stage)}</th>
                <td className="bar-cell"><span className="bar" style={{ width: `${(100 * ms(t.total)) / longest}%` }} /></td>
                <td>{longDuration(ms(t.total))}</td>
                <td className="visits">{t.visits > 1 ? `${t.visits} visits` : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
