import { percent } from "../../../board/format";
import type { Lead } from "../../../gen/leadboard/v1/lead_pb";
import { AgentFailed, Field, List, Nothing } from "../parts";

export function OverviewTab({ lead }: { lead: Lead }) {
  const a = lead.enrichment?.analysis;
  const p = lead.profile;
  return (
    <>
      <div className="overview-scores">
        <span>Relevance <b>{percent(lead.relevanceScore)}</b></span>
        <span>ROI potential <b>{percent(lead.roiPotentialScore)}</b></span>
        <span>Market fit <b>{percent(lead.marketFitScore)}</b></span>
      </div>
      <Field label="Website" value={p?.website} />
      <Field label="Location" value={p?.location} />
      <Field label="Description" value={p?.description} />
      {a ? (
        <>
          <AgentFailed error={a.errorMessage} />
          <Field label="Sector" value={a.companySector} />
          <Field label="Size" value={a.companySizeEstimate} />
          <Field label="Diagnosis" value={a.generalDiagnosis} />
          <Field label="Opportunity fit" value={a.opportunityFit} />
          <List items={a.mainServices} />
        </>
      ) : (
        <Nothing what="analysis" />
      )}
    </>
  );
}
