// Server: a whole leadboard server in one object, built from a ServerConfig
// (main.cc turns flags into one; tests build one directly). It owns the
// repository, commit queue, hub, executor, retention trimmer, PostgreSQL
// listener, metrics and the gRPC server, and wires them:
//
//   IngestEvents -> api (validate) -> CommitQueue -> store (engine inside
//   the transaction) -> Hub -> WatchLeads streams
//
// Start() serves until Shutdown(). Thread-safe: Shutdown may be called from
// any thread, once or more.
#ifndef LEADBOARD_SERVER_SERVER_H_
#define LEADBOARD_SERVER_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/authenticator.h"
#include "engine/board_config.h"
#include "store/clock.h"
#include "store/database_url.h"

namespace leadboard {

struct ServerConfig {
  std::string listen = "127.0.0.1:0";           // host:port; port 0 picks one
  store::DatabaseUrl database;                  // sqlite: or postgresql:
  engine::BoardConfig board = engine::BoardConfig::Default();
  absl::Duration retention = absl::Hours(24 * 7);
  absl::Duration trim_interval = absl::Minutes(1);
  // A watch stream silent this long gets a progress heartbeat.
  absl::Duration progress_interval = absl::Seconds(30);
  size_t watch_queue_limit = 10000;
  // Completion queues (one thread each) the watch streams are spread over.
  int watch_queues = 8;
  // How long Shutdown waits for unary calls still running; streams end at
  // once (watches with a resume revision, ingest streams with what was
  // processed).
  absl::Duration shutdown_grace = absl::Seconds(10);
  std::string metrics_listen;                   // host:port for /metrics, or none
  api::Authenticator auth;                      // default: authentication off
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  int database_pool = 4;                        // reader sessions
  // A lead mid-run (or a running job) with no event for this long is
  // flagged stalled; a board column's own stall_after overrides it.
  absl::Duration stall_after = absl::Minutes(10);
  // How often to look for stalls; zero: StallSweeper::IntervalFor(board).
  absl::Duration stall_sweep_interval = absl::ZeroDuration();
};

class Server {
 public:
  // Opens the database (migrating it), starts every part and listens.
  // Errors: Unavailable when the database cannot be reached or migrated
  // (the message says why; exit code 3), FailedPrecondition when an address
  // cannot be listened on (exit code 4).
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerConfig config, const Clock* clock);

  // Shuts down and frees everything.
  ~Server();

  // Drains and stops: health NOT_SERVING; every watch ends with UNAVAILABLE
  // naming its resume revision; every open ingest stream stops reading,
  // commits what it read and ends with UNAVAILABLE saying how many events
  // were processed; unary calls get up to shutdown_grace; queued commits
  // finish. Nothing acknowledged is lost. Idempotent; blocks until done.
  void Shutdown();

  // The port listened on, and host:port with it.
  int port() const { return port_; }
  const std::string& address() const { return address_; }
  // Watch streams (and calls requested for new ones) on each of the watch
  // completion queues.
  std::vector<int> watch_queue_streams() const;
  // A description for the start-up log line (no passwords).
  std::string Describe() const;

 private:
  struct Parts;
  Server(ServerConfig config, const Clock* clock);
  absl::Status Run();

  ServerConfig config_;
  const Clock* clock_;
  std::unique_ptr<Parts> parts_;
  int port_ = 0;
  std::string address_;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace leadboard

#endif  // LEADBOARD_SERVER_SERVER_H_
