// Hub: learns of committed changes and fans them out to watchers.
//
// The commit queue of this process publishes its changes directly; changes
// committed elsewhere (another replica) are announced with NotifyRevision
// and read from the change log. Either way the hub delivers every revision
// exactly once and in order: a gap is filled from the log before what
// follows it. Fan-out runs on the hub's own thread, never on a writer's or
// on gRPC's, and never waits for a watcher: a full watcher overflows.
#ifndef LEADBOARD_SERVER_HUB_HUB_H_
#define LEADBOARD_SERVER_HUB_HUB_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub/watcher.h"
#include "store/lead_repository.h"

namespace leadboard::hub {

class Hub {
 public:
  struct Options {
    // A watcher that has sent nothing for this long is offered a heartbeat.
    absl::Duration progress_interval = absl::Seconds(30);
    int read_page = 1000;  // changes per read when filling a gap
  };
  // Streams told of their heartbeat before the hub looks for changes again.
  static constexpr int kHeartbeatsBetweenLooks = 32;
  // One fan-out, as observed for metrics.
  struct FanOutStats {
    size_t changes = 0;     // changes fanned out
    size_t deliveries = 0;  // messages queued to watchers
    // For changes this process published: from Publish to every matching
    // watcher having them queued (and an idle stream its write started).
    // Unset for changes read from the log (another replica's commits).
    std::optional<std::chrono::steady_clock::duration> since_published;
  };
  using ObserveFn = std::function<void(const FanOutStats& stats)>;

  // `log` must outlive the hub.
  Hub(store::ChangeLogReader* log, Options options, ObserveFn observe = nullptr);
  ~Hub();

  // Reads the current revision and starts the hub thread.
  absl::Status Start();
  // Stops the thread. Idempotent.
  void Stop();

  // Changes this process committed, in revision order. Thread-safe.
  void Publish(std::vector<store::Change> changes);
  // The log holds changes up to `revision` (e.g. from LISTEN). Thread-safe.
  void NotifyRevision(int64_t revision);
  // This process is committing (true), or that commit ended (false: its
  // changes, if any, were published first). While one is under way,
  // announcements wait: a commit's own notification often arrives before
  // its Publish, and the hub would read back from the log what Publish
  // brings a moment later (on PostgreSQL, every other commit measured).
  // After a failed commit the wait ends all the same, so a commit that
  // landed but could not be confirmed is read from the log. Thread-safe.
  void LocalCommit(bool underway);

  // Adds a watcher. Every change after the returned revision will be pushed
  // to it (if it matches); what came before is the caller's to read from
  // the store. Thread-safe.
  int64_t Register(std::shared_ptr<Watcher> watcher);
  // Removes a watcher; after return it receives nothing more. Thread-safe.
  void Unregister(const std::shared_ptr<Watcher>& watcher);

  // Asks every watch stream to end (server shutdown). Thread-safe.
  void CloseAll();

  // The last revision fanned out.
  int64_t revision() const;
  size_t watcher_count() const;
  // Sum of queued messages over all watchers (for metrics).
  size_t total_queue_depth() const;

 private:
  void Run();
  // Changes this process published, and when.
  struct Published {
    std::vector<store::Change> changes;
    std::chrono::steady_clock::time_point at;
  };
  // Delivers changes with revisions after revision_, filling gaps from the
  // log. Returns false if the log could not be read (retry later). Drops
  // from `batch` those it finds delivered already (no copy of the rest).
  bool Deliver(Published& batch);
  bool CatchUpTo(int64_t target);
  // `published`: when these changes were published (unset: read from the log).
  void FanOut(const std::vector<store::Change>& changes,
              std::optional<std::chrono::steady_clock::time_point> published = std::nullopt);
  // Offers a heartbeat to every watcher silent for progress_interval;
  // adds those whose streams must be told to `to_notify`.
  void Heartbeat(std::deque<std::shared_ptr<Watcher>>* to_notify);
  // How often Heartbeat looks: an eighth of the interval, at most 1 s.
  absl::Duration HeartbeatTick() const;

  store::ChangeLogReader* const repository_;
  const Options options_;
  const ObserveFn observe_;

  mutable absl::Mutex inbox_mu_;
  std::deque<Published> inbox_ ABSL_GUARDED_BY(inbox_mu_);
  int64_t announced_ ABSL_GUARDED_BY(inbox_mu_) = 0;
  int local_commits_ ABSL_GUARDED_BY(inbox_mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(inbox_mu_) = false;

  mutable absl::Mutex watchers_mu_;
  absl::flat_hash_set<std::shared_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(watchers_mu_);
  // The same watchers by the user they filter on ("": every user), so a
  // change is matched against its own user's watchers only.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::shared_ptr<Watcher>>> by_user_
      ABSL_GUARDED_BY(watchers_mu_);
  int64_t revision_ ABSL_GUARDED_BY(watchers_mu_) = 0;
  // Spreads new watchers' first heartbeats over an interval, so streams
  // that connected together (a restart) are not heartbeaten together.
  absl::BitGen jitter_ ABSL_GUARDED_BY(watchers_mu_);

  std::thread thread_;
};

}  // namespace leadboard::hub

#endif  // LEADBOARD_SERVER_HUB_HUB_H_
