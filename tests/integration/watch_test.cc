// Watch semantics beyond replay, on the real server and both databases:
// conflation (a board that falls behind gets each lead's newest card, in
// revision order, and is never cut off) and catch-up (a watcher whose
// revision left the change log gets the changed leads' current cards
// instead of OUT_OF_RANGE and a full relist), and batches (what waits for a
// watcher goes out in one response, the same messages in the same order).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
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
  // Harvests leads lead-0 .. lead-(n-1): revisions 1 to n.
  void HarvestLeads(int n) {
    std::vector<v1::PipelineEvent> seed;
    for (int i = 0; i < n; ++i) {
      seed.push_back(Event(absl::StrCat("g", i), absl::StrCat("lead-", i),
                           v1::EVENT_TYPE_LEAD_GENERATED, 0));
    }
    IngestOk(seed);
  }
};

// True for `synced`, alone or ending a batch.
bool EndsWithSynced(const v1::WatchLeadsResponse& response) {
  return response.has_synced() ||
         (response.has_batch() && response.batch().messages().rbegin()->has_synced());
}

// Reads a stream to its synced marker, leaving the rest unread.
void ReadToSynced(grpc::ClientReader<v1::WatchLeadsResponse>* reader) {
  v1::WatchLeadsResponse response;
  while (reader->Read(&response) && !EndsWithSynced(response)) {
  }
}

TEST_P(WatchTest, AConflatingWatcherFallsBehindWithoutBeingCutOff) {
  StartServer({"--watch_queue_limit=20"});
  constexpr int kLeads = 5, kUpdates = 2000;
  HarvestLeads(kLeads);
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
  HarvestLeads(2500);
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

// Reads responses until `done` says so or the stream ends.
std::vector<v1::WatchLeadsResponse> ReadUntil(
    grpc::ClientReader<v1::WatchLeadsResponse>* reader,
    const std::function<bool(const v1::WatchLeadsResponse&)>& done) {
  std::vector<v1::WatchLeadsResponse> got;
  v1::WatchLeadsResponse response;
  while (reader->Read(&response)) {
    got.push_back(response);
    if (done(response)) break;
  }
  return got;
}

// The messages of `responses` with every batch unpacked; checks what a
// batch promises on the way (never nested, its revision its last message's).
std::vector<v1::WatchLeadsResponse> Unpacked(const std::vector<v1::WatchLeadsResponse>& responses) {
  std::vector<v1::WatchLeadsResponse> messages;
  for (const v1::WatchLeadsResponse& response : responses) {
    if (!response.has_batch()) {
      messages.push_back(response);
      continue;
    }
    EXPECT_GT(response.batch().messages_size(), 1) << "a batch of one is a message";
    EXPECT_LE(response.batch().messages_size(), 1000);
    EXPECT_EQ(response.revision(), response.batch().messages().rbegin()->revision());
    for (const v1::WatchLeadsResponse& message : response.batch().messages()) {
      EXPECT_FALSE(message.has_batch());
      messages.push_back(message);
    }
  }
  return messages;
}

TEST_P(WatchTest, AReplayComesInBatchesWhenAskedWithTheSameMessagesInOrder) {
  StartServer();
  HarvestLeads(2500);  // revisions 1 to 2500
  v1::WatchLeadsRequest request;
  request.set_since_revision(1);
  grpc::ClientContext plain_context, batched_context;
  // A stream that stops short ends at its deadline, and the counts below
  // say where (rather than the suite's timeout, which says nothing).
  for (grpc::ClientContext* context : {&plain_context, &batched_context}) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  }
  auto plain = stub_->WatchLeads(&plain_context, request);
  request.set_batch(true);
  auto batched = stub_->WatchLeads(&batched_context, request);
  const std::vector<v1::WatchLeadsResponse> one_by_one = ReadUntil(plain.get(), EndsWithSynced);
  const std::vector<v1::WatchLeadsResponse> in_batches = ReadUntil(batched.get(), EndsWithSynced);

  ASSERT_EQ(one_by_one.size(), 2500u);  // 2,499 changes, then synced
  // The whole replay was waiting: batches of the most a batch holds.
  ASSERT_EQ(in_batches.size(), 3u) << "messages: " << Unpacked(in_batches).size();
  EXPECT_EQ(in_batches[0].batch().messages_size(), 1000);
  EXPECT_EQ(in_batches[1].batch().messages_size(), 1000);
  EXPECT_EQ(in_batches[2].batch().messages_size(), 500);
  EXPECT_TRUE(in_batches[2].batch().messages(499).has_synced());
  const std::vector<v1::WatchLeadsResponse> unpacked = Unpacked(in_batches);
  ASSERT_EQ(unpacked.size(), one_by_one.size());
  for (size_t i = 0; i < unpacked.size(); ++i) {
    ASSERT_EQ(unpacked[i].SerializeAsString(), one_by_one[i].SerializeAsString()) << "message " << i;
  }

  // Live, a watcher that keeps up gets one message per response.
  IngestOk({Event("s", "lead-0", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});
  const std::vector<v1::WatchLeadsResponse> live =
      ReadUntil(batched.get(), [](const auto& r) { return r.revision() == 2501; });
  ASSERT_EQ(live.size(), 1u);
  EXPECT_TRUE(live[0].has_lead_change());
  plain_context.TryCancel();
  batched_context.TryCancel();
}

TEST_P(WatchTest, AWatcherThatFellBehindGetsEveryChangeInBatches) {
  StartServer();
  constexpr int kLeads = 5, kUpdates = 2000;
  HarvestLeads(kLeads);  // revisions 1 to 5
  // Stops reading after `synced`: the changes below wait for it.
  grpc::ClientContext context;
  v1::WatchLeadsRequest request;
  request.set_batch(true);
  auto watch = stub_->WatchLeads(&context, request);
  ReadToSynced(watch.get());

  std::vector<v1::PipelineEvent> updates;
  for (int i = 0; i < kUpdates; ++i) {
    updates.push_back(Status(absl::StrCat("u", i), absl::StrCat("lead-", i % kLeads), 1 + i, 8192));
  }
  IngestOk(updates);
  const int64_t last = kLeads + kUpdates;
  ASSERT_EQ(GetLead(absl::StrCat("lead-", (kUpdates - 1) % kLeads)).revision(), last);

  const std::vector<v1::WatchLeadsResponse> responses =
      ReadUntil(watch.get(), [&](const auto& r) { return r.revision() >= last; });
  // Every change, in order, none twice (heartbeats aside).
  std::vector<int64_t> revisions;
  for (const v1::WatchLeadsResponse& message : Unpacked(responses)) {
    if (message.has_lead_change()) revisions.push_back(message.revision());
  }
  ASSERT_EQ(revisions.size(), static_cast<size_t>(kUpdates));
  for (int i = 0; i < kUpdates; ++i) ASSERT_EQ(revisions[i], kLeads + 1 + i);
  int batches = 0;
  for (const v1::WatchLeadsResponse& response : responses) {
    if (!response.has_batch()) continue;
    ++batches;
    // 1 MiB of messages at most, plus their framing: the message that
    // would pass it waits for the next batch.
    EXPECT_LE(response.ByteSizeLong(), (1u << 20) + 4096);
  }
  std::printf("%d changes in %zu responses, %d of them batches\n", kUpdates, responses.size(),
              batches);
  EXPECT_GT(batches, 0);
  EXPECT_LT(responses.size(), static_cast<size_t>(kUpdates));
  context.TryCancel();
}

LEADBOARD_INSTANTIATE_BACKENDS(WatchTest);

}  // namespace
}  // namespace leadboard
