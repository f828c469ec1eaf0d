// What a person narrows the board to: a search (company, website), a job, a
// sector, qualification tiers, an ROI potential range, "stalled only" and
// "failed only". Filters live in the URL
// (?q=&job=&sector=&tier=&roi=&stalled=&failed=) so a view can be shared;
// parse and format are inverse.
import { QualificationTier } from "../gen/leadboard/v1/enrichment_pb";
import type { Lead } from "../gen/leadboard/v1/lead_pb";

export type TierKey = "high" | "medium" | "low" | "not" | "none";

export const tierKeys: Record<TierKey, QualificationTier> = {
  high: QualificationTier.HIGH_POTENTIAL,
  medium: QualificationTier.MEDIUM_POTENTIAL,
  low: QualificationTier.LOW_POTENTIAL,
  not: QualificationTier.NOT_QUALIFIED,
  none: QualificationTier.UNSPECIFIED,
};

export interface Filters {
  readonly q: string;
  readonly job: string;
  readonly sector: string;
  readonly tiers: readonly TierKey[];
  // ROI potential range in percent (0..100), both ends included.
  readonly roiMin: number | null;
  readonly roiMax: number | null;
  // Only stalled leads (Lead.stalled_since set).
  readonly stalled: boolean;
  readonly failed: boolean;
}

export const noFilters: Filters = { q: "", job: "", sector: "", tiers: [], roiMin: null, roiMax: null, stalled: false, failed: false };

const filterParams = ["q", "job", "sector", "tier", "roi", "stalled", "failed"];

function percent(text: string | undefined): number | null {
  if (text === undefined || text.trim() === "") return null;
  const n = Number(text);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : null;
}

export function parseFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const tiers = (p.get("tier") ?? "")
    .split(",")
    .filter((t): t is TierKey => t in tierKeys);
  const [min, max] = (p.get("roi") ?? "").split("-");
  return {
    q: p.get("q") ?? "",
    job: p.get("job") ?? "",
    sector: p.get("sector") ?? "",
    tiers,
    roiMin: percent(min),
    roiMax: percent(max),
    stalled: p.get("stalled") === "1",
    failed: p.get("failed") === "1",
  };
}

// `search` with the filter parameters replaced by `filters` (others, such as
// ?api= and ?lead=, are kept).
export function formatFilters(filters: Filters, search: string): string {
  const p = new URLSearchParams(search);
  for (const name of filterParams) p.delete(name);
  if (filters.q) p.set("q", filters.q);
  if (filters.job) p.set("job", filters.job);
  if (filters.sector) p.set("sector", filters.sector);
  if (filters.tiers.length) p.set("tier", filters.tiers.join(","));
  if (filters.roiMin !== null || filters.roiMax !== null) p.set("roi", `${filters.roiMin ?? ""}-${filters.roiMax ?? ""}`);
  if (filters.stalled) p.set("stalled", "1");
  if (filters.failed) p.set("failed", "1");
  const text = p.toString();
  return text ? `?${text}` : "";
}

export function hasFilters(f: Filters): boolean {
  return !!(f.q || f.job || f.sector || f.tiers.length || f.roiMin !== null || f.roiMax !== null || f.stalled || f.failed);
}

export function activeFilterCount(f: Filters): number {
  return [f.job, f.sector, f.tiers.length, f.roiMin !== null || f.roiMax !== null, f.stalled, f.failed].filter(Boolean).length;
}

export type Matcher = (lead: Lead) => boolean;

// A predicate for the filters, or null when nothing is filtered.
export function matcher(f: Filters): Matcher | null {
  if (!hasFilters(f)) return null;
  const q = f.q.trim().toLowerCase();
  const sector = f.sector.toLowerCase();
  const tiers = new Set(f.tiers.map((t) => tierKeys[t]));
  const min = f.roiMin === null ? null : f.roiMin / 100;
  const max = f.roiMax === null ? null : f.roiMax / 100;
  return (lead) => {
    if (f.job && lead.jobId !== f.job) return false;
    if (f.failed && !lead.error) return false;
    if (f.stalled && !lead.stalledSince) return false;
    if (tiers.size && !tiers.has(lead.qualificationTier)) return false;
    if (sector && (lead.profile?.sector ?? "").toLowerCase() !== sector) return false;
    if (min !== null || max !== null) {
      const roi = lead.roiPotentialScore;
      if (roi === undefined) return false;
      // Compare in whole percent, as shown.
      const shown = Math.round(roi * 100) / 100;
      if (min !== null && shown < min) return false;
      if (max !== null && shown > max) return false;
    }
    if (q) {
      const name = (lead.profile?.companyName ?? "").toLowerCase();
      const site = (lead.profile?.website ?? "").toLowerCase();
      if (!name.includes(q) && !site.includes(q) && !lead.id.toLowerCase().includes(q)) return false;
    }
    return true;
  };
}

// Distinct sectors of the leads, most common first.
export function sectorsOf(leads: Iterable<Lead>): string[] {
  const counts = new Map<string, number>();
  for (const lead of leads) {
    const s = lead.profile?.sector;
    if (s) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([s]) => s);
}
