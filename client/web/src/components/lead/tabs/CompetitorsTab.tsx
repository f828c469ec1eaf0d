import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { AgentFailed, Field, Item, Nothing } from "../parts";

export function CompetitorsTab({ lead }: { lead: Lead }) {
  const c = lead.enrichment?.competitorIntelligence;
  if (!c || (!c.competitors.length && !c.errorMessage)) return <Nothing what="competitors" />;
  return (
    <>
      <AgentFailed error={c.errorMessage} />
      {c.competitors.map((x, i) => (
        <Item key={i} title={x.name}>
          <p>{x.description}</p>
          <Field label="Strength" value={x.perceivedStrength} />
          <Field label="Weakness" value={x.perceivedWeakness} />
        </Item>
      ))}
    </>
  );
}
