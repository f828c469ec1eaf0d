// Integration tests: the real leadboard-server binary on an ephemeral
// loopback port, on a real SQLite file and on a real PostgreSQL schema,
// driven through its gRPC API: ingest -> watch end to end.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadboard/v1/leadboard.grpc.pb.h"
#include "server_fixture.h"

namespace leadboard {
namespace {

// This process's gRPC clients sit idle between calls, and an idle C++
// client answers the server's shutdown ping only when its backup poller
// wakes (every 5 s by default): shutdown would seem to take 5 s. Real
// clients poll their channels (Python, the CLI, a watching board).
const bool kPollOften = setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "50", 0) == 0;

using ::testing::HasSubstr;
using testing::CountChanges;
using testing::Event;
using testing::ServerTest;
using testing::WatchClient;

TEST_P(ServerTest, SnapshotThenSyncedThenLiveChanges) {
  StartServer();
  v1::PipelineEvent generated = Event("g1", "acme", v1::EVENT_TYPE_LEAD_GENERATED, 0);
  generated.mutable_lead()->set_company_name("TechStart Solutions");
  generated.mutable_lead()->set_description("Digital transformation for SMEs in Curitiba");
  v1::IngestSummary summary = IngestOk(
      {generated, Event("g2", "beta", v1::EVENT_TYPE_LEAD_GENERATED, 0),
       Event("s1", "acme", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});
  EXPECT_EQ(summary.accepted(), 3);
  EXPECT_EQ(summary.last_revision(), 3);

  auto watch = Watch(0);
  ASSERT_TRUE(watch->WaitForSynced());
  auto responses = watch->responses();
  ASSERT_EQ(responses.size(), 3u);  // two snapshot entries, then synced
  EXPECT_EQ(responses[0].lead_change().kind(), v1::CHANGE_KIND_SNAPSHOT);
  EXPECT_EQ(responses[0].lead_change().lead().id(), "acme");
  EXPECT_EQ(responses[0].lead_change().lead().stage(), "intake");
  EXPECT_EQ(responses[0].lead_change().lead().profile().company_name(), "TechStart Solutions");
  // Watch cards leave the description to GetLead.
  EXPECT_EQ(responses[0].lead_change().lead().profile().description(), "");
  EXPECT_EQ(GetLead("acme").profile().description(), "Digital transformation for SMEs in Curitiba");
  EXPECT_TRUE(responses[2].has_synced());
  EXPECT_EQ(responses[2].revision(), 3);

  IngestOk({Event("a1", "acme", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent")});
  ASSERT_TRUE(watch->WaitUntil([](const auto& r) { return r.size() >= 4 && r[3].has_lead_change(); }));
  auto live = watch->changes();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].revision(), 4);
  EXPECT_EQ(live[0].lead_change().kind(), v1::CHANGE_KIND_STAGE_CHANGED);
  EXPECT_EQ(live[0].lead_change().previous_stage(), "intake");
  EXPECT_EQ(live[0].lead_change().lead().stage(), "research");
  EXPECT_EQ(live[0].lead_change().agent(), "TavilyEnrichmentAgent");
  // Heartbeats follow with the current revision.
  ASSERT_TRUE(watch->WaitUntil([](const auto& r) { return r.back().has_progress(); }));
  EXPECT_EQ(watch->responses().back().revision(), 4);
}

TEST_P(ServerTest, ReplaysEveryChangeAfterARevision) {
  StartServer();
  IngestOk({Event("1", "a", v1::EVENT_TYPE_LEAD_GENERATED, 0),
            Event("2", "a", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
            Event("3", "a", v1::EVENT_TYPE_AGENT_START, 2, "PainPointDeepeningAgent"),
            Event("4", "a", v1::EVENT_TYPE_AGENT_START, 3, "CompetitorIdentificationAgent")});
  auto watch = Watch(2);
  ASSERT_TRUE(watch->WaitForSynced());
  auto responses = watch->responses();
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].revision(), 3);
  EXPECT_EQ(responses[0].lead_change().lead().stage(), "qualification");
  EXPECT_EQ(responses[1].revision(), 4);
  EXPECT_TRUE(responses[2].has_synced());
  EXPECT_EQ(responses[2].revision(), 4);
}

TEST_P(ServerTest, OutOfRangeWhenTheRevisionIsNoLongerRetained) {
  StartServer({"--retention=1s", "--trim_interval=100ms"});
  IngestOk({Event("1", "a", v1::EVENT_TYPE_LEAD_GENERATED, 0),
            Event("2", "a", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  IngestOk({Event("3", "a", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent")});
  auto watch = Watch(1);
  ASSERT_TRUE(watch->WaitForDone());
  EXPECT_EQ(watch->status().error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(watch->status().error_message(), HasSubstr("oldest retained revision is 3"));
  // A snapshot still works.
  auto snapshot = Watch(0);
  ASSERT_TRUE(snapshot->WaitForSynced());
}

TEST_P(ServerTest, DuplicatesAreCountedAndChangeNothing) {
  StartServer();
  std::vector<v1::PipelineEvent> events = {Event("1", "a", v1::EVENT_TYPE_LEAD_GENERATED, 0),
                                           Event("2", "a", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)};
  EXPECT_EQ(IngestOk(events).accepted(), 2);
  v1::IngestSummary again = IngestOk(events);
  EXPECT_EQ(again.accepted(), 0);
  EXPECT_EQ(again.duplicates(), 2);
  EXPECT_EQ(again.last_revision(), 2);
  EXPECT_EQ(GetLead("a").revision(), 2);
}

TEST_P(ServerTest, RejectsBadEventsWithReasonsAndKeepsTheGoodOnes) {
  StartServer();
  v1::PipelineEvent no_lead = Event("bad1", "", v1::EVENT_TYPE_LEAD_GENERATED, 0);
  v1::PipelineEvent long_id = Event(std::string(200, 'x'), "a", v1::EVENT_TYPE_LEAD_GENERATED, 0);
  v1::PipelineEvent wrong_field = Event("bad3", "a", v1::EVENT_TYPE_AGENT_START, 2, "X");
  wrong_field.mutable_enrichment()->add_strategic_questions("q");
  v1::IngestSummary summary = IngestOk(
      {Event("ok1", "a", v1::EVENT_TYPE_LEAD_GENERATED, 0), no_lead, long_id, wrong_field,
       Event("ok2", "a", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});
  EXPECT_EQ(summary.accepted(), 2);
  ASSERT_EQ(summary.rejected_size(), 3);
  EXPECT_EQ(summary.rejected(0).index(), 1);
  EXPECT_EQ(summary.rejected(0).event_id(), "bad1");
  EXPECT_EQ(summary.rejected(0).field(), "lead_id");
  EXPECT_THAT(summary.rejected(0).reason(), HasSubstr("is required"));
  EXPECT_EQ(summary.rejected(1).index(), 2);
  EXPECT_EQ(summary.rejected(1).field(), "event_id");
  EXPECT_THAT(summary.rejected(1).reason(), HasSubstr("limit is 128"));
  EXPECT_EQ(summary.rejected(2).field(), "enrichment");
  EXPECT_EQ(GetLead("a").stage(), "intake");
}

TEST_P(ServerTest, UnaryCallsValidateAndAnswer) {
  StartServer();
  IngestOk({Event("1", "a", v1::EVENT_TYPE_LEAD_GENERATED, 0),
            Event("2", "b", v1::EVENT_TYPE_LEAD_GENERATED, 0),
            Event("3", "b", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});
  {
    grpc::ClientContext context;
    v1::GetLeadRequest request;
    request.set_lead_id("nope");
    v1::Lead lead;
    grpc::Status status = stub_->GetLead(&context, request, &lead);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(), HasSubstr("\"nope\" not found"));
  }
  {
    grpc::ClientContext context;
    v1::ListLeadsRequest request;
    request.set_stage("limbo");
    v1::ListLeadsResponse response;
    grpc::Status status = stub_->ListLeads(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("stage: unknown column \"limbo\""));
    EXPECT_FALSE(status.error_details().empty());  // google.rpc.BadRequest
  }
  {
    grpc::ClientContext context;
    v1::ListLeadsRequest request;
    request.set_page_size(1);
    v1::ListLeadsResponse response;
    ASSERT_TRUE(stub_->ListLeads(&context, request, &response).ok());
    ASSERT_EQ(response.leads_size(), 1);
    EXPECT_EQ(response.leads(0).id(), "a");
    grpc::ClientContext next_context;
    request.set_page_token(response.next_page_token());
    v1::ListLeadsResponse next;
    ASSERT_TRUE(stub_->ListLeads(&next_context, request, &next).ok());
    ASSERT_EQ(next.leads_size(), 1);
    EXPECT_EQ(next.leads(0).id(), "b");
    EXPECT_TRUE(next.next_page_token().empty());
  }
  {
    grpc::ClientContext context;
    v1::Board board;
    ASSERT_TRUE(stub_->GetBoard(&context, v1::GetBoardRequest(), &board).ok());
    ASSERT_EQ(board.columns_size(), 14);  // 9 the pipeline fills, 5 people's
    EXPECT_EQ(board.columns(0).id(), "harvested");
    EXPECT_EQ(board.columns(0).lead_count(), 1);
    EXPECT_EQ(board.columns(1).lead_count(), 1);
    EXPECT_TRUE(board.columns(7).terminal());
    EXPECT_EQ(board.revision(), 3);
  }
  {
    // The columns alone: the same columns and revision, nothing counted.
    grpc::ClientContext context;
    v1::GetBoardRequest request;
    request.set_columns_only(true);
    v1::Board board;
    ASSERT_TRUE(stub_->GetBoard(&context, request, &board).ok());
    ASSERT_EQ(board.columns_size(), 14);
    EXPECT_EQ(board.columns(0).id(), "harvested");
    EXPECT_TRUE(board.columns(7).terminal());
    for (const v1::BoardColumn& column : board.columns()) EXPECT_EQ(column.lead_count(), 0);
    EXPECT_EQ(board.revision(), 3);
  }
  {
    grpc::ClientContext context;
    v1::ListJobsResponse jobs;
    ASSERT_TRUE(stub_->ListJobs(&context, v1::ListJobsRequest(), &jobs).ok());
    ASSERT_EQ(jobs.jobs_size(), 1);
    EXPECT_EQ(jobs.jobs(0).id(), "job-1");
    EXPECT_EQ(jobs.jobs(0).lead_count(), 2);
  }
}

TEST_P(ServerTest, ASlowWatcherIsCutOffAndNobodyElseNotices) {
  StartServer({"--watch_queue_limit=1000"});
  grpc::ClientContext slow_context;
  v1::WatchLeadsRequest request;
  auto slow = stub_->WatchLeads(&slow_context, request);  // never read until the end
  auto fast = Watch(0);
  ASSERT_TRUE(fast->WaitForSynced());
  // Big activity lines so the stalled stream's transport buffers fill; in
  // streams of 250 so that a reading watcher's queue never nears its bound.
  constexpr int kStreams = 12;
  constexpr int kPerStream = 250;
  for (int s = 0; s < kStreams; ++s) {
    std::vector<v1::PipelineEvent> events;
    for (int i = 0; i < kPerStream; ++i) {
      const int n = s * kPerStream + i;
      v1::PipelineEvent event = Event(absl::StrCat("s", n), "busy", v1::EVENT_TYPE_STATUS_UPDATE, n);
      event.set_message(absl::StrCat(n, ": ", std::string(8000, 'x')));
      events.push_back(event);
    }
    EXPECT_EQ(IngestOk(events).accepted(), kPerStream);
    ASSERT_TRUE(fast->WaitUntil(
        [&](const auto& r) { return CountChanges(r) >= static_cast<size_t>((s + 1) * kPerStream); }));
  }
  auto changes = fast->changes();
  ASSERT_EQ(changes.size(), static_cast<size_t>(kStreams * kPerStream));
  for (size_t i = 0; i < changes.size(); ++i) ASSERT_EQ(changes[i].revision(), i + 1);

  v1::WatchLeadsResponse response;
  int64_t last = 0;
  while (slow->Read(&response)) last = response.revision();
  grpc::Status status = slow->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat("last revision sent ", last)));
  EXPECT_LT(last, kStreams * kPerStream);
}

TEST_P(ServerTest, ConcurrentStreamsGetDenseInOrderRevisions) {
  StartServer();
  auto watch = Watch(0);
  ASSERT_TRUE(watch->WaitForSynced());
  constexpr int kPerStream = 400;
  auto stream = [&](const std::string& prefix) {
    std::vector<v1::PipelineEvent> events;
    for (int i = 0; i < kPerStream; ++i) {
      events.push_back(Event(absl::StrCat(prefix, i), absl::StrCat(prefix, "-lead-", i % 40),
                             i < 40 ? v1::EVENT_TYPE_LEAD_GENERATED : v1::EVENT_TYPE_STATUS_UPDATE,
                             i));
      events.back().set_message(absl::StrCat("step ", i));
    }
    v1::IngestSummary summary;
    EXPECT_TRUE(Ingest(events, &summary).ok());
    EXPECT_EQ(summary.accepted(), kPerStream);
  };
  std::thread a(stream, "a");
  std::thread b(stream, "b");
  a.join();
  b.join();
  ASSERT_TRUE(watch->WaitUntil([&](const auto& r) { return CountChanges(r) >= 2 * kPerStream; }))
      << "got " << watch->changes().size() << " changes; stream status "
      << watch->status().error_code() << " " << watch->status().error_message();
  auto changes = watch->changes();
  ASSERT_EQ(changes.size(), 2u * kPerStream);
  for (size_t i = 0; i < changes.size(); ++i) ASSERT_EQ(changes[i].revision(), i + 1);
}

TEST_P(ServerTest, AKilledServerLosesNoAcknowledgedEvent) {
  StartServer();
  std::vector<v1::PipelineEvent> events;
  for (int i = 0; i < 200; ++i) {
    events.push_back(Event(absl::StrCat("e", i), absl::StrCat("lead-", i % 20),
                           i < 20 ? v1::EVENT_TYPE_LEAD_GENERATED : v1::EVENT_TYPE_AGENT_START, i,
                           "TavilyEnrichmentAgent"));
  }
  v1::IngestSummary summary = IngestOk(events);
  ASSERT_EQ(summary.accepted(), 200);
  server_->Kill();  // SIGKILL right after the acknowledgement
  ASSERT_TRUE(server_->Start().ok());
  Connect();
  v1::IngestSummary again = IngestOk(events);
  EXPECT_EQ(again.duplicates(), 200);
  EXPECT_EQ(again.last_revision(), summary.last_revision());
  EXPECT_EQ(GetLead("lead-7").stage(), "research");
  auto watch = Watch(0);
  ASSERT_TRUE(watch->WaitForSynced());
  EXPECT_EQ(watch->responses().size(), 21u);  // 20 leads + synced
}

TEST_P(ServerTest, ShutdownEndsWatchesWithAResumePoint) {
  StartServer();
  IngestOk({Event("1", "a", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  auto watch = Watch(0);
  ASSERT_TRUE(watch->WaitForSynced());
  EXPECT_EQ(server_->Stop(), 0);
  ASSERT_TRUE(watch->WaitForDone());
  EXPECT_EQ(watch->status().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(watch->status().error_message(), HasSubstr("resume with since_revision 1"));
}

// A worker's ingest stream stays open while its pipeline runs: shutdown
// must not wait for it. The stream ends at once with what was processed,
// every event it reported as processed is durable, and the server exits
// long before the grace (printed; not asserted to the millisecond).
TEST_P(ServerTest, ShutdownEndsOpenIngestStreamsPromptlyLosingNothing) {
  StartServer({"--shutdown_grace=30s"});
  grpc::ClientContext context;
  v1::IngestSummary summary;
  auto writer = stub_->IngestEvents(&context, &summary);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(writer->Write(Event(absl::StrCat("open-", i), absl::StrCat("lead-", i),
                                    v1::EVENT_TYPE_LEAD_GENERATED, i)));
  }
  auto watch = Watch(0);
  ASSERT_TRUE(watch->WaitUntil([](const auto& r) { return CountChanges(r) + r.size() >= 4; }));
  ASSERT_TRUE(watch->WaitForSynced());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->Stop(), 0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("shutdown with an open ingest stream and a watch: %.3f s (grace 30 s)\n", seconds);
  EXPECT_LT(seconds, 15.0);  // far below the grace: the streams did not hold it
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("the first 3 events of this stream were processed"));
  EXPECT_THAT(status.error_message(), HasSubstr("accepted 3"));
  ASSERT_TRUE(watch->WaitForDone());
  EXPECT_EQ(watch->status().error_code(), grpc::StatusCode::UNAVAILABLE);
  // Nothing processed is lost: a restarted server has all three.
  ASSERT_TRUE(server_->Start().ok());
  Connect();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(GetLead(absl::StrCat("lead-", i)).stage(), "harvested");
}

LEADBOARD_INSTANTIATE_BACKENDS(ServerTest);

}  // namespace
}  // namespace leadboard
