import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { Item, Nothing } from "../parts";

export function TriggersTab({ lead }: { lead: Lead }) {
  const t = lead.enrichment?.purchaseTriggers;
  if (!t?.triggers.length) return <Nothing what="buying triggers" />;
  return (
    <>
      {t.triggers.map((x, i) => (
        <Item key={i} title={x.description}>
          <p>{x.relevanceExplanation}</p>
        </Item>
      ))}
    </>
  );
}
