import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { AgentFailed, List, Nothing } from "../parts";

export function ContactsTab({ lead }: { lead: Lead }) {
  const c = lead.enrichment?.contactInformation;
  if (!c || !(c.emails.length || c.phoneNumbers.length || c.linkedinProfiles.length || c.instagramProfiles.length)) {
    return <Nothing what="contacts" />;
  }
  const group = (title: string, items: string[]) =>
    items.length ? (
      <>
        <h4>{title}</h4>
        <List items={items} />
      </>
    ) : null;
  return (
    <>
      <AgentFailed error={c.errorMessage} />
      {group("E-mails", c.emails)}
      {group("Phones", c.phoneNumbers)}
      {group("LinkedIn", c.linkedinProfiles)}
      {group("Instagram", c.instagramProfiles)}
    </>
  );
}
