#include "store/soci_lead_repository.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "engine/stage_history.h"
#include "engine/status_details.h"
#include "store/change_wire.h"
#include "store/pg_copy.h"
#include "store/schema.h"
#include "store/sqlite_statements.h"
#include "store/write_sql.h"

namespace leadboard::store {
namespace {

using google::protobuf::Message;
using google::protobuf::Timestamp;

long long Micros(const Timestamp& t) {
  return static_cast<long long>(t.seconds()) * 1000000 + t.nanos() / 1000;
}

std::string Encode(const Message& message) {
  return absl::Base64Escape(message.SerializeAsString());
}

// Parses a stored payload; the decoded bytes are left in `bytes` if given.
absl::Status Decode(const std::string& text, Message* message, absl::string_view what,
                    std::string* bytes = nullptr) {
  std::string local;
  std::string& raw = bytes != nullptr ? *bytes : local;
  if (!absl::Base64Unescape(text, &raw) || !message->ParseFromString(raw)) {
    return absl::InternalError(absl::StrCat("store: corrupt ", what, " row"));
  }
  return absl::OkStatus();
}

// Maps a SOCI (or other) exception to a status, once, here at the edge of
// the store. Connection trouble and lock time-outs are Unavailable: the
// caller may retry.
absl::Status FromException(const std::exception& e, absl::string_view what) {
  // The database's own words, without the statement SOCI appends (it can be
  // kilobytes long and carry lead data): short enough for a grpc-message.
  absl::string_view reason = e.what();
  if (size_t cut = reason.find(" while executing"); cut != absl::string_view::npos) {
    reason = reason.substr(0, cut);
  }
  if (reason.size() > 300) reason = reason.substr(0, 300);
  std::string message = absl::StrCat("database error during ", what, ": ", reason);
  if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&e)) {
    switch (soci_error->get_error_category()) {
      case soci::soci_error::constraint_violation:
        return absl::AbortedError(message);
      case soci::soci_error::invalid_statement:
      case soci::soci_error::no_privilege:
        return absl::InternalError(message);
      default:
        break;
    }
  }
  return absl::UnavailableError(message);
}

// Builds the SQL condition for a filter; the parameters bind in order
// :u1 :u2 :j1 :j2 (and :s1 :s2 when with_stage).
std::string FilterSql(bool with_stage) {
  std::string sql = "(:u1 = '' OR user_id = :u2) AND (:j1 = '' OR job_id = :j2)";
  if (with_stage) sql += " AND (:s1 = '' OR stage = :s2)";
  return sql;
}

// PostgreSQL: one statement for many rows, one round trip instead of one
// per row: `head` (ROW), (ROW), ... `tail`, where ROW is `columns`
// placeholders. `bind(i, st)` exchanges row i's values in order (they must
// outlive the call).
void ExecuteRows(soci::session& sql, absl::string_view head, size_t columns, size_t rows,
                 absl::string_view tail,
                 const std::function<void(size_t, soci::statement&)>& bind) {
  std::string query(head);
  for (size_t i = 0; i < rows; ++i) {
    query += i == 0 ? "(" : ", (";
    for (size_t c = 0; c < columns; ++c) {
      absl::StrAppend(&query, c == 0 ? ":p" : ", :p", i * columns + c);
    }
    query += ")";
  }
  absl::StrAppend(&query, tail);
  soci::statement st(sql);
  for (size_t i = 0; i < rows; ++i) bind(i, st);
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute(true);
}

}  // namespace

SociLeadRepository::SociLeadRepository(Options options, const Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

SociLeadRepository::~SociLeadRepository() = default;

namespace {

// The writer keeps a larger page cache: a batch's pages stay in memory
// until COMMIT instead of spilling into the log mid-transaction. SQLite's
// own checkpoint stays inline, in the COMMIT that crosses 1,000 pages:
// moved to a background thread it saved the commit thread up to ~10% at
// full load, but its large fsyncs stalled concurrent commits for 100+ ms
// (p99.9 at 2,000 events/s: 3 ms inline, 150 ms on a thread).
void OpenSession(soci::session& session, const DatabaseUrl& url, bool writer = false) {
  if (url.backend == DatabaseUrl::Backend::kSqlite) {
    session.open(soci::sqlite3, absl::StrCat("db=\"", url.sqlite_path, "\" timeout=30"));
    session << "PRAGMA journal_mode=WAL";
    session << "PRAGMA synchronous=FULL";
    session << "PRAGMA busy_timeout=30000";
    if (writer) {
      session << "PRAGMA cache_size=-65536";  // KiB
    }
  } else {
    session.open(soci::postgresql, url.postgres_conninfo);
    session << "SET synchronous_commit = on";
    session << "SET client_min_messages TO WARNING";
  }
}

bool IsPostgres(const DatabaseUrl& url) { return url.backend == DatabaseUrl::Backend::kPostgres; }

// PostgreSQL writer sessions stage each batch's events and leads in
// session-local tables (filled with COPY, emptied at every commit). Needs
// the schema: call after migrations.
void CreateStagingTables(soci::session& session, const DatabaseUrl& url) {
  if (!IsPostgres(url)) return;
  session << "CREATE TEMP TABLE IF NOT EXISTS incoming_events (LIKE events) "
             "ON COMMIT DELETE ROWS";
  session << "CREATE TEMP TABLE IF NOT EXISTS incoming_leads (LIKE leads) "
             "ON COMMIT DELETE ROWS";
}

// Leaves a pooled session usable after a failure: a dead connection is
// re-opened (a ROLLBACK on it may even "succeed"), otherwise any open
// transaction is rolled back. Best effort. Returns `status`.
absl::Status Recover(soci::session& session, absl::Status status) {
  try {
    if (absl::IsUnavailable(status)) {
      session.reconnect();
    } else {
      session << "ROLLBACK";
    }
  } catch (const std::exception&) {
  }
  return status;
}

}  // namespace

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
  sqlite_.reset();
  writer_.reset();
}

namespace {

// A batch's view of a lead: its state (none: new), whether the batch
// changed it, and whether its enrichment package is loaded or must be written.
struct LeadSlot {
  std::optional<v1::Lead> lead;
  bool touched = false;
  bool enrichment_loaded = false;
  bool enrichment_dirty = false;
};
using LeadSlots = absl::flat_hash_map<std::string, LeadSlot>;
struct JobSlot {
  std::optional<v1::Job> job;
  bool dirty = false;
};
using JobSlots = absl::flat_hash_map<std::string, JobSlot>;

// PostgreSQL: every event goes into a session-local staging table with
// COPY, then into events in one statement that says which were new; the
// leads and jobs the batch touches are read in one query each.
absl::Status StagePostgresBatch(soci::session& sql,
                                const std::vector<const v1::PipelineEvent*>& events,
                                long long now, absl::flat_hash_set<std::string>* inserted,
                                LeadSlots* leads, JobSlots* jobs) {
  CopyRows rows;
  for (const v1::PipelineEvent* event : events) {
    rows.Add(event->event_id())
        .Add(event->lead_id())
        .Add(event->job_id())
        .Add(event->user_id())
        .Add(static_cast<int64_t>(event->type()))
        .Add(Micros(event->occurred_at()))
        .Add(now)
        .Add(Encode(*event))
        .EndRow();
  }
  CopyIn(sql,
         "COPY incoming_events (event_id, lead_id, job_id, user_id, type, occurred_at, "
         "received_at, payload) FROM STDIN",
         rows);
  std::vector<std::string> returned(events.size());
  soci::statement insert_events =
      (sql.prepare << "INSERT INTO events SELECT * FROM incoming_events "
                      "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
       soci::into(returned));
  if (!insert_events.execute(true)) returned.clear();
  inserted->insert(returned.begin(), returned.end());
  auto prefetch = [&](const char* query, auto&& store) -> absl::Status {
    std::vector<std::string> ids(events.size()), states(events.size());
    soci::statement select = (sql.prepare << query, soci::into(ids), soci::into(states));
    if (!select.execute(true)) return absl::OkStatus();
    for (size_t i = 0; i < ids.size(); ++i) {
      absl::Status status = store(ids[i], states[i]);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  };
  absl::Status loaded = prefetch(
      "SELECT lead_id, state FROM leads WHERE lead_id IN "
      "(SELECT lead_id FROM incoming_events WHERE lead_id <> '')",
      [&](const std::string& id, const std::string& text) {
        return Decode(text, &(*leads)[id].lead.emplace(), "lead");
      });
  if (!loaded.ok()) return loaded;
  return prefetch(
      "SELECT job_id, state FROM jobs WHERE job_id IN (SELECT job_id FROM incoming_events)",
      [&](const std::string& id, const std::string& text) {
        return Decode(text, &(*jobs)[id].job.emplace(), "job");
      });
}

// What a batch writes besides its events, encoded as stored.
struct Rows {
  struct Lead {
    const std::string* id;
    const v1::Lead* lead;
    long long revision;
    std::string state;
  };
  struct Job {
    const std::string* id;
    const v1::Job* job;
    long long started_at;
    std::string state;
  };
  std::vector<Lead> leads;
  std::vector<Job> jobs;
  std::vector<std::pair<std::string, const std::string*>> enrichments;  // (package, lead id)
  std::vector<long long> change_revisions;
  std::vector<std::string> change_payloads;
  // Stage history: one row per change that put a lead in a new column.
  struct Visit {
    std::string lead_id;
    long long revision;
    std::string stage;
    long long entered_at;
    int actor_kind;
    std::string actor;
    std::string note;
  };
  std::vector<Visit> visits;
};

Rows::Visit VisitRow(const v1::Lead& lead) {
  v1::StageVisit visit = engine::VisitOf(lead);
  return Rows::Visit{lead.id(),
                     visit.revision(),
                     visit.stage(),
                     Micros(visit.entered_at()),
                     static_cast<int>(visit.entered_by().kind()),
                     visit.entered_by().name(),
                     visit.note()};
}

// PostgreSQL: the visits in one multi-row statement (a batch has few).
void WritePostgresVisits(soci::session& sql, const std::vector<Rows::Visit>& visits) {
  if (visits.empty()) return;
  ExecuteRows(sql, sql_text::kInsertVisit, 7, visits.size(), "",
              [&](size_t i, soci::statement& st) {
                const Rows::Visit& row = visits[i];
                st.exchange(soci::use(row.lead_id));
                st.exchange(soci::use(row.revision));
                st.exchange(soci::use(row.stage));
                st.exchange(soci::use(row.entered_at));
                st.exchange(soci::use(row.actor_kind));
                st.exchange(soci::use(row.actor));
                st.exchange(soci::use(row.note));
              });
}

// Encodes the touched leads and jobs and the changes (each change's row is
// its `wire`, the bytes every watcher gets). Takes the batch's visits.
Rows GatherRows(LeadSlots& leads, const JobSlots& jobs, const std::vector<Change>& changes,
                std::vector<Rows::Visit> visits) {
  Rows rows;
  rows.visits = std::move(visits);
  for (auto& [id, slot] : leads) {
    if (!slot.touched) continue;
    rows.leads.push_back(Rows::Lead{&id, &*slot.lead, slot.lead->revision(),
                                    absl::Base64Escape(SerializeCard(&*slot.lead))});
    if (slot.enrichment_dirty) rows.enrichments.emplace_back(Encode(slot.lead->enrichment()), &id);
  }
  for (const auto& [id, slot] : jobs) {
    if (slot.dirty) {
      rows.jobs.push_back(
          Rows::Job{&id, &*slot.job, Micros(slot.job->started_at()), Encode(*slot.job)});
    }
  }
  for (const Change& change : changes) {
    rows.change_revisions.push_back(change.revision);
    rows.change_payloads.push_back(absl::Base64Escape(*change.wire));
  }
  return rows;
}

// PostgreSQL: leads through a staging table (COPY cannot upsert), change
// rows straight in with COPY; jobs, a few per batch, in one statement. A
// small batch (a quiet stream) uses multi-row statements instead: fewer
// round trips, lower latency.
void WritePostgresRows(soci::session& sql, const Rows& rows, const std::vector<Change>& changes,
                       const long long& now) {
  using sql_text::kInsertChange;
  using sql_text::kUpsertJob;
  using sql_text::kUpsertJobTail;
  using sql_text::kUpsertLead;
  using sql_text::kUpsertLeadTail;
  constexpr size_t kCopyFrom = 16;
  if (rows.leads.size() >= kCopyFrom) {
    CopyRows copy;
    for (const Rows::Lead& row : rows.leads) {
      copy.Add(*row.id)
          .Add(row.lead->user_id())
          .Add(row.lead->job_id())
          .Add(row.lead->stage())
          .Add(row.revision)
          .Add(row.state)
          .EndRow();
    }
    CopyIn(sql, "COPY incoming_leads (lead_id, user_id, job_id, stage, revision, state) FROM STDIN",
           copy);
    sql << absl::StrCat(kUpsertLead.substr(0, kUpsertLead.find(" VALUES")),
                        " SELECT lead_id, user_id, job_id, stage, revision, state FROM "
                        "incoming_leads",
                        kUpsertLeadTail);
  } else if (!rows.leads.empty()) {
    ExecuteRows(sql, kUpsertLead, 6, rows.leads.size(), kUpsertLeadTail,
                [&](size_t i, soci::statement& st) {
                  const Rows::Lead& row = rows.leads[i];
                  st.exchange(soci::use(*row.id));
                  st.exchange(soci::use(row.lead->user_id()));
                  st.exchange(soci::use(row.lead->job_id()));
                  st.exchange(soci::use(row.lead->stage()));
                  st.exchange(soci::use(row.revision));
                  st.exchange(soci::use(row.state));
                });
  }
  if (!rows.jobs.empty()) {
    ExecuteRows(sql, kUpsertJob, 4, rows.jobs.size(), kUpsertJobTail,
                [&](size_t i, soci::statement& st) {
                  const Rows::Job& row = rows.jobs[i];
                  st.exchange(soci::use(*row.id));
                  st.exchange(soci::use(row.job->user_id()));
                  st.exchange(soci::use(row.started_at));
                  st.exchange(soci::use(row.state));
                });
  }
  if (changes.size() >= kCopyFrom) {
    CopyRows copy;
    for (size_t i = 0; i < changes.size(); ++i) {
      copy.Add(changes[i].revision)
          .Add(changes[i].lead_id)
          .Add(changes[i].user_id)
          .Add(changes[i].job_id)
          .Add(now)
          .Add(rows.change_payloads[i])
          .EndRow();
    }
    CopyIn(sql,
           "COPY changes (revision, lead_id, user_id, job_id, committed_at, payload) FROM STDIN",
           copy);
  } else if (!changes.empty()) {
    ExecuteRows(sql, kInsertChange, 6, changes.size(), "", [&](size_t i, soci::statement& st) {
      st.exchange(soci::use(rows.change_revisions[i]));
      st.exchange(soci::use(changes[i].lead_id));
      st.exchange(soci::use(changes[i].user_id));
      st.exchange(soci::use(changes[i].job_id));
      st.exchange(soci::use(now));
      st.exchange(soci::use(rows.change_payloads[i]));
    });
  }
  WritePostgresVisits(sql, rows.visits);
}

// SQLite: the writer's prepared statements, one row at a time. Moves the
// encoded rows out of `rows`.
void WriteSqliteRows(SqliteStatements* lite, Rows* rows, const std::vector<Change>& changes) {
  for (Rows::Lead& row : rows->leads) {
    lite->id = *row.id;
    lite->user = row.lead->user_id();
    lite->job = row.lead->job_id();
    lite->stage = row.lead->stage();
    lite->number = row.revision;
    lite->state.swap(row.state);
    lite->upsert_lead.execute(true);
  }
  for (Rows::Job& row : rows->jobs) {
    lite->id = *row.id;
    lite->user = row.job->user_id();
    lite->number = row.started_at;
    lite->state.swap(row.state);
    lite->upsert_job.execute(true);
  }
  for (size_t i = 0; i < changes.size(); ++i) {
    lite->number = rows->change_revisions[i];
    lite->lead = changes[i].lead_id;
    lite->user = changes[i].user_id;
    lite->job = changes[i].job_id;
    lite->payload.swap(rows->change_payloads[i]);
    lite->insert_change.execute(true);
  }
  for (Rows::Visit& visit : rows->visits) {
    lite->lead.swap(visit.lead_id);
    lite->number = visit.revision;
    lite->stage.swap(visit.stage);
    lite->visit_at = visit.entered_at;
    lite->kind = visit.actor_kind;
    lite->actor.swap(visit.actor);
    lite->note.swap(visit.note);
    lite->insert_visit.execute(true);
  }
}

// Writes visits outside a batch (a move): multi-row on PostgreSQL, a plain
// statement on SQLite.
void WriteVisits(soci::session& sql, const std::vector<Rows::Visit>& visits) {
  WritePostgresVisits(sql, visits);  // portable SQL: one statement either way
}

}  // namespace

absl::StatusOr<BatchResult> SociLeadRepository::CommitBatch(
    const std::vector<const v1::PipelineEvent*>& events, const engine::StageEngine& engine) {
  const bool pg = IsPostgres(options_.url);
  absl::MutexLock lock(&writer_mu_);
  if (absl::Status connected = EnsureWriterLocked(); !connected.ok()) return connected;
  soci::session& sql = *writer_;
  BatchResult result;
  result.outcomes.resize(events.size());
  bool in_transaction = false;
  try {
    if (!pg && sqlite_ == nullptr) sqlite_ = std::make_unique<SqliteStatements>(sql);
    SqliteStatements* const lite = sqlite_.get();  // SQLite only
    long long revision = 0;
    // The counter row lock serializes writers, across processes too: the
    // revisions below are dense and become visible in commit order.
    if (pg) {
      sql << "BEGIN";
      in_transaction = true;
      sql << "SELECT revision FROM revision_counter WHERE id = 1 FOR UPDATE", soci::into(revision);
    } else {
      lite->begin.execute(true);
      in_transaction = true;
      SqliteStatements::ReadOne(lite->read_revision);
      revision = lite->revision;
    }
    // A corrupt row ends the batch: roll back so the session stays usable.
    auto abandon = [&](absl::Status status) {
      try {
        sql << "ROLLBACK";
      } catch (const std::exception&) {
        DropWriter();
      }
      return status;
    };
    const long long start_revision = revision;
    const long long now = absl::ToUnixMicros(clock_->Now());
    if (lite != nullptr) lite->now = now;

    LeadSlots leads;
    JobSlots jobs;
    std::vector<Rows::Visit> visits;

    // SQLite: a prepared statement per table, reused for every row read
    // (a call is cheap there). PostgreSQL: every lead and job of the batch
    // is read up front, one query each (a call is a round trip).
    auto load_lead = [&](const std::string& id) -> absl::StatusOr<LeadSlot*> {
      auto [it, inserted] = leads.try_emplace(id);
      if (inserted && !pg) {
        lite->id = id;
        if (SqliteStatements::ReadOne(lite->select_lead) &&
            lite->state_indicator == soci::i_ok) {
          absl::Status s = Decode(lite->state, &it->second.lead.emplace(), "lead");
          if (!s.ok()) return s;
        }
      }
      return &it->second;
    };
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
    auto load_job = [&](const std::string& id) -> absl::StatusOr<JobSlot*> {
      auto [it, inserted] = jobs.try_emplace(id);
      if (inserted && !pg) {
        lite->id = id;
        if (SqliteStatements::ReadOne(lite->select_job) &&
            lite->state_indicator == soci::i_ok) {
          absl::Status s = Decode(lite->state, &it->second.job.emplace(), "job");
          if (!s.ok()) return s;
        }
      }
      return &it->second;
    };

    absl::flat_hash_set<std::string> inserted;  // PostgreSQL: the events that were new
    if (pg) {
      absl::Status staged = StagePostgresBatch(sql, events, now, &inserted, &leads, &jobs);
      if (!staged.ok()) return abandon(staged);
    }

    for (size_t i = 0; i < events.size(); ++i) {
      const v1::PipelineEvent& event = *events[i];
      const long long occurred_at = Micros(event.occurred_at());
      bool is_new;
      if (pg) {
        is_new = inserted.erase(event.event_id()) == 1;  // a repeat within the batch: gone
      } else {
        lite->id = event.event_id();
        lite->lead = event.lead_id();
        lite->job = event.job_id();
        lite->user = event.user_id();
        lite->type = static_cast<int>(event.type());
        lite->number = occurred_at;
        lite->payload = Encode(event);
        lite->insert_event.execute(true);
        is_new = lite->insert_event.get_affected_rows() != 0;
      }
      if (!is_new) {
        result.outcomes[i].kind = EventOutcome::Kind::kDuplicate;
        continue;
      }
      if (!event.lead_id().empty()) {
        absl::StatusOr<LeadSlot*> slot = load_lead(event.lead_id());
        if (!slot.ok()) return abandon(slot.status());
        const bool brings_package = event.success() && event.has_enrichment();
        if (brings_package) {
          absl::Status s = load_enrichment(event.lead_id(), *slot);
          if (!s.ok()) return abandon(s);
        }
        std::variant<engine::LeadTransition, engine::Rejection> applied =
            engine.ApplyToLead((*slot)->lead ? &*(*slot)->lead : nullptr, event);
        if (auto* rejection = std::get_if<engine::Rejection>(&applied)) {
          result.outcomes[i] = {EventOutcome::Kind::kRejected, *rejection};
          if (pg) {
            sql << "DELETE FROM events WHERE event_id = :id", soci::use(event.event_id());
          } else {
            lite->id = event.event_id();
            lite->delete_event.execute(true);
          }
          continue;
        }
        engine::LeadTransition& transition = std::get<engine::LeadTransition>(applied);
        if (brings_package && transition.lead.enrichment_stored() &&
            Micros(transition.lead.enriched_at()) == occurred_at) {
          (*slot)->enrichment_dirty = true;
          (*slot)->enrichment_loaded = true;
        }
        if (transition.visible) {
          if (transition.kind == v1::CHANGE_KIND_ENRICHED) {
            (*slot)->lead = transition.lead;  // so the package can be loaded
            absl::Status s = load_enrichment(event.lead_id(), *slot);
            if (!s.ok()) return abandon(s);
            *transition.lead.mutable_enrichment() = (*slot)->lead->enrichment();
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
        (*slot)->lead = std::move(transition.lead);
        (*slot)->touched = true;
      }
      absl::StatusOr<JobSlot*> job_slot = load_job(event.job_id());
      if (!job_slot.ok()) return abandon(job_slot.status());
      if (!(*job_slot)->job) (*job_slot)->job.emplace();
      if (engine.ApplyToJob(&*(*job_slot)->job, event)) (*job_slot)->dirty = true;
    }

    // Write leads, jobs and changes: rows gathered first, then on SQLite one
    // prepared statement reused per row (a call is cheap there, preparing a
    // wide statement is not: 42k vs 20k events/s measured), on PostgreSQL
    // COPY, or multi-row statements for a small batch.
    Rows rows = GatherRows(leads, jobs, result.changes, std::move(visits));
    if (pg) {
      WritePostgresRows(sql, rows, result.changes, now);
    } else {
      WriteSqliteRows(lite, &rows, result.changes);
    }
    // Enrichment packages: one per enriched lead, after its row exists.
    for (auto& [package, id] : rows.enrichments) {
      sql << "UPDATE leads SET enrichment = :e WHERE lead_id = :id", soci::use(package),
          soci::use(*id);
    }
    if (revision != start_revision && !pg) {
      lite->revision = revision;
      lite->update_revision.execute(true);
    } else if (revision != start_revision) {
      sql << "UPDATE revision_counter SET revision = :r WHERE id = 1", soci::use(revision);
      // One notification per committed batch: "SCHEMA REVISION", so that
      // deployments sharing a database in different schemas ignore each other.
      std::string payload = absl::StrCat(" ", revision);
      sql << "SELECT pg_notify('leadboard_changes', current_schema() || :p)", soci::use(payload);
    }
    if (pg) {
      sql << "COMMIT";
    } else {
      lite->commit.execute(true);
    }
    in_transaction = false;
    result.last_revision = revision;
  } catch (const std::exception& e) {
    absl::Status status = FromException(e, "commit");
    if (absl::IsUnavailable(status)) {
      DropWriter();  // the connection may be gone: reconnect next time
    } else if (in_transaction) {
      try {
        sql << "ROLLBACK";
      } catch (const std::exception&) {
        DropWriter();
      }
    }
    return status;
  }
  return result;
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

absl::StatusOr<MoveResult> SociLeadRepository::MoveLead(const std::string& lead_id,
                                                        const std::string& user_scope,
                                                        const engine::Move& move,
                                                        const engine::StageEngine& engine) {
  const bool pg = IsPostgres(options_.url);
  absl::MutexLock lock(&writer_mu_);
  if (absl::Status connected = EnsureWriterLocked(); !connected.ok()) return connected;
  soci::session& sql = *writer_;
  bool in_transaction = false;
  // Ends the transaction without writing (a refused or no-op move).
  auto rollback = [&]() {
    sql << "ROLLBACK";
    in_transaction = false;
  };
  try {
    // The counter row lock serializes this move with every batch and every
    // other move, across replicas too: the check below sees the latest lead.
    sql << (pg ? "BEGIN" : "BEGIN IMMEDIATE");
    in_transaction = true;
    long long revision = 0;
    sql << (pg ? "SELECT revision FROM revision_counter WHERE id = 1 FOR UPDATE"
               : "SELECT revision FROM revision_counter WHERE id = 1"),
        soci::into(revision);
    std::string state;
    soci::indicator state_ind = soci::i_null;
    sql << "SELECT state FROM leads WHERE lead_id = :id", soci::use(lead_id),
        soci::into(state, state_ind);
    v1::Lead lead;
    if (!sql.got_data() || state_ind != soci::i_ok) {
      rollback();
      return absl::NotFoundError(absl::StrCat("lead \"", lead_id, "\" not found"));
    }
    if (absl::Status s = Decode(state, &lead, "lead"); !s.ok()) {
      rollback();
      return s;
    }
    if (!user_scope.empty() && lead.user_id() != user_scope) {
      rollback();
      return absl::NotFoundError(absl::StrCat("lead \"", lead_id, "\" not found"));
    }
    absl::StatusOr<engine::LeadTransition> moved = engine.ApplyMove(lead, move);
    if (!moved.ok() || !moved->visible) {
      rollback();
      if (!moved.ok()) return moved.status();
      return MoveResult{std::move(moved->lead), std::nullopt};
    }
    v1::Lead& after = moved->lead;
    ++revision;
    after.set_revision(revision);
    Change change{revision, after.id(), after.user_id(), after.job_id(),
                  std::make_shared<const std::string>(SerializeChange(
                      revision, v1::CHANGE_KIND_MOVED, moved->previous_stage, "", &after,
                      /*with_package=*/false, &move.actor, move.note))};
    const std::string card = absl::Base64Escape(SerializeCard(&after));
    const std::string stage = after.stage();
    const std::string payload = absl::Base64Escape(*change.wire);
    const long long now = absl::ToUnixMicros(clock_->Now());
    const long long rev = revision;
    sql << "UPDATE leads SET stage = :s, revision = :r, state = :st WHERE lead_id = :id",
        soci::use(stage), soci::use(rev), soci::use(card), soci::use(lead_id);
    sql << absl::StrCat(sql_text::kInsertChange, "(:rev, :lead, :user, :job, :now, :payload)"),
        soci::use(rev), soci::use(change.lead_id), soci::use(change.user_id),
        soci::use(change.job_id), soci::use(now), soci::use(payload);
    WriteVisits(sql, {VisitRow(after)});
    sql << "UPDATE revision_counter SET revision = :r WHERE id = 1", soci::use(rev);
    if (pg) {
      std::string notify = absl::StrCat(" ", revision);
      sql << "SELECT pg_notify('leadboard_changes', current_schema() || :p)", soci::use(notify);
    }
    sql << "COMMIT";
    in_transaction = false;
    return MoveResult{std::move(after), std::move(change)};
  } catch (const std::exception& e) {
    absl::Status status = FromException(e, "move lead");
    if (absl::IsUnavailable(status)) {
      DropWriter();
    } else if (in_transaction) {
      try {
        sql << "ROLLBACK";
      } catch (const std::exception&) {
        DropWriter();
      }
    }
    return status;
  }
}

absl::StatusOr<int64_t> SociLeadRepository::CurrentRevision() {
  soci::session sql(*pool_);
  try {
    long long revision = 0;
    sql << "SELECT revision FROM revision_counter WHERE id = 1", soci::into(revision);
    return revision;
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, "read revision"));
  }
}

absl::StatusOr<LogRange> SociLeadRepository::ChangeLogRange() {
  soci::session sql(*pool_);
  try {
    long long oldest = 0;
    long long current = 0;
    soci::indicator ind = soci::i_null;
    sql << "BEGIN";
    sql << "SELECT MIN(revision) FROM changes", soci::into(oldest, ind);
    sql << "SELECT revision FROM revision_counter WHERE id = 1", soci::into(current);
    sql << "COMMIT";
    return LogRange{ind == soci::i_ok ? oldest : current + 1, current};
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, "read oldest revision"));
  }
}

absl::StatusOr<std::vector<Change>> SociLeadRepository::ReadChanges(int64_t after, int64_t up_to,
                                                                    const LeadFilter& filter,
                                                                    int limit) {
  soci::session sql(*pool_);
  std::vector<Change> out;
  try {
    long long a = after, b = up_to, rev = 0;
    std::string lead, user, job, payload;
    soci::statement st =
        (sql.prepare << "SELECT revision, lead_id, user_id, job_id, payload FROM changes "
                        "WHERE revision > :a AND revision <= :b AND " +
                            FilterSql(false) + " ORDER BY revision LIMIT :n",
         soci::use(a), soci::use(b), soci::use(filter.user_id), soci::use(filter.user_id),
         soci::use(filter.job_id), soci::use(filter.job_id), soci::use(limit), soci::into(rev),
         soci::into(lead), soci::into(user), soci::into(job), soci::into(payload));
    st.execute();
    v1::WatchLeadsResponse parsed;  // only to check the row
    while (st.fetch()) {
      auto wire = std::make_shared<std::string>();
      absl::Status s = Decode(payload, &parsed, "change", wire.get());
      if (!s.ok()) return s;
      out.push_back(Change{rev, lead, user, job, std::move(wire)});
    }
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, "read changes"));
  }
  return out;
}

absl::StatusOr<Snapshot> SociLeadRepository::ReadSnapshot(const LeadFilter& filter) {
  soci::session sql(*pool_);
  Snapshot snapshot;
  try {
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
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, "read snapshot"));
  }
  return snapshot;
}

absl::StatusOr<std::optional<v1::Lead>> SociLeadRepository::GetLead(const std::string& lead_id) {
  soci::session sql(*pool_);
  try {
    std::string state, enrichment;
    soci::indicator state_ind = soci::i_null, enrichment_ind = soci::i_null;
    sql << "SELECT state, enrichment FROM leads WHERE lead_id = :id", soci::use(lead_id),
        soci::into(state, state_ind), soci::into(enrichment, enrichment_ind);
    if (!sql.got_data() || state_ind != soci::i_ok) return std::nullopt;
    v1::Lead lead;
    absl::Status s = Decode(state, &lead, "lead");
    if (s.ok() && enrichment_ind == soci::i_ok && !enrichment.empty()) {
      s = Decode(enrichment, lead.mutable_enrichment(), "enrichment");
    }
    if (!s.ok()) return s;
    // The stage history, oldest first.
    long long revision = 0, entered_at = 0;
    int actor_kind = 0;
    std::string stage, actor, note;
    soci::statement visits =
        (sql.prepare << "SELECT revision, stage, entered_at, actor_kind, actor, note FROM "
                        "stage_history WHERE lead_id = :id ORDER BY revision",
         soci::use(lead_id), soci::into(revision), soci::into(stage), soci::into(entered_at),
         soci::into(actor_kind), soci::into(actor), soci::into(note));
    visits.execute();
    while (visits.fetch()) {
      v1::StageVisit* visit = lead.add_history();
      visit->set_revision(revision);
      visit->set_stage(stage);
      if (entered_at != 0) {
        *visit->mutable_entered_at() =
            google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(entered_at);
      }
      visit->mutable_entered_by()->set_kind(static_cast<v1::ActorKind>(actor_kind));
      visit->mutable_entered_by()->set_name(actor);
      visit->set_note(note);
    }
    return lead;
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, "get lead"));
  }
}

absl::StatusOr<LeadPage> SociLeadRepository::ListLeads(const LeadFilter& filter,
                                                       const std::string& after, int limit,
                                                       bool full) {
  soci::session sql(*pool_);
  LeadPage page;
  try {
    std::string id, state, enrichment;
    soci::indicator enrichment_ind = soci::i_null;
    const int fetch = limit + 1;
    const std::string columns = full ? "lead_id, state, enrichment" : "lead_id, state, ''";
    soci::statement st =
        (sql.prepare << "SELECT " + columns + " FROM leads WHERE lead_id > :after AND " +
                            FilterSql(true) + " ORDER BY lead_id LIMIT :n",
         soci::use(after), soci::use(filter.user_id), soci::use(filter.user_id),
         soci::use(filter.job_id), soci::use(filter.job_id), soci::use(filter.stage),
         soci::use(filter.stage), soci::use(fetch), soci::into(id), soci::into(state),
         soci::into(enrichment, enrichment_ind));
    st.execute();
    while (st.fetch()) {
      if (static_cast<int>(page.leads.size()) == limit) {
        page.next_after = page.leads.back().id();
        break;
      }
      v1::Lead& lead = page.leads.emplace_back();
      absl::Status s = Decode(state, &lead, "lead");
      if (s.ok() && full && enrichment_ind == soci::i_ok && !enrichment.empty()) {
        s = Decode(enrichment, lead.mutable_enrichment(), "enrichment");
      }
      if (!s.ok()) return s;
    }
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, "list leads"));
  }
  return page;
}

absl::StatusOr<absl::flat_hash_map<std::string, int64_t>> SociLeadRepository::CountByStage(
    const LeadFilter& filter) {
  soci::session sql(*pool_);
  absl::flat_hash_map<std::string, int64_t> counts;
  try {
    std::string stage;
    long long count = 0;
    soci::statement st =
        (sql.prepare << "SELECT stage, COUNT(*) FROM leads WHERE " + FilterSql(true) +
                            " GROUP BY stage",
         soci::use(filter.user_id), soci::use(filter.user_id), soci::use(filter.job_id),
         soci::use(filter.job_id), soci::use(filter.stage), soci::use(filter.stage),
         soci::into(stage), soci::into(count));
    st.execute();
    while (st.fetch()) counts[stage] = count;
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, "count leads"));
  }
  return counts;
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
  soci::session sql(*pool_);
  JobPage page;
  try {
    std::string id, state;
    long long started = 0;
    const int fetch = limit + 1;
    soci::statement st =
        (sql.prepare << "SELECT job_id, state, started_at FROM jobs WHERE (:u1 = '' OR "
                        "user_id = :u2) AND (started_at < :b1 OR (started_at = :b2 AND job_id "
                        "> :after)) ORDER BY started_at DESC, job_id LIMIT :n",
         soci::use(user_id), soci::use(user_id), soci::use(before), soci::use(before),
         soci::use(after_id), soci::use(fetch), soci::into(id), soci::into(state),
         soci::into(started));
    st.execute();
    long long last_started = 0;
    while (st.fetch()) {
      if (static_cast<int>(page.jobs.size()) == limit) {
        page.next_token = absl::WebSafeBase64Escape(
            absl::StrCat(last_started, "/", page.jobs.back().id()));
        break;
      }
      absl::Status s = Decode(state, &page.jobs.emplace_back(), "job");
      if (!s.ok()) return s;
      last_started = started;
    }
    std::string stage;
    long long count = 0;
    std::string job_id;
    soci::statement counts =
        (sql.prepare << "SELECT stage, COUNT(*) FROM leads WHERE job_id = :j GROUP BY stage",
         soci::use(job_id), soci::into(stage), soci::into(count));
    for (v1::Job& job : page.jobs) {
      job_id = job.id();
      counts.execute();
      while (counts.fetch()) {
        job.set_lead_count(job.lead_count() + count);
        if (stage == board.success_column().id()) job.set_enriched_count(count);
        if (stage == board.failure_column().id()) job.set_failed_count(count);
      }
    }
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, "list jobs"));
  }
  return page;
}

absl::StatusOr<int64_t> SociLeadRepository::TrimChanges(absl::Time cutoff) {
  absl::MutexLock lock(&writer_mu_);
  if (writer_ == nullptr) return absl::UnavailableError("database connection lost");
  try {
    long long cut = absl::ToUnixMicros(cutoff);
    soci::statement st = (writer_->prepare << "DELETE FROM changes WHERE committed_at < :c",
                          soci::use(cut));
    st.execute(true);
    return static_cast<int64_t>(st.get_affected_rows());
  } catch (const std::exception& e) {
    DropWriter();
    return FromException(e, "trim changes");
  }
}

}  // namespace leadboard::store
