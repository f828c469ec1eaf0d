// The CRM board: columns from GetBoard, cards from the live stream, a job
// filter, the connection state, and the lead modal (deep link ?lead=ID).
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { initialBoardState, leadsInColumn, type BoardState } from "./boardState";
import { QualificationTier } from "./gen/leadboard/v1/enrichment_pb";
import type { Lead } from "./gen/leadboard/v1/lead_pb";
import { LeadModal } from "./LeadModal";
import { useLeadBoard } from "./transport";
import { boardKey, useBoardStream } from "./useBoardStream";

const tierLabel: Record<number, string> = {
  [QualificationTier.HIGH_POTENTIAL]: "High potential",
  [QualificationTier.MEDIUM_POTENTIAL]: "Medium potential",
  [QualificationTier.LOW_POTENTIAL]: "Low potential",
  [QualificationTier.NOT_QUALIFIED]: "Not qualified",
};

function useSelectedLead(): [string | null, (id: string | null) => void] {
  const read = () => new URLSearchParams(window.location.search).get("lead");
  const [selected, setSelected] = useState<string | null>(read);
  useEffect(() => {
    const onPop = () => setSelected(read());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const select = (id: string | null) => {
    const params = new URLSearchParams(window.location.search);
    if (id) params.set("lead", id);
    else params.delete("lead");
    window.history.pushState(null, "", `${window.location.pathname}?${params}`);
    setSelected(id);
  };
  return [selected, select];
}

function since(date: Date | undefined, now: number): string {
  if (!date) return "";
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

function Card({ lead, now, onOpen }: { lead: Lead; now: number; onOpen: () => void }) {
  const entered = lead.stageEnteredAt ? timestampDate(lead.stageEnteredAt) : undefined;
  return (
    <button
      key={`${lead.id}-${lead.stage}`}
      className={`card ${lead.error ? "card-failed" : ""}`}
      data-testid={`card-${lead.id}`}
      data-stage={lead.stage}
      onClick={onOpen}
    >
      <div className="card-title">{lead.profile?.companyName || lead.id}</div>
      {lead.profile?.website && <div className="card-site">{lead.profile.website}</div>}
      {lead.profile?.sector && <div className="card-sector">{lead.profile.sector}</div>}
      {lead.currentAgent && (
        <div className="card-agent">
          <span className="pulse" /> {lead.currentAgent}
          {lead.activity && <span className="card-activity"> · {lead.activity.slice(0, 60)}</span>}
        </div>
      )}
      <div className="card-footer">
        {lead.qualificationTier !== QualificationTier.UNSPECIFIED && (
          <span className="badge badge-tier">{tierLabel[lead.qualificationTier]}</span>
        )}
        {lead.error && <span className="badge badge-error" title={lead.error.message}>Failed: {lead.error.message.slice(0, 40)}</span>}
        {lead.warnings.length > 0 && <span className="badge badge-warn">{lead.warnings.length} warning(s)</span>}
        <span className="card-time">{since(entered, now)} in stage</span>
      </div>
    </button>
  );
}

export function Board() {
  const client = useLeadBoard();
  const connection = useBoardStream();
  const [jobId, setJobId] = useState("");
  const [selected, select] = useSelectedLead();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const columns = useQuery({ queryKey: ["columns"], queryFn: () => client.getBoard({}), staleTime: Infinity });
  const jobs = useQuery({ queryKey: ["jobs", connection], queryFn: () => client.listJobs({ pageSize: 100 }) });
  const state =
    useQuery<BoardState>({ queryKey: boardKey, queryFn: () => initialBoardState, staleTime: Infinity, enabled: false }).data ??
    initialBoardState;

  return (
    <div className="app">
      <header className="topbar">
        <h1>leadboard</h1>
        <label className="job-filter">
          Job{" "}
          <select value={jobId} onChange={(e) => setJobId(e.target.value)} aria-label="Filter by job">
            <option value="">All jobs</option>
            {jobs.data?.jobs.map((job) => (
              <option key={job.id} value={job.id}>
                {job.query ? `${job.query.slice(0, 40)} (${job.id})` : job.id}
              </option>
            ))}
          </select>
        </label>
        <span className={`connection connection-${connection}`} data-testid="connection-state">
          {connection}
        </span>
      </header>
      {columns.isError && <div className="error-banner">Cannot reach the server: {String(columns.error)}</div>}
      <main className="columns">
        {columns.data?.columns.map((column) => {
          const leads = leadsInColumn(state, column.id, jobId);
          return (
            <section key={column.id} className={`column ${column.terminal ? "column-terminal" : ""}`} data-testid={`column-${column.id}`}>
              <h2>
                {column.title} <span className="count" data-testid={`count-${column.id}`}>{leads.length}</span>
              </h2>
              <div className="cards">
                {leads.map((lead) => (
                  <Card key={`${lead.id}-${lead.stage}`} lead={lead} now={now} onOpen={() => select(lead.id)} />
                ))}
              </div>
            </section>
          );
        })}
      </main>
      {selected && <LeadModal leadId={selected} onClose={() => select(null)} />}
    </div>
  );
}
