// Several replicas on one PostgreSQL: a change committed through any replica
// reaches watchers on every replica, revisions stay dense and in commit
// order across replicas, and a watcher can resume on any replica.
#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "leadboard/client.h"
#include "server_process.h"
#include "test_database.h"

namespace leadboard {
namespace {

using testing::Backend;
using testing::ServerProcess;
using testing::TestDatabase;

std::vector<v1::PipelineEvent> Events(const std::string& prefix, int count) {
  std::vector<v1::PipelineEvent> events;
  for (int i = 0; i < count; ++i) {
    v1::PipelineEvent& event = events.emplace_back();
    event.set_event_id(absl::StrCat(prefix, "-", i));
    event.set_lead_id(absl::StrCat(prefix, "-lead-", i % 25));
    event.set_job_id("job");
    event.set_user_id("user");
    event.set_type(i < 25 ? v1::EVENT_TYPE_LEAD_GENERATED : v1::EVENT_TYPE_STATUS_UPDATE);
    event.mutable_occurred_at()->set_seconds(1767225600 + i);
    event.set_message(absl::StrCat("step ", i));
  }
  return events;
}

// Collects the revisions of live changes a watch receives.
struct Collected {
  absl::Mutex mu;
  std::vector<int64_t> revisions;
  bool synced = false;
};

void WatchInto(client::Client* c, int64_t since, Collected* out, size_t until) {
  client::WatchOptions options;
  options.since_revision = since;
  (void)c->Watch(options, [&](const v1::WatchLeadsResponse& r) {
    absl::MutexLock lock(&out->mu);
    if (r.has_synced()) out->synced = true;
    if (r.has_lead_change() && r.lead_change().kind() != v1::CHANGE_KIND_SNAPSHOT) {
      out->revisions.push_back(r.revision());
    }
    return out->revisions.size() < until;
  });
}

TEST(ReplicaTest, ChangesFromEveryReplicaReachWatchersOnEveryReplica) {
  std::string skip;
  auto db = TestDatabase::Create(Backend::kPostgres, &skip);
  if (db == nullptr) GTEST_SKIP() << skip;
  const std::string dir_b = testing::MakeTempDir();
  ServerProcess a(db->url(), db->dir());
  ServerProcess b(db->url(), dir_b);
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  client::Client ca({a.target()}), cb({b.target()});

  static constexpr int kPerReplica = 300;
  constexpr size_t kTotal = 2 * kPerReplica;
  Collected on_a, on_b;
  std::thread watch_a(WatchInto, &ca, 0, &on_a, kTotal);
  std::thread watch_b(WatchInto, &cb, 0, &on_b, kTotal);
  for (Collected* c : {&on_a, &on_b}) {
    absl::MutexLock lock(&c->mu);
    ASSERT_TRUE(c->mu.AwaitWithTimeout(absl::Condition(&c->synced), absl::Seconds(20)));
  }
  // Concurrent ingest through both replicas, in several streams each.
  auto ingest = [](client::Client* c, const std::string& prefix) {
    client::IngestOptions options;
    options.batch_size = 50;
    auto summary = c->Ingest(Events(prefix, kPerReplica), options);
    ASSERT_TRUE(summary.ok()) << summary.status();
    EXPECT_EQ(summary->accepted(), kPerReplica);
  };
  std::thread ia(ingest, &ca, "a"), ib(ingest, &cb, "b");
  ia.join();
  ib.join();
  watch_a.join();
  watch_b.join();
  for (Collected* c : {&on_a, &on_b}) {
    absl::MutexLock lock(&c->mu);
    ASSERT_EQ(c->revisions.size(), kTotal);
    for (size_t i = 0; i < kTotal; ++i) ASSERT_EQ(c->revisions[i], static_cast<int64_t>(i + 1));
  }
  // Both replicas agree on the final state.
  auto board_a = ca.GetBoard({});
  auto board_b = cb.GetBoard({});
  ASSERT_TRUE(board_a.ok() && board_b.ok());
  EXPECT_EQ(board_a->SerializeAsString(), board_b->SerializeAsString());
  EXPECT_EQ(board_a->revision(), static_cast<int64_t>(kTotal));

  // A watcher resumes on B from a revision it got from A.
  Collected resumed;
  std::thread watch_again(WatchInto, &cb, kTotal - 10, &resumed, 10);
  watch_again.join();
  absl::MutexLock lock(&resumed.mu);
  ASSERT_EQ(resumed.revisions.size(), 10u);
  EXPECT_EQ(resumed.revisions.front(), static_cast<int64_t>(kTotal - 9));
}

TEST(ReplicaTest, AMoveOnOneReplicaReachesWatchersOnAnother) {
  std::string skip;
  auto db = TestDatabase::Create(Backend::kPostgres, &skip);
  if (db == nullptr) GTEST_SKIP() << skip;
  ServerProcess a(db->url(), db->dir());
  ServerProcess b(db->url(), testing::MakeTempDir());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  client::Client ca({a.target()}), cb({b.target()});
  std::vector<v1::PipelineEvent> events = Events("m", 1);
  v1::PipelineEvent end = events[0];
  end.set_event_id("m-end");
  end.set_type(v1::EVENT_TYPE_PIPELINE_END);
  end.set_success(true);
  events.push_back(end);
  auto ingested = ca.Ingest(events);
  ASSERT_TRUE(ingested.ok()) << ingested.status();

  std::vector<v1::WatchLeadsResponse> seen;
  std::thread watch([&] {
    client::WatchOptions options;
    options.since_revision = ingested->last_revision();
    (void)cb.Watch(options, [&](const v1::WatchLeadsResponse& r) {
      if (r.has_lead_change()) seen.push_back(r);
      return seen.empty();
    });
  });
  v1::MoveLeadRequest request;
  request.set_lead_id("m-lead-0");
  request.set_to_stage("meeting_scheduled");
  request.set_actor("Ana");
  request.set_expected_revision(ingested->last_revision());
  // Whether the watch is open yet or not, it replays from before the move.
  auto moved = ca.MoveLead(request);
  ASSERT_TRUE(moved.ok()) << moved.status();
  watch.join();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].revision(), ingested->last_revision() + 1);
  EXPECT_EQ(seen[0].lead_change().kind(), v1::CHANGE_KIND_MOVED);
  EXPECT_EQ(seen[0].lead_change().actor().name(), "Ana");
  // Replica B refuses the same conditional move: it is stale everywhere.
  auto stale = cb.MoveLead(request);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kOk);  // already there: harmless retry
  request.set_to_stage("negotiating");
  stale = cb.MoveLead(request);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  auto info = client::ErrorInfoOf(stale.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("stage"), "meeting_scheduled");
}

}  // namespace
}  // namespace leadboard
