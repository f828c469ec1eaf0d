// The lead's details: GetLead, shown in tabs (one component per tab, every
// enrichment section plus the stage history and the agents' timeline).
// role=dialog, focus kept inside, Escape closes; deep-linked as ?lead=ID. It
// reloads when the card changes column on the board, so the history stays
// current, and every 2 s while the timeline shows a run that is running.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState, type ComponentType } from "react";
import { describe } from "../../api/errors";
import { useLeadBoard } from "../../api/transport";
import type { BoardColumn } from "../../gen/leadboard/v1/board_pb";
import type { Lead } from "../../gen/leadboard/v1/lead_pb";
import { runIsLive } from "../../board/timeline";
import { useBoardState } from "../../hooks/useBoardState";
import { TierBadge } from "../TierBadge";
import { ApproachPlanTab } from "./tabs/ApproachPlanTab";
import { BriefingTab } from "./tabs/BriefingTab";
import { CompetitorsTab } from "./tabs/CompetitorsTab";
import { ContactsTab } from "./tabs/ContactsTab";
import { HistoryTab } from "./tabs/HistoryTab";
import { TimelineTab } from "./tabs/TimelineTab";
import { MessageTab } from "./tabs/MessageTab";
import { ObjectionsTab } from "./tabs/ObjectionsTab";
import { OverviewTab } from "./tabs/OverviewTab";
import { PainPointsTab } from "./tabs/PainPointsTab";
import { QualificationTab } from "./tabs/QualificationTab";
import { QuestionsTab } from "./tabs/QuestionsTab";
import { StrategiesTab } from "./tabs/StrategiesTab";
import { TriggersTab } from "./tabs/TriggersTab";
import { ValuePropositionsTab } from "./tabs/ValuePropositionsTab";

type TabProps = { lead: Lead; columns: readonly BoardColumn[] };
const tabs: { id: string; title: string; Tab: ComponentType<TabProps> }[] = [
  { id: "overview", title: "Overview", Tab: OverviewTab },
  { id: "history", title: "History", Tab: HistoryTab },
  { id: "timeline", title: "Timeline", Tab: TimelineTab },
  { id: "pain", title: "Pain points", Tab: PainPointsTab },
  { id: "competitors", title: "Competitors", Tab: CompetitorsTab },
  { id: "triggers", title: "Buying triggers", Tab: TriggersTab },
  { id: "value", title: "Value propositions", Tab: ValuePropositionsTab },
  { id: "questions", title: "Strategic questions", Tab: QuestionsTab },
  { id: "objections", title: "Objections", Tab: ObjectionsTab },
  { id: "contacts", title: "Contacts", Tab: ContactsTab },
  { id: "qualification", title: "Qualification", Tab: QualificationTab },
  { id: "plan", title: "Approach plan", Tab: ApproachPlanTab },
  { id: "strategies", title: "Strategies", Tab: StrategiesTab },
  { id: "message", title: "Message", Tab: MessageTab },
  { id: "briefing", title: "Briefing", Tab: BriefingTab },
];

function useFocusTrap(onClose: () => void) {
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    dialog.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
      if (e.key !== "Tab" || !dialog.current) return;
      const focusable = dialog.current.querySelectorAll<HTMLElement>("button, [href], input, [tabindex]:not([tabindex='-1'])");
      if (focusable.length === 0) return;
      const first = focusable[0], last = focusable[focusable.length - 1];
      if (e.shiftKey && document.activeElement === first) {
        last.focus();
        e.preventDefault();
      } else if (!e.shiftKey && document.activeElement === last) {
        first.focus();
        e.preventDefault();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      previous?.focus();
    };
  }, [onClose]);
  return dialog;
}

export function LeadDialog({ leadId, columns, onClose }: { leadId: string; columns: readonly BoardColumn[]; onClose: () => void }) {
  const client = useLeadBoard();
  const card = useBoardState().state.byId.get(leadId);
  const [tab, setTab] = useState("overview");
  const lead = useQuery({
    // Reloaded when the card changes column (history, enrichment), not on
    // every activity line of a running lead.
    queryKey: ["lead", leadId, card?.stage ?? ""],
    queryFn: () => client.getLead({ leadId }),
    placeholderData: keepPreviousData,
    // The timeline of a running run: new steps as agents start and end.
    refetchInterval: (query) => {
      const runs = query.state.data?.runs;
      const current = runs?.[runs.length - 1];
      return tab === "timeline" && current && runIsLive(current) ? 2000 : false;
    },
  });
  const dialog = useFocusTrap(onClose);
  const data = lead.data;
  const current = tabs.find((t) => t.id === tab) ?? tabs[0];
  const stage = columns.find((c) => c.id === (data?.stage ?? card?.stage))?.title ?? data?.stage;

  return (
    <div className="backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="modal-title" tabIndex={-1}
           ref={dialog} data-testid="lead-modal" onClick={(e) => e.stopPropagation()}>
        <header className="modal-head">
          <div>
            <h2 id="modal-title">{data?.profile?.companyName || card?.profile?.companyName || leadId}</h2>
            {(data || card) && (
              <p className="meta">
                <span className="meta-stage">{stage}</span>
                {data?.profile?.website && <> · {data.profile.website}</>}
                {data?.profile?.sector && <> · {data.profile.sector}</>}
                {data && <> · job {data.jobId}</>} {data && <TierBadge tier={data.qualificationTier} />}
              </p>
            )}
          </div>
          <button className="close" onClick={onClose} aria-label="Close">×</button>
        </header>
        {lead.isError && <p className="section-error">Cannot load the lead: {describe(lead.error)}</p>}
        {data?.error && (
          <p className="section-error" data-testid="lead-error">
            Failed{data.error.agent ? ` in ${data.error.agent}` : ""}: {data.error.message}
          </p>
        )}
        {data?.warnings.map((w, i) => (
          <p className="warning" key={i}>Warning{w.agent ? ` (${w.agent})` : ""}: {w.message}</p>
        ))}
        <nav className="tabs" role="tablist">
          {tabs.map((t) => (
            <button key={t.id} role="tab" aria-selected={tab === t.id} className={tab === t.id ? "tab tab-active" : "tab"}
                    onClick={() => setTab(t.id)}>
              {t.title}
            </button>
          ))}
        </nav>
        <div className="tab-body" role="tabpanel" data-testid={`section-${tab}`}>
          {lead.isLoading ? <p className="empty">Loading…</p> : data ? <current.Tab lead={data} columns={columns} /> : null}
        </div>
      </div>
    </div>
  );
}
