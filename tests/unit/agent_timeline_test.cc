// The agent timeline: pairing of AGENT_START / AGENT_END into steps over
// every order of a run's events, repeats, retries, missing starts and ends,
// spellings, tool calls, waits, runs and the log's bound.
#include "engine/agent_timeline.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "engine/board_config.h"
#include "engine/stage_engine.h"
#include "event_builder.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace leadboard::engine {
namespace {

using google::protobuf::util::TimeUtil;
using testing::MakeEvent;

constexpr int64_t kBase = 1767225600;  // MakeEvent's second 0

// A lead as the store keeps it: the engine's card plus the timeline log,
// both fed every event in the given order.
struct Fed {
  std::optional<v1::Lead> lead;
  stored::TimelineLog log;
};

Fed Feed(const StageEngine& engine, const std::vector<v1::PipelineEvent>& events,
         const std::vector<int>& order) {
  Fed fed;
  for (int i : order) {
    const v1::PipelineEvent& event = events[i];
    auto applied = engine.ApplyToLead(fed.lead ? &*fed.lead : nullptr, event);
    v1::Lead after = std::get<LeadTransition>(applied).lead;
    RecordMarker(event, &fed.log);
    RecordRunChange(engine.board(), fed.lead ? &*fed.lead : nullptr, after, &fed.log);
    fed.lead = std::move(after);
  }
  return fed;
}

Fed FeedInOrder(const StageEngine& engine, const std::vector<v1::PipelineEvent>& events) {
  std::vector<int> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  return Feed(engine, events, order);
}

std::vector<v1::AgentRun> Runs(const StageEngine& engine, const Fed& fed) {
  return BuildRuns(engine.board(), fed.log, *fed.lead);
}

v1::PipelineEvent End(const std::string& id, int second, const std::string& agent, bool ok,
                      const std::string& message = "") {
  v1::PipelineEvent e = MakeEvent(id, v1::EVENT_TYPE_AGENT_END, second, agent, ok);
  e.set_message(message);
  return e;
}

v1::PipelineEvent Tool(const std::string& id, int second, const std::string& agent) {
  v1::PipelineEvent e = MakeEvent(id, v1::EVENT_TYPE_TOOL_CALL_START, second, agent);
  e.set_tool_name("web_search");
  return e;
}

int64_t Seconds(const google::protobuf::Timestamp& t) { return t.seconds() - kBase; }
int64_t Seconds(const google::protobuf::Duration& d) { return d.seconds(); }

class AgentTimelineTest : public ::testing::Test {
 protected:
  BoardConfig board_ = BoardConfig::Default();
  StageEngine engine_{board_};
};

// A run with two agents, a failed attempt retried, a tool call: every one
// of the 8! arrival orders gives the same steps.
TEST_F(AgentTimelineTest, StepsDoNotDependOnArrivalOrder) {
  const std::vector<v1::PipelineEvent> events = {
      MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0),
      MakeEvent("q1", v1::EVENT_TYPE_AGENT_START, 1, "lead_qualification_agent"),
      Tool("t1", 2, "lead_qualification_agent"),
      End("q2", 4, "LeadQualificationAgent", true),
      MakeEvent("p1", v1::EVENT_TYPE_AGENT_START, 6, "pain_point_deepening_agent"),
      End("p2", 9, "pain_point_deepening_agent", false, "rate limited"),
      MakeEvent("p3", v1::EVENT_TYPE_AGENT_START, 10, "pain_point_deepening_agent"),
      End("p4", 15, "pain_point_deepening_agent", true),
  };
  std::vector<int> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::optional<v1::AgentRun> reference;
  int orders = 0;
  do {
    Fed fed = Feed(engine_, events, order);
    std::vector<v1::AgentRun> runs = Runs(engine_, fed);
    ASSERT_EQ(runs.size(), 1u);
    if (!reference) {
      reference = runs[0];
    } else if (!google::protobuf::util::MessageDifferencer::Equals(*reference, runs[0])) {
      FAIL() << "order #" << orders << " differs:\n"
             << runs[0].DebugString() << "\nfrom\n" << reference->DebugString();
    }
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(orders, 40320);

  const v1::AgentRun& run = *reference;
  EXPECT_EQ(Seconds(run.started_at()), 0);
  EXPECT_EQ(run.outcome(), v1::LEAD_STATUS_ENRICHING);
  ASSERT_EQ(run.steps_size(), 3);
  const v1::AgentStep& q = run.steps(0);
  EXPECT_EQ(q.agent(), "leadqualification");
  EXPECT_EQ(q.agent_name(), "LeadQualificationAgent");  // of two spellings, the smaller
  EXPECT_EQ(q.attempt(), 1);
  EXPECT_EQ(q.status(), v1::STEP_STATUS_SUCCEEDED);
  EXPECT_EQ(Seconds(q.duration()), 3);
  EXPECT_EQ(Seconds(q.wait_before()), 1);  // from the run's start
  EXPECT_EQ(q.tool_calls(), 1);
  const v1::AgentStep& p1 = run.steps(1);
  EXPECT_EQ(p1.agent(), "painpointdeepening");
  EXPECT_EQ(p1.attempt(), 1);
  EXPECT_EQ(p1.status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(p1.error(), "rate limited");
  EXPECT_EQ(Seconds(p1.duration()), 3);
  EXPECT_EQ(Seconds(p1.wait_before()), 2);
  const v1::AgentStep& p2 = run.steps(2);
  EXPECT_EQ(p2.attempt(), 2);
  EXPECT_EQ(p2.status(), v1::STEP_STATUS_SUCCEEDED);
  EXPECT_EQ(Seconds(p2.duration()), 5);
  EXPECT_EQ(Seconds(p2.wait_before()), 1);
}

TEST_F(AgentTimelineTest, RepeatsCountOnceEvenUnderAnotherEventId) {
  Fed fed = FeedInOrder(engine_, {
      MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0),
      MakeEvent("a1", v1::EVENT_TYPE_AGENT_START, 1, "company_research_agent"),
      MakeEvent("a1-again", v1::EVENT_TYPE_AGENT_START, 1, "CompanyResearchAgent"),
      End("a2", 3, "company_research_agent", true),
      End("a2-again", 3, "company_research_agent", true),
  });
  std::vector<v1::AgentRun> runs = Runs(engine_, fed);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].steps_size(), 1);
  EXPECT_EQ(runs[0].steps(0).status(), v1::STEP_STATUS_SUCCEEDED);
  EXPECT_EQ(fed.log.markers_size(), 2);
}

TEST_F(AgentTimelineTest, AStepWithoutEndRunsUntilItsRunEnds) {
  std::vector<v1::PipelineEvent> events = {
      MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0),
      MakeEvent("a1", v1::EVENT_TYPE_AGENT_START, 1, "lead_qualification_agent"),
  };
  Fed fed = FeedInOrder(engine_, events);
  std::vector<v1::AgentRun> runs = Runs(engine_, fed);
  ASSERT_EQ(runs[0].steps_size(), 1);
  EXPECT_EQ(runs[0].steps(0).status(), v1::STEP_STATUS_RUNNING);
  EXPECT_FALSE(runs[0].steps(0).has_duration());
  EXPECT_FALSE(runs[0].has_ended_at());

  // The run fails without the agent's end: the step never ended.
  events.push_back(MakeEvent("f", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 8, "", false));
  fed = FeedInOrder(engine_, events);
  runs = Runs(engine_, fed);
  EXPECT_EQ(runs[0].outcome(), v1::LEAD_STATUS_FAILED);
  EXPECT_EQ(Seconds(runs[0].ended_at()), 8);
  EXPECT_EQ(runs[0].steps(0).status(), v1::STEP_STATUS_UNFINISHED);
}

TEST_F(AgentTimelineTest, AStartedAgainAgentLeftItsFirstAttemptUnfinished) {
  Fed fed = FeedInOrder(engine_, {
      MakeEvent("a1", v1::EVENT_TYPE_AGENT_START, 1, "lead_qualification_agent"),
      MakeEvent("a2", v1::EVENT_TYPE_AGENT_START, 5, "lead_qualification_agent"),
      End("a3", 7, "lead_qualification_agent", true),
  });
  std::vector<v1::AgentRun> runs = Runs(engine_, fed);
  ASSERT_EQ(runs[0].steps_size(), 2);
  EXPECT_EQ(runs[0].steps(0).status(), v1::STEP_STATUS_UNFINISHED);
  EXPECT_EQ(runs[0].steps(1).attempt(), 2);
  EXPECT_EQ(Seconds(runs[0].steps(1).duration()), 2);
  // No LEAD_ENRICHMENT_START: the run began with its earliest step.
  EXPECT_EQ(Seconds(runs[0].started_at()), 1);
}

TEST_F(AgentTimelineTest, AnEndWithoutStartIsDatedByItsDuration) {
  v1::PipelineEvent end = End("e", 10, "pain_point_deepening_agent", true);
  end.set_duration_seconds(4.5);
  v1::PipelineEvent bare = End("b", 12, "competitor_analysis_agent", true);
  Fed fed = FeedInOrder(engine_, {MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0), end,
                                  bare});
  std::vector<v1::AgentRun> runs = Runs(engine_, fed);
  ASSERT_EQ(runs[0].steps_size(), 2);
  const v1::AgentStep& dated = runs[0].steps(0);
  EXPECT_EQ(dated.agent(), "painpointdeepening");
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(dated.started_at()) - kBase * 1000, 5500);
  EXPECT_EQ(TimeUtil::DurationToMilliseconds(dated.duration()), 4500);
  const v1::AgentStep& undated = runs[0].steps(1);
  EXPECT_FALSE(undated.has_started_at());
  EXPECT_FALSE(undated.has_duration());
  EXPECT_EQ(undated.status(), v1::STEP_STATUS_SUCCEEDED);
}

TEST_F(AgentTimelineTest, ANewRunKeepsThePreviousRunsSteps) {
  std::vector<v1::PipelineEvent> events = {
      MakeEvent("s1", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0),
      MakeEvent("a1", v1::EVENT_TYPE_AGENT_START, 1, "lead_qualification_agent"),
      End("a2", 2, "lead_qualification_agent", false, "boom"),
      MakeEvent("f1", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 3, "", false),
      MakeEvent("s2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 100),
      MakeEvent("b1", v1::EVENT_TYPE_AGENT_START, 101, "lead_qualification_agent"),
      End("b2", 104, "lead_qualification_agent", true),
  };
  Fed fed = FeedInOrder(engine_, events);
  std::vector<v1::AgentRun> runs = Runs(engine_, fed);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].outcome(), v1::LEAD_STATUS_FAILED);
  EXPECT_EQ(Seconds(runs[0].ended_at()), 3);
  ASSERT_EQ(runs[0].steps_size(), 1);
  EXPECT_EQ(runs[0].steps(0).status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(Seconds(runs[1].started_at()), 100);
  ASSERT_EQ(runs[1].steps_size(), 1);
  EXPECT_EQ(runs[1].steps(0).attempt(), 1);  // a new run counts attempts afresh
  EXPECT_EQ(Seconds(runs[1].steps(0).duration()), 3);

  // A late end of the old run's agent lands in the old run.
  events.push_back(End("late", 2, "company_research_agent", true));
  fed = FeedInOrder(engine_, events);
  runs = Runs(engine_, fed);
  EXPECT_EQ(runs[0].steps_size(), 2);
  EXPECT_EQ(runs[1].steps_size(), 1);
}

TEST_F(AgentTimelineTest, TheLogIsBoundedAndSaysSo) {
  std::vector<v1::PipelineEvent> events = {MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0)};
  for (int i = 0; i < kMaxTimelineMarkers + 10; ++i) {
    events.push_back(Tool("t" + std::to_string(i), 1 + i, "lead_qualification_agent"));
  }
  Fed fed = FeedInOrder(engine_, events);
  EXPECT_EQ(fed.log.markers_size(), kMaxTimelineMarkers);
  std::vector<v1::AgentRun> runs = Runs(engine_, fed);
  EXPECT_TRUE(runs.back().truncated());
}

TEST_F(AgentTimelineTest, MadeUpAgentNamesAreBoundedToo) {
  stored::TimelineLog log;
  for (int i = 0; i < kMaxTimelineMarkers + 20; ++i) {
    RecordMarker(MakeEvent("a" + std::to_string(i), v1::EVENT_TYPE_AGENT_START, i,
                           "agent_" + std::to_string(i)),
                 &log);
  }
  EXPECT_LE(log.agents_size(), kMaxTimelineMarkers);
  EXPECT_LE(log.markers_size(), kMaxTimelineMarkers);
  EXPECT_TRUE(log.current_truncated());
}

TEST_F(AgentTimelineTest, OnlyAgentAndToolStartsAreMarkers) {
  stored::TimelineLog log;
  EXPECT_FALSE(RecordMarker(MakeEvent("x", v1::EVENT_TYPE_STATUS_UPDATE, 1, "a"), &log));
  EXPECT_FALSE(RecordMarker(MakeEvent("y", v1::EVENT_TYPE_TOOL_CALL_END, 1, "a"), &log));
  EXPECT_FALSE(RecordMarker(MakeEvent("z", v1::EVENT_TYPE_AGENT_START, 1, ""), &log));
  EXPECT_TRUE(RecordMarker(MakeEvent("w", v1::EVENT_TYPE_AGENT_START, 1, "a"), &log));
  EXPECT_TRUE(AffectsTimeline(v1::EVENT_TYPE_LEAD_ENRICHMENT_END));
  EXPECT_FALSE(AffectsTimeline(v1::EVENT_TYPE_STATUS_UPDATE));
}

// Stalls on the engine's side: any event clears the flag, visibly.
TEST_F(AgentTimelineTest, AnyEventClearsAStallAsAChange) {
  Fed fed = FeedInOrder(engine_, {MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0)});
  v1::Lead stalled = *fed.lead;
  stalled.mutable_stalled_since()->set_seconds(kBase + 5);
  // A status update without an agent changes nothing else on this card.
  v1::PipelineEvent quiet = MakeEvent("q", v1::EVENT_TYPE_TOOL_CALL_OUTPUT, 0);
  auto applied = engine_.ApplyToLead(&stalled, quiet);
  const LeadTransition& t = std::get<LeadTransition>(applied);
  EXPECT_FALSE(t.lead.has_stalled_since());
  EXPECT_TRUE(t.visible);
  EXPECT_EQ(t.kind, v1::CHANGE_KIND_UPDATED);
  // Without the flag the same event is invisible.
  auto plain = engine_.ApplyToLead(&*fed.lead, quiet);
  EXPECT_FALSE(std::get<LeadTransition>(plain).visible);
}

TEST(BoardStallTest, ColumnsOverrideTheServersLimit) {
  absl::StatusOr<BoardConfig> board = BoardConfig::FromJson(R"({"columns": [
      {"id": "harvested", "eventTypes": ["EVENT_TYPE_LEAD_GENERATED"]},
      {"id": "research", "agents": ["company_research_agent"], "stallAfter": "3600s"},
      {"id": "enriched", "role": "COLUMN_ROLE_SUCCESS"},
      {"id": "failed", "role": "COLUMN_ROLE_FAILURE"}]})");
  ASSERT_TRUE(board.ok()) << board.status();
  EXPECT_EQ(board->StallAfter("research"), absl::Hours(1));
  EXPECT_EQ(board->StallAfter("harvested"), absl::InfiniteDuration());
  BoardConfig limited = board->WithStallAfter(absl::Minutes(10));
  EXPECT_EQ(limited.StallAfter("research"), absl::Hours(1));
  EXPECT_EQ(limited.StallAfter("harvested"), absl::Minutes(10));
  EXPECT_EQ(limited.StallAfter("enriched"), absl::InfiniteDuration());
  EXPECT_EQ(limited.job_stall_after(), absl::Minutes(10));

  absl::StatusOr<BoardConfig> bad = BoardConfig::FromJson(R"({"columns": [
      {"id": "harvested", "eventTypes": ["EVENT_TYPE_LEAD_GENERATED"]},
      {"id": "enriched", "role": "COLUMN_ROLE_SUCCESS", "stallAfter": "60s"},
      {"id": "failed", "role": "COLUMN_ROLE_FAILURE"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("stall_after"), std::string::npos) << bad.status();
  absl::StatusOr<BoardConfig> tiny = BoardConfig::FromJson(R"({"columns": [
      {"id": "harvested", "eventTypes": ["EVENT_TYPE_LEAD_GENERATED"], "stallAfter": "0.5s"},
      {"id": "enriched", "role": "COLUMN_ROLE_SUCCESS"},
      {"id": "failed", "role": "COLUMN_ROLE_FAILURE"}]})");
  EXPECT_FALSE(tiny.ok());
}

}  // namespace
}  // namespace leadboard::engine
