import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { Item, Nothing } from "../parts";

export function ObjectionsTab({ lead }: { lead: Lead }) {
  const o = lead.enrichment?.objectionFramework?.objections ?? [];
  if (!o.length) return <Nothing what="objections" />;
  return (
    <>
      {o.map((x, i) => (
        <Item key={i} title={x.objection}>
          <p>{x.responseStrategy}</p>
          <p><em>{x.suggestedResponse}</em></p>
        </Item>
      ))}
    </>
  );
}
