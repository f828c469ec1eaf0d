// The lead details dialog: loads GetLead and shows every enrichment section
// in tabs. Accessible: role=dialog, focus kept inside, Escape closes.
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { UrgencyLevel, type EnrichmentPackage } from "./gen/leadboard/v1/enrichment_pb";
import type { Lead } from "./gen/leadboard/v1/lead_pb";
import { useLeadBoard } from "./transport";

const List = ({ items }: { items: string[] }) =>
  items.length ? <ul>{items.map((item, i) => <li key={i}>{item}</li>)}</ul> : null;
const Field = ({ label, value }: { label: string; value?: string | number }) =>
  value === undefined || value === "" || value === 0 ? null : (
    <p>
      <strong>{label}:</strong> {value}
    </p>
  );
const Failed = ({ error }: { error?: string }) => (error ? <p className="section-error">Agent failed: {error}</p> : null);

type Section = { id: string; title: string; render: (p: EnrichmentPackage, lead: Lead) => ReactNode | null };

const urgency: Record<number, string> = {
  [UrgencyLevel.LOW]: "low", [UrgencyLevel.MEDIUM]: "medium", [UrgencyLevel.HIGH]: "high", [UrgencyLevel.CRITICAL]: "critical",
};

const sections: Section[] = [
  { id: "overview", title: "Overview", render: (p) => p.analysis ? (<><Failed error={p.analysis.errorMessage} /><Field label="Sector" value={p.analysis.companySector} /><Field label="Size" value={p.analysis.companySizeEstimate} /><Field label="Diagnosis" value={p.analysis.generalDiagnosis} /><Field label="Opportunity fit" value={p.analysis.opportunityFit} /><List items={p.analysis.mainServices} /></>) : null },
  { id: "pain", title: "Pain points", render: (p) => p.painPointAnalysis ? (<><Failed error={p.painPointAnalysis.errorMessage} /><Field label="Main pain" value={p.painPointAnalysis.primaryPainCategory} /><Field label="Urgency" value={urgency[p.painPointAnalysis.urgencyLevel]} />{p.painPointAnalysis.painPoints.map((x, i) => (<div className="item" key={i}><strong>{x.description}</strong><p>{x.businessImpact}</p><p>{x.solutionAlignment}</p></div>))}<List items={p.painPointAnalysis.investigativeQuestions} /></>) : null },
  { id: "competitors", title: "Competitors", render: (p) => p.competitorIntelligence?.competitors.length || p.competitorIntelligence?.errorMessage ? (<><Failed error={p.competitorIntelligence.errorMessage} />{p.competitorIntelligence.competitors.map((c, i) => (<div className="item" key={i}><strong>{c.name}</strong><p>{c.description}</p><Field label="Strength" value={c.perceivedStrength} /><Field label="Weakness" value={c.perceivedWeakness} /></div>))}</>) : null },
  { id: "triggers", title: "Buying triggers", render: (p) => p.purchaseTriggers?.triggers.length ? p.purchaseTriggers.triggers.map((t, i) => (<div className="item" key={i}><strong>{t.description}</strong><p>{t.relevanceExplanation}</p></div>)) : null },
  { id: "value", title: "Value propositions", render: (p) => p.valuePropositions.length ? p.valuePropositions.map((v, i) => (<div className="item" key={i}><strong>{v.title}</strong><p>{v.keyBenefit}</p><Field label="Answers" value={v.connectionToPainOrTrigger} /><Field label="Differentiation" value={v.differentiationFactor} /><Field label="Call to value" value={v.callToValue} /></div>)) : null },
  { id: "questions", title: "Strategic questions", render: (p) => p.strategicQuestions.length ? <List items={p.strategicQuestions} /> : null },
  { id: "objections", title: "Objections", render: (p) => p.objectionFramework?.objections.length ? p.objectionFramework.objections.map((o, i) => (<div className="item" key={i}><strong>{o.objection}</strong><p>{o.responseStrategy}</p><p><em>{o.suggestedResponse}</em></p></div>)) : null },
  { id: "contacts", title: "Contacts", render: (p) => { const c = p.contactInformation; return c && (c.emails.length || c.phoneNumbers.length || c.linkedinProfiles.length || c.instagramProfiles.length) ? (<><Failed error={c.errorMessage} /><h4>E-mails</h4><List items={c.emails} /><h4>Phones</h4><List items={c.phoneNumbers} /><h4>LinkedIn</h4><List items={c.linkedinProfiles} /><h4>Instagram</h4><List items={c.instagramProfiles} /></>) : null; } },
  { id: "qualification", title: "Qualification", render: (p) => p.leadQualification ? (<><Failed error={p.leadQualification.errorMessage} /><Field label="Score" value={p.leadQualification.score.toFixed(2)} /><Field label="Budget likelihood" value={p.leadQualification.budgetLikelihood} /><List items={p.leadQualification.reasoning} /></>) : null },
  { id: "plan", title: "Approach plan", render: (p) => p.approachPlan ? (<><Field label="Objective" value={p.approachPlan.mainObjective} /><Field label="Pitch" value={p.approachPlan.elevatorPitch} />{p.approachPlan.contactSequence.map((s, i) => (<div className="item" key={i}><strong>{s.stepNumber}. {s.channel}</strong> — {s.objective}<List items={s.keyTopics} /></div>))}<List items={p.approachPlan.nextSteps} /></>) : null },
  { id: "strategies", title: "Strategies", render: (p) => p.generatedStrategies.length || p.actionPlan ? (<>{p.generatedStrategies.map((s, i) => (<div className="item" key={i}><strong>{s.name}</strong><p>{s.angle}</p></div>))}{p.actionPlan && (<><Field label="Recommended" value={p.actionPlan.recommendedStrategyName} /><List items={p.actionPlan.actionSequence} /></>)}</>) : null },
  { id: "message", title: "Message", render: (p) => p.personalizedMessage?.primaryMessage ? (<><Field label="Channel" value={p.personalizedMessage.primaryMessage.channel} /><Field label="Subject" value={p.personalizedMessage.primaryMessage.subjectLine} /><pre className="message">{p.personalizedMessage.primaryMessage.body}</pre></>) : null },
  { id: "briefing", title: "Briefing", render: (p) => p.internalBriefing ? (<><p>{p.internalBriefing.executiveSummary}</p>{p.internalBriefing.sections.map((s, i) => (<div className="item" key={i}><strong>{s.title}</strong><p>{s.content}</p></div>))}<Field label="Next step" value={p.internalBriefing.recommendedNextStep} /></>) : null },
];

export function LeadModal({ leadId, onClose }: { leadId: string; onClose: () => void }) {
  const client = useLeadBoard();
  const lead = useQuery({ queryKey: ["lead", leadId], queryFn: () => client.getLead({ leadId }) });
  const [tab, setTab] = useState("overview");
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    dialog.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
      if (e.key !== "Tab" || !dialog.current) return;
      const focusable = dialog.current.querySelectorAll<HTMLElement>("button, [href], [tabindex]:not([tabindex='-1'])");
      if (focusable.length === 0) return;
      const first = focusable[0], last = focusable[focusable.length - 1];
      if (e.shiftKey && document.activeElement === first) { last.focus(); e.preventDefault(); }
      else if (!e.shiftKey && document.activeElement === last) { first.focus(); e.preventDefault(); }
    };
    document.addEventListener("keydown", onKey);
    return () => { document.removeEventListener("keydown", onKey); previous?.focus(); };
  }, [onClose]);

  const data = lead.data;
  const enrichment = data?.enrichment;
  const current = sections.find((s) => s.id === tab)!;
  const body = enrichment ? current.render(enrichment, data!) : null;
  return (
    <div className="backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="modal-title" tabIndex={-1}
           ref={dialog} data-testid="lead-modal" onClick={(e) => e.stopPropagation()}>
        <header>
          <h2 id="modal-title">{data?.profile?.companyName || leadId}</h2>
          <button className="close" onClick={onClose} aria-label="Close">×</button>
        </header>
        {lead.isError && <p className="section-error">Cannot load the lead: {String(lead.error)}</p>}
        {data && (
          <p className="meta">
            {data.stage} · {data.profile?.website} · {data.profile?.sector} · job {data.jobId}
          </p>
        )}
        {data?.error && (
          <p className="section-error" data-testid="lead-error">
            Failed{data.error.agent ? ` in ${data.error.agent}` : ""}: {data.error.message}
          </p>
        )}
        {data?.warnings.map((w, i) => <p className="warning" key={i}>Warning{w.agent ? ` (${w.agent})` : ""}: {w.message}</p>)}
        <nav className="tabs" role="tablist">
          {sections.map((s) => (
            <button key={s.id} role="tab" aria-selected={tab === s.id} className={tab === s.id ? "tab tab-active" : "tab"} onClick={() => setTab(s.id)}>
              {s.title}
            </button>
          ))}
        </nav>
        <div className="tab-body" role="tabpanel" data-testid={`section-${tab}`}>
          {lead.isLoading ? <p>Loading…</p> : body ?? <p className="empty">Nothing found{enrichment ? "" : " yet: no enrichment stored"}.</p>}
        </div>
      </div>
    </div>
  );
}
