// The Agents view (?view=agents): per agent, GetAgentStats's figures in a
// table (steps, succeeded, failed, failure rate, running now, unfinished,
// retries, p50, p95, max) and a chart of p50 and p95, over the board's job
// filter and a time window (last hour, 24 h, 7 days, all). Kept live by
// useAgentStats.
import { Code, ConnectError } from "@connectrpc/connect";
import { useMemo } from "react";
import { describe } from "../../api/errors";
import { agentRows, statsWindows, type StatsWindow } from "../../board/agentStats";
import type { Filters } from "../../board/filters";
import { count } from "../../board/format";
import { useAgentStats } from "../../hooks/useAgentStats";
import { useJobs } from "../../hooks/useJobs";
import { LatencyChart } from "./LatencyChart";
import { StatsTable } from "./StatsTable";

export function AgentsView({ filters, setFilters, statsWindow, setStatsWindow }: {
  filters: Filters;
  setFilters: (f: Filters) => void;
  statsWindow: StatsWindow;
  setStatsWindow: (w: StatsWindow) => void;
}) {
  const stats = useAgentStats(statsWindow, filters.job);
  const jobs = useJobs();
  const rows = useMemo(() => agentRows(stats.data), [stats.data]);
  const unimplemented = stats.isError && ConnectError.from(stats.error).code === Code.Unimplemented;

  return (
    <main className="agents" data-testid="agents-view" aria-labelledby="agents-title">
      <div className="agents-toolbar">
        <h2 id="agents-title">Agents</h2>
        <label className="agents-job">
          Job
          <select value={filters.job} onChange={(e) => setFilters({ ...filters, job: e.target.value })}
                  onFocus={() => jobs.refetch()} data-testid="agents-job">
            <option value="">All jobs</option>
            {filters.job && !jobs.data?.some((j) => j.id === filters.job) && <option value={filters.job}>{filters.job}</option>}
            {jobs.data?.map((job) => (
              <option key={job.id} value={job.id}>
                {job.query ? job.query.slice(0, 50) : job.id}{job.stalledSince ? " (stalled)" : ""}
              </option>
            ))}
          </select>
        </label>
        <div className="segmented" role="group" aria-label="Time window">
          {statsWindows.map((w) => (
            <button key={w.key} type="button" aria-pressed={statsWindow === w.key} onClick={() => setStatsWindow(w.key)}
                    data-testid={`window-${w.key}`}>
              {w.label}
            </button>
          ))}
        </div>
        <span className="agents-meta" aria-live="off">
          {stats.data && <><strong data-testid="agents-steps">{count(Number(stats.data.steps))}</strong> steps</>}
          {stats.isFetching && <span className="spinner agents-spinner" aria-hidden />}
        </span>
      </div>
      {stats.isError && (
        <div className="error-banner" role="alert">
          {unimplemented
            ? "This server does not report agent statistics yet (no GetAgentStats)."
            : `Cannot load agent statistics: ${describe(stats.error)}`}
        </div>
      )}
      {stats.isLoading && <p className="empty">Loading agent statistics…</p>}
      {stats.data && rows.length === 0 && (
        <p className="empty" data-testid="agents-empty">
          No agent steps {statsWindow === "all" ? "yet" : "in this window"}{filters.job ? " for this job" : ""}.
          They appear as pipelines report their agents starting and ending.
        </p>
      )}
      {rows.length > 0 && (
        <div className="agents-body">
          <StatsTable rows={rows} />
          <LatencyChart rows={rows} />
        </div>
      )}
    </main>
  );
}
