#include "store/sqlite_checkpointer.h"

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace leadboard::store {

SqliteCheckpointer::SqliteCheckpointer(std::string path, Options options)
    : path_(std::move(path)), options_(options), thread_([this] { Run(); }) {}

SqliteCheckpointer::~SqliteCheckpointer() {
  stop_.Notify();
  thread_.join();
}

void SqliteCheckpointer::Run() {
  std::unique_ptr<soci::session> sql;
  bool warned = false;
  while (!stop_.WaitForNotificationWithTimeout(options_.interval)) {
    try {
      if (sql == nullptr) {
        sql = std::make_unique<soci::session>(
            soci::sqlite3, absl::StrCat("db=\"", path_, "\" timeout=30"));
      }
      // (busy, frames in the log, frames copied back)
      int busy = 0;
      long long log = 0, copied = 0;
      *sql << "PRAGMA wal_checkpoint(PASSIVE)", soci::into(busy), soci::into(log),
          soci::into(copied);
      if (log > options_.truncate_pages) {
        *sql << "PRAGMA wal_checkpoint(TRUNCATE)", soci::into(busy), soci::into(log),
            soci::into(copied);
      }
      warned = false;
    } catch (const std::exception& e) {
      if (!warned) spdlog::warn("sqlite: checkpoint failed (will retry): {}", e.what());
      warned = true;
      sql.reset();
    }
  }
}

}  // namespace leadboard::store
