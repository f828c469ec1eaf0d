// StallSweeper on a real SQLite repository: a stall it flags is published
// while its commit is said to be under way, so that a hub holds back the
// commit's own notification (Hub::LocalCommit) until the changes are in.
#include "store/stall_sweeper.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "engine/board_config.h"
#include "engine/stage_engine.h"
#include "event_builder.h"
#include "store/clock.h"
#include "store/database_url.h"
#include "store/soci/soci_lead_repository.h"
#include "test_database.h"

namespace leadboard::store {
namespace {

class FixedClock : public Clock {
 public:
  absl::Time Now() const override { return now; }
  absl::Time now = absl::FromUnixSeconds(1767225600);
};

TEST(StallSweeperTest, PublishesAStallWhileItsCommitIsUnderWay) {
  std::string skip;
  auto db = testing::TestDatabase::Create(testing::Backend::kSqlite, &skip);
  ASSERT_NE(db, nullptr) << skip;
  FixedClock clock;
  absl::StatusOr<DatabaseUrl> url = ParseDatabaseUrl(db->url());
  ASSERT_TRUE(url.ok());
  auto repo = SociLeadRepository::Open({*url, 1}, &clock);
  ASSERT_TRUE(repo.ok()) << repo.status();
  const engine::BoardConfig board =
      engine::BoardConfig::Default().WithStallAfter(absl::Minutes(10));
  const engine::StageEngine engine(board);
  const v1::PipelineEvent start =
      testing::MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 0, "lead_qualification_agent");
  ASSERT_TRUE((*repo)->CommitBatch({&start}, engine).ok());
  clock.now += absl::Minutes(11);  // past the limit: the lead is stalled

  absl::Mutex mu;
  std::vector<std::string> steps;  // what the sweeper did, in order
  auto record = [&](std::string step) {
    absl::MutexLock lock(&mu);
    steps.push_back(std::move(step));
  };
  {
    StallSweeper sweeper(
        repo->get(), &engine,
        [&](std::vector<Change> changes) { record(absl::StrCat("publish ", changes.size())); },
        absl::Milliseconds(5), [&](bool underway) { record(underway ? "begin" : "end"); });
    absl::MutexLock lock(&mu);
    auto published = [&] {
      for (size_t i = 0; i + 1 < steps.size(); ++i) {
        if (steps[i].rfind("publish", 0) == 0) return steps[i + 1] == "end";
      }
      return false;
    };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&published), absl::Seconds(10)));
  }
  // The sweep that found the stall: begin, publish, end; the rest found
  // nothing (begin, end).
  size_t at = 0;
  while (steps[at].rfind("publish", 0) != 0) ++at;
  ASSERT_GE(at, 1u);
  EXPECT_EQ(steps[at - 1], "begin");
  EXPECT_EQ(steps[at], "publish 1");
  EXPECT_EQ(steps[at + 1], "end");
  std::vector<std::string> bounds;  // every sweep a begin, then an end
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i != at) bounds.push_back(steps[i]);
  }
  ASSERT_EQ(bounds.size() % 2, 0u);
  for (size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_EQ(bounds[i], i % 2 == 0 ? "begin" : "end") << i;
  }
}

}  // namespace
}  // namespace leadboard::store
