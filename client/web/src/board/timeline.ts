// The dialog's Timeline tab as a pure layout: a run's agent steps (GetLead's
// Lead.runs) become a Gantt chart on one time axis: a row per agent (in the
// order agents first started), a bar per step with its place (x) and length
// (width) as fractions of the axis, attempts of one agent side by side on its
// row and steps that overlap stacked in lanes. A running step grows to `now`;
// an unfinished one (it never ended) runs to the run's end; a step whose
// start never arrived is dated back from its end by its duration.
import { LeadStatus, StepStatus, type AgentRun, type AgentStep } from "../gen/leadboard/v1/lead_pb";
import { msOfDuration, msOfTimestamp, niceTicks, ordinal, preciseDuration, tickLabel, type Tick } from "./time";

export type BarState = "succeeded" | "failed" | "running" | "unfinished";

export interface TimelineBar {
  readonly key: string;
  readonly agent: string;
  readonly agentName: string;
  readonly attempt: number;
  readonly state: BarState;
  // Where it is drawn, in ms since the epoch (a running step ends `now`).
  readonly startMs: number;
  readonly endMs: number;
  // False when only the step's end arrived (the start is estimated).
  readonly startKnown: boolean;
  // Place and length on the axis, 0..1.
  readonly x: number;
  readonly width: number;
  // Which lane of its row (0 unless steps of one agent overlap).
  readonly lane: number;
  // How long it took (ended) or has run so far (running); undefined when it
  // never ended.
  readonly durationMs: number | undefined;
  readonly waitBeforeMs: number | undefined;
  readonly toolCalls: number;
  readonly error: string;
  // Everything above in words, for the tooltip and screen readers.
  readonly label: string;
}

export interface TimelineRow {
  readonly agent: string;
  readonly agentName: string;
  readonly lanes: number;
  readonly bars: readonly TimelineBar[];
}

export interface Timeline {
  readonly startMs: number;
  readonly endMs: number;
  readonly rows: readonly TimelineRow[];
  readonly ticks: readonly Tick[];
  // The run is still going: redraw on a clock tick.
  readonly running: boolean;
  // How long the run took (or has taken so far).
  readonly totalMs: number;
  readonly steps: number;
  readonly failed: number;
  readonly retries: number;
  readonly unfinished: number;
  // The longest step that ended or is running.
  readonly slowest: TimelineBar | undefined;
}

const kMinSpanMs = 1000;

export const runIsLive = (run: AgentRun): boolean => !run.endedAt && run.outcome === LeadStatus.ENRICHING;

const stateOf = (step: AgentStep): BarState => {
  switch (step.status) {
    case StepStatus.RUNNING:
      return "running";
    case StepStatus.FAILED:
      return "failed";
    case StepStatus.UNFINISHED:
      return "unfinished";
    default:
      return step.endedAt ? (step.error ? "failed" : "succeeded") : "unfinished";
  }
};

interface Placed {
  step: AgentStep;
  state: BarState;
  start: number | undefined;
  end: number | undefined;
  startKnown: boolean;
}

function place(step: AgentStep): Placed {
  const state = stateOf(step);
  const started = msOfTimestamp(step.startedAt);
  const ended = state === "running" || state === "unfinished" ? undefined : msOfTimestamp(step.endedAt);
  const took = msOfDuration(step.duration);
  if (started !== undefined) return { step, state, start: started, end: ended, startKnown: true };
  if (ended !== undefined) return { step, state, start: took !== undefined ? ended - took : ended, end: ended, startKnown: false };
  return { step, state, start: undefined, end: undefined, startKnown: false };
}

function describeBar(b: Omit<TimelineBar, "label" | "key" | "x" | "width" | "lane">, runStart: number): string {
  const parts = [b.agentName || b.agent];
  if (b.attempt > 1) parts.push(`${ordinal(b.attempt)} attempt (retry)`);
  const from = b.startKnown ? `from ${tickLabel(roundOffset(b.startMs - runStart))}` : "start not reported";
  switch (b.state) {
    case "succeeded":
      parts.push(`succeeded in ${preciseDuration(b.durationMs ?? 0)}, ${from}`);
      break;
    case "failed":
      parts.push(`failed after ${preciseDuration(b.durationMs ?? 0)}, ${from}${b.error ? `: ${b.error}` : ""}`);
      break;
    case "running":
      parts.push(`running for ${preciseDuration(b.durationMs ?? 0)}, ${from}`);
      break;
    case "unfinished":
      parts.push(`never ended, ${from}`);
      break;
  }
  if (b.waitBeforeMs !== undefined && b.waitBeforeMs >= 1) parts.push(`waited ${preciseDuration(b.waitBeforeMs)} before`);
  parts.push(b.toolCalls === 1 ? "1 tool call" : `${b.toolCalls} tool calls`);
  return parts.join("; ");
}

// Offsets shown in labels are rounded to what tickLabel prints.
const roundOffset = (ms: number) => (ms < 1000 ? Math.max(0, Math.round(ms)) : Math.round(ms / 1000) * 1000);

// Lays out one run at time `now` (ms since the epoch).
export function layoutRun(run: AgentRun, now: number): Timeline {
  const live = runIsLive(run);
  const placed = run.steps.map(place);
  const runStart = msOfTimestamp(run.startedAt);
  const runEnd = msOfTimestamp(run.endedAt);

  const known: number[] = [];
  if (runStart !== undefined) known.push(runStart);
  if (runEnd !== undefined) known.push(runEnd);
  for (const p of placed) {
    if (p.start !== undefined) known.push(p.start);
    if (p.end !== undefined) known.push(p.end);
  }
  const anyRunning = placed.some((p) => p.state === "running");
  if (live || anyRunning) known.push(now);
  let start = known.length ? Math.min(...known) : now;
  let end = known.length ? Math.max(...known) : now;
  if (live || anyRunning) end = Math.max(end, now);
  if (end - start < kMinSpanMs) end = start + kMinSpanMs;
  const span = end - start;

  // Attempts counted per agent, whatever `attempt` says, for the totals.
  let failed = 0, retries = 0, unfinished = 0;
  const byAgent = new Map<string, { agent: string; agentName: string; first: number; bars: TimelineBar[] }>();
  placed.forEach((p, i) => {
    const s = p.step;
    const barStart = p.start ?? runEnd ?? end;
    const barEnd = p.state === "running" ? Math.max(now, barStart)
      : p.state === "unfinished" ? Math.max(runEnd ?? end, barStart)
      : p.end ?? barStart;
    const durationMs = p.state === "running" ? Math.max(0, now - barStart)
      : p.state === "unfinished" ? undefined
      : msOfDuration(s.duration) ?? barEnd - barStart;
    const base = {
      agent: s.agent || s.agentName,
      agentName: s.agentName || s.agent,
      attempt: s.attempt || 1,
      state: p.state,
      startMs: barStart,
      endMs: barEnd,
      startKnown: p.startKnown,
      durationMs,
      waitBeforeMs: msOfDuration(s.waitBefore),
      toolCalls: s.toolCalls,
      error: s.error,
    };
    const bar: TimelineBar = {
      ...base,
      key: `${base.agent}#${base.attempt}#${i}`,
      x: (barStart - start) / span,
      width: (barEnd - barStart) / span,
      lane: 0,
      label: describeBar(base, runStart ?? start),
    };
    if (bar.state === "failed") failed++;
    if (bar.state === "unfinished") unfinished++;
    if (bar.attempt > 1) retries++;
    let row = byAgent.get(bar.agent);
    if (!row) byAgent.set(bar.agent, (row = { agent: bar.agent, agentName: bar.agentName, first: barStart, bars: [] }));
    row.first = Math.min(row.first, barStart);
    row.bars.push(bar);
  });

  const rows: TimelineRow[] = [...byAgent.values()]
    .sort((a, b) => a.first - b.first || a.agent.localeCompare(b.agent))
    .map((row) => {
      const bars = row.bars.slice().sort((a, b) => a.startMs - b.startMs || a.attempt - b.attempt);
      const laneEnds: number[] = [];
      const laid = bars.map((bar) => {
        let lane = laneEnds.findIndex((e) => e <= bar.startMs);
        if (lane < 0) lane = laneEnds.length;
        laneEnds[lane] = Math.max(bar.endMs, bar.startMs + 1);
        return lane === 0 ? bar : { ...bar, lane };
      });
      return { agent: row.agent, agentName: row.agentName, lanes: Math.max(1, laneEnds.length), bars: laid };
    });

  let slowest: TimelineBar | undefined;
  for (const row of rows) for (const bar of row.bars) {
    if (bar.durationMs !== undefined && (!slowest || bar.durationMs > (slowest.durationMs ?? 0))) slowest = bar;
  }
  const runFrom = runStart ?? start;
  const runTo = runEnd ?? (live ? now : end);
  return {
    startMs: start,
    endMs: end,
    rows,
    ticks: niceTicks(span),
    running: live || anyRunning,
    totalMs: Math.max(0, runTo - runFrom),
    steps: placed.length,
    failed,
    retries,
    unfinished,
    slowest,
  };
}

const outcomeText: Record<number, string> = {
  [LeadStatus.ENRICHING]: "running",
  [LeadStatus.ENRICHED]: "enriched",
  [LeadStatus.FAILED]: "failed",
};

// The run selector's text: "Run 2 of 2 (current) · running · 5 steps".
export function runLabel(run: AgentRun, index: number, total: number, format: (ms: number) => string = (ms) => new Date(ms).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium" })): string {
  const started = msOfTimestamp(run.startedAt);
  const parts = [`Run ${index + 1} of ${total}${index === total - 1 ? " (current)" : ""}`];
  if (started !== undefined) parts.push(`started ${format(started)}`);
  const outcome = runIsLive(run) ? "running" : outcomeText[run.outcome];
  if (outcome) parts.push(outcome);
  parts.push(run.steps.length === 1 ? "1 step" : `${run.steps.length} steps`);
  return parts.join(" · ");
}
