// Watch semantics beyond replay, on the real server and both databases:
// conflation (a board that falls behind gets each lead's newest card, in
// revision order, and is never cut off) and catch-up (a watcher whose
// revision left the change log gets the changed leads' current cards
// instead of OUT_OF_RANGE and a full relist).
#include <grpcpp/grpcpp.h>

#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server_fixture.h"

namespace leadboard {
namespace {

using ::testing::HasSubstr;
using testing::Event;
using testing::WatchClient;

class WatchTest : public testing::ServerTest {
 protected:
  v1::PipelineEvent Status(const std::string& id, const std::string& lead, int second,
                           size_t bytes) {
    v1::PipelineEvent event = Event(id, lead, v1::EVENT_TYPE_STATUS_UPDATE, second);
    event.set_message(absl::StrCat(id, " ", std::string(bytes, 'x')));
    return event;
  }
};

// Reads a stream to its synced marker, leaving the rest unread.
void ReadToSynced(grpc::ClientReader<v1::WatchLeadsResponse>* reader) {
  v1::WatchLeadsResponse response;
  while (reader->Read(&response) && !response.has_synced()) {
  }
}

TEST_P(WatchTest, AConflatingWatcherFallsBehindWithoutBeingCutOff) {
  StartServer({"--watch_queue_limit=20"});
  constexpr int kLeads = 5, kUpdates = 2000;
  std::vector<v1::PipelineEvent> seed;
  for (int l = 0; l < kLeads; ++l) {
    seed.push_back(Event(absl::StrCat("g", l), absl::StrCat("lead-", l),
                         v1::EVENT_TYPE_LEAD_GENERATED, 0));
  }
  IngestOk(seed);
  // Two watchers that stop reading after `synced`: one conflates.
  grpc::ClientContext plain_context, conflating_context;
  v1::WatchLeadsRequest request;
  auto plain = stub_->WatchLeads(&plain_context, request);
  request.set_conflate(true);
  auto conflating = stub_->WatchLeads(&conflating_context, request);
  ReadToSynced(plain.get());
  ReadToSynced(conflating.get());

  std::vector<v1::PipelineEvent> updates;
  for (int i = 0; i < kUpdates; ++i) {
    updates.push_back(Status(absl::StrCat("u", i), absl::StrCat("lead-", i % kLeads), 1 + i, 8192));
  }
  IngestOk(updates);
  std::map<std::string, int64_t> final_revision;
  for (int l = 0; l < kLeads; ++l) {
    const std::string id = absl::StrCat("lead-", l);
    final_revision[id] = GetLead(id).revision();
  }

  // The plain watcher was cut off with a resume point.
  v1::WatchLeadsResponse response;
  while (plain->Read(&response)) {
  }
  grpc::Status cut = plain->Finish();
  EXPECT_EQ(cut.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << cut.error_message();

  // The conflating one reads on: revisions only grow, and it ends with
  // every lead's final card, having skipped the superseded changes.
  std::map<std::string, int64_t> seen;
  int64_t last = 0;
  int changes = 0;
  while (seen != final_revision && conflating->Read(&response)) {
    ASSERT_GT(response.revision(), response.has_lead_change() ? last : last - 1);
    last = std::max(last, response.revision());
    if (!response.has_lead_change()) continue;
    ++changes;
    seen[response.lead_change().lead().id()] = response.revision();
    EXPECT_EQ(response.lead_change().lead().revision(), response.revision());
  }
  EXPECT_EQ(seen, final_revision);
  std::printf("conflating watcher: %d of %d changes sent, %d conflated away\n", changes, kUpdates,
              kUpdates - changes);
  EXPECT_LT(changes, kUpdates);
  conflating_context.TryCancel();
  while (conflating->Read(&response)) {
  }
  EXPECT_EQ(conflating->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_P(WatchTest, CatchUpSendsOnlyTheLeadsChangedSinceARevisionNoLongerRetained) {
  StartServer({"--retention=1s", "--trim_interval=200ms"});
  IngestOk({Event("a", "alpha", v1::EVENT_TYPE_LEAD_GENERATED, 0),
            Event("b", "beta", v1::EVENT_TYPE_LEAD_GENERATED, 0),
            Event("c", "gamma", v1::EVENT_TYPE_LEAD_GENERATED, 0)});  // revisions 1-3
  IngestOk({Event("b1", "beta", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
            Event("b2", "beta", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent"),
            Event("c1", "gamma", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});  // 4-6
  // Wait until the log no longer holds revision 4.
  bool trimmed = false;
  for (int i = 0; i < 100 && !trimmed; ++i) {
    v1::WatchLeadsRequest request;
    request.set_since_revision(3);
    WatchClient probe(stub_.get(), request);
    probe.WaitUntil([](const auto& r) { return !r.empty(); });  // replayed, or ended
    trimmed = probe.responses().empty() && probe.WaitForDone() &&
              probe.status().error_code() == grpc::StatusCode::OUT_OF_RANGE;
    if (!trimmed) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(trimmed) << "the change log was never trimmed";

  v1::WatchLeadsRequest request;
  request.set_since_revision(3);
  request.set_catch_up(true);
  WatchClient watch(stub_.get(), request);
  ASSERT_TRUE(watch.WaitForSynced());
  std::vector<v1::WatchLeadsResponse> got = watch.responses();
  ASSERT_EQ(got.size(), 3u);  // beta as of 5, gamma as of 6, synced: alpha did not change
  EXPECT_EQ(got[0].lead_change().kind(), v1::CHANGE_KIND_CURRENT);
  EXPECT_EQ(got[0].lead_change().lead().id(), "beta");
  EXPECT_EQ(got[0].revision(), 5);
  EXPECT_EQ(got[0].lead_change().lead().stage(), "research");
  EXPECT_EQ(got[1].lead_change().lead().id(), "gamma");
  EXPECT_EQ(got[1].revision(), 6);
  EXPECT_TRUE(got[2].has_synced());
  EXPECT_EQ(got[2].revision(), 6);
  // Then live, as after any replay.
  IngestOk({Event("a1", "alpha", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});
  ASSERT_TRUE(watch.WaitUntil([](const auto& r) { return r.size() >= 4; }));
  EXPECT_EQ(watch.responses()[3].revision(), 7);
  EXPECT_EQ(watch.responses()[3].lead_change().kind(), v1::CHANGE_KIND_STAGE_CHANGED);
}

TEST_P(WatchTest, ASnapshotComesInPagesWhenAsked) {
  StartServer();
  std::vector<v1::PipelineEvent> seed;
  for (int i = 0; i < 2500; ++i) {
    seed.push_back(Event(absl::StrCat("g", i), absl::StrCat("lead-", i),
                         v1::EVENT_TYPE_LEAD_GENERATED, 0));
  }
  IngestOk(seed);
  v1::WatchLeadsRequest request;
  request.set_snapshot_pages(true);
  WatchClient watch(stub_.get(), request);
  ASSERT_TRUE(watch.WaitForSynced());
  std::vector<v1::WatchLeadsResponse> got = watch.responses();
  ASSERT_EQ(got.size(), 4u);  // 1,000 + 1,000 + 500 cards, then synced
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i].has_snapshot_page());
    EXPECT_EQ(got[i].revision(), 0);
    EXPECT_LE(got[i].snapshot_page().leads_size(), 1000);
    for (const v1::Lead& lead : got[i].snapshot_page().leads()) {
      ids.insert(lead.id());
      EXPECT_EQ(lead.stage(), "harvested");
      EXPECT_GT(lead.revision(), 0);
    }
  }
  EXPECT_EQ(ids.size(), 2500u);
  EXPECT_TRUE(got[3].has_synced());
  EXPECT_EQ(got[3].revision(), 2500);
}

LEADBOARD_INSTANTIATE_BACKENDS(WatchTest);

}  // namespace
}  // namespace leadboard
