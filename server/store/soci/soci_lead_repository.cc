#include "store/soci/soci_lead_repository.h"

#include <soci/soci.h>

#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/agent_timeline.h"
#include "engine/stage_history.h"
#include "engine/status_details.h"
#include "google/protobuf/util/time_util.h"
#include "store/soci/batch_writer.h"
#include "store/soci/change_wire.h"
#include "store/soci/schema.h"
#include "store/soci/session_work.h"

namespace leadboard::store {
namespace {

bool IsPostgres(const DatabaseUrl& url) { return url.backend == DatabaseUrl::Backend::kPostgres; }

// Builds the SQL condition for a filter; the parameters bind in order
// :u1 :u2 :j1 :j2 (and :s1 :s2 when with_stage).
std::string FilterSql(bool with_stage) {
  std::string sql = "(:u1 = '' OR user_id = :u2) AND (:j1 = '' OR job_id = :j2)";
  if (with_stage) sql += " AND (:s1 = '' OR stage = :s2)";
  return sql;
}

}  // namespace

SociLeadRepository::SociLeadRepository(Options options, const Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

SociLeadRepository::~SociLeadRepository() = default;

absl::Status SociLeadRepository::Connect() {
  try {
    {
      absl::MutexLock lock(&writer_mu_);
      writer_ = std::make_unique<soci::session>();
      OpenSession(*writer_, options_.url, /*writer=*/true);
      absl::Status migrated = ApplyMigrations(*writer_, IsPostgres(options_.url), clock_->Now());
      if (!migrated.ok()) return migrated;
      CreateStagingTables(*writer_, options_.url);
    }
    pool_ = std::make_unique<soci::connection_pool>(options_.pool_size);
    for (int i = 0; i < options_.pool_size; ++i) OpenSession(pool_->at(i), options_.url);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot open database ",
                                               options_.url.Describe(), ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SociLeadRepository>> SociLeadRepository::Open(
    const Options& options, const Clock* clock) {
  std::unique_ptr<SociLeadRepository> repo(new SociLeadRepository(options, clock));
  absl::Status status = repo->Connect();
  if (!status.ok()) return status;
  return repo;
}

void SociLeadRepository::DropWriter() {
  batch_writer_.reset();
  writer_.reset();
}

absl::Status SociLeadRepository::EnsureWriterLocked() {
  if (writer_ != nullptr) return absl::OkStatus();
  try {
    writer_ = std::make_unique<soci::session>();
    OpenSession(*writer_, options_.url, /*writer=*/true);
    CreateStagingTables(*writer_, options_.url);
  } catch (const std::exception& e) {
    DropWriter();
    return FromException(e, "reconnect");
  }
  return absl::OkStatus();
}

template <typename Work>
auto SociLeadRepository::WithWriter(absl::string_view what, Work&& work)
    -> decltype(work(std::declval<soci::session&>())) {
  absl::MutexLock lock(&writer_mu_);
  if (absl::Status connected = EnsureWriterLocked(); !connected.ok()) return connected;
  soci::session& sql = *writer_;
  try {
    auto result = work(sql);
    // A refusal or corrupt row ends the unit of work: roll back whatever it
    // began so the session stays usable.
    if (!result.ok()) {
      try {
        sql << "ROLLBACK";
      } catch (const std::exception&) {
        DropWriter();
      }
    }
    return result;
  } catch (const std::exception& e) {
    absl::Status status = FromException(e, what);
    if (absl::IsUnavailable(status)) {
      DropWriter();  // the connection may be gone: reconnect next time
    } else {
      try {
        sql << "ROLLBACK";
      } catch (const std::exception&) {
        DropWriter();
      }
    }
    return status;
  }
}

absl::StatusOr<BatchResult> SociLeadRepository::CommitBatch(
    const std::vector<const v1::PipelineEvent*>& events, const engine::StageEngine& engine) {
  return WithWriter("commit", [&](soci::session& sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_)
                                  -> absl::StatusOr<BatchResult> {
    BatchWriter& writer = BatchWriterLocked(sql);
    BatchResult result;
    result.outcomes.resize(events.size());
    const long long now = absl::ToUnixMicros(clock_->Now());
    LeadSlots leads;
    JobSlots jobs;
    std::vector<Rows::Visit> visits;
    std::vector<bool> is_new;
    absl::StatusOr<long long> begun = writer.BeginBatch(events, now, &is_new, &leads, &jobs);
    if (!begun.ok()) return begun.status();
    const long long start_revision = *begun;
    long long revision = start_revision;

    auto load_enrichment = [&](const std::string& id, LeadSlot* slot) -> absl::Status {
      if (slot->enrichment_loaded || !slot->lead || !slot->lead->enrichment_stored()) {
        return absl::OkStatus();
      }
      slot->enrichment_loaded = true;
      std::string text;
      soci::indicator ind = soci::i_null;
      sql << "SELECT enrichment FROM leads WHERE lead_id = :id", soci::use(id),
          soci::into(text, ind);
      if (ind != soci::i_ok || text.empty()) return absl::OkStatus();
      return Decode(text, slot->lead->mutable_enrichment(), "enrichment");
    };

    for (size_t i = 0; i < events.size(); ++i) {
      const v1::PipelineEvent& event = *events[i];
      if (!is_new[i]) {
        result.outcomes[i].kind = EventOutcome::Kind::kDuplicate;
        continue;
      }
      if (!event.lead_id().empty()) {
        auto [it, fresh] = leads.try_emplace(event.lead_id());
        LeadSlot* slot = &it->second;
        if (fresh) {
          if (absl::Status s = writer.LoadLead(event.lead_id(), slot); !s.ok()) return s;
        }
        const bool timeline_event = engine::AffectsTimeline(event.type());
        if (timeline_event) {
          // A lead's timeline is written with its row: a new lead has none.
          if (!slot->lead) slot->timeline_loaded = true;
          if (!slot->timeline_loaded) {
            if (absl::Status s = writer.LoadTimeline(event.lead_id(), slot); !s.ok()) return s;
          }
          if (!slot->hour_before) slot->hour_before = LastAt(slot->timeline);
        }
        const bool brings_package = event.success() && event.has_enrichment();
        if (brings_package) {
          if (absl::Status s = load_enrichment(event.lead_id(), slot); !s.ok()) return s;
        }
        std::variant<engine::LeadTransition, engine::Rejection> applied =
            engine.ApplyToLead(slot->lead ? &*slot->lead : nullptr, event);
        if (auto* rejection = std::get_if<engine::Rejection>(&applied)) {
          result.outcomes[i] = {EventOutcome::Kind::kRejected, *rejection};
          writer.DeleteEvent(event.event_id());
          continue;
        }
        engine::LeadTransition& transition = std::get<engine::LeadTransition>(applied);
        if (brings_package && transition.lead.enrichment_stored() &&
            Micros(transition.lead.enriched_at()) == Micros(event.occurred_at())) {
          slot->enrichment_dirty = true;
          slot->enrichment_loaded = true;
        }
        if (transition.visible) {
          if (transition.kind == v1::CHANGE_KIND_ENRICHED) {
            slot->lead = transition.lead;  // so the package can be loaded
            if (absl::Status s = load_enrichment(event.lead_id(), slot); !s.ok()) return s;
            *transition.lead.mutable_enrichment() = slot->lead->enrichment();
          }
          ++revision;
          transition.lead.set_revision(revision);
          if (engine::StartsVisit(transition)) visits.push_back(VisitRow(transition.lead));
          result.changes.push_back(Change{
              revision, transition.lead.id(), transition.lead.user_id(), transition.lead.job_id(),
              std::make_shared<const std::string>(SerializeChange(
                  revision, transition.kind, transition.previous_stage, event.agent_name(),
                  &transition.lead, transition.kind == v1::CHANGE_KIND_ENRICHED))});
        }
        if (timeline_event) {
          slot->timeline_dirty |= engine::RecordMarker(event, &slot->timeline);
          slot->timeline_dirty |= engine::RecordRunChange(
              engine.board(), slot->lead ? &*slot->lead : nullptr, transition.lead,
              &slot->timeline);
        }
        if (slot->lead && slot->lead->job_id() != transition.lead.job_id()) {
          slot->job_changed = true;
        }
        slot->lead = std::move(transition.lead);
        slot->touched = true;
        slot->last_event_at = now;
      }
      auto [it, fresh] = jobs.try_emplace(event.job_id());
      JobSlot* job_slot = &it->second;
      if (fresh) {
        if (absl::Status s = writer.LoadJob(event.job_id(), job_slot); !s.ok()) return s;
      }
      if (!job_slot->job) job_slot->job.emplace();
      if (engine.ApplyToJob(&*job_slot->job, event)) job_slot->dirty = true;
      // When the job last heard from its pipeline, to the second: a busy
      // job's row is rewritten once a second for it, not once per batch.
      if (now - job_slot->last_event_at >= 1000000) {
        job_slot->last_event_at = now;
        job_slot->dirty = true;
      }
    }

    Rows rows = GatherRows(leads, jobs, result.changes, std::move(visits), engine.board());
    writer.Commit(&rows, result.changes, now, start_revision, revision);
    result.last_revision = revision;
    return result;
  });
}

BatchWriter& SociLeadRepository::BatchWriterLocked(soci::session& sql) {
  if (batch_writer_ == nullptr) {
    batch_writer_ =
        IsPostgres(options_.url) ? MakePostgresBatchWriter(sql) : MakeSqliteBatchWriter(sql);
  }
  return *batch_writer_;
}

absl::StatusOr<MoveResult> SociLeadRepository::MoveLead(const std::string& lead_id,
                                                        const std::string& user_scope,
                                                        const engine::Move& move,
                                                        const engine::StageEngine& engine) {
  return WithWriter("move lead", [&](soci::session& sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_)
                                     -> absl::StatusOr<MoveResult> {
    // The same transaction discipline as a batch: the counter row lock
    // serializes this move with every batch and every other move, across
    // replicas too, so the check below sees the latest lead.
    BatchWriter& writer = BatchWriterLocked(sql);
    const long long start_revision = writer.Begin();
    std::string state;
    soci::indicator state_ind = soci::i_null;
    LeadSlots leads;
    LeadSlot& slot = leads[lead_id];
    sql << "SELECT state, last_event_at FROM leads WHERE lead_id = :id", soci::use(lead_id),
        soci::into(state, state_ind), soci::into(slot.last_event_at);
    const bool found = sql.got_data() && state_ind == soci::i_ok;
    if (found) {
      if (absl::Status s = LoadStoredLead(state, &slot); !s.ok()) return s;
    }
    if (!found || (!user_scope.empty() && slot.lead->user_id() != user_scope)) {
      return absl::NotFoundError(absl::StrCat("lead \"", lead_id, "\" not found"));
    }
    absl::StatusOr<engine::LeadTransition> moved = engine.ApplyMove(*slot.lead, move);
    if (!moved.ok()) return moved.status();
    if (!moved->visible) {
      sql << "ROLLBACK";  // nothing to write
      return MoveResult{std::move(moved->lead), std::nullopt};
    }
    const long long revision = start_revision + 1;
    v1::Lead& after = moved->lead;
    after.set_revision(revision);
    std::vector<Change> changes = {Change{
        revision, after.id(), after.user_id(), after.job_id(),
        std::make_shared<const std::string>(SerializeChange(
            revision, v1::CHANGE_KIND_MOVED, moved->previous_stage, "", &after,
            /*with_package=*/false, &move.actor, move.note))}};
    std::vector<Rows::Visit> visits = {VisitRow(after)};
    slot.lead = after;
    slot.touched = true;
    JobSlots no_jobs;
    Rows rows = GatherRows(leads, no_jobs, changes, std::move(visits), engine.board());
    writer.Commit(&rows, changes, absl::ToUnixMicros(clock_->Now()), start_revision, revision);
    return MoveResult{std::move(after), std::move(changes.front())};
  });
}

absl::StatusOr<int64_t> SociLeadRepository::CurrentRevision() {
  return RunOnPool(*pool_, "read revision", [&](soci::session& sql) -> absl::StatusOr<int64_t> {
    long long revision = 0;
    sql << "SELECT revision FROM revision_counter WHERE id = 1", soci::into(revision);
    return revision;
  });
}

absl::StatusOr<LogRange> SociLeadRepository::ChangeLogRange() {
  return RunOnPool(*pool_, "read oldest revision",
                   [&](soci::session& sql) -> absl::StatusOr<LogRange> {
    long long oldest = 0;
    long long current = 0;
    soci::indicator ind = soci::i_null;
    sql << "BEGIN";
    sql << "SELECT MIN(revision) FROM changes", soci::into(oldest, ind);
    sql << "SELECT revision FROM revision_counter WHERE id = 1", soci::into(current);
    sql << "COMMIT";
    return LogRange{ind == soci::i_ok ? oldest : current + 1, current};
  });
}

absl::StatusOr<std::vector<Change>> SociLeadRepository::ReadChanges(int64_t after, int64_t up_to,
                                                                    const LeadFilter& filter,
                                                                    int limit) {
  return RunOnPool(*pool_, "read changes",
                   [&](soci::session& sql) -> absl::StatusOr<std::vector<Change>> {
    std::vector<Change> out;
    if (limit <= 0) return out;
    long long a = after, b = up_to;
    // A one-time query into vectors of `limit` rows: one round trip on
    // PostgreSQL (PQexecParams), where a prepared statement took three
    // (prepare, execute, deallocate). A replica reads every other
    // replica's commits this way, so its watchers hear of them sooner.
    const size_t rows = static_cast<size_t>(limit);
    std::vector<long long> revs(rows);
    std::vector<std::string> leads(rows), users(rows), jobs(rows), payloads(rows);
    sql << "SELECT revision, lead_id, user_id, job_id, payload FROM changes "
           "WHERE revision > :a AND revision <= :b AND " +
               FilterSql(false) + " ORDER BY revision LIMIT :n",
        soci::use(a), soci::use(b), soci::use(filter.user_id), soci::use(filter.user_id),
        soci::use(filter.job_id), soci::use(filter.job_id), soci::use(limit), soci::into(revs),
        soci::into(leads), soci::into(users), soci::into(jobs), soci::into(payloads);
    if (!sql.got_data()) return out;
    v1::WatchLeadsResponse parsed;  // only to check the row
    out.reserve(revs.size());
    for (size_t i = 0; i < revs.size(); ++i) {
      auto wire = std::make_shared<std::string>();
      absl::Status s = Decode(payloads[i], &parsed, "change", wire.get());
      if (!s.ok()) return s;
      out.push_back(Change{revs[i], std::move(leads[i]), std::move(users[i]), std::move(jobs[i]),
                           std::move(wire)});
    }
    return out;
  });
}

absl::StatusOr<Snapshot> SociLeadRepository::ReadSnapshot(const LeadFilter& filter) {
  return RunOnPool(*pool_, "read snapshot", [&](soci::session& sql) -> absl::StatusOr<Snapshot> {
    Snapshot snapshot;
    sql << (IsPostgres(options_.url) ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN");
    long long revision = 0;
    sql << "SELECT revision FROM revision_counter WHERE id = 1", soci::into(revision);
    snapshot.revision = revision;
    std::string state;
    soci::statement st = (sql.prepare << "SELECT state FROM leads WHERE " + FilterSql(true) +
                                             " ORDER BY lead_id",
                          soci::use(filter.user_id), soci::use(filter.user_id),
                          soci::use(filter.job_id), soci::use(filter.job_id),
                          soci::use(filter.stage), soci::use(filter.stage), soci::into(state));
    st.execute();
    while (st.fetch()) {
      v1::Lead& card = snapshot.cards.emplace_back();
      absl::Status s = Decode(state, &card, "lead");
      if (!s.ok()) {
        sql << "ROLLBACK";
        return s;
      }
    }
    sql << "COMMIT";
    return snapshot;
  });
}

absl::StatusOr<ChangedLeads> SociLeadRepository::ReadChangedSince(const LeadFilter& filter,
                                                                 int64_t after) {
  return RunOnPool(*pool_, "read changed leads",
                   [&](soci::session& sql) -> absl::StatusOr<ChangedLeads> {
    ChangedLeads changed;
    sql << (IsPostgres(options_.url) ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN");
    long long revision = 0;
    sql << "SELECT revision FROM revision_counter WHERE id = 1", soci::into(revision);
    changed.revision = revision;
    const long long since = after;
    std::string state;
    soci::statement st =
        (sql.prepare << "SELECT state FROM leads WHERE revision > :r AND " + FilterSql(false) +
                            " ORDER BY revision",
         soci::use(since), soci::use(filter.user_id), soci::use(filter.user_id),
         soci::use(filter.job_id), soci::use(filter.job_id), soci::into(state));
    st.execute();
    while (st.fetch()) {
      absl::Status s = Decode(state, &changed.cards.emplace_back(), "lead");
      if (!s.ok()) {
        sql << "ROLLBACK";
        return s;
      }
    }
    sql << "COMMIT";
    return changed;
  });
}

absl::StatusOr<std::optional<v1::Lead>> SociLeadRepository::GetLead(
    const std::string& lead_id, engine::stored::TimelineLog* timeline) {
  return RunOnPool(*pool_, "get lead",
                   [&](soci::session& sql) -> absl::StatusOr<std::optional<v1::Lead>> {
    // The card, its timeline and its history in one statement, which reads
    // one snapshot on both databases: they agree without a transaction,
    // and on PostgreSQL it is one round trip (a transaction with a
    // statement each took seven).
    constexpr int kPage = 32;  // visits per read
    std::optional<v1::Lead> lead;
    bool more = false;
    absl::Status s = ReadLead(sql, lead_id, timeline, 0, kPage, &lead, &more);
    if (!s.ok()) return s;
    if (!more) return lead;
    // More visits than a page (a lead moved back and forth many times):
    // read it again in one transaction, page by page.
    sql << (IsPostgres(options_.url) ? "BEGIN ISOLATION LEVEL REPEATABLE READ" : "BEGIN");
    lead.reset();
    long long after = 0;
    do {
      s = ReadLead(sql, lead_id, after == 0 ? timeline : nullptr, after, kPage, &lead, &more);
      if (lead && lead->history_size() > 0) after = lead->history().rbegin()->revision();
    } while (s.ok() && more && lead);
    sql << "COMMIT";
    if (!s.ok()) return s;
    return lead;
  });
}

absl::Status SociLeadRepository::ReadLead(soci::session& sql, const std::string& lead_id,
                                          engine::stored::TimelineLog* timeline, long long after,
                                          int page, std::optional<v1::Lead>* lead, bool* more) {
  // Row 0 is the lead (part 0), the rest its visits (part 1) by revision.
  const size_t rows = static_cast<size_t>(page) + 1;
  std::vector<int> part(rows), actor_kind(rows);
  std::vector<std::string> state(rows), enrichment(rows), log(rows), stage(rows), actor(rows),
      note(rows);
  std::vector<soci::indicator> state_ind(rows), enrichment_ind(rows), log_ind(rows);
  std::vector<long long> revision(rows), entered_at(rows);
  const int limit = static_cast<int>(rows);
  sql << std::string("SELECT 0, l.state, l.enrichment, ") +
             (timeline != nullptr ? "t.log" : "NULL") +
             ", 0, '', 0, 0, '', '' FROM leads l LEFT JOIN lead_timelines t ON t.lead_id = "
             "l.lead_id WHERE l.lead_id = :id "
             "UNION ALL SELECT 1, NULL, NULL, NULL, revision, stage, entered_at, actor_kind, "
             "actor, note FROM stage_history WHERE lead_id = :id2 AND revision > :after "
             "ORDER BY 1, 5 LIMIT :n",
      soci::use(lead_id), soci::use(lead_id), soci::use(after), soci::use(limit),
      soci::into(part), soci::into(state, state_ind), soci::into(enrichment, enrichment_ind),
      soci::into(log, log_ind), soci::into(revision), soci::into(stage), soci::into(entered_at),
      soci::into(actor_kind), soci::into(actor), soci::into(note);
  *more = false;
  if (!sql.got_data() || part.empty() || part[0] != 0 || state_ind[0] != soci::i_ok) {
    lead->reset();  // no such lead (its visits alone say nothing)
    return absl::OkStatus();
  }
  if (!*lead) {
    absl::Status s = Decode(state[0], &lead->emplace(), "lead");
    if (s.ok() && enrichment_ind[0] == soci::i_ok && !enrichment[0].empty()) {
      s = Decode(enrichment[0], (*lead)->mutable_enrichment(), "enrichment");
    }
    if (s.ok() && timeline != nullptr && log_ind[0] == soci::i_ok) {
      s = Decode(log[0], timeline, "timeline");
    }
    if (!s.ok()) return s;
  }
  for (size_t i = 1; i < part.size(); ++i) {
    v1::StageVisit* visit = (*lead)->add_history();
    visit->set_revision(revision[i]);
    visit->set_stage(stage[i]);
    if (entered_at[i] != 0) {
      *visit->mutable_entered_at() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(entered_at[i]);
    }
    visit->mutable_entered_by()->set_kind(static_cast<v1::ActorKind>(actor_kind[i]));
    visit->mutable_entered_by()->set_name(actor[i]);
    visit->set_note(note[i]);
  }
  *more = part.size() == rows;
  return absl::OkStatus();
}

absl::StatusOr<LeadPage> SociLeadRepository::ListLeads(const LeadFilter& filter,
                                                       const std::string& after, int limit,
                                                       bool full) {
  return RunOnPool(*pool_, "list leads", [&](soci::session& sql) -> absl::StatusOr<LeadPage> {
    LeadPage page;
    if (limit <= 0) return page;
    // A one-time query into vectors of a page and one row: one round trip
    // on PostgreSQL, where a prepared statement took three.
    const int fetch = limit + 1;
    const size_t rows = static_cast<size_t>(fetch);
    std::vector<std::string> ids(rows), state(rows), enrichment(rows);
    std::vector<soci::indicator> enrichment_ind(rows);
    const std::string columns = full ? "lead_id, state, enrichment" : "lead_id, state, ''";
    sql << "SELECT " + columns + " FROM leads WHERE lead_id > :after AND " + FilterSql(true) +
               (filter.stalled ? " AND stalled_since > 0" : "") + " ORDER BY lead_id LIMIT :n",
        soci::use(after), soci::use(filter.user_id), soci::use(filter.user_id),
        soci::use(filter.job_id), soci::use(filter.job_id), soci::use(filter.stage),
        soci::use(filter.stage), soci::use(fetch), soci::into(ids), soci::into(state),
        soci::into(enrichment, enrichment_ind);
    if (!sql.got_data()) return page;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (static_cast<int>(page.leads.size()) == limit) {
        page.next_after = page.leads.back().id();
        break;
      }
      v1::Lead& lead = page.leads.emplace_back();
      absl::Status s = Decode(state[i], &lead, "lead");
      if (s.ok() && full && enrichment_ind[i] == soci::i_ok && !enrichment[i].empty()) {
        s = Decode(enrichment[i], lead.mutable_enrichment(), "enrichment");
      }
      if (!s.ok()) return s;
    }
    return page;
  });
}

absl::StatusOr<absl::flat_hash_map<std::string, StageCount>> SociLeadRepository::CountByStage(
    const LeadFilter& filter) {
  using Counts = absl::flat_hash_map<std::string, StageCount>;
  return RunOnPool(*pool_, "count leads", [&](soci::session& sql) -> absl::StatusOr<Counts> {
    Counts counts;
    std::string stage;
    long long count = 0, stalled = 0;
    soci::statement st =
        (sql.prepare << "SELECT stage, COUNT(*), SUM(CASE WHEN stalled_since > 0 THEN 1 ELSE 0 "
                        "END) FROM leads WHERE " +
                            FilterSql(true) + " GROUP BY stage",
         soci::use(filter.user_id), soci::use(filter.user_id), soci::use(filter.job_id),
         soci::use(filter.job_id), soci::use(filter.stage), soci::use(filter.stage),
         soci::into(stage), soci::into(count), soci::into(stalled));
    st.execute();
    while (st.fetch()) counts[stage] = StageCount{count, stalled};
    return counts;
  });
}

absl::StatusOr<v1::GetAgentStatsResponse> SociLeadRepository::GetAgentStats(
    const StepFilter& filter) {
  return RunOnPool(*pool_, "agent statistics",
                   [&](soci::session& sql) -> absl::StatusOr<v1::GetAgentStatsResponse> {
    AgentStatsBuilder builder;
    const bool unfiltered =
        filter.user_id.empty() && filter.job_id.empty() && !filter.since && !filter.until;
    if (unfiltered) {
      // The running totals: a few rows per agent, whatever the steps stored.
      std::string agent;
      int status = 0, bucket = 0;
      long long steps = 0, total_us = 0, retries = 0, max_us = 0;
      soci::statement st =
          (sql.prepare << "SELECT agent, status, bucket, steps, total_us, retries, max_us FROM "
                          "agent_step_totals WHERE steps <> 0",
           soci::into(agent), soci::into(status), soci::into(bucket), soci::into(steps),
           soci::into(total_us), soci::into(retries), soci::into(max_us));
      st.execute();
      while (st.fetch()) builder.Add(agent, status, bucket, steps, max_us, total_us, retries);
      return builder.Finish();
    }
    // Each matching lead's steps, filtered here. A job's or a user's leads
    // come from the leads' index on it, a time window's from the index on
    // each lead's latest event (a step that started in the window belongs
    // to a lead with an event since its start). A step keeps the job of
    // its own run, but is found through its lead's current job: a step of
    // an earlier run counts for that run's job only while the lead is
    // still in it.
    std::string query = "SELECT t.steps FROM lead_timelines t";
    std::string where;
    auto add = [&where](const char* condition) {
      absl::StrAppend(&where, where.empty() ? " WHERE " : " AND ", condition);
    };
    if (!filter.user_id.empty() || !filter.job_id.empty()) {
      query = "SELECT t.steps FROM leads l JOIN lead_timelines t ON t.lead_id = l.lead_id";
      if (!filter.user_id.empty()) add("l.user_id = :user");
      if (!filter.job_id.empty()) add("l.job_id = :job");
    }
    if (filter.since) add("t.last_at >= :since");
    const long long since = filter.since ? absl::ToUnixMicros(*filter.since) : 0;
    const long long since_hour = LastAtHour(since);
    const long long until = filter.until ? absl::ToUnixMicros(*filter.until) : 0;
    constexpr int kChunk = 1000;
    std::vector<std::string> texts(kChunk);
    soci::statement st(sql);
    if (!filter.user_id.empty()) st.exchange(soci::use(filter.user_id, "user"));
    if (!filter.job_id.empty()) st.exchange(soci::use(filter.job_id, "job"));
    if (filter.since) st.exchange(soci::use(since_hour, "since"));
    st.exchange(soci::into(texts));
    st.alloc();
    st.prepare(query + where);
    st.define_and_bind();
    std::vector<StepRow> steps;
    for (bool more = st.execute(true); more; more = st.fetch()) {
      for (const std::string& text : texts) {
        steps.clear();
        if (absl::Status s = DecodeSteps(text, &steps); !s.ok()) return s;
        for (const StepRow& step : steps) {
          if ((!filter.job_id.empty() && step.job_id != filter.job_id) ||
              (filter.since && step.started_at < since) ||
              (filter.until && step.started_at >= until)) {
            continue;
          }
          builder.Add(step.agent, step.status, step.bucket, 1, step.duration_us,
                      std::max(step.duration_us, 0LL), step.attempt > 1 ? 1 : 0);
        }
      }
    }
    return builder.Finish();
  });
}

absl::StatusOr<SweepResult> SociLeadRepository::SweepStalls(const engine::StageEngine& engine) {
  const long long now = absl::ToUnixMicros(clock_->Now());
  // Most sweeps find nothing due: ask a reader first, and take the writer
  // (and the revision counter's lock) only when there is work.
  absl::StatusOr<bool> due = RunOnPool(*pool_, "look for stalls",
                                       [&](soci::session& sql) -> absl::StatusOr<bool> {
    long long leads = 0, jobs = 0;
    sql << "SELECT COUNT(*) FROM (SELECT 1 FROM leads WHERE stall_at > 0 AND stall_at <= :now "
           "LIMIT 1) AS due",
        soci::use(now), soci::into(leads);
    sql << "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE stall_at > 0 AND stall_at <= :now "
           "LIMIT 1) AS due",
        soci::use(now), soci::into(jobs);
    return leads + jobs > 0;
  });
  if (!due.ok()) return due.status();
  if (!*due) return SweepResult{};
  return WithWriter("sweep stalls", [&](soci::session& sql)
                                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_)
                                            -> absl::StatusOr<SweepResult> {
    // Under the counter row's lock, like every write: a replica that swept
    // first has already cleared stall_at, so the condition below finds
    // nothing it flagged, and each stall gives exactly one change.
    BatchWriter& writer = BatchWriterLocked(sql);
    const long long start_revision = writer.Begin();
    long long revision = start_revision;
    SweepResult result;
    LeadSlots leads;
    JobSlots jobs;
    // The rows of a table whose deadline has passed, at most 1,000 a sweep
    // (the rest go to the next one): their ids, states and last events.
    struct Due {
      std::vector<std::string> ids = std::vector<std::string>(1000);
      std::vector<std::string> states = std::vector<std::string>(1000);
      std::vector<long long> last = std::vector<long long>(1000);
    };
    auto read_due = [&](absl::string_view table, absl::string_view id_column) {
      Due due;
      soci::statement select =
          (sql.prepare << absl::StrCat("SELECT ", id_column, ", state, last_event_at FROM ", table,
                                       " WHERE stall_at > 0 AND stall_at <= :now ORDER BY "
                                       "stall_at LIMIT 1000"),
           soci::use(now), soci::into(due.ids), soci::into(due.states), soci::into(due.last));
      if (!select.execute(true)) due.ids.clear();
      return due;
    };
    const Due due_leads = read_due("leads", "lead_id");
    for (size_t i = 0; i < due_leads.ids.size(); ++i) {
      LeadSlot& slot = leads[due_leads.ids[i]];
      if (absl::Status s = LoadStoredLead(due_leads.states[i], &slot); !s.ok()) return s;
      v1::Lead& lead = *slot.lead;
      slot.last_event_at = due_leads.last[i];
      slot.touched = true;
      *lead.mutable_stalled_since() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(slot.last_event_at);
      lead.set_revision(++revision);
      result.changes.push_back(Change{
          revision, lead.id(), lead.user_id(), lead.job_id(),
          std::make_shared<const std::string>(SerializeChange(
              revision, v1::CHANGE_KIND_STALLED, lead.stage(), lead.current_agent(), &lead,
              /*with_package=*/false))});
    }
    const Due due_jobs = read_due("jobs", "job_id");
    for (size_t i = 0; i < due_jobs.ids.size(); ++i) {
      JobSlot& slot = jobs[due_jobs.ids[i]];
      if (absl::Status s = LoadStoredJob(due_jobs.states[i], &slot); !s.ok()) return s;
      slot.last_event_at = due_jobs.last[i];
      slot.dirty = true;
      *slot.job->mutable_stalled_since() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(slot.last_event_at);
    }
    result.stalled_jobs = static_cast<int64_t>(due_jobs.ids.size());
    Rows rows = GatherRows(leads, jobs, result.changes, {}, engine.board());
    writer.Commit(&rows, result.changes, now, start_revision, revision);
    return result;
  });
}

absl::StatusOr<JobPage> SociLeadRepository::ListJobs(const std::string& user_id,
                                                     const std::string& token, int limit,
                                                     const engine::BoardConfig& board) {
  long long before = std::numeric_limits<long long>::max();
  std::string after_id;
  if (!token.empty()) {
    std::string decoded;
    const bool decoded_ok = absl::WebSafeBase64Unescape(token, &decoded);
    std::pair<std::string, std::string> parts = absl::StrSplit(decoded, absl::MaxSplits('/', 1));
    if (!decoded_ok || !absl::SimpleAtoi(parts.first, &before)) {
      return engine::InvalidFieldError("page_token", "not a token this server issued");
    }
    after_id = parts.second;
  }
  return RunOnPool(*pool_, "list jobs", [&](soci::session& sql) -> absl::StatusOr<JobPage> {
    JobPage page;
    if (limit <= 0) return page;
    // The page in a one-time query into vectors: one round trip on
    // PostgreSQL, where a prepared statement took three.
    const int fetch = limit + 1;
    const size_t rows = static_cast<size_t>(fetch);
    std::vector<std::string> ids(rows), states(rows);
    std::vector<long long> started(rows);
    // Everybody's jobs (read through jobs_started) or one user's
    // (jobs_user, which starts with the user). The first condition on
    // started_at, implied by the second, lets a later page start in the
    // index where the last one ended instead of at the newest job.
    const std::string page_sql =
        "started_at <= :b0 AND (started_at < :b1 OR (started_at = :b2 AND job_id > :after)) "
        "ORDER BY started_at DESC, job_id LIMIT :n";
    const std::string select = "SELECT job_id, state, started_at FROM jobs WHERE ";
    if (user_id.empty()) {
      sql << select + page_sql, soci::use(before), soci::use(before), soci::use(before),
          soci::use(after_id), soci::use(fetch), soci::into(ids), soci::into(states),
          soci::into(started);
    } else {
      sql << select + "user_id = :u AND " + page_sql, soci::use(user_id), soci::use(before),
          soci::use(before), soci::use(before), soci::use(after_id), soci::use(fetch),
          soci::into(ids), soci::into(states), soci::into(started);
    }
    if (!sql.got_data()) return page;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (static_cast<int>(page.jobs.size()) == limit) {
        page.next_token = absl::WebSafeBase64Escape(
            absl::StrCat(started[i - 1], "/", page.jobs.back().id()));
        break;
      }
      absl::Status s = Decode(states[i], &page.jobs.emplace_back(), "job");
      if (!s.ok()) return s;
    }
    if (page.jobs.empty()) return page;
    // The page's lead counts in one statement, as the writes keep them:
    // by the pipeline's column, so a lead a person moved on to a sales
    // column still counts as enriched (or failed) for its job.
    absl::flat_hash_map<std::string, v1::Job*> by_id;
    soci::statement counts(sql);
    std::string in;
    for (v1::Job& job : page.jobs) {
      absl::StrAppend(&in, in.empty() ? "" : ", ", ":j", by_id.size());
      by_id[job.id()] = &job;
      counts.exchange(soci::use(job.id()));
    }
    std::string job_id, stage;
    long long count = 0;
    counts.exchange(soci::into(job_id));
    counts.exchange(soci::into(stage));
    counts.exchange(soci::into(count));
    counts.alloc();
    counts.prepare("SELECT job_id, stage, leads FROM job_stage_counts WHERE job_id IN (" + in +
                   ") AND leads <> 0");
    counts.define_and_bind();
    for (bool row = counts.execute(true); row; row = counts.fetch()) {
      v1::Job& job = *by_id.at(job_id);
      job.set_lead_count(job.lead_count() + count);
      if (stage == board.success_column().id()) job.set_enriched_count(count);
      if (stage == board.failure_column().id()) job.set_failed_count(count);
    }
    return page;
  });
}

absl::StatusOr<int64_t> SociLeadRepository::TrimChanges(absl::Time cutoff) {
  return WithWriter("trim changes", [&](soci::session& sql) -> absl::StatusOr<int64_t> {
    long long cut = absl::ToUnixMicros(cutoff);
    soci::statement st =
        (sql.prepare << "DELETE FROM changes WHERE committed_at < :c", soci::use(cut));
    st.execute(true);
    return static_cast<int64_t>(st.get_affected_rows());
  });
}

}  // namespace leadboard::store
