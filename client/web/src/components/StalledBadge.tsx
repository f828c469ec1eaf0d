// "Stalled 12 min" on a card whose run has gone silent (Lead.stalled_since),
// kept current by the shared clock: only this badge re-renders, not the card.
import { memo } from "react";
import { stalledLabel, stalledText } from "../board/stalled";
import { useElapsedClock } from "../hooks/useClock";

export const StalledBadge = memo(function StalledBadge({ sinceMs }: { sinceMs: number }) {
  const now = Math.max(useElapsedClock(sinceMs), sinceMs);
  const label = stalledLabel(sinceMs, now);
  return (
    <span className="badge badge-stalled" title={label} aria-label={label} role="img" data-testid="stalled-badge">
      <span className="icon-pause" aria-hidden />{stalledText(sinceMs, now)}
    </span>
  );
});
