// The Agents view as pure functions: the time window (in the URL as
// ?window=1h|24h|7d|all), the GetAgentStats request it makes, one table row
// per agent with its figures as people read them, and the p50/p95 chart's
// layout (bars as fractions of an axis with round ticks).
import { timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { AgentStats, GetAgentStatsResponse } from "../gen/leadboard/v1/leadboard_pb";
import { count } from "./format";
import { msOfDuration, niceTicks, preciseDuration, type Tick } from "./time";

export type StatsWindow = "1h" | "24h" | "7d" | "all";

export const statsWindows: readonly { key: StatsWindow; label: string; ms: number | null }[] = [
  { key: "1h", label: "Last hour", ms: 3600_000 },
  { key: "24h", label: "Last 24 h", ms: 86_400_000 },
  { key: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { key: "all", label: "All time", ms: null },
];

export const defaultWindow: StatsWindow = "24h";

export function parseWindow(search: string): StatsWindow {
  const w = new URLSearchParams(search).get("window");
  return statsWindows.find((s) => s.key === w)?.key ?? defaultWindow;
}

// `search` with ?window= set (left out for the default).
export function formatWindow(window: StatsWindow, search: string): string {
  const p = new URLSearchParams(search);
  if (window === defaultWindow) p.delete("window");
  else p.set("window", window);
  const text = p.toString();
  return text ? `?${text}` : "";
}

export interface StatsRequest {
  readonly jobId: string;
  readonly since?: Timestamp;
}

// The request for the window ending `now` (ms), over the board's job filter.
export function statsRequest(window: StatsWindow, jobId: string, now: number): StatsRequest {
  const ms = statsWindows.find((s) => s.key === window)?.ms ?? null;
  return ms === null ? { jobId } : { jobId, since: timestampFromMs(now - ms) };
}

export interface AgentRow {
  readonly agent: string;
  readonly steps: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly unfinished: number;
  readonly running: number;
  readonly retries: number;
  // failure_rate as a share (0..1), undefined when no step ended.
  readonly failureRate: number | undefined;
  readonly p50Ms: number | undefined;
  readonly p95Ms: number | undefined;
  readonly maxMs: number | undefined;
  // The same, as shown.
  readonly text: {
    readonly steps: string;
    readonly succeeded: string;
    readonly failed: string;
    readonly unfinished: string;
    readonly running: string;
    readonly retries: string;
    readonly failureRate: string;
    readonly p50: string;
    readonly p95: string;
    readonly max: string;
  };
}

// "12.5 %", "0 %", "100 %", "–" (nothing ended).
export function failureRateText(rate: number | undefined): string {
  if (rate === undefined) return "–";
  return `${Number((rate * 100).toFixed(1))} %`;
}

const durationText = (ms: number | undefined) => (ms === undefined ? "–" : preciseDuration(ms));

export function agentRow(s: AgentStats): AgentRow {
  const n = (v: bigint) => Number(v);
  const ended = n(s.succeeded) + n(s.failed);
  // Durations only mean something once a step ended.
  const dur = (d: AgentStats["p50"]) => (ended === 0 ? undefined : msOfDuration(d) ?? 0);
  const row = {
    agent: s.agent,
    steps: n(s.steps),
    succeeded: n(s.succeeded),
    failed: n(s.failed),
    unfinished: n(s.unfinished),
    running: n(s.running),
    retries: n(s.retries),
    failureRate: ended === 0 ? undefined : s.failureRate,
    p50Ms: dur(s.p50),
    p95Ms: dur(s.p95),
    maxMs: dur(s.max),
  };
  return {
    ...row,
    text: {
      steps: count(row.steps),
      succeeded: count(row.succeeded),
      failed: count(row.failed),
      unfinished: count(row.unfinished),
      running: count(row.running),
      retries: count(row.retries),
      failureRate: failureRateText(row.failureRate),
      p50: durationText(row.p50Ms),
      p95: durationText(row.p95Ms),
      max: durationText(row.maxMs),
    },
  };
}

// One row per agent, in the server's order (by name).
export const agentRows = (response: GetAgentStatsResponse | undefined): AgentRow[] =>
  response ? response.agents.map(agentRow) : [];

export interface LatencyBar {
  readonly agent: string;
  // p50 and p95 as fractions of the axis (0 when unknown).
  readonly p50: number;
  readonly p95: number;
  readonly p50Text: string;
  readonly p95Text: string;
}

export interface LatencyChart {
  readonly bars: readonly LatencyBar[];
  readonly ticks: readonly Tick[];
  // The axis' end (ms): the last tick at or past the largest p95.
  readonly axisMs: number;
}

// The p50/p95 chart: one pair of bars per agent that has ended steps, on an
// axis from 0 to a round value past the largest p95.
export function latencyChart(rows: readonly AgentRow[], maxTicks = 5): LatencyChart {
  const timed = rows.filter((r) => r.p50Ms !== undefined || r.p95Ms !== undefined);
  const largest = Math.max(0, ...timed.map((r) => Math.max(r.p95Ms ?? 0, r.p50Ms ?? 0)));
  let ticks = niceTicks(largest, maxTicks);
  const last = ticks[ticks.length - 1].ms;
  let axisMs = last;
  if (largest > 0 && last < largest) {
    // Extend by one step so the largest bar ends inside the axis.
    const step = ticks.length > 1 ? ticks[1].ms - ticks[0].ms : largest;
    axisMs = last + step;
    ticks = niceTicks(axisMs, maxTicks + 1).filter((t) => t.ms <= axisMs);
  }
  if (axisMs <= 0) axisMs = 1;
  const frac = (ms: number | undefined) => (ms === undefined ? 0 : Math.min(1, ms / axisMs));
  return {
    bars: timed.map((r) => ({ agent: r.agent, p50: frac(r.p50Ms), p95: frac(r.p95Ms), p50Text: r.text.p50, p95Text: r.text.p95 })),
    ticks: ticks.map((t) => ({ ...t, x: t.ms / axisMs })),
    axisMs,
  };
}
