// A column's title, count, average ROI potential, high-potential count and
// how many of its cards are stalled (of the cards shown, so they follow the
// filters).
import { count, percent } from "../board/format";
import { preciseDuration, msOfDuration } from "../board/time";
import { averageRoi, type Totals } from "../board/totals";
import type { BoardColumn } from "../gen/leadboard/v1/board_pb";

export function ColumnHeader({ column, totals }: { column: BoardColumn; totals: Totals | undefined }) {
  const n = totals?.count ?? 0;
  const roi = totals ? averageRoi(totals) : undefined;
  const stalled = totals?.stalled ?? 0;
  const limit = msOfDuration(column.stallAfter);
  const stalledHelp = `Stalled: mid-run with no event for ${limit !== undefined ? preciseDuration(limit) : "the server's limit"}`;
  return (
    <header className="column-header">
      <h2>
        <span className="column-title">{column.title}</span>
        <span className="count" data-testid={`count-${column.id}`}>{count(n)}</span>
      </h2>
      <div className="column-totals">
        <span title="Average ROI potential of the cards shown">ROI <b data-testid={`roi-${column.id}`}>{percent(roi)}</b></span>
        <span title="High-potential leads"><b data-testid={`high-${column.id}`}>{count(totals?.high ?? 0)}</b> high</span>
        {stalled > 0 && (
          <span className="column-stalled" title={stalledHelp}>
            <span className="icon-pause" aria-hidden /><b data-testid={`stalled-${column.id}`}>{count(stalled)}</b> stalled
          </span>
        )}
      </div>
    </header>
  );
}
