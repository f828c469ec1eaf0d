import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { Field, Item, List, Nothing } from "../parts";

export function StrategiesTab({ lead }: { lead: Lead }) {
  const e = lead.enrichment;
  if (!e || (!e.generatedStrategies.length && !e.actionPlan)) return <Nothing what="strategies" />;
  return (
    <>
      {e.generatedStrategies.map((s, i) => (
        <Item key={i} title={s.name}>
          <p>{s.angle}</p>
        </Item>
      ))}
      {e.actionPlan && (
        <>
          <Field label="Recommended" value={e.actionPlan.recommendedStrategyName} />
          <List items={e.actionPlan.actionSequence} />
        </>
      )}
    </>
  );
}
