// Where the time goes, through the real server: each lead's agent timeline
// in GetLead, GetAgentStats and its validation, the CLI's `agents`,
// `timeline` and `list --stalled`, and stalled leads and jobs flagged live
// (once, also with two replicas sweeping) and cleared by the next event.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadboard/client.h"
#include "server_fixture.h"
#include "test_database.h"

namespace leadboard {
namespace {

using ::testing::HasSubstr;
using testing::Event;
using testing::RunCommand;
using testing::ServerProcess;
using testing::ServerTest;
using testing::WatchClient;

v1::PipelineEvent AgentEnd(const std::string& id, const std::string& lead, int second,
                           const std::string& agent, bool ok, const std::string& message = "") {
  v1::PipelineEvent event = Event(id, lead, v1::EVENT_TYPE_AGENT_END, second, agent);
  event.set_success(ok);
  event.set_message(message);
  return event;
}

// One lead's run: two agents, the second failing once and retried.
std::vector<v1::PipelineEvent> LeadRun(const std::string& lead) {
  return {Event(lead + "-s", lead, v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0),
          Event(lead + "-q1", lead, v1::EVENT_TYPE_AGENT_START, 1, "LeadQualificationAgent"),
          AgentEnd(lead + "-q2", lead, 3, "lead_qualification_agent", true),
          Event(lead + "-p1", lead, v1::EVENT_TYPE_AGENT_START, 4, "pain_point_deepening_agent"),
          AgentEnd(lead + "-p2", lead, 6, "pain_point_deepening_agent", false, "rate limited"),
          Event(lead + "-p3", lead, v1::EVENT_TYPE_AGENT_START, 7, "pain_point_deepening_agent"),
          AgentEnd(lead + "-p4", lead, 12, "pain_point_deepening_agent", true)};
}

bool HasStalledChange(const std::vector<v1::WatchLeadsResponse>& responses,
                      const std::string& lead) {
  for (const auto& r : responses) {
    if (r.has_lead_change() && r.lead_change().kind() == v1::CHANGE_KIND_STALLED &&
        r.lead_change().lead().id() == lead) {
      return true;
    }
  }
  return false;
}

class AgentsTest : public ServerTest {};

TEST_P(AgentsTest, GetLeadHasTheTimelineAndGetAgentStatsCountsIt) {
  StartServer();
  // Arrival order reversed: pairing goes by event time.
  std::vector<v1::PipelineEvent> events = LeadRun("a");
  std::reverse(events.begin(), events.end());
  IngestOk(events);
  IngestOk(LeadRun("b"));

  v1::Lead lead = GetLead("a");
  ASSERT_EQ(lead.runs_size(), 1);
  const v1::AgentRun& run = lead.runs(0);
  ASSERT_EQ(run.steps_size(), 3);
  EXPECT_EQ(run.steps(0).agent(), "leadqualification");
  EXPECT_EQ(run.steps(0).duration().seconds(), 2);
  EXPECT_EQ(run.steps(1).status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(run.steps(1).error(), "rate limited");
  EXPECT_EQ(run.steps(2).attempt(), 2);
  EXPECT_EQ(run.steps(2).wait_before().seconds(), 1);

  grpc::ClientContext context;
  v1::GetAgentStatsRequest request;
  request.set_job_id("job-1");
  v1::GetAgentStatsResponse stats;
  ASSERT_TRUE(stub_->GetAgentStats(&context, request, &stats).ok());
  EXPECT_EQ(stats.steps(), 6);
  ASSERT_EQ(stats.agents_size(), 2);
  const v1::AgentStats& pain = stats.agents(1);
  EXPECT_EQ(pain.agent(), "painpointdeepening");
  EXPECT_EQ(pain.steps(), 4);
  EXPECT_EQ(pain.failed(), 2);
  EXPECT_EQ(pain.retries(), 2);
  EXPECT_DOUBLE_EQ(pain.failure_rate(), 0.5);
  EXPECT_EQ(pain.max().seconds(), 5);

  // Bad filters name their field.
  grpc::ClientContext bad_context;
  v1::GetAgentStatsRequest bad;
  bad.mutable_since()->set_seconds(2000000000);
  bad.mutable_until()->set_seconds(1000000000);
  grpc::Status status = stub_->GetAgentStats(&bad_context, bad, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("until"));
}

TEST_P(AgentsTest, AStalledLeadIsFlaggedLiveOnceAndClearedByItsNextEvent) {
  StartServer({"--stall_after=1s"});
  IngestOk({Event("s", "hangs", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0),
            Event("a", "hangs", v1::EVENT_TYPE_AGENT_START, 1, "lead_qualification_agent"),
            Event("g", "queued", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  WatchClient watch(stub_.get(), v1::WatchLeadsRequest());
  ASSERT_TRUE(watch.WaitUntil([](const auto& r) { return HasStalledChange(r, "hangs"); }));
  // Once: a second stall interval later there is still one.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  int stalled_changes = 0;
  for (const auto& r : watch.changes()) {
    if (r.lead_change().kind() == v1::CHANGE_KIND_STALLED) {
      ++stalled_changes;
      EXPECT_EQ(r.lead_change().lead().id(), "hangs");  // a harvested lead is not mid-run
      EXPECT_TRUE(r.lead_change().lead().has_stalled_since());
    }
  }
  EXPECT_EQ(stalled_changes, 1);

  grpc::ClientContext list_context;
  v1::ListLeadsRequest list;
  list.set_stalled(true);
  v1::ListLeadsResponse listed;
  ASSERT_TRUE(stub_->ListLeads(&list_context, list, &listed).ok());
  ASSERT_EQ(listed.leads_size(), 1);
  EXPECT_EQ(listed.leads(0).id(), "hangs");
  grpc::ClientContext board_context;
  v1::Board board;
  ASSERT_TRUE(stub_->GetBoard(&board_context, v1::GetBoardRequest(), &board).ok());
  int64_t stalled_in_columns = 0;
  for (const auto& column : board.columns()) stalled_in_columns += column.stalled_count();
  EXPECT_EQ(stalled_in_columns, 1);
  grpc::ClientContext jobs_context;
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(stub_->ListJobs(&jobs_context, v1::ListJobsRequest(), &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 1);
  EXPECT_TRUE(jobs.jobs(0).has_stalled_since());

  // The CLI shows it.
  testing::CommandResult cli = RunCommand(
      {LEADBOARD_CLI_BIN, "--target", server_->target(), "list", "--stalled"});
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_THAT(cli.output, HasSubstr("hangs"));
  EXPECT_THAT(cli.output, HasSubstr("STALLED"));
  EXPECT_THAT(cli.output, ::testing::Not(HasSubstr("queued")));

  // The agent reports again: a change clears the flag.
  const size_t before = watch.changes().size();
  IngestOk({AgentEnd("e", "hangs", 5, "lead_qualification_agent", true)});
  ASSERT_TRUE(
      watch.WaitUntil([&](const auto& r) { return testing::CountChanges(r) > before; }));
  EXPECT_FALSE(watch.changes().back().lead_change().lead().has_stalled_since());
  EXPECT_FALSE(GetLead("hangs").has_stalled_since());
}

TEST_P(AgentsTest, TheCliPrintsAgentsAndTimelines) {
  StartServer();
  IngestOk(LeadRun("a"));
  testing::CommandResult all =
      RunCommand({LEADBOARD_CLI_BIN, "--target", server_->target(), "agents"});
  EXPECT_EQ(all.exit_code, 0) << all.output;
  EXPECT_THAT(all.output, HasSubstr("painpointdeepening"));
  EXPECT_THAT(all.output, HasSubstr("3 steps"));
  // The run's events are dated 2026-01-01: not within the last minute.
  testing::CommandResult recent = RunCommand(
      {LEADBOARD_CLI_BIN, "--target", server_->target(), "agents", "--since", "1m"});
  EXPECT_THAT(recent.output, HasSubstr("0 steps"));
  testing::CommandResult bad = RunCommand(
      {LEADBOARD_CLI_BIN, "--target", server_->target(), "agents", "--since", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("--since"));

  testing::CommandResult timeline =
      RunCommand({LEADBOARD_CLI_BIN, "--target", server_->target(), "timeline", "a"});
  EXPECT_EQ(timeline.exit_code, 0) << timeline.output;
  EXPECT_THAT(timeline.output, HasSubstr("pain_point_deepening_agent"));
  EXPECT_THAT(timeline.output, HasSubstr("failed: rate limited"));
}

LEADBOARD_INSTANTIATE_BACKENDS(AgentsTest);

// Two replicas sweep the same database at the same moments: each stall is
// flagged once, and watchers on both replicas see that one change.
TEST(AgentsReplicaTest, TwoReplicasFlagEachStallOnce) {
  std::string skip;
  auto db = testing::TestDatabase::Create(testing::Backend::kPostgres, &skip);
  if (db == nullptr) GTEST_SKIP() << skip;
  ServerProcess a(db->url(), db->dir(), {"--stall_after=1s"});
  ServerProcess b(db->url(), testing::MakeTempDir(), {"--stall_after=1s"});
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  client::Client ca({a.target()}), cb({b.target()});
  std::vector<v1::PipelineEvent> events;
  for (int i = 0; i < 20; ++i) {
    events.push_back(Event(absl::StrCat("s", i), absl::StrCat("lead-", i),
                           v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0));
  }
  ASSERT_TRUE(ca.Ingest(events, {}).ok());
  // Both replicas get 3 s: many sweeps each, after every lead's limit.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  for (client::Client* c : {&ca, &cb}) {
    std::vector<int64_t> stalled_revisions;
    client::WatchOptions options;
    options.since_revision = 20;  // after the 20 CREATED changes
    (void)c->Watch(options, [&](const v1::WatchLeadsResponse& r) {
      if (r.has_lead_change()) {
        EXPECT_EQ(r.lead_change().kind(), v1::CHANGE_KIND_STALLED);
        stalled_revisions.push_back(r.revision());
      }
      return !r.has_synced();
    });
    ASSERT_EQ(stalled_revisions.size(), 20u);
    for (size_t i = 0; i < stalled_revisions.size(); ++i) {
      EXPECT_EQ(stalled_revisions[i], static_cast<int64_t>(21 + i));
    }
  }
}

}  // namespace
}  // namespace leadboard
