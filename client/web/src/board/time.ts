// Time on the board's charts: protobuf timestamps and durations as
// milliseconds, step durations as people read them ("850ms", "3.4s",
// "2m 05s"), and axis ticks at round human steps ("0s", "30s", "1m", "1m 30s").
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";

export const msOfTimestamp = (t: Timestamp | undefined): number | undefined =>
  t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : undefined;

export const msOfDuration = (d: Duration | undefined): number | undefined =>
  d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : undefined;

// A step's or a percentile's duration: "850ms", "3.4s", "42s", "2m 05s", "1h 05m".
export function preciseDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)}ms`;
  if (v < 10_000) {
    const tenths = Math.round(v / 100) / 10;
    return tenths >= 10 ? "10s" : `${tenths.toFixed(1)}s`;
  }
  const s = Math.round(v / 1000);
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}m ${String(r).padStart(2, "0")}s`;
}

// An axis label for an offset that is a multiple of a round step:
// "0s", "500ms", "30s", "1m 30s", "2h", "1d 6h".
export function tickLabel(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000 && ms % 1000 !== 0) return `${Math.round(ms / 100) / 10}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const parts = d ? [[d, "d"], [h, "h"]] : h ? [[h, "h"], [m, "m"]] : [[m, "m"], [r, "s"]];
  return parts.filter(([n], i) => i === 0 || n).map(([n, u]) => `${n}${u}`).join(" ");
}

const kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
const kSteps = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  kSecond, 2 * kSecond, 5 * kSecond, 10 * kSecond, 15 * kSecond, 20 * kSecond, 30 * kSecond,
  kMinute, 2 * kMinute, 5 * kMinute, 10 * kMinute, 15 * kMinute, 20 * kMinute, 30 * kMinute,
  kHour, 2 * kHour, 3 * kHour, 6 * kHour, 12 * kHour,
  kDay, 2 * kDay, 7 * kDay,
];

export interface Tick {
  // Offset from the axis start (ms) and its place on the axis (0..1).
  readonly ms: number;
  readonly x: number;
  readonly label: string;
}

// Ticks from 0 to `spanMs` at the smallest round step that needs at most
// `maxTicks` intervals.
export function niceTicks(spanMs: number, maxTicks = 6): Tick[] {
  if (!(spanMs > 0)) return [{ ms: 0, x: 0, label: tickLabel(0) }];
  const step = kSteps.find((s) => spanMs / s <= maxTicks) ?? Math.ceil(spanMs / maxTicks / kDay) * kDay;
  const ticks: Tick[] = [];
  for (let ms = 0; ms <= spanMs + 1e-6; ms += step) ticks.push({ ms, x: ms / spanMs, label: tickLabel(ms) });
  return ticks;
}

// "1st", "2nd", "3rd", "4th", "11th", "22nd".
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}
