// Stalled leads as people read them: a lead is stalled while the server has
// `stalled_since` on its card (mid-run, no event for its column's limit);
// the value is when its last event arrived, so the silence is measured from
// then: "Stalled 12 min".
import type { Lead } from "../gen/leadboard/v1/lead_pb";
import { msOfTimestamp } from "./time";

export const stalledSinceMs = (lead: Lead): number | undefined => msOfTimestamp(lead.stalledSince);

// "Stalled 45 s", "Stalled 12 min", "Stalled 3 h", "Stalled 2 d".
export function stalledText(sinceMs: number, now: number): string {
  const s = Math.max(0, Math.floor((now - sinceMs) / 1000));
  if (s < 60) return `Stalled ${s} s`;
  if (s < 3600) return `Stalled ${Math.floor(s / 60)} min`;
  if (s < 86400) return `Stalled ${Math.floor(s / 3600)} h`;
  return `Stalled ${Math.floor(s / 86400)} d`;
}

// For screen readers and the tooltip.
export function stalledLabel(sinceMs: number, now: number, format: (ms: number) => string = (ms) => new Date(ms).toLocaleTimeString("en-GB")): string {
  return `${stalledText(sinceMs, now)}: no event from its pipeline since ${format(sinceMs)}`;
}

// How often a text measuring time since `sinceMs` changes at `now`: every
// second in the first minute, then every 10 s (minutes are shown; a minute
// flips within 10 s of when it should), then every minute.
export function refreshEvery(sinceMs: number, now: number): number {
  const elapsed = now - sinceMs;
  if (elapsed < 60_000) return 1000;
  if (elapsed < 3_600_000) return 10_000;
  return 60_000;
}
