import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { Field, Item, Nothing } from "../parts";

export function BriefingTab({ lead }: { lead: Lead }) {
  const b = lead.enrichment?.internalBriefing;
  if (!b) return <Nothing what="briefing" />;
  return (
    <>
      <p>{b.executiveSummary}</p>
      {b.sections.map((s, i) => (
        <Item key={i} title={s.title}>
          <p>{s.content}</p>
        </Item>
      ))}
      <Field label="Next step" value={b.recommendedNextStep} />
    </>
  );
}
