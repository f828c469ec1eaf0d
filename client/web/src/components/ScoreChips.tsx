// Relevance, ROI potential and market fit, once the enrichment knows them.
import type { Lead } from "../gen/leadboard/v1/lead_pb";

const chip = (label: string, title: string, score: number | undefined) =>
  score === undefined ? null : (
    <span className={`score ${score >= 0.7 ? "score-good" : score >= 0.4 ? "score-mid" : "score-poor"}`} title={`${title}: ${Math.round(score * 100)} %`}>
      {label} <b>{Math.round(score * 100)}</b>
    </span>
  );

export function ScoreChips({ lead }: { lead: Lead }) {
  if (lead.relevanceScore === undefined && lead.roiPotentialScore === undefined && lead.marketFitScore === undefined) return null;
  return (
    <div className="scores" data-testid="scores">
      {chip("Rel", "Relevance", lead.relevanceScore)}
      {chip("ROI", "ROI potential", lead.roiPotentialScore)}
      {chip("Fit", "Market fit", lead.marketFitScore)}
    </div>
  );
}
