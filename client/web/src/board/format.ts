// How numbers, tiers, actors and durations read on the board.
import { QualificationTier } from "../gen/leadboard/v1/enrichment_pb";
import { ActorKind, type Actor } from "../gen/leadboard/v1/lead_pb";

export const tierLabel: Record<number, string> = {
  [QualificationTier.HIGH_POTENTIAL]: "High",
  [QualificationTier.MEDIUM_POTENTIAL]: "Medium",
  [QualificationTier.LOW_POTENTIAL]: "Low",
  [QualificationTier.NOT_QUALIFIED]: "Not qualified",
};

export const tierClass: Record<number, string> = {
  [QualificationTier.HIGH_POTENTIAL]: "tier-high",
  [QualificationTier.MEDIUM_POTENTIAL]: "tier-medium",
  [QualificationTier.LOW_POTENTIAL]: "tier-low",
  [QualificationTier.NOT_QUALIFIED]: "tier-not",
};

export const percent = (score: number | undefined): string =>
  score === undefined ? "–" : `${Math.round(score * 100)} %`;

export const count = (n: number): string => n.toLocaleString("en-US");

// "45s", "12m", "3h", "2d"
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

// "1h 05m", "3m 20s", "2d 4h"
export function longDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m) return `${m}m ${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

export function actorLabel(actor: Actor | undefined): string {
  if (!actor || (!actor.name && actor.kind === ActorKind.UNSPECIFIED)) return "unknown";
  switch (actor.kind) {
    case ActorKind.PERSON:
      return actor.name || "someone";
    case ActorKind.AGENT:
      return `agent ${actor.name}`;
    case ActorKind.PIPELINE:
      return `pipeline (${actor.name.toLowerCase().replaceAll("_", " ")})`;
    default:
      return actor.name;
  }
}
