import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { List, Nothing } from "../parts";

export function QuestionsTab({ lead }: { lead: Lead }) {
  const q = lead.enrichment?.strategicQuestions ?? [];
  return q.length ? <List items={q} /> : <Nothing what="strategic questions" />;
}
