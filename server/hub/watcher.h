// Watcher: one watch stream's bounded queue of live changes. The hub pushes,
// the stream's reactor pops. A watcher whose queue would grow past its
// limit overflows: its queue is dropped and the stream must end.
//
// A conflating watcher (what boards ask for) never overflows: a change to a
// lead that already has one queued replaces it and goes to the back, so the
// queue stays in revision order, holds at most one change per lead, and a
// watcher that falls behind gets each lead's newest card, not its history.
#ifndef LEADBOARD_SERVER_HUB_WATCHER_H_
#define LEADBOARD_SERVER_HUB_WATCHER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "store/lead_repository.h"

namespace leadboard::hub {

// Told when a watcher has something to pop after it last found nothing.
// Called on the hub's thread with no hub lock held; must not block.
class WatcherListener {
 public:
  virtual ~WatcherListener() = default;
  virtual void OnWatcherReady() = 0;
};

// A live change queued for a watch stream: its revision and its message,
// serialized once and shared by every watcher it goes to.
struct Queued {
  int64_t revision = 0;
  std::shared_ptr<const std::string> wire;
};

class Watcher {
 public:
  Watcher(store::LeadFilter filter, size_t queue_limit, std::weak_ptr<WatcherListener> listener,
          bool conflate = false)
      : filter_(std::move(filter)),
        queue_limit_(queue_limit),
        listener_(std::move(listener)),
        conflate_(conflate) {}

  // True if the change concerns this watcher (its user and job filters).
  bool Matches(const store::Change& change) const;

  // Hub side: queue a change of `lead_id`, or overflow if the queue is full
  // (or, when conflating, replace the lead's queued change). Returns true
  // if the listener must be told (call NotifyListener after releasing any
  // hub lock). Thread-safe.
  bool Push(Queued message, absl::string_view lead_id);

  // Hub side: offer a heartbeat at `revision` if nothing went to the stream
  // since `silent_since` (it then counts as active now); replaces an unsent
  // one. Returns true if the listener must be told.
  bool OfferProgress(int64_t revision, absl::Time silent_since, absl::Time now);

  // The stream sent something at `at` (Pop marks what it returns; a stream
  // marks what it sends from elsewhere, like its snapshot). Lock-free.
  void MarkActive(absl::Time at) {
    last_active_ns_.store(absl::ToUnixNanos(at), std::memory_order_relaxed);
  }
  absl::Time last_active() const {
    return absl::FromUnixNanos(last_active_ns_.load(std::memory_order_relaxed));
  }

  void NotifyListener();

  // Asks the stream to end because the server is shutting down. Returns
  // true if the listener must be told.
  bool Close();

  enum class Next { kMessage, kProgress, kEmpty, kOverflowed, kClosed };
  // Reader side: the next thing to send. kEmpty arms the listener.
  Next Pop(Queued* message, int64_t* progress_revision);

  size_t depth() const;
  // Changes replaced by a newer change of the same lead before being sent.
  int64_t conflated() const;
  bool conflates() const { return conflate_; }
  const store::LeadFilter& filter() const { return filter_; }

 private:
  Next TakeNext(Queued* message, int64_t* progress_revision);

  const store::LeadFilter filter_;
  const size_t queue_limit_;
  const std::weak_ptr<WatcherListener> listener_;
  const bool conflate_;
  mutable absl::Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  // Conflating: the queue in revision order (with each change's lead), and
  // each lead's place in it.
  using LeadQueue = std::list<std::pair<std::string, Queued>>;
  LeadQueue by_lead_queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, LeadQueue::iterator> by_lead_ ABSL_GUARDED_BY(mu_);
  int64_t conflated_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t progress_ ABSL_GUARDED_BY(mu_) = -1;  // -1: no heartbeat pending
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool armed_ ABSL_GUARDED_BY(mu_) = true;  // the reader waits for a push
  std::atomic<int64_t> last_active_ns_{absl::ToUnixNanos(absl::Now())};
};

}  // namespace leadboard::hub

#endif  // LEADBOARD_SERVER_HUB_WATCHER_H_
