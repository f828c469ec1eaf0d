#include "hub/hub.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace leadboard::hub {
namespace {

// A change log in memory: only what the hub reads.
class FakeRepository : public store::ChangeLogReader {
 public:
  absl::Mutex mu;
  std::vector<store::Change> log ABSL_GUARDED_BY(mu);
  int reads ABSL_GUARDED_BY(mu) = 0;  // ReadChanges calls

  absl::StatusOr<int64_t> CurrentRevision() override {
    absl::MutexLock lock(&mu);
    return log.empty() ? 0 : log.back().revision;
  }
  absl::StatusOr<std::vector<store::Change>> ReadChanges(int64_t after, int64_t up_to,
                                                         const store::LeadFilter&,
                                                         int limit) override {
    absl::MutexLock lock(&mu);
    ++reads;
    std::vector<store::Change> out;
    for (const auto& c : log) {
      if (c.revision > after && c.revision <= up_to && static_cast<int>(out.size()) < limit) {
        out.push_back(c);
      }
    }
    return out;
  }

  store::Change Append(const std::string& user, const std::string& job) {
    absl::MutexLock lock(&mu);
    store::Change change;
    change.revision = log.size() + 1;
    change.lead_id = "L";
    change.user_id = user;
    change.job_id = job;
    v1::WatchLeadsResponse message;
    message.set_revision(change.revision);
    message.mutable_lead_change()->set_kind(v1::CHANGE_KIND_UPDATED);
    change.wire = std::make_shared<const std::string>(message.SerializeAsString());
    log.push_back(change);
    return change;
  }
};

// Drains its watcher whenever told, recording what it got.
class Collector : public WatcherListener {
 public:
  void OnWatcherReady() override {
    absl::MutexLock lock(&mu);
    ++wakeups;
  }
  // Pops everything queued now.
  void Drain() {
    for (;;) {
      Queued message;
      int64_t progress = 0;
      Watcher::Next next = watcher->Pop(&message, &progress);
      absl::MutexLock lock(&mu);
      if (next == Watcher::Next::kMessage) {
        // What goes on the wire, and its revision, must be the change's.
        v1::WatchLeadsResponse sent;
        EXPECT_TRUE(sent.ParseFromString(*message.wire));
        EXPECT_EQ(sent.revision(), message.revision);
        revisions.push_back(message.revision);
        wires.push_back(message.wire);
      } else if (next == Watcher::Next::kProgress) {
        heartbeats.push_back(progress);
      } else {
        last = next;
        return;
      }
    }
  }
  bool WaitFor(size_t count) {
    for (int i = 0; i < 500; ++i) {
      Drain();
      {
        absl::MutexLock lock(&mu);
        if (revisions.size() >= count) return true;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  std::shared_ptr<Watcher> watcher;
  absl::Mutex mu;
  int wakeups ABSL_GUARDED_BY(mu) = 0;
  std::vector<int64_t> revisions ABSL_GUARDED_BY(mu);
  std::vector<std::shared_ptr<const std::string>> wires ABSL_GUARDED_BY(mu);
  std::vector<int64_t> heartbeats ABSL_GUARDED_BY(mu);
  Watcher::Next last ABSL_GUARDED_BY(mu) = Watcher::Next::kEmpty;
};

std::shared_ptr<Collector> Watch(Hub& hub, store::LeadFilter filter = {}, size_t limit = 100) {
  auto collector = std::make_shared<Collector>();
  collector->watcher = std::make_shared<Watcher>(filter, limit, collector);
  hub.Register(collector->watcher);
  return collector;
}

TEST(HubTest, DeliversPublishedChangesInOrderAndFillsGapsFromTheLog) {
  FakeRepository repo;
  Hub hub(&repo, {absl::Hours(1), 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto watcher = Watch(hub);
  store::Change c1 = repo.Append("u", "j");
  store::Change c2 = repo.Append("u", "j");  // committed by "another replica"
  store::Change c3 = repo.Append("u", "j");
  hub.Publish({c1});
  hub.Publish({c3});  // the hub must read c2 from the log first
  ASSERT_TRUE(watcher->WaitFor(3));
  absl::MutexLock lock(&watcher->mu);
  EXPECT_EQ(watcher->revisions, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(hub.revision(), 3);
}

TEST(HubTest, NotifyRevisionCatchesUpFromTheLog) {
  FakeRepository repo;
  Hub hub(&repo, {absl::Hours(1), 2});  // small pages
  ASSERT_TRUE(hub.Start().ok());
  auto watcher = Watch(hub);
  for (int i = 0; i < 5; ++i) repo.Append("u", "j");
  hub.NotifyRevision(5);
  ASSERT_TRUE(watcher->WaitFor(5));
  absl::MutexLock lock(&watcher->mu);
  EXPECT_EQ(watcher->revisions, (std::vector<int64_t>{1, 2, 3, 4, 5}));
}

// A stream that takes 20 ms to start its write.
class SlowStream : public WatcherListener {
 public:
  void OnWatcherReady() override { absl::SleepFor(absl::Milliseconds(20)); }
};

TEST(HubTest, ObservesHowLongAPublishedBatchTookToReachItsWatchers) {
  FakeRepository repo;
  absl::Mutex mu;
  std::vector<Hub::FanOutStats> seen;
  Hub hub(&repo, {absl::Hours(1), 1000}, [&](const Hub::FanOutStats& stats) {
    absl::MutexLock lock(&mu);
    seen.push_back(stats);
  });
  ASSERT_TRUE(hub.Start().ok());
  auto slow = std::make_shared<SlowStream>();
  hub.Register(std::make_shared<Watcher>(store::LeadFilter{}, 100, slow));
  auto watcher = Watch(hub);
  hub.Publish({repo.Append("u", "j")});
  repo.Append("u", "j");  // another replica's commit
  hub.NotifyRevision(2);
  ASSERT_TRUE(watcher->WaitFor(2));
  absl::MutexLock lock(&mu);
  auto both = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return seen.size() >= 2; };
  ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&both), absl::Seconds(5)));
  ASSERT_EQ(seen.size(), 2u);
  // The published change: timed from Publish until the slow stream too was
  // told, so at least its 20 ms.
  EXPECT_EQ(seen[0].changes, 1u);
  EXPECT_EQ(seen[0].deliveries, 2u);
  ASSERT_TRUE(seen[0].since_published.has_value());
  EXPECT_GE(*seen[0].since_published, std::chrono::milliseconds(20));
  // Read from the log: counted, but not timed (it was not published here).
  EXPECT_EQ(seen[1].changes, 1u);
  EXPECT_EQ(seen[1].deliveries, 2u);
  EXPECT_FALSE(seen[1].since_published.has_value());
}

TEST(HubTest, ALocalCommitsOwnNotificationIsNotReadBackFromTheLog) {
  FakeRepository repo;
  Hub hub(&repo, {absl::Hours(1), 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto watcher = Watch(hub);
  hub.LocalCommit(true);
  store::Change c1 = repo.Append("u", "j");
  hub.NotifyRevision(1);  // LISTEN heard of the commit before it was published
  absl::SleepFor(absl::Milliseconds(50));  // time enough for a read, had the hub started one
  hub.Publish({c1});
  hub.LocalCommit(false);
  ASSERT_TRUE(watcher->WaitFor(1));
  absl::SleepFor(absl::Milliseconds(50));
  absl::MutexLock lock(&repo.mu);
  EXPECT_EQ(repo.reads, 0);
}

TEST(HubTest, ANotificationDuringAFailedLocalCommitIsReadFromTheLog) {
  FakeRepository repo;
  Hub hub(&repo, {absl::Hours(1), 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto watcher = Watch(hub);
  hub.LocalCommit(true);
  repo.Append("u", "j");  // it landed, but the writer never heard back
  hub.NotifyRevision(1);
  hub.LocalCommit(false);  // failed: nothing published
  ASSERT_TRUE(watcher->WaitFor(1));
  absl::MutexLock lock(&watcher->mu);
  EXPECT_EQ(watcher->revisions, (std::vector<int64_t>{1}));
}

TEST(HubTest, WatchersOnlySeeTheirUserAndJob) {
  FakeRepository repo;
  Hub hub(&repo, {absl::Hours(1), 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto mine = Watch(hub, {"u1", "", ""});
  auto job = Watch(hub, {"", "j2", ""});
  hub.Publish({repo.Append("u1", "j1"), repo.Append("u2", "j2"), repo.Append("u1", "j2")});
  ASSERT_TRUE(mine->WaitFor(2));
  ASSERT_TRUE(job->WaitFor(2));
  absl::MutexLock lock1(&mine->mu);
  EXPECT_EQ(mine->revisions, (std::vector<int64_t>{1, 3}));
  absl::MutexLock lock2(&job->mu);
  EXPECT_EQ(job->revisions, (std::vector<int64_t>{2, 3}));
}

TEST(HubTest, EveryWatcherOfAChangeSendsTheSameSerializedBytes) {
  FakeRepository repo;
  Hub hub(&repo, {absl::Hours(1), 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto all = Watch(hub);
  auto mine = Watch(hub, {"u1", "", ""});
  auto other = Watch(hub, {"u2", "", ""});
  hub.Publish({repo.Append("u1", "j1")});
  ASSERT_TRUE(all->WaitFor(1));
  ASSERT_TRUE(mine->WaitFor(1));
  absl::MutexLock lock1(&all->mu);
  absl::MutexLock lock2(&mine->mu);
  EXPECT_EQ(all->wires.front().get(), mine->wires.front().get());  // one serialization
  other->Drain();
  absl::MutexLock lock3(&other->mu);
  EXPECT_TRUE(other->revisions.empty());
}

TEST(HubTest, AFullWatcherOverflowsWithoutSlowingOthers) {
  FakeRepository repo;
  Hub hub(&repo, {absl::Hours(1), 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto slow = Watch(hub, {}, /*limit=*/3);  // never drained until the end
  auto fast = Watch(hub, {}, /*limit=*/1000);
  std::vector<store::Change> changes;
  for (int i = 0; i < 10; ++i) changes.push_back(repo.Append("u", "j"));
  hub.Publish(changes);
  ASSERT_TRUE(fast->WaitFor(10));
  slow->Drain();
  absl::MutexLock lock(&slow->mu);
  EXPECT_TRUE(slow->revisions.empty());  // its queue was dropped
  EXPECT_EQ(slow->last, Watcher::Next::kOverflowed);
}

TEST(HubTest, SendsHeartbeatsWithTheCurrentRevision) {
  FakeRepository repo;
  repo.Append("u", "j");
  Hub hub(&repo, {absl::Milliseconds(20), 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto watcher = Watch(hub);
  for (int i = 0; i < 200; ++i) {
    watcher->Drain();
    absl::MutexLock lock(&watcher->mu);
    if (!watcher->heartbeats.empty() && watcher->wakeups > 0) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  absl::MutexLock lock(&watcher->mu);
  ASSERT_FALSE(watcher->heartbeats.empty());
  EXPECT_EQ(watcher->heartbeats.front(), 1);
  EXPECT_GT(watcher->wakeups, 0);
}


// Heartbeats are for streams that have been silent (so proxies do not time
// them out), not a tick to every stream: a watcher that keeps receiving
// changes gets none, one that receives nothing gets them at about the
// interval, not at every look.
TEST(HubTest, HeartbeatsGoOnlyToWatchersSilentForTheInterval) {
  FakeRepository repo;
  const absl::Duration interval = absl::Milliseconds(400);
  Hub hub(&repo, {interval, 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto busy = Watch(hub, {"busy", "", ""});
  auto silent = Watch(hub, {"silent", "", ""});
  const absl::Time start = absl::Now();
  while (absl::Now() - start < absl::Seconds(3)) {
    hub.Publish({repo.Append("busy", "j")});
    absl::SleepFor(absl::Milliseconds(20));
    busy->Drain();
    silent->Drain();
  }
  busy->Drain();
  silent->Drain();
  absl::MutexLock busy_lock(&busy->mu);
  absl::MutexLock silent_lock(&silent->mu);
  EXPECT_GT(busy->revisions.size(), 20u);
  EXPECT_TRUE(busy->heartbeats.empty()) << busy->heartbeats.size() << " heartbeats";
  // 3 s at one per 400 ms of silence, the first early (new watchers are
  // spread over the first interval), looks 50 ms apart: about 8, not 60.
  EXPECT_GE(silent->heartbeats.size(), 4u);
  EXPECT_LE(silent->heartbeats.size(), 10u);
}
// Heartbeats never hold up live changes: when thousands of idle streams
// are due at once, the hub tells them a few at a time and delivers a change
// that comes in between first. Each idle stream here takes 200 µs to be
// told (a gRPC write's order of magnitude); the busy watcher's changes are
// stamped with how many heartbeat tells had happened when they were
// published, and must overtake all but a chunk of the waiting ones.
TEST(HubTest, ALiveChangeOvertakesABurstOfDueHeartbeats) {
  struct Idle : WatcherListener {
    explicit Idle(std::atomic<int>* told) : told(told) {}
    void OnWatcherReady() override {
      absl::SleepFor(absl::Microseconds(200));
      ++*told;
    }
    std::atomic<int>* told;
  };
  struct Busy : WatcherListener {
    explicit Busy(std::atomic<int>* told) : told(told) {}
    void OnWatcherReady() override {
      for (;;) {
        Queued message;
        int64_t progress = 0;
        Watcher::Next next = watcher->Pop(&message, &progress);
        if (next == Watcher::Next::kEmpty) return;
        if (next != Watcher::Next::kMessage) continue;
        absl::MutexLock lock(&mu);
        const int waited = told->load() - told_at_publish.at(message.revision);
        max_overtaken = std::max(max_overtaken, waited);
        ++received;
      }
    }
    std::atomic<int>* told;
    std::shared_ptr<Watcher> watcher;
    absl::Mutex mu;
    absl::flat_hash_map<int64_t, int> told_at_publish ABSL_GUARDED_BY(mu);
    int max_overtaken ABSL_GUARDED_BY(mu) = 0;
    int received ABSL_GUARDED_BY(mu) = 0;
  };

  FakeRepository repo;
  const absl::Duration interval = absl::Milliseconds(400);
  Hub hub(&repo, {interval, 1000});
  ASSERT_TRUE(hub.Start().ok());
  std::atomic<int> told{0};
  std::vector<std::shared_ptr<Idle>> idle;
  for (int i = 0; i < 2000; ++i) {
    idle.push_back(std::make_shared<Idle>(&told));
    hub.Register(std::make_shared<Watcher>(store::LeadFilter{"idle", "", ""}, 10, idle.back()));
  }
  auto busy = std::make_shared<Busy>(&told);
  busy->watcher = std::make_shared<Watcher>(store::LeadFilter{"busy", "", ""}, 100000, busy);
  hub.Register(busy->watcher);
  // Over an interval and a half every idle stream falls due once (their
  // first heartbeats are spread over the first interval, in bursts of
  // about 250 at each look); a change is published every millisecond.
  int published = 0;
  for (const absl::Time end = absl::Now() + interval * 3 / 2; absl::Now() < end; ++published) {
    store::Change change = repo.Append("busy", "j");
    {
      absl::MutexLock lock(&busy->mu);
      busy->told_at_publish[change.revision] = told.load();
    }
    hub.Publish({change});
    absl::SleepFor(absl::Milliseconds(1));
  }
  for (int i = 0; i < 500; ++i) {
    absl::MutexLock lock(&busy->mu);
    if (busy->received == published) break;
    busy->mu.Unlock();
    absl::SleepFor(absl::Milliseconds(10));
    busy->mu.Lock();
  }
  EXPECT_GE(told.load(), 1000) << "the idle streams' heartbeats did not fall due";
  absl::MutexLock lock(&busy->mu);
  EXPECT_EQ(busy->received, published);
  // One chunk (32) may be under way when a change comes in; two for slack.
  EXPECT_LE(busy->max_overtaken, 2 * Hub::kHeartbeatsBetweenLooks);
}

TEST(HubTest, CloseAllEndsEveryWatcherAndUnregisterStopsDeliveries) {
  FakeRepository repo;
  Hub hub(&repo, {absl::Hours(1), 1000});
  ASSERT_TRUE(hub.Start().ok());
  auto gone = Watch(hub);
  auto closing = Watch(hub);
  hub.Unregister(gone->watcher);
  hub.Publish({repo.Append("u", "j")});
  ASSERT_TRUE(closing->WaitFor(1));
  gone->Drain();
  hub.CloseAll();
  closing->Drain();
  EXPECT_EQ(hub.watcher_count(), 1u);
  absl::MutexLock lock1(&gone->mu);
  EXPECT_TRUE(gone->revisions.empty());
  absl::MutexLock lock2(&closing->mu);
  EXPECT_EQ(closing->last, Watcher::Next::kClosed);
}

}  // namespace
}  // namespace leadboard::hub
