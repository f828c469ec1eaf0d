// SqliteCheckpointer: copies the SQLite write-ahead log back into the
// database file on its own thread and connection, so that commits never pay
// for it. (SQLite's automatic checkpoint runs inside the COMMIT that crosses
// the threshold: about an eighth of the commit thread's time under load.)
// The writer turns the automatic checkpoint off; this thread runs a PASSIVE
// checkpoint (it never blocks the writer) every `interval`, and a TRUNCATE
// one when the log has grown past `truncate_pages` anyway (readers holding
// old frames), which waits for the writer briefly and resets the file.
#ifndef LEADBOARD_SERVER_STORE_SQLITE_CHECKPOINTER_H_
#define LEADBOARD_SERVER_STORE_SQLITE_CHECKPOINTER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace soci {
class session;
}  // namespace soci

namespace leadboard::store {

class SqliteCheckpointer {
 public:
  struct Options {
    absl::Duration interval = absl::Milliseconds(200);
    long long truncate_pages = 65536;  // 256 MiB of 4 KiB pages
  };
  // Starts the thread; `path` is the database file.
  SqliteCheckpointer(std::string path, Options options);
  ~SqliteCheckpointer();

 private:
  void Run();

  const std::string path_;
  const Options options_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SQLITE_CHECKPOINTER_H_
