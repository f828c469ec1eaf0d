#include "store/soci/sqlite_statements.h"

#include <soci/sqlite3/soci-sqlite3.h>

#include "absl/strings/str_cat.h"
#include "store/soci/write_sql.h"

namespace leadboard::store {

using soci::into;
using soci::use;

SqliteStatements::SqliteStatements(soci::session& sql)
    : begin((sql.prepare << "BEGIN IMMEDIATE")),
      read_revision((sql.prepare << "SELECT revision FROM revision_counter WHERE id = 1",
                     into(revision))),
      update_revision((sql.prepare << "UPDATE revision_counter SET revision = :r WHERE id = 1",
                       use(revision))),
      commit((sql.prepare << "COMMIT")),
      insert_event((sql.prepare << "INSERT INTO events (event_id, lead_id, job_id, user_id, type, "
                                   "occurred_at, received_at, payload) VALUES (:id, :lead, :job, "
                                   ":user, :type, :at, :now, :payload) "
                                   "ON CONFLICT (event_id) DO NOTHING",
                    use(id), use(lead), use(job), use(user), use(type), use(number), use(now),
                    use(payload))),
      delete_event((sql.prepare << "DELETE FROM events WHERE event_id = :id", use(id))),
      select_lead((sql.prepare << "SELECT state, last_event_at FROM leads WHERE lead_id = :id",
                   use(id), into(state, state_indicator), into(last_event_at))),
      select_job((sql.prepare << "SELECT state, last_event_at FROM jobs WHERE job_id = :id",
                  use(id), into(state, state_indicator), into(last_event_at))),
      select_timeline((sql.prepare << "SELECT log, steps FROM lead_timelines WHERE lead_id = :id",
                       use(id), into(state, state_indicator), into(payload))),
      upsert_lead(UpsertLead(sql, std::string(sql_text::kUpsertLeadTail))),
      upsert_lead_new_job(
          UpsertLead(sql, absl::StrCat(sql_text::kUpsertLeadTail, sql_text::kAndNewJob))),
      upsert_job(UpsertJob(sql, std::string(sql_text::kUpsertJobTail))),
      upsert_job_new_start(
          UpsertJob(sql, absl::StrCat(sql_text::kUpsertJobTail, sql_text::kAndNewStart))),
      upsert_timeline(UpsertTimeline(sql, std::string(sql_text::kUpsertTimelineTail))),
      upsert_timeline_new_hour(UpsertTimeline(
          sql, absl::StrCat(sql_text::kUpsertTimelineTail, sql_text::kAndNewHour))),
      add_step_totals((sql.prepare << absl::StrCat(sql_text::kAddStepTotals,
                                                   "(:agent, :status, :bucket, :steps, :total, "
                                                   ":retries, :max)",
                                                   sql_text::kAddStepTotalsTail),
                       use(stage), use(status), use(bucket), use(steps), use(total_us),
                       use(retries), use(max_us))),
      add_stage_count((sql.prepare << absl::StrCat(sql_text::kAddStageCounts,
                                                   "(:job, :stage, :n)",
                                                   sql_text::kAddStageCountsTail),
                       use(job), use(stage), use(number))),
      insert_change((sql.prepare << absl::StrCat(sql_text::kInsertChange,
                                                 "(:rev, :lead, :user, :job, :now, :payload)"),
                     use(number), use(lead), use(user), use(job), use(now), use(payload))),
      insert_visit((sql.prepare << absl::StrCat(sql_text::kInsertVisit,
                                                "(:lead, :rev, :stage, :at, :kind, :actor, :note)"),
                    use(lead), use(number), use(stage), use(visit_at), use(kind), use(actor),
                    use(note))) {}

soci::statement SqliteStatements::UpsertLead(soci::session& sql, std::string tail) {
  return (sql.prepare << absl::StrCat(sql_text::kUpsertLead,
                                      "(:id, :user, :job, :stage, :pstage, :rev, :state, :last, "
                                      ":stall, :stalled, :package)",
                                      tail),
          use(id), use(user), use(job), use(stage), use(pipeline_stage), use(number), use(state),
          use(last_event_at), use(stall_at), use(stalled_since), use(payload, payload_indicator));
}

soci::statement SqliteStatements::UpsertTimeline(soci::session& sql, std::string tail) {
  return (sql.prepare << absl::StrCat(sql_text::kUpsertTimeline, "(:id, :log, :steps, :last)",
                                      tail),
          use(id), use(state), use(payload), use(number));
}

soci::statement SqliteStatements::UpsertJob(soci::session& sql, std::string tail) {
  return (sql.prepare << absl::StrCat(sql_text::kUpsertJob,
                                      "(:id, :user, :started, :state, :last, :stall)", tail),
          use(id), use(user), use(number), use(state), use(last_event_at), use(stall_at));
}

bool SqliteStatements::ReadOne(soci::statement& statement) {
  const bool found = statement.execute(true);
  sqlite_api::sqlite3_reset(
      static_cast<soci::sqlite3_statement_backend*>(statement.get_backend())->stmt_);
  return found;
}

}  // namespace leadboard::store
