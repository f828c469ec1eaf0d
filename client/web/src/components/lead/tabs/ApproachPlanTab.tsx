import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { Field, Item, List, Nothing } from "../parts";

export function ApproachPlanTab({ lead }: { lead: Lead }) {
  const p = lead.enrichment?.approachPlan;
  if (!p) return <Nothing what="approach plan" />;
  return (
    <>
      <Field label="Objective" value={p.mainObjective} />
      <Field label="Pitch" value={p.elevatorPitch} />
      {p.contactSequence.map((s, i) => (
        <Item key={i} title={`${s.stepNumber}. ${s.channel}`}>
          <p>{s.objective}</p>
          <List items={s.keyTopics} />
        </Item>
      ))}
      <List items={p.nextSteps} />
    </>
  );
}
