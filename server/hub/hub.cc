#include "hub/hub.h"

#include <algorithm>
#include <utility>

#include "spdlog/spdlog.h"
#include "store/thread_name.h"

namespace leadboard::hub {

Hub::Hub(store::ChangeLogReader* repository, Options options, ObserveFn observe)
    : repository_(repository), options_(options), observe_(std::move(observe)) {}

Hub::~Hub() { Stop(); }

absl::Status Hub::Start() {
  absl::StatusOr<int64_t> current = repository_->CurrentRevision();
  if (!current.ok()) return current.status();
  {
    absl::MutexLock lock(&watchers_mu_);
    revision_ = *current;
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void Hub::Stop() {
  {
    absl::MutexLock lock(&inbox_mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Hub::Publish(std::vector<store::Change> changes) {
  if (changes.empty()) return;
  absl::MutexLock lock(&inbox_mu_);
  inbox_.push_back(Published{std::move(changes), std::chrono::steady_clock::now()});
}

void Hub::NotifyRevision(int64_t revision) {
  absl::MutexLock lock(&inbox_mu_);
  if (revision > announced_) announced_ = revision;
}

void Hub::LocalCommit(bool underway) {
  absl::MutexLock lock(&inbox_mu_);
  local_commits_ += underway ? 1 : -1;
}

int64_t Hub::Register(std::shared_ptr<Watcher> watcher) {
  absl::MutexLock lock(&watchers_mu_);
  watcher->MarkActive(absl::Now() - absl::Uniform(jitter_, 0.0, 1.0) * options_.progress_interval);
  by_user_[watcher->filter().user_id].insert(watcher);
  watchers_.insert(std::move(watcher));
  return revision_;
}

void Hub::Unregister(const std::shared_ptr<Watcher>& watcher) {
  absl::MutexLock lock(&watchers_mu_);
  if (watchers_.erase(watcher) == 0) return;
  auto it = by_user_.find(watcher->filter().user_id);
  it->second.erase(watcher);
  if (it->second.empty()) by_user_.erase(it);
}

int64_t Hub::revision() const {
  absl::MutexLock lock(&watchers_mu_);
  return revision_;
}

size_t Hub::watcher_count() const {
  absl::MutexLock lock(&watchers_mu_);
  return watchers_.size();
}

size_t Hub::total_queue_depth() const {
  absl::MutexLock lock(&watchers_mu_);
  size_t total = 0;
  for (const auto& watcher : watchers_) total += watcher->depth();
  return total;
}

void Hub::Run() {
  store::NameThisThread("lb-hub");
  absl::Time next_heartbeat = absl::Now() + HeartbeatTick();
  bool retry = false;
  // Watchers offered a heartbeat whose streams are yet to be told: told a
  // few at a time between deliveries, so that live changes never wait
  // behind thousands of heartbeat writes.
  std::deque<std::shared_ptr<Watcher>> heartbeats_due;
  for (;;) {
    std::deque<Published> batches;
    int64_t announced = 0;
    {
      absl::MutexLock lock(&inbox_mu_);
      absl::Time deadline =
          retry ? std::min(next_heartbeat, absl::Now() + absl::Milliseconds(500)) : next_heartbeat;
      if (!heartbeats_due.empty()) deadline = absl::InfinitePast();  // only look
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(inbox_mu_) {
        return stopping_ || !inbox_.empty() || (announced_ > 0 && local_commits_ == 0);
      };
      inbox_mu_.AwaitWithDeadline(absl::Condition(&has_work), deadline);
      if (stopping_) return;
      batches.swap(inbox_);
      if (local_commits_ == 0) {
        announced = announced_;
        announced_ = 0;
      }
    }
    retry = false;
    while (!batches.empty()) {
      if (!Deliver(batches.front())) {
        retry = true;
        break;
      }
      batches.pop_front();
    }
    if (!retry && announced > revision() && !CatchUpTo(announced)) retry = true;
    if (retry) {
      // Put back what is undelivered; try again shortly.
      absl::MutexLock lock(&inbox_mu_);
      while (!batches.empty()) {
        inbox_.push_front(std::move(batches.back()));
        batches.pop_back();
      }
      if (announced > announced_) announced_ = announced;
    }
    if (absl::Now() >= next_heartbeat) {
      Heartbeat(&heartbeats_due);
      next_heartbeat = absl::Now() + HeartbeatTick();
    }
    for (int told = 0; told < kHeartbeatsBetweenLooks && !heartbeats_due.empty(); ++told) {
      heartbeats_due.front()->NotifyListener();
      heartbeats_due.pop_front();
    }
  }
}

bool Hub::Deliver(Published& batch) {
  std::vector<store::Change>& changes = batch.changes;
  const int64_t current = revision();
  size_t skip = 0;
  while (skip < changes.size() && changes[skip].revision <= current) ++skip;
  if (skip == changes.size()) return true;
  if (skip > 0) changes.erase(changes.begin(), changes.begin() + skip);
  if (changes.front().revision > current + 1 && !CatchUpTo(changes.front().revision - 1)) {
    return false;
  }
  FanOut(changes, batch.at);
  return true;
}

bool Hub::CatchUpTo(int64_t target) {
  for (int64_t current = revision(); current < target; current = revision()) {
    absl::StatusOr<std::vector<store::Change>> page =
        repository_->ReadChanges(current, target, store::LeadFilter{}, options_.read_page);
    if (!page.ok()) {
      spdlog::warn("hub: cannot read the change log after revision {}: {}", current,
                   page.status().ToString());
      return false;
    }
    if (page->empty()) {
      // Either the revisions were trimmed before this replica saw them, or
      // the announcement is ahead of what is committed. Only the first
      // allows skipping ahead.
      absl::StatusOr<int64_t> committed = repository_->CurrentRevision();
      if (!committed.ok()) return false;
      if (*committed < target) {
        spdlog::warn("hub: revision {} was announced but {} is the last committed; ignoring",
                     target, *committed);
        return true;
      }
      spdlog::warn("hub: change log has no revisions {}..{} (trimmed); skipping them",
                   current + 1, target);
      absl::MutexLock lock(&watchers_mu_);
      revision_ = target;
      return true;
    }
    if (page->front().revision != current + 1) {
      // Trimmed before this replica saw them: watchers that need them get
      // OUT_OF_RANGE when they resume.
      spdlog::warn("hub: change log has no revision {} (trimmed); skipping to {}", current + 1,
                   page->front().revision);
    }
    FanOut(*page);
  }
  return true;
}

void Hub::FanOut(const std::vector<store::Change>& changes,
                 std::optional<std::chrono::steady_clock::time_point> published) {
  if (changes.empty()) return;
  std::vector<std::shared_ptr<Watcher>> to_notify;
  size_t deliveries = 0;
  {
    absl::MutexLock lock(&watchers_mu_);
    const auto any_user = by_user_.find("");
    for (const store::Change& change : changes) {
      auto deliver = [&](const absl::flat_hash_set<std::shared_ptr<Watcher>>& candidates) {
        for (const auto& watcher : candidates) {
          if (!watcher->Matches(change)) continue;
          ++deliveries;
          if (watcher->Push(Queued{change.revision, change.wire}, change.lead_id)) {
            to_notify.push_back(watcher);
          }
        }
      };
      if (any_user != by_user_.end()) deliver(any_user->second);
      if (!change.user_id.empty()) {
        if (auto own = by_user_.find(change.user_id); own != by_user_.end()) deliver(own->second);
      }
    }
    revision_ = changes.back().revision;
  }
  for (const auto& watcher : to_notify) watcher->NotifyListener();
  if (observe_) {
    FanOutStats stats{changes.size(), deliveries, std::nullopt};
    if (published) stats.since_published = std::chrono::steady_clock::now() - *published;
    observe_(stats);
  }
}

void Hub::CloseAll() {
  std::vector<std::shared_ptr<Watcher>> to_notify;
  {
    absl::MutexLock lock(&watchers_mu_);
    for (const auto& watcher : watchers_) {
      if (watcher->Close()) to_notify.push_back(watcher);
    }
  }
  for (const auto& watcher : to_notify) watcher->NotifyListener();
}

absl::Duration Hub::HeartbeatTick() const {
  return std::clamp(options_.progress_interval / 8, absl::Milliseconds(1), absl::Seconds(1));
}

void Hub::Heartbeat(std::deque<std::shared_ptr<Watcher>>* to_notify) {
  {
    const absl::Time now = absl::Now();
    const absl::Time silent_since = now - options_.progress_interval;
    absl::MutexLock lock(&watchers_mu_);
    for (const auto& watcher : watchers_) {
      if (watcher->OfferProgress(revision_, silent_since, now)) to_notify->push_back(watcher);
    }
  }
}

}  // namespace leadboard::hub
