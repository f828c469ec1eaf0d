#include "store/sqlite_statements.h"

#include <soci/sqlite3/soci-sqlite3.h>

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
      select_lead((sql.prepare << "SELECT state FROM leads WHERE lead_id = :id", use(id),
                   into(state, state_indicator))),
      select_job((sql.prepare << "SELECT state FROM jobs WHERE job_id = :id", use(id),
                  into(state, state_indicator))),
      upsert_lead((sql.prepare << "INSERT INTO leads (lead_id, user_id, job_id, stage, revision, "
                                  "state) VALUES (:id, :user, :job, :stage, :rev, :state) "
                                  "ON CONFLICT (lead_id) DO UPDATE SET user_id = excluded.user_id, "
                                  "job_id = excluded.job_id, stage = excluded.stage, "
                                  "revision = excluded.revision, state = excluded.state",
                   use(id), use(user), use(job), use(stage), use(number), use(state))),
      upsert_job((sql.prepare << "INSERT INTO jobs (job_id, user_id, started_at, state) VALUES "
                                 "(:id, :user, :started, :state) ON CONFLICT (job_id) DO UPDATE "
                                 "SET user_id = excluded.user_id, started_at = "
                                 "excluded.started_at, state = excluded.state",
                  use(id), use(user), use(number), use(state))),
      insert_change((sql.prepare << "INSERT INTO changes (revision, lead_id, user_id, job_id, "
                                    "committed_at, payload) VALUES (:rev, :lead, :user, :job, "
                                    ":now, :payload)",
                     use(number), use(lead), use(user), use(job), use(now), use(payload))) {}

bool SqliteStatements::ReadOne(soci::statement& statement) {
  const bool found = statement.execute(true);
  sqlite_api::sqlite3_reset(
      static_cast<soci::sqlite3_statement_backend*>(statement.get_backend())->stmt_);
  return found;
}

}  // namespace leadboard::store
