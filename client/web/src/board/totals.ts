// Column and board totals: how many leads, their average ROI potential, how
// many are high potential, how many are stalled. Kept incrementally for unfiltered columns and
// recomputed from the shown cards when filters are on.
import { QualificationTier } from "../gen/leadboard/v1/enrichment_pb";
import type { Lead } from "../gen/leadboard/v1/lead_pb";

export interface Totals {
  readonly count: number;
  // Sum and count of the ROI potential scores that are known (0..1).
  readonly roiSum: number;
  readonly roiCount: number;
  // Leads qualified as high potential.
  readonly high: number;
  // Leads flagged stalled (Lead.stalled_since set).
  readonly stalled: number;
}

export const noTotals: Totals = { count: 0, roiSum: 0, roiCount: 0, high: 0, stalled: 0 };

export function addLead(t: Totals, lead: Lead, sign: 1 | -1 = 1): Totals {
  const roi = lead.roiPotentialScore;
  return {
    count: t.count + sign,
    roiSum: roi === undefined ? t.roiSum : t.roiSum + sign * roi,
    roiCount: roi === undefined ? t.roiCount : t.roiCount + sign,
    high: lead.qualificationTier === QualificationTier.HIGH_POTENTIAL ? t.high + sign : t.high,
    stalled: lead.stalledSince ? t.stalled + sign : t.stalled,
  };
}

export function totalsOf(leads: Iterable<Lead>): Totals {
  let count = 0, roiSum = 0, roiCount = 0, high = 0, stalled = 0;
  for (const lead of leads) {
    count++;
    if (lead.roiPotentialScore !== undefined) {
      roiSum += lead.roiPotentialScore;
      roiCount++;
    }
    if (lead.qualificationTier === QualificationTier.HIGH_POTENTIAL) high++;
    if (lead.stalledSince) stalled++;
  }
  return { count, roiSum, roiCount, high, stalled };
}

export function sumTotals(all: Iterable<Totals>): Totals {
  let count = 0, roiSum = 0, roiCount = 0, high = 0, stalled = 0;
  for (const t of all) {
    count += t.count;
    roiSum += t.roiSum;
    roiCount += t.roiCount;
    high += t.high;
    stalled += t.stalled;
  }
  return { count, roiSum, roiCount, high, stalled };
}

// Average ROI potential 0..1, or undefined when no lead has one.
export function averageRoi(t: Totals): number | undefined {
  return t.roiCount === 0 ? undefined : t.roiSum / t.roiCount;
}
