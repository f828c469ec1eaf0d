import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { Field, Item, Nothing } from "../parts";

export function ValuePropositionsTab({ lead }: { lead: Lead }) {
  const v = lead.enrichment?.valuePropositions ?? [];
  if (!v.length) return <Nothing what="value propositions" />;
  return (
    <>
      {v.map((x, i) => (
        <Item key={i} title={x.title}>
          <p>{x.keyBenefit}</p>
          <Field label="Answers" value={x.connectionToPainOrTrigger} />
          <Field label="Differentiation" value={x.differentiationFactor} />
          <Field label="Call to value" value={x.callToValue} />
        </Item>
      ))}
    </>
  );
}
