// One clock for the whole board: a single 1 s interval, running while any
// component listens. A component reads the time rounded down to the step it
// needs (useClock(10_000) changes every 10 s), so it re-renders only when
// what it shows can change: a card's "Stalled 12 min" badge or time in
// column, a running step of the timeline, never the whole board.
import { useSyncExternalStore } from "react";
import { refreshEvery } from "../board/stalled";

const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function tick() {
  now = Date.now();
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    now = Date.now();
    timer = setInterval(tick, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

const read = () => {
  if (timer === undefined) now = Date.now(); // nobody listened: the last tick is old
  return now;
};

// The time (ms since the epoch) rounded down to `everyMs`, refreshed by the
// shared tick.
export function useClock(everyMs = 1000): number {
  return useSyncExternalStore(subscribe, () => Math.floor(read() / everyMs) * everyMs);
}

// The time for a text that measures time since `sinceMs`: every second in
// its first minute, every 10 s in its first hour, then every minute.
// `minEveryMs` makes it coarser (a card's time in column needs no seconds).
export function useElapsedClock(sinceMs: number, minEveryMs = 1000): number {
  return useClock(Math.max(minEveryMs, refreshEvery(sinceMs, read())));
}
