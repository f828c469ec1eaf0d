// The lead's agent runs as a Gantt chart (GetLead's Lead.runs, laid out by
// board/timeline): a row per agent on one time axis, a bar per step. Failed
// steps are red with a ✕ and the word, retries say "2nd attempt", steps that
// never ended are hatched and say so, a running step grows on the shared
// 1 s clock while its run runs. Hovering or focusing a bar shows its
// details (duration, wait before, tool calls, error); every bar carries them
// as its accessible label too. A selector shows earlier runs.
import { useMemo, useState } from "react";
import { longDuration } from "../../../board/format";
import { ordinal, preciseDuration } from "../../../board/time";
import { layoutRun, runIsLive, runLabel, type TimelineBar } from "../../../board/timeline";
import { StepStatus, type AgentRun, type Lead } from "../../../gen/leadboard/v1/lead_pb";
import { useClock } from "../../../hooks/useClock";

const kLaneHeight = 24;

const stateText: Record<TimelineBar["state"], string> = {
  succeeded: "Succeeded",
  failed: "Failed",
  running: "Running",
  unfinished: "Never ended",
};

const stateIcon: Record<TimelineBar["state"], string> = {
  succeeded: "",
  failed: "✕ ",
  running: "● ",
  unfinished: "… ",
};

export function TimelineTab({ lead }: { lead: Lead }) {
  const runs = lead.runs;
  const [picked, setPicked] = useState<number | null>(null);
  if (runs.length === 0) {
    return <p className="empty" data-testid="timeline-empty">No agent steps reported for this lead yet.</p>;
  }
  const index = picked !== null && picked < runs.length ? picked : runs.length - 1;
  return (
    <div className="timeline-tab" data-testid="timeline">
      {runs.length > 1 && (
        <label className="run-picker">
          Run
          <select value={index} onChange={(e) => setPicked(Number(e.target.value))} data-testid="timeline-run">
            {runs.map((run, i) => <option key={i} value={i}>{runLabel(run, i, runs.length)}</option>)}
          </select>
        </label>
      )}
      <RunChart key={index} run={runs[index]} index={index} />
    </div>
  );
}

function RunChart({ run, index }: { run: AgentRun; index: number }) {
  const live = runIsLive(run) || run.steps.some((s) => s.status === StepStatus.RUNNING);
  // While the run runs, redraw on the shared 1 s tick; otherwise never.
  const tick = useClock(live ? 1000 : Number.MAX_SAFE_INTEGER);
  const timeline = useMemo(() => layoutRun(run, live ? tick : Date.now()), [run, live, tick]);
  const [active, setActive] = useState<string | null>(null);
  const bars = timeline.rows.flatMap((r) => r.bars);
  const shown = bars.find((b) => b.key === active);

  return (
    <>
      <p className="timeline-summary" data-testid="timeline-summary">
        <span>{live ? "Running for" : "Took"} <b>{longDuration(timeline.totalMs)}</b></span>
        <span><b>{timeline.steps}</b> {timeline.steps === 1 ? "step" : "steps"}</span>
        {timeline.failed > 0 && <span className="summary-failed"><b>{timeline.failed}</b> failed</span>}
        {timeline.retries > 0 && <span><b>{timeline.retries}</b> {timeline.retries === 1 ? "retry" : "retries"}</span>}
        {timeline.unfinished > 0 && <span><b>{timeline.unfinished}</b> never ended</span>}
        {timeline.slowest && (
          <span data-testid="timeline-slowest">
            slowest: <b>{timeline.slowest.agentName}</b> {preciseDuration(timeline.slowest.durationMs ?? 0)}
          </span>
        )}
      </p>
      {run.truncated && (
        <p className="warning">This run reported more agent and tool events than the server keeps (500): its latest steps are missing.</p>
      )}
      {timeline.steps === 0 ? (
        <p className="empty">No agent has started in this run yet.</p>
      ) : (
        <div className="gantt" role="group" aria-label={`Agent steps of run ${index + 1}`}>
          <div className="gantt-axis" aria-hidden>
            <span className="gantt-agent" />
            <div className="gantt-ticks">
              {timeline.ticks.map((t) => (
                <span key={t.ms} className="gantt-tick" style={{ left: `${t.x * 100}%` }}>{t.label}</span>
              ))}
            </div>
          </div>
          <ul className="gantt-rows">
            {timeline.rows.map((row) => (
              <li key={row.agent} className="gantt-row" data-testid="timeline-row" data-agent={row.agent}>
                <span className="gantt-agent" title={row.agentName}>{row.agentName}</span>
                <div className="gantt-track" style={{ height: row.lanes * kLaneHeight }}>
                  {timeline.ticks.map((t) => (
                    <span key={t.ms} className="gantt-grid" style={{ left: `${t.x * 100}%` }} aria-hidden />
                  ))}
                  {row.bars.map((bar) => (
                    <div key={bar.key} tabIndex={0} role="img" aria-label={bar.label} title={bar.label}
                         className={`gantt-bar gantt-${bar.state}${bar.attempt > 1 ? " gantt-retry" : ""}${bar.startKnown ? "" : " gantt-no-start"}`}
                         style={{ left: `${bar.x * 100}%`, width: `${bar.width * 100}%`, top: bar.lane * kLaneHeight + 3 }}
                         data-testid="timeline-bar" data-state={bar.state} data-agent={bar.agent} data-attempt={bar.attempt}
                         onMouseEnter={() => setActive(bar.key)} onFocus={() => setActive(bar.key)}>
                      <span className="gantt-bar-text">
                        {stateIcon[bar.state]}
                        {bar.attempt > 1 ? `${ordinal(bar.attempt)} attempt · ` : ""}
                        {bar.state === "unfinished" ? "never ended" : bar.state === "failed" ? `failed ${preciseDuration(bar.durationMs ?? 0)}` : preciseDuration(bar.durationMs ?? 0)}
                      </span>
                    </div>
                  ))}
                </div>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="gantt-legend" aria-hidden>
        <span><i className="gantt-bar gantt-succeeded" /> succeeded</span>
        <span><i className="gantt-bar gantt-failed" /> ✕ failed</span>
        <span><i className="gantt-bar gantt-succeeded gantt-retry" /> retry (2nd attempt…)</span>
        <span><i className="gantt-bar gantt-running" /> ● running</span>
        <span><i className="gantt-bar gantt-unfinished" /> … never ended</span>
      </div>
      <StepDetails bar={shown} />
    </>
  );
}

function StepDetails({ bar }: { bar: TimelineBar | undefined }) {
  if (!bar) return <p className="step-details step-details-hint">Point at or focus a step for its details.</p>;
  return (
    <dl className={`step-details step-${bar.state}`} data-testid="step-details" aria-live="polite">
      <div><dt>Agent</dt><dd>{bar.agentName}{bar.attempt > 1 ? ` · ${ordinal(bar.attempt)} attempt` : ""}</dd></div>
      <div><dt>Status</dt><dd>{stateIcon[bar.state]}{stateText[bar.state]}</dd></div>
      <div><dt>{bar.state === "running" ? "Running for" : "Duration"}</dt><dd>{bar.durationMs === undefined ? "–" : preciseDuration(bar.durationMs)}</dd></div>
      <div><dt>Started</dt><dd>{bar.startKnown ? new Date(bar.startMs).toLocaleTimeString("en-GB") : "not reported"}</dd></div>
      <div><dt>Waited before</dt><dd>{bar.waitBeforeMs === undefined ? "–" : preciseDuration(bar.waitBeforeMs)}</dd></div>
      <div><dt>Tool calls</dt><dd>{bar.toolCalls}</dd></div>
      {bar.error && <div className="step-error"><dt>Error</dt><dd>{bar.error}</dd></div>}
    </dl>
  );
}
