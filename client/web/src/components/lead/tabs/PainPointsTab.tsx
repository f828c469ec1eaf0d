import { UrgencyLevel } from "../../../gen/leadboard/v1/enrichment_pb";
import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { AgentFailed, Field, Item, List, Nothing } from "../parts";

const urgency: Record<number, string> = {
  [UrgencyLevel.LOW]: "low",
  [UrgencyLevel.MEDIUM]: "medium",
  [UrgencyLevel.HIGH]: "high",
  [UrgencyLevel.CRITICAL]: "critical",
};

export function PainPointsTab({ lead }: { lead: Lead }) {
  const p = lead.enrichment?.painPointAnalysis;
  if (!p) return <Nothing what="pain points" />;
  return (
    <>
      <AgentFailed error={p.errorMessage} />
      <Field label="Main pain" value={p.primaryPainCategory} />
      <Field label="Urgency" value={urgency[p.urgencyLevel]} />
      {p.painPoints.map((x, i) => (
        <Item key={i} title={x.description}>
          <p>{x.businessImpact}</p>
          <p>{x.solutionAlignment}</p>
        </Item>
      ))}
      <List items={p.investigativeQuestions} />
    </>
  );
}
