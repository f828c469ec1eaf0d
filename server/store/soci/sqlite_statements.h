// SqliteStatements: the SQLite writer's statements, prepared once per
// connection and reused by every batch. Preparing them for each batch cost
// more than a small commit's own work (a quiet stream commits every event
// on its own). SOCI binds by address: set the fields a statement uses,
// then execute it.
#ifndef LEADBOARD_SERVER_STORE_SOCI_SQLITE_STATEMENTS_H_
#define LEADBOARD_SERVER_STORE_SOCI_SQLITE_STATEMENTS_H_

#include <soci/soci.h>

#include <string>

namespace leadboard::store {

struct SqliteStatements {
  explicit SqliteStatements(soci::session& sql);

  // Executes a statement that reads one row, then resets it: a read left
  // pending holds its snapshot, and SQLite could never restart the log.
  static bool ReadOne(soci::statement& statement);

  // Bound values.
  long long revision = 0;  // read_revision (out), update_revision
  long long now = 0;       // received_at, committed_at
  long long number = 0;    // occurred_at, a lead's revision, a job's start, a change's revision
  long long visit_at = 0;  // when a visit began
  int type = 0;
  int kind = 0;            // a visit's actor kind
  std::string actor, note;  // a visit's actor and note
  std::string id, lead, job, user, stage, pipeline_stage, state, payload;
  soci::indicator state_indicator = soci::i_null;
  soci::indicator payload_indicator = soci::i_ok;  // upsert_lead: i_null keeps the package
  long long last_event_at = 0, stall_at = 0, stalled_since = 0;  // a lead's or job's
  // A line of the agent-step totals (add_step_totals).
  long long steps = 0, total_us = 0, retries = 0, max_us = 0;
  int status = 0, bucket = 0;

  soci::statement begin;            // BEGIN IMMEDIATE
  soci::statement read_revision;    // -> revision
  soci::statement update_revision;  // revision
  soci::statement commit;
  soci::statement insert_event;     // id, lead, job, user, type, number, now, payload
  soci::statement delete_event;     // id
  soci::statement select_lead;      // id -> state, state_indicator, last_event_at
  soci::statement select_job;       // id -> state, state_indicator, last_event_at
  soci::statement select_timeline;  // id -> state (the log), state_indicator, payload (steps)
  soci::statement upsert_lead;      // id, user, job, stage, pipeline_stage, number, state,
                                    // last_event_at, stall_at, stalled_since, payload (the
                                    // enrichment package; payload_indicator i_null: unchanged)
  soci::statement upsert_lead_new_job;  // the same, for a stored lead that runs in a new job
  soci::statement upsert_job;       // id, user, number, state, last_event_at, stall_at
  soci::statement upsert_job_new_start;  // the same, for a stored job that started earlier
  soci::statement upsert_timeline;  // id, state (the log), payload (its steps), number (last_at)
  soci::statement upsert_timeline_new_hour;  // the same, where last_at changed
  soci::statement add_step_totals;  // stage (agent), status, bucket, steps, total_us, retries,
                                    // max_us
  soci::statement add_stage_count;  // job, stage, number (what to add)
  soci::statement insert_change;    // number, lead, user, job, now, payload
  soci::statement insert_visit;     // lead, number (revision), stage, visit_at, kind, actor, note

 private:
  // An upsert's statement with the given tail, bound to the fields above.
  soci::statement UpsertLead(soci::session& sql, std::string tail);
  soci::statement UpsertTimeline(soci::session& sql, std::string tail);
  soci::statement UpsertJob(soci::session& sql, std::string tail);
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_SQLITE_STATEMENTS_H_
