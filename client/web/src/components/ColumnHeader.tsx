// A column's title, count, average ROI potential and high-potential count
// (of the cards shown, so they follow the filters).
import { count, percent } from "../board/format";
import { averageRoi, type Totals } from "../board/totals";
import type { BoardColumn } from "../gen/leadboard/v1/board_pb";

export function ColumnHeader({ column, totals }: { column: BoardColumn; totals: Totals | undefined }) {
  const n = totals?.count ?? 0;
  const roi = totals ? averageRoi(totals) : undefined;
  return (
    <header className="column-header">
      <h2>
        <span className="column-title">{column.title}</span>
        <span className="count" data-testid={`count-${column.id}`}>{count(n)}</span>
      </h2>
      <div className="column-totals">
        <span title="Average ROI potential of the cards shown">ROI <b data-testid={`roi-${column.id}`}>{percent(roi)}</b></span>
        <span title="High-potential leads"><b data-testid={`high-${column.id}`}>{count(totals?.high ?? 0)}</b> high</span>
      </div>
    </header>
  );
}
