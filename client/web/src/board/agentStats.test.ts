import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { GetAgentStatsResponseSchema } from "../gen/leadboard/v1/leadboard_pb";
import { agentRows, failureRateText, formatWindow, latencyChart, parseWindow, statsRequest } from "./agentStats";
import { formatPage, parsePage } from "./route";

const response = create(GetAgentStatsResponseSchema, {
  steps: 1234n,
  agents: [
    { agent: "leadqualification", steps: 1200n, succeeded: 1000n, failed: 150n, unfinished: 30n, running: 20n,
      failureRate: 150 / 1150, retries: 40n, p50: durationFromMs(3420), p95: durationFromMs(12_600), max: durationFromMs(125_000),
      total: durationFromMs(4_000_000) },
    { agent: "tavilyenrichment", steps: 34n, succeeded: 0n, failed: 0n, unfinished: 0n, running: 34n, failureRate: 0, retries: 0n },
  ],
});

describe("agent statistics as shown", () => {
  it("makes a row per agent with every figure formatted", () => {
    const [q, t] = agentRows(response);
    expect(q.agent).toBe("leadqualification");
    expect(q.text).toEqual({
      steps: "1,200", succeeded: "1,000", failed: "150", unfinished: "30", running: "20", retries: "40",
      failureRate: "13 %", p50: "3.4s", p95: "13s", max: "2m 05s",
    });
    expect([q.p50Ms, q.p95Ms, q.maxMs]).toEqual([3420, 12_600, 125_000]);
    // Nothing ended yet: no rate and no durations, rather than a misleading 0.
    expect(t.failureRate).toBeUndefined();
    expect([t.text.failureRate, t.text.p50, t.text.p95, t.text.max, t.text.running]).toEqual(["–", "–", "–", "–", "34"]);
    expect(agentRows(undefined)).toEqual([]);
  });

  it("writes failure rates to a tenth of a percent", () => {
    expect([0, 0.125, 1 / 3, 0.05, 1, undefined].map(failureRateText)).toEqual(["0 %", "12.5 %", "33.3 %", "5 %", "100 %", "–"]);
  });

  it("charts p50 and p95 on a round axis past the largest p95", () => {
    const chart = latencyChart(agentRows(response));
    expect(chart.bars.map((b) => b.agent)).toEqual(["leadqualification"]); // nothing ended for tavily
    expect(chart.axisMs).toBeGreaterThanOrEqual(12_600);
    expect(chart.ticks[chart.ticks.length - 1].x).toBeCloseTo(1);
    expect(chart.ticks.map((t) => t.label)).toEqual(["0s", "5s", "10s", "15s"]);
    expect(chart.bars[0].p95).toBeCloseTo(12_600 / 15_000);
    expect(chart.bars[0].p50).toBeCloseTo(3420 / 15_000);
    expect(latencyChart([]).bars).toEqual([]);
  });
});

describe("the window and the page in the URL", () => {
  it("round-trips the time window, the last 24 h by default", () => {
    expect(parseWindow("")).toBe("24h");
    expect(parseWindow("?window=7d")).toBe("7d");
    expect(parseWindow("?window=bogus")).toBe("24h");
    expect(formatWindow("all", "?view=agents&job=j1")).toBe("?view=agents&job=j1&window=all");
    expect(formatWindow("24h", "?window=1h&job=j1")).toBe("?job=j1");
  });

  it("asks GetAgentStats for the window ending now, over the job filter", () => {
    const now = Date.UTC(2026, 11, 2, 14, 0, 0);
    const hour = statsRequest("1h", "job-7", now);
    expect(hour.jobId).toBe("job-7");
    expect(timestampMs(hour.since!)).toBe(now - 3600_000);
    expect(timestampMs(statsRequest("7d", "", now).since!)).toBe(now - 7 * 86_400_000);
    expect(statsRequest("all", "", now)).toEqual({ jobId: "" });
  });

  it("switches between the board and the Agents view, keeping the rest", () => {
    expect(parsePage("?view=agents&q=x")).toBe("agents");
    expect(parsePage("?view=nope")).toBe("board");
    expect(formatPage("agents", "?api=http://x:8080&stalled=1")).toBe("?api=http%3A%2F%2Fx%3A8080&stalled=1&view=agents");
    expect(formatPage("board", "?view=agents")).toBe("");
  });
});
