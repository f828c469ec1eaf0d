import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { Field, Nothing } from "../parts";

export function MessageTab({ lead }: { lead: Lead }) {
  const m = lead.enrichment?.personalizedMessage?.primaryMessage;
  if (!m) return <Nothing what="message" />;
  return (
    <>
      <Field label="Channel" value={m.channel} />
      <Field label="Subject" value={m.subjectLine} />
      <pre className="message">{m.body}</pre>
    </>
  );
}
