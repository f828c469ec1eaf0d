import { describe, expect, it } from "vitest";
import { ChangeKind } from "../gen/leadboard/v1/leadboard_pb";
import { LeadStatus } from "../gen/leadboard/v1/lead_pb";
import { applyBatch, SnapshotBuilder } from "./boardState";
import { formatFilters, matcher, noFilters, parseFilters } from "./filters";
import { refreshEvery, stalledLabel, stalledText } from "./stalled";
import { change, ids, lead } from "./testing";
import { boardViews, summarize } from "./view";

const T = Date.UTC(2026, 11, 2, 14, 0, 0);
const running = { status: LeadStatus.ENRICHING };
const board = () => {
  const b = new SnapshotBuilder();
  b.add(lead("a", 1, { stage: "research", ...running }));
  b.add(lead("b", 2, { stage: "research", ...running, stalledSince: T - 60_000 }));
  b.add(lead("c", 3, { stage: "strategy", ...running }));
  b.add(lead("d", 4, { stage: "enriched" }));
  return b.build(4n);
};
const columns = ["research", "strategy", "enriched"];

describe("stalled leads in the board state", () => {
  it("counts stalled cards per column from the snapshot", () => {
    const s = board();
    expect(s.columns.research.totals.stalled).toBe(1);
    expect(s.columns.strategy.totals.stalled).toBe(0);
  });

  it("a STALLED change flags the card and its column's count, in place", () => {
    const s0 = board();
    const s1 = applyBatch(s0, [change(5, "c", { stage: "strategy", ...running, stalledSince: T }, ChangeKind.STALLED)], T);
    expect(s1.byId.get("c")?.stalledSince).toBeDefined();
    expect(ids(s1.columns.strategy.leads)).toEqual(["c"]);
    expect(s1.columns.strategy.totals.stalled).toBe(1);
    expect(s1.columns.research).toBe(s0.columns.research); // untouched column shared
    expect(s1.lastRevision).toBe(5n);
  });

  it("the lead's next change clears the flag and the count", () => {
    let s = applyBatch(board(), [change(5, "c", { stage: "strategy", ...running, stalledSince: T }, ChangeKind.STALLED)], T);
    s = applyBatch(s, [change(6, "c", { stage: "strategy", ...running }, ChangeKind.UPDATED)], T + 1000);
    expect(s.byId.get("c")?.stalledSince).toBeUndefined();
    expect(s.columns.strategy.totals.stalled).toBe(0);
    // ... also when that change moves the card on.
    s = applyBatch(s, [change(7, "b", { stage: "qualification", ...running }, ChangeKind.STAGE_CHANGED)], T + 2000);
    expect(s.columns.research.totals).toMatchObject({ count: 1, stalled: 0 });
    expect(s.columns.qualification.totals).toMatchObject({ count: 1, stalled: 0 });
  });

  it("takes a STALLED card that carries the revision the lead already had, once", () => {
    const s0 = board();
    const s1 = applyBatch(s0, [change(3, "c", { stage: "strategy", ...running, stalledSince: T }, ChangeKind.STALLED)], T);
    expect(s1.columns.strategy.totals.stalled).toBe(1);
    expect(s1.columns.strategy.leads.length).toBe(1);
    // A repeat changes nothing, and an older stall never overwrites a newer card.
    expect(applyBatch(s1, [change(3, "c", { stage: "strategy", ...running, stalledSince: T }, ChangeKind.STALLED)], T)).toBe(s1);
    const s2 = applyBatch(s1, [change(6, "c", { stage: "strategy", ...running }, ChangeKind.UPDATED)], T);
    expect(applyBatch(s2, [change(5, "c", { stage: "strategy", ...running, stalledSince: T }, ChangeKind.STALLED)], T).byId.get("c")?.stalledSince).toBeUndefined();
  });
});

describe("the Stalled filter", () => {
  it("shows only stalled cards, and the counts and summary follow", () => {
    const s = applyBatch(board(), [change(5, "c", { stage: "strategy", ...running, stalledSince: T }, ChangeKind.STALLED)], T);
    const views = boardViews(s, new Map(), columns, matcher({ ...noFilters, stalled: true }));
    expect(ids(views.research.leads)).toEqual(["b"]);
    expect(ids(views.strategy.leads)).toEqual(["c"]);
    expect(views.enriched.leads).toEqual([]);
    expect(views.research.totals).toMatchObject({ count: 1, stalled: 1 });
    expect(summarize(views).totals).toMatchObject({ count: 2, stalled: 2 });
    expect(summarize(boardViews(s, new Map(), columns, null)).totals).toMatchObject({ count: 4, stalled: 2 });
  });

  it("lives in the URL as stalled=1", () => {
    const search = formatFilters({ ...noFilters, stalled: true, job: "j1" }, "?view=agents");
    expect(new URLSearchParams(search).get("stalled")).toBe("1");
    expect(new URLSearchParams(search).get("view")).toBe("agents");
    expect(parseFilters(search)).toEqual({ ...noFilters, stalled: true, job: "j1" });
    expect(parseFilters("?stalled=0").stalled).toBe(false);
  });
});

describe("the stalled badge's words", () => {
  it("measures the silence from the last event", () => {
    expect(stalledText(T, T + 45_000)).toBe("Stalled 45 s");
    expect(stalledText(T, T + 12 * 60_000 + 30_000)).toBe("Stalled 12 min");
    expect(stalledText(T, T + 3 * 3600_000)).toBe("Stalled 3 h");
    expect(stalledText(T, T + 50 * 3600_000)).toBe("Stalled 2 d");
    expect(stalledText(T, T - 5000)).toBe("Stalled 0 s"); // clocks apart
    expect(stalledLabel(T, T + 120_000, () => "14:00:00")).toBe("Stalled 2 min: no event from its pipeline since 14:00:00");
  });

  it("asks for a redraw only as often as the words can change", () => {
    expect(refreshEvery(T, T + 5000)).toBe(1000);
    expect(refreshEvery(T, T + 5 * 60_000)).toBe(10_000);
    expect(refreshEvery(T, T + 2 * 3600_000)).toBe(60_000);
  });
});
