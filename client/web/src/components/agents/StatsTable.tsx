// One row per agent with GetAgentStats's figures, as formatted by
// board/agentStats. A failure rate of 20 % or more is flagged with a mark
// and words, not colour alone.
import type { AgentRow } from "../../board/agentStats";

const kHighFailureRate = 0.2;

const columns: { key: keyof AgentRow["text"]; title: string; help: string }[] = [
  { key: "steps", title: "Steps", help: "Every attempt, running or ended" },
  { key: "succeeded", title: "Succeeded", help: "Ended successfully" },
  { key: "failed", title: "Failed", help: "Ended unsuccessfully" },
  { key: "failureRate", title: "Failure rate", help: "Failed of the steps that ended" },
  { key: "running", title: "Running now", help: "Started and not ended yet" },
  { key: "unfinished", title: "Unfinished", help: "Never ended: their run ended without them" },
  { key: "retries", title: "Retries", help: "Attempts after an agent's first in the same run" },
  { key: "p50", title: "p50", help: "Median duration of the steps that ended" },
  { key: "p95", title: "p95", help: "95th percentile duration of the steps that ended" },
  { key: "max", title: "Max", help: "Longest step that ended" },
];

// The figure behind a cell (durations in ms, the rate as a share), for tests
// and tools that read the page; empty when it is unknown.
function rawValue(row: AgentRow, key: keyof AgentRow["text"]): string {
  const v = key === "p50" ? row.p50Ms : key === "p95" ? row.p95Ms : key === "max" ? row.maxMs : row[key];
  return v === undefined ? "" : String(v);
}

export function StatsTable({ rows }: { rows: readonly AgentRow[] }) {
  return (
    <div className="stats-table-wrap">
      <table className="stats-table" data-testid="agents-table">
        <caption className="visually-hidden">Agent statistics</caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            {columns.map((c) => <th key={c.key} scope="col" title={c.help}>{c.title}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const alarming = row.failureRate !== undefined && row.failureRate >= kHighFailureRate;
            return (
              <tr key={row.agent} data-testid="agent-row" data-agent={row.agent}>
                <th scope="row" className="stats-agent">{row.agent}</th>
                {columns.map((c) => (
                  <td key={c.key} data-field={c.key} data-value={rawValue(row, c.key)}
                      className={[
                        c.key === "failureRate" && alarming ? "rate-high" : "",
                        c.key === "running" && row.running > 0 ? "running-now" : "",
                        c.key === "failed" && row.failed > 0 ? "has-failed" : "",
                      ].join(" ")}>
                    {c.key === "failureRate" && alarming && <span className="rate-mark" aria-label="high failure rate" role="img">⚠ </span>}
                    {c.key === "running" && row.running > 0 && <span className="pulse" aria-hidden />}
                    <span className="stats-value">{row.text[c.key]}</span>
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
