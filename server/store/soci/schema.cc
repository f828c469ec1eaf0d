#include "store/soci/schema.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace leadboard::store {
namespace {

// Statements per version; portable between SQLite and PostgreSQL but for
// {WITHOUT_ROWID} (SQLite's alone) and statements marked {POSTGRES} or
// {SQLITE} (for that database alone).
const std::vector<std::vector<std::string>>& Migrations() {
  static const auto* migrations = new std::vector<std::vector<std::string>>{
      // Version 1: the initial schema.
      {
          "CREATE TABLE revision_counter (id INTEGER PRIMARY KEY, revision BIGINT NOT NULL)",
          "INSERT INTO revision_counter (id, revision) VALUES (1, 0)",
          "CREATE TABLE events (event_id TEXT PRIMARY KEY, lead_id TEXT NOT NULL, "
          "job_id TEXT NOT NULL, user_id TEXT NOT NULL, type INTEGER NOT NULL, "
          "occurred_at BIGINT NOT NULL, received_at BIGINT NOT NULL, payload TEXT NOT NULL)",
          "CREATE INDEX events_lead ON events (lead_id)",
          "CREATE TABLE leads (lead_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, "
          "job_id TEXT NOT NULL, stage TEXT NOT NULL, revision BIGINT NOT NULL, "
          "state TEXT NOT NULL, enrichment TEXT)",
          "CREATE INDEX leads_user ON leads (user_id, lead_id)",
          "CREATE INDEX leads_job ON leads (job_id, lead_id)",
          "CREATE TABLE changes (revision BIGINT PRIMARY KEY, lead_id TEXT NOT NULL, "
          "user_id TEXT NOT NULL, job_id TEXT NOT NULL, committed_at BIGINT NOT NULL, "
          "payload TEXT NOT NULL)",
          "CREATE INDEX changes_committed ON changes (committed_at)",
          "CREATE TABLE jobs (job_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, "
          "started_at BIGINT NOT NULL, state TEXT NOT NULL)",
          "CREATE INDEX jobs_started ON jobs (started_at, job_id)",
      },
      // Version 2: nothing reads events by lead; the index cost every
      // commit a B-tree insert at a scattered key (SQLite CommitBatch of
      // 1,000 events: +25% without it).
      {
          "DROP INDEX IF EXISTS events_lead",
      },
      // Version 3: each lead's stage history, kept for the lead's life (not
      // trimmed with the change log): one row per stay, keyed by the
      // revision that moved the lead there. Leads stored before start with
      // their current stage (time of entry unknown: 0).
      {
          "CREATE TABLE stage_history (lead_id TEXT NOT NULL, revision BIGINT NOT NULL, "
          "stage TEXT NOT NULL, entered_at BIGINT NOT NULL, actor_kind INTEGER NOT NULL, "
          "actor TEXT NOT NULL, note TEXT NOT NULL, PRIMARY KEY (lead_id, revision))",
          "INSERT INTO stage_history (lead_id, revision, stage, entered_at, actor_kind, actor, "
          "note) SELECT lead_id, revision, stage, 0, 0, '', '' FROM leads",
          // Where the pipeline put each lead (its `stage` may be a person's
          // column): what a job's enriched and failed counts read.
          "ALTER TABLE leads ADD COLUMN pipeline_stage TEXT",
          "UPDATE leads SET pipeline_stage = stage",
      },
      // Version 4: agent timelines and stalls. Each lead's agent and tool
      // events and the steps they make (lead_timelines: one row per lead,
      // read by GetLead, the batches that add to it and filtered
      // GetAgentStats); running totals for unfiltered statistics; and when
      // each lead and job last heard from its pipeline, with the deadline
      // of a stall (0: none) in a partial index that holds only the leads
      // mid-run, so a sweep costs an index probe whatever the leads stored.
      {
          "CREATE TABLE lead_timelines (lead_id TEXT PRIMARY KEY, log TEXT NOT NULL, "
          "steps TEXT NOT NULL, last_at BIGINT NOT NULL) {WITHOUT_ROWID}",
          // A time window's leads: those with an event in or after the hour
          // it starts in (last_at is that hour).
          "CREATE INDEX lead_timelines_last ON lead_timelines (last_at)",
          // PostgreSQL compresses and moves out of line any row over 2 KB,
          // which a timeline of one run with its steps already is: keep
          // rows up to a page inline and uncompressed, and leave room on
          // each page so that a row's rewrite (with every batch that adds
          // to it) can stay there without touching an index.
          "{POSTGRES}ALTER TABLE lead_timelines SET (toast_tuple_target = 8160, fillfactor = 70)",
          // Running totals per (agent, status, bucket), kept with the rows:
          // an unfiltered GetAgentStats reads these few rows, not millions.
          // max_us only grows: the longest step ever counted there.
          "CREATE TABLE agent_step_totals (agent TEXT NOT NULL, status INTEGER NOT NULL, "
          "bucket INTEGER NOT NULL, steps BIGINT NOT NULL, total_us BIGINT NOT NULL, "
          "retries BIGINT NOT NULL, max_us BIGINT NOT NULL, PRIMARY KEY (agent, status, bucket)) "
          "{WITHOUT_ROWID}",
          "ALTER TABLE leads ADD COLUMN last_event_at BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE leads ADD COLUMN stall_at BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE leads ADD COLUMN stalled_since BIGINT NOT NULL DEFAULT 0",
          "CREATE INDEX leads_stall_at ON leads (stall_at) WHERE stall_at > 0",
          "CREATE INDEX leads_stalled ON leads (stalled_since) WHERE stalled_since > 0",
          "ALTER TABLE jobs ADD COLUMN last_event_at BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE jobs ADD COLUMN stall_at BIGINT NOT NULL DEFAULT 0",
          "CREATE INDEX jobs_stall_at ON jobs (stall_at) WHERE stall_at > 0",
      },
      // Version 5: payloads as their bytes, not base64 text (a quarter
      // smaller, and nothing to encode or decode). PostgreSQL's columns
      // become bytea, each table rewritten once; SQLite keeps its columns
      // (any column holds any bytes) and rewrites their values with
      // leadboard_unbase64, a function registered for the migration.
      {
          "{POSTGRES}ALTER TABLE events ALTER COLUMN payload TYPE bytea "
          "USING decode(payload, 'base64')",
          "{POSTGRES}ALTER TABLE changes ALTER COLUMN payload TYPE bytea "
          "USING decode(payload, 'base64')",
          "{POSTGRES}ALTER TABLE leads ALTER COLUMN state TYPE bytea "
          "USING decode(state, 'base64'), ALTER COLUMN enrichment TYPE bytea "
          "USING decode(enrichment, 'base64')",
          "{POSTGRES}ALTER TABLE jobs ALTER COLUMN state TYPE bytea USING decode(state, 'base64')",
          "{POSTGRES}ALTER TABLE lead_timelines ALTER COLUMN log TYPE bytea "
          "USING decode(log, 'base64'), ALTER COLUMN steps TYPE bytea "
          "USING decode(steps, 'base64')",
          "{SQLITE}UPDATE events SET payload = leadboard_unbase64(payload)",
          "{SQLITE}UPDATE changes SET payload = leadboard_unbase64(payload)",
          "{SQLITE}UPDATE leads SET state = leadboard_unbase64(state), "
          "enrichment = leadboard_unbase64(enrichment)",
          "{SQLITE}UPDATE jobs SET state = leadboard_unbase64(state)",
          "{SQLITE}UPDATE lead_timelines SET log = leadboard_unbase64(log), "
          "steps = leadboard_unbase64(steps)",
      },
      // Version 6: SQLite keeps each lead's timeline in a rowid table.
      // WITHOUT ROWID it was a row of an index B-tree, where anything over
      // ~1 KB spills to an overflow page, and a timeline of one run with
      // its steps is ~1.4 KB: every rewrite freed and allocated an overflow
      // page and touched the free list and the file header (four pages
      // written per timeline; a third of the log's pages per commit at
      // 1,000 events/s). A rowid table's leaf holds rows up to ~4 KB in
      // place. PostgreSQL's heap has no such choice.
      {
          "{SQLITE}CREATE TABLE lead_timelines_v6 (lead_id TEXT PRIMARY KEY, log TEXT NOT NULL, "
          "steps TEXT NOT NULL, last_at BIGINT NOT NULL)",
          "{SQLITE}INSERT INTO lead_timelines_v6 (lead_id, log, steps, last_at) "
          "SELECT lead_id, log, steps, last_at FROM lead_timelines",
          "{SQLITE}DROP TABLE lead_timelines",
          "{SQLITE}ALTER TABLE lead_timelines_v6 RENAME TO lead_timelines",
          "{SQLITE}CREATE INDEX lead_timelines_last ON lead_timelines (last_at)",
      },
      // Version 7: a page of jobs, which every open board asks for every
      // 30 s, reads what it shows and no more. Each job's leads counted
      // per pipeline column, kept by the writes: the page read every lead
      // of its jobs to count them (~5 µs a lead on SQLite: 0.1 s for jobs
      // of 20,000 leads). And one user's jobs by their start: a user's
      // page walked every user's newer jobs.
      {
          "CREATE INDEX jobs_user ON jobs (user_id, started_at, job_id)",
          "CREATE TABLE job_stage_counts (job_id TEXT NOT NULL, stage TEXT NOT NULL, "
          "leads BIGINT NOT NULL, PRIMARY KEY (job_id, stage)) {WITHOUT_ROWID}",
          "INSERT INTO job_stage_counts (job_id, stage, leads) SELECT job_id, "
          "COALESCE(NULLIF(pipeline_stage, ''), stage), COUNT(*) FROM leads "
          "GROUP BY job_id, COALESCE(NULLIF(pipeline_stage, ''), stage)",
      },
  };
  return *migrations;
}

// leadboard_unbase64(text): the bytes base64 text stands for, as text
// (how the writer binds them); NULL stays NULL. Fails the statement, and so
// the migration, on anything that is not base64: nothing is half-converted.
void Unbase64(sqlite_api::sqlite3_context* context, int, sqlite_api::sqlite3_value** args) {
  using namespace sqlite_api;  // NOLINT: the SQLite C API, as SOCI declares it
  if (sqlite3_value_type(args[0]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(args[0]));
  const int size = sqlite3_value_bytes(args[0]);
  std::string bytes;
  if (!absl::Base64Unescape(absl::string_view(text, static_cast<size_t>(size)), &bytes)) {
    sqlite3_result_error(context, "leadboard_unbase64: a stored payload is not base64", -1);
    return;
  }
  sqlite3_result_text(context, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

void RegisterUnbase64(soci::session& sql) {
  auto* backend = static_cast<soci::sqlite3_session_backend*>(sql.get_backend());
  sqlite_api::sqlite3_create_function_v2(backend->conn_, "leadboard_unbase64", 1,
                                         SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, &Unbase64,
                                         nullptr, nullptr, nullptr);
}

}  // namespace

absl::Status ApplyMigrations(soci::session& sql, bool postgres, absl::Time now) {
  if (!postgres) RegisterUnbase64(sql);
  sql << (postgres ? "BEGIN" : "BEGIN IMMEDIATE");
  try {
    if (postgres) sql << "SELECT pg_advisory_xact_lock(7261700)";
    sql << "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, "
           "applied_at BIGINT NOT NULL)";
    long long current = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT MAX(version) FROM schema_version", soci::into(current, ind);
    if (ind != soci::i_ok) current = 0;
    if (current > kSchemaVersion) {
      sql << "ROLLBACK";
      return absl::FailedPreconditionError(
          absl::StrCat("database schema version ", current, " is newer than this server's (",
                       kSchemaVersion, "); upgrade the server"));
    }
    const long long applied_at = absl::ToUnixMicros(now);
    for (long long version = current + 1; version <= kSchemaVersion; ++version) {
      for (absl::string_view statement : Migrations()[version - 1]) {
        // {POSTGRES} marks a statement for PostgreSQL alone. SQLite keeps a
        // keyed table as one B-tree WITHOUT ROWID (else a rowid table plus
        // a key index: two inserts per row); PostgreSQL has no such choice.
        if (absl::ConsumePrefix(&statement, "{POSTGRES}") && !postgres) continue;
        if (absl::ConsumePrefix(&statement, "{SQLITE}") && postgres) continue;
        sql << absl::StrReplaceAll(statement,
                                   {{"{WITHOUT_ROWID}", postgres ? "" : "WITHOUT ROWID"}});
      }
      sql << "INSERT INTO schema_version (version, applied_at) VALUES (:v, :t)", soci::use(version),
          soci::use(applied_at);
    }
    sql << "COMMIT";
  } catch (...) {
    try {
      sql << "ROLLBACK";
    } catch (...) {
    }
    throw;
  }
  return absl::OkStatus();
}

}  // namespace leadboard::store
