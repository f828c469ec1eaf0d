// What the board keeps of a lead: the card. A watch message carries more
// than a card shows (timestamps of the run, the description, the
// enrichment package on ENRICHED); dropping those references as soon as a
// message is decoded lets them die young, which keeps 100,000 cards' heap
// and garbage collection small. The dialog reads everything with GetLead.
import type { Lead } from "../gen/leadboard/v1/lead_pb";

// Strips `lead` (in place) down to what cards, filters and totals read.
export function toCard(lead: Lead): Lead {
  lead.enrichment = undefined;
  lead.createdAt = undefined;
  lead.updatedAt = undefined;
  lead.runStartedAt = undefined;
  lead.activityAt = undefined;
  lead.enrichedAt = undefined;
  lead.previousRunEndedAt = undefined;
  const profile = lead.profile;
  if (profile) {
    profile.description = "";
    profile.sourceUrl = "";
    profile.extra = undefined;
  }
  return lead;
}
