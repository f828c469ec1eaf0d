#include "hub/watcher.h"

#include <utility>

namespace leadboard::hub {

bool Watcher::Matches(const store::Change& change) const {
  return (filter_.user_id.empty() || filter_.user_id == change.user_id) &&
         (filter_.job_id.empty() || filter_.job_id == change.job_id);
}

bool Watcher::Push(Queued message) {
  absl::MutexLock lock(&mu_);
  if (overflowed_) return false;
  if (queue_.size() >= queue_limit_) {
    overflowed_ = true;
    queue_.clear();
  } else {
    queue_.push_back(std::move(message));
  }
  const bool notify = armed_;
  armed_ = false;
  return notify;
}

bool Watcher::OfferProgress(int64_t revision) {
  absl::MutexLock lock(&mu_);
  if (overflowed_) return false;
  progress_ = revision;
  const bool notify = armed_;
  armed_ = false;
  return notify;
}

bool Watcher::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  const bool notify = armed_;
  armed_ = false;
  return notify;
}

void Watcher::NotifyListener() {
  if (std::shared_ptr<WatcherListener> listener = listener_.lock()) listener->OnWatcherReady();
}

Watcher::Next Watcher::Pop(Queued* message, int64_t* progress_revision) {
  absl::MutexLock lock(&mu_);
  if (overflowed_) return Next::kOverflowed;
  if (closed_) return Next::kClosed;
  if (!queue_.empty()) {
    *message = std::move(queue_.front());
    queue_.pop_front();
    // A heartbeat older than a queued change says nothing new.
    if (progress_ >= 0 && progress_ <= message->revision) progress_ = -1;
    return Next::kMessage;
  }
  if (progress_ >= 0) {
    *progress_revision = progress_;
    progress_ = -1;
    return Next::kProgress;
  }
  armed_ = true;
  return Next::kEmpty;
}

size_t Watcher::depth() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace leadboard::hub
