// The qualification tier; its colour means something: high green, medium
// amber, low grey, not qualified muted red.
import { tierClass, tierLabel } from "../board/format";
import { QualificationTier } from "../gen/leadboard/v1/enrichment_pb";

export function TierBadge({ tier }: { tier: QualificationTier }) {
  if (tier === QualificationTier.UNSPECIFIED) return null;
  return <span className={`badge tier ${tierClass[tier]}`} data-testid="tier">{tierLabel[tier]}</span>;
}
