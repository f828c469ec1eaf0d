import { describe, expect, it } from "vitest";
import { QualificationTier } from "../gen/leadboard/v1/enrichment_pb";
import { ChangeKind } from "../gen/leadboard/v1/leadboard_pb";
import { applyBatch, initialBoardState, SnapshotBuilder, type BoardState } from "./boardState";
import { LeadIndex } from "./leadIndex";
import { change, ids, lead, progress, synced } from "./testing";

const snapshot = (...leads: ReturnType<typeof lead>[]) => {
  const builder = new SnapshotBuilder();
  for (const l of leads) builder.add(l);
  return builder;
};

describe("snapshot build", () => {
  it("groups leads by column, newest revision first, with totals", () => {
    const s = snapshot(
      lead("a", 3, { stage: "research" }),
      lead("b", 9, { stage: "research", roi: 0.5, tier: QualificationTier.HIGH_POTENTIAL }),
      lead("c", 5, { stage: "enriched", roi: 0.9 }),
      lead("d", 7, { stage: "research", roi: 0.7 }),
    ).build(12n);
    expect(s.synced).toBe(true);
    expect(s.lastRevision).toBe(12n);
    expect(ids(s.columns.research.leads)).toEqual(["b", "d", "a"]);
    expect(s.columns.research.totals).toEqual({ count: 3, roiSum: 1.2, roiCount: 2, high: 1, stalled: 0 });
    expect(ids(s.columns.enriched.leads)).toEqual(["c"]);
    expect(s.byId.size).toBe(4);
    expect(s.byId.get("d")?.stage).toBe("research");
  });

  it("keeps the newest entry when a lead comes twice", () => {
    const s = snapshot(lead("a", 8, { stage: "strategy" }), lead("a", 2, { stage: "intake" })).build(8n);
    expect(s.byId.size).toBe(1);
    expect(s.byId.get("a")?.stage).toBe("strategy");
    expect(s.columns.intake).toBeUndefined();
  });

  it("builds 100,000 leads in well under a second", () => {
    const builder = new SnapshotBuilder();
    for (let i = 0; i < 100_000; i++) builder.add(lead(`l${i}`, i + 1, { stage: i % 2 ? "harvested" : "enriched" }));
    const start = performance.now();
    const s = builder.build(100_000n);
    expect(performance.now() - start).toBeLessThan(3000); // generous: a loaded 2-core CI
    expect(s.columns.harvested.leads.length).toBe(50_000);
    expect(s.columns.harvested.leads[0].id).toBe("l99999");
  });
});

describe("batched live changes", () => {
  const base = () => snapshot(lead("a", 1, { stage: "intake" }), lead("b", 2, { stage: "intake" }), lead("c", 3, { stage: "enriched" })).build(3n);

  it("moves a card between columns and keeps the others' objects", () => {
    const s0 = base();
    const s1 = applyBatch(s0, [change(4, "a", { stage: "research", roi: 0.4 })], 1000);
    expect(ids(s1.columns.intake.leads)).toEqual(["b"]);
    expect(ids(s1.columns.research.leads)).toEqual(["a"]);
    expect(s1.columns.research.totals.roiCount).toBe(1);
    expect(s1.columns.enriched).toBe(s0.columns.enriched); // untouched column shared
    expect(s1.lastRevision).toBe(4n);
    expect(s1.recent.get("a")).toBe(1000);
    expect(ids(s0.columns.intake.leads)).toEqual(["b", "a"]); // the old state is intact
  });

  it("applies a batch in order, touching each column once", () => {
    const s = applyBatch(base(), [
      change(4, "a", { stage: "research" }),
      change(5, "a", { stage: "qualification" }),
      change(6, "b", { stage: "qualification" }),
      change(7, "n", { stage: "harvested" }, 1),
    ], 0);
    expect(s.columns.intake.leads).toEqual([]);
    expect(s.columns.intake.totals.count).toBe(0);
    expect(s.columns.research.leads).toEqual([]);
    expect(ids(s.columns.qualification.leads)).toEqual(["b", "a"]);
    expect(ids(s.columns.harvested.leads)).toEqual(["n"]);
    expect(s.byId.size).toBe(4);
    expect(s.lastRevision).toBe(7n);
  });

  it("never lets an older revision overwrite a newer one, and ignores duplicates", () => {
    const s1 = applyBatch(base(), [change(7, "a", { stage: "strategy" }), change(4, "a", { stage: "research" })], 0);
    expect(s1.byId.get("a")?.stage).toBe("strategy");
    expect(s1.columns.research).toBeUndefined();
    const s2 = applyBatch(s1, [change(7, "a", { stage: "strategy" })], 0);
    expect(s2).toBe(s1);
  });

  it("applies catch-up cards (CURRENT) like changes, before synced", () => {
    let s: BoardState = { ...base(), synced: false };
    s = applyBatch(s, [change(40, "a", { stage: "negotiating" }, ChangeKind.CURRENT), change(41, "z", { stage: "enriched" }, ChangeKind.CURRENT), synced(41)], 0);
    expect(s.synced).toBe(true);
    expect(ids(s.columns.negotiating.leads)).toEqual(["a"]);
    expect(ids(s.columns.enriched.leads)).toEqual(["z", "c"]);
    expect(s.lastRevision).toBe(41n);
  });

  it("advances the resume point with heartbeats only once synced", () => {
    let s: BoardState = { ...initialBoardState, synced: false, lastRevision: 10n };
    s = applyBatch(s, [progress(12)], 0);
    expect(s.lastRevision).toBe(10n);
    s = applyBatch(s, [change(11, "x", { stage: "intake" }), synced(11), progress(15)], 0);
    expect(s.synced).toBe(true);
    expect(s.lastRevision).toBe(15n);
  });

  it("keeps a 100,000-lead board cheap to change", () => {
    const builder = new SnapshotBuilder();
    for (let i = 0; i < 100_000; i++) builder.add(lead(`l${i}`, i + 1, { stage: "harvested" }));
    let s = builder.build(100_000n);
    const start = performance.now();
    for (let i = 0; i < 100; i++) s = applyBatch(s, [change(100_001 + i, `l${i * 7}`, { stage: "intake" })], i);
    const perBatch = (performance.now() - start) / 100;
    expect(s.columns.harvested.leads.length).toBe(99_900);
    expect(s.columns.intake.leads.length).toBe(100);
    expect(perBatch).toBeLessThan(50); // a frame is 16 ms; generous for a loaded CI
  });
});

describe("LeadIndex", () => {
  it("is persistent: with() leaves the old index as it was", () => {
    const a = LeadIndex.from([lead("x", 1), lead("y", 2)]);
    const b = a.with(lead("x", 3, { stage: "reviewing" }));
    expect(a.get("x")?.revision).toBe(1n);
    expect(b.get("x")?.revision).toBe(3n);
    expect(b.size).toBe(2);
    expect(b.with(lead("z", 4)).size).toBe(3);
  });
});
