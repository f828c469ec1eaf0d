// A card's time in its column ("12m"), kept current by the shared clock at
// no finer than 5 s: only this text re-renders as time passes.
import { memo } from "react";
import { shortDuration } from "../board/format";
import { useElapsedClock } from "../hooks/useClock";

export const CardTime = memo(function CardTime({ sinceMs }: { sinceMs: number }) {
  const now = useElapsedClock(sinceMs, 5000);
  return <span className="card-time" title="Time in this column">{shortDuration(now - sinceMs)}</span>;
});
