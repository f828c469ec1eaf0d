#include "hub/watcher.h"

#include <utility>

namespace leadboard::hub {

bool Watcher::Matches(const store::Change& change) const {
  return (filter_.user_id.empty() || filter_.user_id == change.user_id) &&
         (filter_.job_id.empty() || filter_.job_id == change.job_id);
}

bool Watcher::Push(Queued message, absl::string_view lead_id) {
  absl::MutexLock lock(&mu_);
  if (overflowed_) return false;
  if (conflate_) {
    auto [it, fresh] = by_lead_.try_emplace(lead_id);
    if (!fresh) {
      by_lead_queue_.erase(it->second);  // superseded: the newest goes last
      ++conflated_;
    }
    it->second = by_lead_queue_.insert(by_lead_queue_.end(),
                                       {std::string(lead_id), std::move(message)});
  } else if (queue_.size() >= queue_limit_) {
    overflowed_ = true;
    queue_.clear();
  } else {
    queue_.push_back(std::move(message));
  }
  const bool notify = armed_;
  armed_ = false;
  return notify;
}

bool Watcher::OfferProgress(int64_t revision, absl::Time silent_since, absl::Time now) {
  if (last_active() > silent_since) return false;
  MarkActive(now);  // not offered again before this one has been sent
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
  const Next next = TakeNext(message, progress_revision);
  if (next == Next::kMessage || next == Next::kProgress) MarkActive(absl::Now());
  return next;
}

Watcher::Next Watcher::TakeNext(Queued* message, int64_t* progress_revision) {
  absl::MutexLock lock(&mu_);
  if (overflowed_) return Next::kOverflowed;
  if (closed_) return Next::kClosed;
  if (!by_lead_queue_.empty()) {
    *message = std::move(by_lead_queue_.front().second);
    by_lead_.erase(by_lead_queue_.front().first);
    by_lead_queue_.pop_front();
    if (progress_ >= 0 && progress_ <= message->revision) progress_ = -1;
    return Next::kMessage;
  }
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
  return queue_.size() + by_lead_queue_.size();
}

int64_t Watcher::conflated() const {
  absl::MutexLock lock(&mu_);
  return conflated_;
}

}  // namespace leadboard::hub
