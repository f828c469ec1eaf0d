// The board's state and the pure functions that fold WatchLeads messages
// into it.
//
// - A snapshot is built in one mutable SnapshotBuilder (no copy per lead) and
//   published as a BoardState when `synced` arrives; until then the previous
//   state (if any, after OUT_OF_RANGE) stays on screen.
// - Live changes are applied in batches (the stream collects them for one
//   animation frame): applyBatch copies only the columns a batch touches and
//   the LeadIndex shards of the leads it changes; every other column is the
//   same object in the old and the new state, so its view is not recomputed
//   and its component does not re-render.
// - An older revision never overwrites a newer one; duplicates change
//   nothing (the same state object comes back).
// - Stalls need nothing special: a STALLED change carries the card with
//   `stalled_since` set, and the lead's next change carries it without, so
//   the flag and the columns' stalled counts follow the cards.
// - lastRevision is where a reconnect resumes from.
import type { Lead } from "../gen/leadboard/v1/lead_pb";
import { ChangeKind, type WatchLeadsResponse } from "../gen/leadboard/v1/leadboard_pb";
import { LeadIndex } from "./leadIndex";
import { addLead, noTotals, totalsOf, type Totals } from "./totals";

// One column's cards, newest revision first, with their totals.
export interface ColumnIndex {
  readonly leads: readonly Lead[];
  readonly totals: Totals;
}

export interface BoardState {
  // Column id -> its cards. A column without cards may be missing.
  readonly columns: Readonly<Record<string, ColumnIndex>>;
  readonly byId: LeadIndex;
  readonly lastRevision: bigint;
  readonly synced: boolean;
  // Lead id -> when (ms) a live change last touched it; kept a few seconds so
  // recently changed cards can glow.
  readonly recent: ReadonlyMap<string, number>;
}

export const kRecentMs = 3000;

export const initialBoardState: BoardState = {
  columns: {},
  byId: LeadIndex.empty,
  lastRevision: 0n,
  synced: false,
  recent: new Map(),
};

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const newestFirst = (a: Lead, b: Lead) => (a.revision > b.revision ? -1 : a.revision < b.revision ? 1 : 0);

// Accumulates snapshot entries mutably; build() publishes them at `synced`.
export class SnapshotBuilder {
  private readonly leads = new Map<string, Lead>();

  add(lead: Lead): void {
    const existing = this.leads.get(lead.id);
    if (!existing || existing.revision < lead.revision) this.leads.set(lead.id, lead);
  }

  get size(): number {
    return this.leads.size;
  }

  // The board as of `revision`: every lead added, grouped and sorted once.
  build(revision: bigint): BoardState {
    const grouped = new Map<string, Lead[]>();
    for (const lead of this.leads.values()) {
      let column = grouped.get(lead.stage);
      if (!column) grouped.set(lead.stage, (column = []));
      column.push(lead);
    }
    const columns: Record<string, ColumnIndex> = {};
    for (const [stage, leads] of grouped) {
      leads.sort(newestFirst);
      columns[stage] = { leads, totals: totalsOf(leads) };
    }
    return {
      columns,
      byId: LeadIndex.from(this.leads.values()),
      lastRevision: revision,
      synced: true,
      recent: new Map(),
    };
  }
}

// First index whose lead is older than `revision` (where a lead of that
// revision goes in a newest-first column).
function insertionPoint(leads: readonly Lead[], revision: bigint): number {
  let lo = 0, hi = leads.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (leads[mid].revision >= revision) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOfLead(leads: readonly Lead[], lead: Lead): number {
  // Leads of one revision sit together just before insertionPoint.
  for (let i = insertionPoint(leads, lead.revision) - 1; i >= 0 && leads[i].revision === lead.revision; i--) {
    if (leads[i].id === lead.id) return i;
  }
  return leads.findIndex((l) => l.id === lead.id);
}

// Whether `lead` replaces `old`: a newer revision does. A stall flag is a
// change of its own with the next revision, but a STALLED card that carries
// the revision the lead already had (the flag set without a new revision)
// is taken too, once, so the badge never waits for the lead's next change.
function newer(old: Lead, lead: Lead, kind: ChangeKind): boolean {
  if (lead.revision !== old.revision) return lead.revision > old.revision;
  return kind === ChangeKind.STALLED && !!lead.stalledSince && !old.stalledSince;
}

interface Draft {
  leads: Lead[];
  totals: Totals;
}

// Folds a batch of live (or replayed) messages into the state. Snapshot
// entries are not handled here (see SnapshotBuilder). `now` (ms) stamps the
// changed leads for the glow.
export function applyBatch(state: BoardState, responses: readonly WatchLeadsResponse[], now: number): BoardState {
  let lastRevision = state.lastRevision;
  let synced = state.synced;
  const drafts = new Map<string, Draft>();
  const changed = new Map<string, Lead>();
  const draft = (stage: string): Draft => {
    let d = drafts.get(stage);
    if (!d) {
      const column = state.columns[stage];
      d = { leads: column ? column.leads.slice() : [], totals: column?.totals ?? noTotals };
      drafts.set(stage, d);
    }
    return d;
  };

  for (const response of responses) {
    switch (response.change.case) {
      case "synced":
        synced = true;
        lastRevision = max(lastRevision, response.revision);
        break;
      case "progress":
        if (synced) lastRevision = max(lastRevision, response.revision);
        break;
      case "leadChange": {
        const change = response.change.value;
        const lead = change.lead;
        if (!lead || change.kind === ChangeKind.SNAPSHOT) break;
        lastRevision = max(lastRevision, response.revision);
        const old = changed.get(lead.id) ?? state.byId.get(lead.id);
        if (old && !newer(old, lead, change.kind)) break;
        if (old) {
          const from = draft(old.stage);
          const at = indexOfLead(from.leads, old);
          if (at >= 0) {
            from.leads.splice(at, 1);
            from.totals = addLead(from.totals, old, -1);
          }
        }
        const to = draft(lead.stage);
        to.leads.splice(insertionPoint(to.leads, lead.revision), 0, lead);
        to.totals = addLead(to.totals, lead);
        changed.set(lead.id, lead);
        break;
      }
      default:
        break;
    }
  }

  if (changed.size === 0) {
    return lastRevision === state.lastRevision && synced === state.synced ? state : { ...state, lastRevision, synced };
  }
  const columns: Record<string, ColumnIndex> = { ...state.columns };
  for (const [stage, d] of drafts) columns[stage] = { leads: d.leads, totals: d.totals };
  const recent = new Map<string, number>();
  for (const [id, at] of state.recent) if (now - at < kRecentMs) recent.set(id, at);
  for (const id of changed.keys()) recent.set(id, now);
  return {
    columns,
    byId: state.byId.withAll([...changed.values()]),
    lastRevision,
    synced,
    recent,
  };
}
