// At narrow widths: which column to show, with its count.
import type { ColumnView } from "../board/view";
import type { BoardColumn } from "../gen/leadboard/v1/board_pb";

export function ColumnSwitcher({ columns, views, current, onChange }: {
  columns: readonly BoardColumn[];
  views: Readonly<Record<string, ColumnView>>;
  current: string | undefined;
  onChange: (id: string) => void;
}) {
  const index = columns.findIndex((c) => c.id === current);
  const step = (d: number) => {
    const next = columns[index + d];
    if (next) onChange(next.id);
  };
  return (
    <nav className="column-switcher" aria-label="Column">
      <button onClick={() => step(-1)} disabled={index <= 0} aria-label="Previous column">‹</button>
      <select value={current} onChange={(e) => onChange(e.target.value)} aria-label="Show column" data-testid="column-switcher">
        {columns.map((c) => (
          <option key={c.id} value={c.id}>
            {c.title} ({views[c.id]?.totals.count ?? 0})
          </option>
        ))}
      </select>
      <button onClick={() => step(1)} disabled={index < 0 || index >= columns.length - 1} aria-label="Next column">›</button>
    </nav>
  );
}
