// Database sessions: how they are opened, how a SOCI exception becomes a
// status (once, here), and how a unit of work runs on a pooled session.
#ifndef LEADBOARD_SERVER_STORE_SOCI_SESSION_WORK_H_
#define LEADBOARD_SERVER_STORE_SOCI_SESSION_WORK_H_

#include <soci/soci.h>

#include <exception>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/database_url.h"

namespace leadboard::store {

// Opens `session` on `url` with the settings every session needs; the
// writer's also stages PostgreSQL batches (call after migrations).
void OpenSession(soci::session& session, const DatabaseUrl& url, bool writer = false);

// PostgreSQL writer sessions stage each batch's events and leads in
// session-local tables (filled with COPY, emptied at every commit). Needs
// the schema: call after migrations. Nothing on SQLite.
void CreateStagingTables(soci::session& session, const DatabaseUrl& url);

// Maps a SOCI (or other) exception to a status. Connection trouble and lock
// time-outs are Unavailable (retryable); constraint violations Aborted; bad
// statements and privileges Internal. The message carries the database's
// reason, never the statement (it can be long and carry lead data).
absl::Status FromException(const std::exception& e, absl::string_view what);

// Leaves a pooled session usable after a failure: a dead connection is
// re-opened (a ROLLBACK on it may even "succeed"), otherwise any open
// transaction is rolled back. Best effort. Returns `status`.
absl::Status Recover(soci::session& session, absl::Status status);

// Runs `work(session)` on a session from `pool`; an exception becomes a
// status (FromException, naming `what`) and the session is recovered.
// `work` returns absl::StatusOr<T> or absl::Status.
template <typename Work>
auto RunOnPool(soci::connection_pool& pool, absl::string_view what, Work&& work)
    -> decltype(work(std::declval<soci::session&>())) {
  soci::session sql(pool);
  try {
    return work(sql);
  } catch (const std::exception& e) {
    return Recover(sql, FromException(e, what));
  }
}

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_SESSION_WORK_H_
