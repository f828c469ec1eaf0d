import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { AgentRunSchema, LeadStatus, StepStatus, type AgentRun } from "../gen/leadboard/v1/lead_pb";
import { layoutRun, runLabel, type TimelineBar } from "./timeline";

const T = Date.UTC(2026, 11, 2, 14, 0, 0);
const s = (sec: number) => T + sec * 1000;

interface StepSpec {
  agent: string;
  name?: string;
  attempt?: number;
  start?: number;
  end?: number;
  status: StepStatus;
  error?: string;
  tools?: number;
  wait?: number;
  duration?: number;
}

function run(steps: StepSpec[], r: { start?: number; end?: number; outcome?: LeadStatus } = {}): AgentRun {
  return create(AgentRunSchema, {
    startedAt: r.start === undefined ? undefined : timestampFromMs(r.start),
    endedAt: r.end === undefined ? undefined : timestampFromMs(r.end),
    outcome: r.outcome ?? (r.end === undefined ? LeadStatus.ENRICHING : LeadStatus.ENRICHED),
    steps: steps.map((p) => ({
      agent: p.agent,
      agentName: p.name ?? p.agent,
      attempt: p.attempt ?? 1,
      startedAt: p.start === undefined ? undefined : timestampFromMs(p.start),
      endedAt: p.end === undefined ? undefined : timestampFromMs(p.end),
      duration: p.duration !== undefined ? durationFromMs(p.duration)
        : p.end !== undefined && p.start !== undefined ? durationFromMs(p.end - p.start) : undefined,
      status: p.status,
      error: p.error ?? "",
      toolCalls: p.tools ?? 0,
      waitBefore: p.wait === undefined ? undefined : durationFromMs(p.wait),
    })),
  });
}

const bars = (t: ReturnType<typeof layoutRun>): TimelineBar[] => t.rows.flatMap((r) => r.bars);
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

describe("timeline layout", () => {
  // A finished run: intake 0-10 s, qualification fails 10-20 s, retried 25-40 s, research never ends.
  const finished = run([
    { agent: "leadintake", name: "LeadIntakeAgent", start: s(0), end: s(10), status: StepStatus.SUCCEEDED, tools: 2 },
    { agent: "leadqualification", name: "LeadQualificationAgent", start: s(10), end: s(20), status: StepStatus.FAILED, error: "TimeoutError: LLM timed out", wait: 0 },
    { agent: "leadqualification", name: "LeadQualificationAgent", attempt: 2, start: s(25), end: s(40), status: StepStatus.SUCCEEDED, wait: 5000, tools: 1 },
    { agent: "tavilyenrichment", name: "TavilyEnrichmentAgent", start: s(30), status: StepStatus.UNFINISHED },
  ], { start: s(0), end: s(50), outcome: LeadStatus.FAILED });

  it("puts one bar per step on one axis, a row per agent in the order they started", () => {
    const t = layoutRun(finished, s(1000));
    expect(t.rows.map((r) => r.agent)).toEqual(["leadintake", "leadqualification", "tavilyenrichment"]);
    expect(bars(t).length).toBe(4);
    expect([t.startMs, t.endMs]).toEqual([s(0), s(50)]);
    const [intake] = t.rows[0].bars;
    expect(close(intake.x, 0) && close(intake.width, 0.2)).toBe(true);
    expect(t.running).toBe(false);
    expect(t.totalMs).toBe(50_000);
  });

  it("keeps attempts of one agent side by side on its row, marking the retry and the failure", () => {
    const row = layoutRun(finished, s(1000)).rows[1];
    expect(row.lanes).toBe(1);
    const [first, retry] = row.bars;
    expect(first.state).toBe("failed");
    expect(first.error).toBe("TimeoutError: LLM timed out");
    expect(close(first.x, 0.2) && close(first.width, 0.2)).toBe(true);
    expect(retry.attempt).toBe(2);
    expect(retry.state).toBe("succeeded");
    expect(close(retry.x, 0.5) && close(retry.width, 0.3)).toBe(true);
    expect(first.label).toBe("LeadQualificationAgent; failed after 10s, from 10s: TimeoutError: LLM timed out; 0 tool calls");
    expect(retry.label).toBe("LeadQualificationAgent; 2nd attempt (retry); succeeded in 15s, from 25s; waited 5.0s before; 1 tool call");
  });

  it("draws a step that never ended up to the run's end, without a duration", () => {
    const t = layoutRun(finished, s(1000));
    const [tavily] = t.rows[2].bars;
    expect(tavily.state).toBe("unfinished");
    expect(tavily.endMs).toBe(s(50));
    expect(close(tavily.x, 0.6) && close(tavily.width, 0.4)).toBe(true);
    expect(tavily.durationMs).toBeUndefined();
    expect(tavily.label).toContain("never ended, from 30s");
    expect([t.steps, t.failed, t.retries, t.unfinished]).toEqual([4, 1, 1, 1]);
    expect(t.slowest?.agent).toBe("leadqualification");
    expect(t.slowest?.attempt).toBe(2);
  });

  it("grows a running step to now, and the axis with it", () => {
    const live = run([
      { agent: "leadintake", start: s(0), end: s(10), status: StepStatus.SUCCEEDED },
      { agent: "painpointdeepening", name: "PainPointDeepeningAgent", start: s(12), status: StepStatus.RUNNING },
    ], { start: s(0) });
    const at20 = layoutRun(live, s(20));
    const at30 = layoutRun(live, s(30));
    const bar20 = at20.rows[1].bars[0], bar30 = at30.rows[1].bars[0];
    expect(at20.running).toBe(true);
    expect(bar20.state).toBe("running");
    expect([bar20.durationMs, bar30.durationMs]).toEqual([8000, 18_000]);
    expect(bar20.endMs).toBe(s(20));
    expect(close(bar20.x + bar20.width, 1)).toBe(true); // it reaches the axis' end: now
    expect(at30.endMs).toBe(s(30));
    expect(at30.rows[0].bars[0].width).toBeLessThan(at20.rows[0].bars[0].width);
    expect(bar30.label).toContain("running for 18s");
    expect(at30.totalMs).toBe(30_000);
  });

  it("dates a step whose start never arrived back from its end by its duration", () => {
    const t = layoutRun(run([
      { agent: "a", start: s(0), end: s(4), status: StepStatus.SUCCEEDED },
      { agent: "b", end: s(10), duration: 3000, status: StepStatus.SUCCEEDED },
    ], { start: s(0), end: s(10) }), s(99));
    const b = t.rows[1].bars[0];
    expect([b.startMs, b.endMs, b.startKnown]).toEqual([s(7), s(10), false]);
    expect(b.label).toContain("start not reported");
  });

  it("stacks steps of one agent that overlap in lanes", () => {
    const t = layoutRun(run([
      { agent: "a", start: s(0), end: s(10), status: StepStatus.SUCCEEDED },
      { agent: "a", attempt: 2, start: s(5), end: s(8), status: StepStatus.FAILED },
      { agent: "a", attempt: 3, start: s(10), end: s(12), status: StepStatus.SUCCEEDED },
    ], { start: s(0), end: s(12) }), s(99));
    expect(t.rows.length).toBe(1);
    expect(t.rows[0].lanes).toBe(2);
    expect(t.rows[0].bars.map((b) => b.lane)).toEqual([0, 1, 0]);
  });

  it("ticks the axis in human units", () => {
    expect(layoutRun(finished, s(1000)).ticks.map((t) => t.label)).toEqual(["0s", "10s", "20s", "30s", "40s", "50s"]);
    const long = layoutRun(run([{ agent: "a", start: s(0), end: s(400), status: StepStatus.SUCCEEDED }], { start: s(0), end: s(400) }), s(999));
    expect(long.ticks.map((t) => t.label)).toEqual(["0s", "2m", "4m", "6m"]);
    expect(long.ticks[1].x).toBeCloseTo(120 / 400);
  });

  it("copes with a run without steps or times", () => {
    const t = layoutRun(run([], {}), s(5));
    expect(t.rows).toEqual([]);
    expect(t.endMs - t.startMs).toBeGreaterThan(0);
  });

  it("names runs for the run selector", () => {
    const fmt = () => "2 Dec 2026, 14:00:00";
    expect(runLabel(finished, 0, 2, fmt)).toBe("Run 1 of 2 · started 2 Dec 2026, 14:00:00 · failed · 4 steps");
    expect(runLabel(run([], { start: s(0) }), 1, 2, fmt)).toBe("Run 2 of 2 (current) · started 2 Dec 2026, 14:00:00 · running · 0 steps");
  });
});
