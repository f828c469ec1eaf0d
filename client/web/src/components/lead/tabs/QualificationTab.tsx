import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { TierBadge } from "../../TierBadge";
import { AgentFailed, Field, List, Nothing } from "../parts";

export function QualificationTab({ lead }: { lead: Lead }) {
  const q = lead.enrichment?.leadQualification;
  if (!q) return <Nothing what="qualification" />;
  return (
    <>
      <AgentFailed error={q.errorMessage} />
      <p><TierBadge tier={q.tier} /></p>
      <Field label="Score" value={q.score ? q.score.toFixed(2) : undefined} />
      <Field label="Budget likelihood" value={q.budgetLikelihood} />
      <List items={q.reasoning} />
    </>
  );
}
