import { describe, expect, it } from "vitest";
import { QualificationTier } from "../gen/leadboard/v1/enrichment_pb";
import { SnapshotBuilder } from "./boardState";
import { formatFilters, matcher, noFilters, parseFilters, sectorsOf, type Filters } from "./filters";
import { ids, lead } from "./testing";
import { averageRoi } from "./totals";
import { boardViews, summarize } from "./view";

const H = QualificationTier.HIGH_POTENTIAL, M = QualificationTier.MEDIUM_POTENTIAL, N = QualificationTier.NOT_QUALIFIED;
const leads = [
  lead("r1", 1, { stage: "enriched", company: "Romano Advogados", website: "romano.adv.br", sector: "Legal", tier: H, roi: 0.9 }),
  lead("t1", 2, { stage: "enriched", company: "TechStart Solutions", website: "techstart.com", sector: "Technology", tier: M, roi: 0.5, job: "job-2" }),
  lead("d1", 3, { stage: "reviewing", company: "DataSync Pro", website: "datasync.io", sector: "Technology", tier: H, roi: 0.7 }),
  lead("f1", 4, { stage: "failed", company: "Broken Ltda", sector: "Legal", failed: true }),
  lead("m1", 5, { stage: "meeting_scheduled", company: "NextGen Analytics", sector: "Technology", tier: N, roi: 0.2 }),
];
const state = (() => {
  const b = new SnapshotBuilder();
  leads.forEach((l) => b.add(l));
  return b.build(5n);
})();
const columns = ["enriched", "reviewing", "failed", "meeting_scheduled"];
const shown = (f: Partial<Filters>) => {
  const views = boardViews(state, new Map(), columns, matcher({ ...noFilters, ...f }));
  return columns.flatMap((c) => ids(views[c].leads)).sort();
};

describe("filters", () => {
  it("search matches company and website, ignoring case", () => {
    expect(shown({ q: "romano" })).toEqual(["r1"]);
    expect(shown({ q: "TECHSTART.COM" })).toEqual(["t1"]);
    expect(shown({ q: "nothing" })).toEqual([]);
  });
  it("narrow by job, sector, tier, ROI range and failed", () => {
    expect(shown({ job: "job-2" })).toEqual(["t1"]);
    expect(shown({ sector: "legal" })).toEqual(["f1", "r1"]);
    expect(shown({ tiers: ["high"] })).toEqual(["d1", "r1"]);
    expect(shown({ tiers: ["not", "medium"] })).toEqual(["m1", "t1"]);
    expect(shown({ roiMin: 50, roiMax: 80 })).toEqual(["d1", "t1"]);
    expect(shown({ failed: true })).toEqual(["f1"]);
    expect(shown({ sector: "Technology", tiers: ["high"] })).toEqual(["d1"]);
  });
  it("round-trip through the URL, keeping other parameters", () => {
    const f: Filters = { q: "tech start", job: "j 1", sector: "Legal", tiers: ["high", "low"], roiMin: 40, roiMax: null, stalled: true, failed: true };
    const search = formatFilters(f, "?api=http://x:8080&lead=abc&q=old");
    expect(parseFilters(search)).toEqual(f);
    const p = new URLSearchParams(search);
    expect(p.get("api")).toBe("http://x:8080");
    expect(p.get("lead")).toBe("abc");
    expect(formatFilters(noFilters, "?q=x&tier=high")).toBe("");
    expect(parseFilters("?tier=bogus,high&roi=abc-120")).toEqual({ ...noFilters, tiers: ["high"], roiMax: 100 });
  });
  it("lists sectors, most common first", () => {
    expect(sectorsOf(leads)).toEqual(["Technology", "Legal"]);
  });
});

describe("totals follow the filters", () => {
  it("column totals and the summary bar add up the shown cards", () => {
    const all = boardViews(state, new Map(), columns, null);
    expect(all.enriched.totals).toEqual({ count: 2, roiSum: 1.4, roiCount: 2, high: 1, stalled: 0 });
    const s = summarize(all);
    expect(s.totals.count).toBe(5);
    expect(s.totals.high).toBe(2);
    expect(s.meetings).toBe(1);
    expect(averageRoi(s.totals)).toBeCloseTo((0.9 + 0.5 + 0.7 + 0.2) / 4);

    const tech = boardViews(state, new Map(), columns, matcher({ ...noFilters, sector: "Technology" }));
    expect(tech.enriched.totals).toEqual({ count: 1, roiSum: 0.5, roiCount: 1, high: 0, stalled: 0 });
    const st = summarize(tech);
    expect(st.totals.count).toBe(3);
    expect(st.totals.high).toBe(1);
    expect(st.meetings).toBe(1);
    expect(averageRoi(st.totals)).toBeCloseTo((0.5 + 0.7 + 0.2) / 3);
    expect(summarize(boardViews(state, new Map(), columns, matcher({ ...noFilters, q: "zzz" }))).totals.count).toBe(0);
  });
  it("reuses a column's filtered view while the column is unchanged", () => {
    const match = matcher({ ...noFilters, sector: "Legal" });
    const a = boardViews(state, new Map(), columns, match);
    const b = boardViews(state, new Map(), columns, match);
    expect(b.enriched).toBe(a.enriched);
  });
});
