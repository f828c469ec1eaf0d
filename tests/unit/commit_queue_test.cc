// CommitQueue on a real SQLite repository: what it reports of each commit
// (for the latency histograms) is what happened, chunk by chunk.
#include "store/commit_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
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

using std::chrono::milliseconds;

TEST(CommitQueueTest, ReportsHowLongEachChunkWaitedForItsTransaction) {
  std::string skip;
  auto db = testing::TestDatabase::Create(testing::Backend::kSqlite, &skip);
  ASSERT_NE(db, nullptr) << skip;
  absl::StatusOr<DatabaseUrl> url = ParseDatabaseUrl(db->url());
  ASSERT_TRUE(url.ok());
  SystemClock clock;
  auto repo = SociLeadRepository::Open({*url, 1}, &clock);
  ASSERT_TRUE(repo.ok()) << repo.status();
  const engine::BoardConfig board = engine::BoardConfig::Default();
  const engine::StageEngine engine(board);

  absl::Mutex mu;
  std::vector<size_t> batch_sizes;
  std::vector<CommitQueue::Timing> timings;
  absl::Notification first_begun, release_first;
  int begun = 0;
  {
    CommitQueue queue(
        repo->get(), &engine, [](std::vector<Change>) {}, CommitQueue::Options{},
        [&](const std::vector<const v1::PipelineEvent*>& batch,
            const absl::StatusOr<BatchResult>& result, const CommitQueue::Timing& timing) {
          EXPECT_TRUE(result.ok()) << result.status();
          absl::MutexLock lock(&mu);
          batch_sizes.push_back(batch.size());
          timings.push_back(timing);
        },
        // The first transaction is held until two more chunks wait behind it.
        [&](bool underway) {
          if (!underway || begun++ > 0) return;
          first_begun.Notify();
          release_first.WaitForNotification();
        });
    queue.Submit({testing::MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 0,
                                     "lead_qualification_agent")},
                 [](absl::Status, std::vector<EventOutcome>, int64_t) {});
    first_begun.WaitForNotification();
    for (const std::string chunk : {"b", "c"}) {
      queue.Submit({testing::MakeEvent(chunk + "1", v1::EVENT_TYPE_AGENT_START, 1,
                                       "pain_point_deepening_agent"),
                    testing::MakeEvent(chunk + "2", v1::EVENT_TYPE_AGENT_START, 2,
                                       "competitor_analysis_agent")},
                   [](absl::Status, std::vector<EventOutcome>, int64_t) {});
    }
    absl::SleepFor(absl::Milliseconds(30));
    release_first.Notify();
  }  // the destructor commits what is queued

  absl::MutexLock lock(&mu);
  ASSERT_EQ(batch_sizes, (std::vector<size_t>{1, 4}));
  // The first chunk found the writer idle; the two behind it waited for
  // the held transaction (30 ms at least), and are reported one by one.
  ASSERT_EQ(timings[0].queued.size(), 1u);
  ASSERT_EQ(timings[1].queued.size(), 2u);
  EXPECT_GE(timings[1].queued[0], milliseconds(30));
  EXPECT_GE(timings[1].queued[1], milliseconds(30));
  EXPECT_GE(timings[1].queued[0], timings[1].queued[1]);  // submitted first
  EXPECT_GT(timings[1].commit.count(), 0);
}

}  // namespace
}  // namespace leadboard::store
