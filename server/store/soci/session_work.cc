#include "store/soci/session_work.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace leadboard::store {
namespace {

bool IsPostgres(const DatabaseUrl& url) { return url.backend == DatabaseUrl::Backend::kPostgres; }

}  // namespace

// The writer keeps a larger page cache: a batch's pages stay in memory
// until COMMIT instead of spilling into the log mid-transaction. SQLite's
// own checkpoint stays inline, in the COMMIT that crosses 1,000 pages:
// moved to a background thread it saved the commit thread up to ~10% at
// full load, but its large fsyncs stalled concurrent commits for 100+ ms
// (p99.9 at 2,000 events/s: 3 ms inline, 150 ms on a thread).
void OpenSession(soci::session& session, const DatabaseUrl& url, bool writer) {
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
    // Large values (a lead's enrichment, a pipeline_end's package) are
    // compressed as they are stored: LZ4 costs the server a fraction of
    // pglz's CPU (full-speed ingest +18 %, measured). A server built
    // without it (or before PostgreSQL 14) keeps its default.
    try {
      session << "SET default_toast_compression = lz4";
    } catch (const soci::soci_error& e) {
      spdlog::info("PostgreSQL keeps its default compression (no lz4): {}", e.what());
    }
  }
}

void CreateStagingTables(soci::session& session, const DatabaseUrl& url) {
  if (!IsPostgres(url)) return;
  session << "CREATE TEMP TABLE IF NOT EXISTS incoming_leads (LIKE leads) "
             "ON COMMIT DELETE ROWS";
  session << "CREATE TEMP TABLE IF NOT EXISTS incoming_timelines (LIKE lead_timelines) "
             "ON COMMIT DELETE ROWS";
}

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

}  // namespace leadboard::store
