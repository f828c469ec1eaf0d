// PgListener: LISTENs on PostgreSQL for the notification every commit sends
// (channel leadboard_changes, payload: the new revision) and tells the hub,
// so changes committed by other replicas reach this replica's watchers. One
// connection per replica, whatever the number of watchers.
//
// On connection loss it reports unhealthy, reconnects with backoff, and on
// reconnect announces the current revision so the hub catches up from the
// log (notifications sent while disconnected are lost, the log is not).
#ifndef LEADBOARD_SERVER_STORE_SOCI_PG_LISTENER_H_
#define LEADBOARD_SERVER_STORE_SOCI_PG_LISTENER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"

namespace leadboard::store {

class PgListener {
 public:
  using RevisionFn = std::function<void(int64_t revision)>;
  using HealthFn = std::function<void(bool connected)>;

  // Starts listening at once on its own thread.
  PgListener(std::string conninfo, RevisionFn on_revision, HealthFn on_health);
  ~PgListener();  // stops and joins

 private:
  void Run();

  const std::string conninfo_;
  const RevisionFn on_revision_;
  const HealthFn on_health_;
  std::atomic<bool> stop_{false};
  int wake_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_PG_LISTENER_H_
