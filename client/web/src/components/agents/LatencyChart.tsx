// p50 and p95 per agent as plain SVG: two bars per agent on one duration
// axis with round ticks (board/agentStats' latencyChart), the figures
// written beside them, so the chart reads without colour.
import { useMemo } from "react";
import { latencyChart, type AgentRow } from "../../board/agentStats";

const kLabel = 190;
const kPlot = 420;
const kValues = 130;
const kRow = 30;
const kTop = 8;
const kAxis = 24;

export function LatencyChart({ rows }: { rows: readonly AgentRow[] }) {
  const chart = useMemo(() => latencyChart(rows), [rows]);
  if (chart.bars.length === 0) return null;
  const width = kLabel + kPlot + kValues;
  const height = kTop + chart.bars.length * kRow + kAxis;
  const bottom = kTop + chart.bars.length * kRow;
  return (
    <figure className="latency-chart" data-testid="latency-chart">
      <figcaption>
        Step duration per agent: <span className="legend legend-p50" aria-hidden /> p50 (median){" "}
        <span className="legend legend-p95" aria-hidden /> p95
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img"
           aria-label={`p50 and p95 step duration per agent: ${chart.bars.map((b) => `${b.agent} ${b.p50Text} and ${b.p95Text}`).join("; ")}`}>
        {chart.ticks.map((t) => (
          <g key={t.ms} className="chart-tick">
            <line x1={kLabel + t.x * kPlot} x2={kLabel + t.x * kPlot} y1={kTop} y2={bottom} />
            <text x={kLabel + t.x * kPlot} y={bottom + 16} textAnchor="middle">{t.label}</text>
          </g>
        ))}
        {chart.bars.map((b, i) => {
          const y = kTop + i * kRow;
          return (
            <g key={b.agent} data-testid="latency-bar" data-agent={b.agent}>
              <title>{`${b.agent}: p50 ${b.p50Text}, p95 ${b.p95Text}`}</title>
              <text className="chart-agent" x={kLabel - 8} y={y + kRow / 2 + 4} textAnchor="end">{b.agent}</text>
              <rect className="bar-p95" x={kLabel} y={y + 5} width={Math.max(1, b.p95 * kPlot)} height={9} rx={2} />
              <rect className="bar-p50" x={kLabel} y={y + 15} width={Math.max(1, b.p50 * kPlot)} height={9} rx={2} />
              <text className="chart-value" x={kLabel + kPlot + 8} y={y + kRow / 2 + 4}>{`${b.p50Text} · ${b.p95Text}`}</text>
            </g>
          );
        })}
        <line className="chart-baseline" x1={kLabel} x2={kLabel + kPlot} y1={bottom} y2={bottom} />
      </svg>
    </figure>
  );
}
