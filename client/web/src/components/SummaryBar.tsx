// Under the top bar: total, average ROI potential, high potential,
// meetings scheduled and (when any) stalled, over the cards shown (so they
// follow the filters).
import { count, percent } from "../board/format";
import { averageRoi } from "../board/totals";
import type { Summary } from "../board/view";

export function SummaryBar({ summary, synced, filtered, onClear }: {
  summary: Summary;
  synced: boolean;
  filtered: boolean;
  onClear: () => void;
}) {
  const t = summary.totals;
  return (
    <div className="summary" data-testid="summary" aria-live="off">
      <span><strong data-testid="summary-total">{synced ? count(t.count) : "…"}</strong> {t.count === 1 ? "lead" : "leads"}</span>
      <span>avg ROI potential <strong data-testid="summary-roi">{percent(averageRoi(t))}</strong></span>
      <span><strong data-testid="summary-high">{count(t.high)}</strong> high potential</span>
      <span><strong data-testid="summary-meetings">{count(summary.meetings)}</strong> meetings scheduled</span>
      {t.stalled > 0 && (
        <span className="summary-stalled"><strong data-testid="summary-stalled">{count(t.stalled)}</strong> stalled</span>
      )}
      {filtered && (
        <span className="summary-filtered">
          filtered · <button className="link" onClick={onClear} data-testid="clear-filters">clear filters</button>
        </span>
      )}
    </div>
  );
}
