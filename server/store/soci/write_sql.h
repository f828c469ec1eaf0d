// The SQL of the store's writes, shared by the SQLite statements (one row,
// prepared once) and the PostgreSQL multi-row ones: each INSERT is HEAD,
// then the VALUES rows, then TAIL.
#ifndef LEADBOARD_SERVER_STORE_SOCI_WRITE_SQL_H_
#define LEADBOARD_SERVER_STORE_SOCI_WRITE_SQL_H_

#include "absl/strings/string_view.h"

namespace leadboard::store::sql_text {

// A lead's row with its enrichment package in the same write: NULL keeps
// the stored one (the batch did not change it).
inline constexpr absl::string_view kLeadColumns =
    "lead_id, user_id, job_id, stage, pipeline_stage, revision, state, last_event_at, stall_at, "
    "stalled_since, enrichment";
inline constexpr absl::string_view kUpsertLead =
    "INSERT INTO leads (lead_id, user_id, job_id, stage, pipeline_stage, revision, state, "
    "last_event_at, stall_at, stalled_since, enrichment) VALUES ";
// SQLite rewrites a row's entry in an index whenever the index's column
// is in an UPDATE's SET list, even to the same value: a page written per
// index per row. So the tails leave out what rarely changes, and SQLite's
// writer adds it (kAnd...) only for a row where it did. A lead's user
// never changes (an event of another user is rejected); its job changes
// when it runs again. PostgreSQL compares the values itself and always
// adds them.
inline constexpr absl::string_view kUpsertLeadTail =
    " ON CONFLICT (lead_id) DO UPDATE SET stage = excluded.stage, pipeline_stage = "
    "excluded.pipeline_stage, revision = excluded.revision, state = excluded.state, "
    "last_event_at = excluded.last_event_at, stall_at = excluded.stall_at, stalled_since = "
    "excluded.stalled_since, enrichment = COALESCE(excluded.enrichment, leads.enrichment)";
inline constexpr absl::string_view kAndNewJob = ", job_id = excluded.job_id";
inline constexpr absl::string_view kUpsertJob =
    "INSERT INTO jobs (job_id, user_id, started_at, state, last_event_at, stall_at) VALUES ";
// A job's user never changes (its first event's); its start (indexed
// twice) changes only when an earlier event arrives.
inline constexpr absl::string_view kUpsertJobTail =
    " ON CONFLICT (job_id) DO UPDATE SET state = excluded.state, last_event_at = "
    "excluded.last_event_at, stall_at = excluded.stall_at";
inline constexpr absl::string_view kAndNewStart = ", started_at = excluded.started_at";
inline constexpr absl::string_view kUpsertTimeline =
    "INSERT INTO lead_timelines (lead_id, log, steps, last_at) VALUES ";
inline constexpr absl::string_view kUpsertTimelineTail =
    " ON CONFLICT (lead_id) DO UPDATE SET log = excluded.log, steps = excluded.steps";
// The hour of the timeline's latest event (indexed) changes once an hour.
inline constexpr absl::string_view kAndNewHour = ", last_at = excluded.last_at";
inline constexpr absl::string_view kAddStepTotals =
    "INSERT INTO agent_step_totals (agent, status, bucket, steps, total_us, retries, max_us) "
    "VALUES ";
inline constexpr absl::string_view kAddStepTotalsTail =
    " ON CONFLICT (agent, status, bucket) DO UPDATE SET steps = agent_step_totals.steps + "
    "excluded.steps, total_us = agent_step_totals.total_us + excluded.total_us, retries = "
    "agent_step_totals.retries + excluded.retries, max_us = CASE WHEN excluded.max_us > "
    "agent_step_totals.max_us THEN excluded.max_us ELSE agent_step_totals.max_us END";
// A job's leads per pipeline column: what a batch adds to each count.
inline constexpr absl::string_view kAddStageCounts =
    "INSERT INTO job_stage_counts (job_id, stage, leads) VALUES ";
inline constexpr absl::string_view kAddStageCountsTail =
    " ON CONFLICT (job_id, stage) DO UPDATE SET leads = job_stage_counts.leads + excluded.leads";
inline constexpr absl::string_view kInsertChange =
    "INSERT INTO changes (revision, lead_id, user_id, job_id, committed_at, payload) VALUES ";

inline constexpr absl::string_view kInsertVisit =
    "INSERT INTO stage_history (lead_id, revision, stage, entered_at, actor_kind, actor, note) "
    "VALUES ";

}  // namespace leadboard::store::sql_text

#endif  // LEADBOARD_SERVER_STORE_SOCI_WRITE_SQL_H_
