// Schema migrations, applied in order on start; each runs once.
#ifndef LEADBOARD_SERVER_STORE_SOCI_SCHEMA_H_
#define LEADBOARD_SERVER_STORE_SOCI_SCHEMA_H_

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace soci {
class session;
}

namespace leadboard::store {

// The schema version this build writes.
inline constexpr int kSchemaVersion = 7;

// Brings the database to kSchemaVersion in one transaction, under a lock so
// that replicas starting together migrate once. Idempotent. Returns
// FailedPrecondition if the database is newer than this build.
absl::Status ApplyMigrations(soci::session& sql, bool postgres, absl::Time now);

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_SCHEMA_H_
