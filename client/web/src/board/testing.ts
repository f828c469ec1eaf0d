// Builders for the board's unit tests.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { QualificationTier } from "../gen/leadboard/v1/enrichment_pb";
import { LeadSchema, LeadStatus, type Lead } from "../gen/leadboard/v1/lead_pb";
import { ChangeKind, WatchLeadsResponseSchema, type WatchLeadsResponse } from "../gen/leadboard/v1/leadboard_pb";

export interface LeadFields {
  stage?: string;
  company?: string;
  website?: string;
  sector?: string;
  job?: string;
  tier?: QualificationTier;
  roi?: number;
  failed?: boolean;
  status?: LeadStatus;
  // stalled_since, ms since the epoch.
  stalledSince?: number;
}

export function lead(id: string, revision: number, f: LeadFields = {}): Lead {
  return create(LeadSchema, {
    id,
    revision: BigInt(revision),
    stage: f.stage ?? "enriched",
    jobId: f.job ?? "job-1",
    status: f.status ?? LeadStatus.ENRICHED,
    profile: { companyName: f.company ?? `Company ${id}`, website: f.website ?? `${id}.example`, sector: f.sector ?? "" },
    qualificationTier: f.tier ?? QualificationTier.UNSPECIFIED,
    roiPotentialScore: f.roi,
    error: f.failed ? { message: "boom" } : undefined,
    stalledSince: f.stalledSince === undefined ? undefined : timestampFromMs(f.stalledSince),
  });
}

export function change(revision: number, id: string, f: LeadFields = {}, kind = ChangeKind.STAGE_CHANGED): WatchLeadsResponse {
  return create(WatchLeadsResponseSchema, {
    revision: BigInt(revision),
    change: { case: "leadChange", value: { kind, lead: lead(id, revision, f) } },
  });
}

export const synced = (revision: number): WatchLeadsResponse =>
  create(WatchLeadsResponseSchema, { revision: BigInt(revision), change: { case: "synced", value: {} } });

export const progress = (revision: number): WatchLeadsResponse =>
  create(WatchLeadsResponseSchema, { revision: BigInt(revision), change: { case: "progress", value: {} } });

export const ids = (leads: readonly Lead[]) => leads.map((l) => l.id);

// Several messages as one response, as a watch that asked for `batch` gets
// them: the response's revision is its last message's.
export const batch = (...messages: WatchLeadsResponse[]): WatchLeadsResponse =>
  create(WatchLeadsResponseSchema, {
    revision: messages[messages.length - 1].revision,
    change: { case: "batch", value: { messages } },
  });
