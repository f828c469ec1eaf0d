// People's moves in the stage engine: which moves are allowed, the
// compare-and-swap on revision, and that automation never undoes a person
// whatever order the pipeline's events arrive in.
#include <algorithm>
#include <optional>
#include <vector>

#include "engine/stage_engine.h"
#include "engine/stage_history.h"
#include "engine/status_details.h"
#include "event_builder.h"
#include "order_independence.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace leadboard::engine {
namespace {

using ::testing::HasSubstr;
using testing::ExpectOrderIndependent;
using testing::MakeEvent;

Move MoveTo(const std::string& stage, int second, const std::string& who = "Ana") {
  Move move;
  move.to_stage = stage;
  move.actor.set_kind(v1::ACTOR_KIND_PERSON);
  move.actor.set_name(who);
  move.note = "called them";
  move.at.set_seconds(1767225600 + second);
  return move;
}

class StageMoveTest : public ::testing::Test {
 protected:
  v1::Lead Apply(std::optional<v1::Lead> lead, const v1::PipelineEvent& event) {
    auto applied = engine_.ApplyToLead(lead ? &*lead : nullptr, event);
    EXPECT_TRUE(std::holds_alternative<LeadTransition>(applied));
    return std::get<LeadTransition>(applied).lead;
  }
  v1::Lead Play(const std::vector<v1::PipelineEvent>& events,
                std::optional<v1::Lead> lead = std::nullopt) {
    for (const auto& event : events) lead = Apply(lead, event);
    return lead.value_or(v1::Lead());
  }
  v1::Lead Enriched() {
    v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true);
    end.mutable_enrichment()->set_roi_potential_score(0.7);
    end.mutable_enrichment()->mutable_analysis()->set_relevance_score(0.82);
    return Play({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
                 MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
                 MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent"), end});
  }

  BoardConfig board_ = BoardConfig::Default();
  StageEngine engine_{board_};
};

TEST_F(StageMoveTest, APersonMovesAnEnrichedLeadIntoASalesStage) {
  v1::Lead lead = Enriched();
  EXPECT_EQ(lead.stage_entered_by().kind(), v1::ACTOR_KIND_PIPELINE);
  EXPECT_EQ(lead.stage_entered_by().name(), "PIPELINE_END");
  EXPECT_DOUBLE_EQ(lead.roi_potential_score(), 0.7);  // scores copied onto the card
  EXPECT_DOUBLE_EQ(lead.relevance_score(), 0.82);
  EXPECT_FALSE(lead.has_market_fit_score());           // not in the package: unknown
  lead.set_revision(7);
  absl::StatusOr<LeadTransition> moved = engine_.ApplyMove(lead, MoveTo("reviewing", 100));
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_TRUE(moved->visible);
  EXPECT_EQ(moved->kind, v1::CHANGE_KIND_MOVED);
  EXPECT_EQ(moved->previous_stage, "enriched");
  EXPECT_EQ(moved->lead.stage(), "reviewing");
  EXPECT_EQ(moved->lead.pipeline_stage(), "enriched");
  EXPECT_EQ(moved->lead.status(), v1::LEAD_STATUS_ENRICHED);
  EXPECT_EQ(moved->lead.stage_entered_by().kind(), v1::ACTOR_KIND_PERSON);
  EXPECT_EQ(moved->lead.stage_entered_by().name(), "Ana");
  EXPECT_EQ(moved->lead.stage_note(), "called them");
  EXPECT_EQ(moved->lead.stage_entered_at().seconds(), 1767225600 + 100);
  EXPECT_TRUE(StartsVisit(*moved));

  // Among people's columns, and back to Enriched.
  absl::StatusOr<LeadTransition> again = engine_.ApplyMove(moved->lead, MoveTo("negotiating", 110));
  ASSERT_TRUE(again.ok());
  absl::StatusOr<LeadTransition> back = engine_.ApplyMove(again->lead, MoveTo("enriched", 120));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->lead.stage(), "enriched");
}

TEST_F(StageMoveTest, AMoveToTheColumnALeadIsInChangesNothing) {
  v1::Lead lead = Enriched();
  lead.set_revision(3);
  absl::StatusOr<LeadTransition> moved = engine_.ApplyMove(lead, MoveTo("reviewing", 100));
  ASSERT_TRUE(moved.ok());
  moved->lead.set_revision(4);
  // A retry with the old expected revision is harmless: the lead is there.
  Move retry = MoveTo("reviewing", 101);
  retry.expected_revision = 3;
  absl::StatusOr<LeadTransition> again = engine_.ApplyMove(moved->lead, retry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->visible);
  EXPECT_EQ(again->lead.stage_entered_at().seconds(), 1767225600 + 100);
}

TEST_F(StageMoveTest, AStaleConditionalMoveIsAbortedNamingWhereTheLeadIsAndWho) {
  v1::Lead lead = Enriched();
  lead.set_revision(3);
  absl::StatusOr<LeadTransition> bruno = engine_.ApplyMove(lead, MoveTo("negotiating", 100, "Bruno"));
  ASSERT_TRUE(bruno.ok());
  bruno->lead.set_revision(4);
  Move ana = MoveTo("reviewing", 101, "Ana");
  ana.expected_revision = 3;
  absl::StatusOr<LeadTransition> refused = engine_.ApplyMove(bruno->lead, ana);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("it is in \"negotiating\" at revision 4, moved there by Bruno"));
  auto payload = refused.status().GetPayload(kErrorInfoUrl);
  ASSERT_TRUE(payload.has_value());
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(info.ParseFromString(std::string(*payload)));
  EXPECT_EQ(info.reason(), "REVISION_MISMATCH");
  EXPECT_EQ(info.domain(), "leadboard.v1");
  EXPECT_EQ(info.metadata().at("stage"), "negotiating");
  EXPECT_EQ(info.metadata().at("revision"), "4");
  EXPECT_EQ(info.metadata().at("actor"), "Bruno");
  EXPECT_EQ(info.metadata().at("actor_kind"), "PERSON");
}

TEST_F(StageMoveTest, MovesAreRefusedMidRunAndIntoThePipelinesColumns) {
  v1::Lead running = Play({MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
                           MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 2, "LeadQualificationAgent")});
  absl::StatusOr<LeadTransition> mid = engine_.ApplyMove(running, MoveTo("reviewing", 100));
  EXPECT_EQ(mid.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(mid.status().message(), HasSubstr("stage \"qualification\""));
  EXPECT_THAT(mid.status().message(), HasSubstr("agent LeadQualificationAgent at work"));

  for (const char* target : {"research", "failed", "nowhere", ""}) {
    absl::StatusOr<LeadTransition> bad = engine_.ApplyMove(Enriched(), MoveTo(target, 100));
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << target;
    EXPECT_EQ(InvalidFieldOf(bad.status()), "to_stage") << target;
  }
}

TEST_F(StageMoveTest, ANewRunRefreshesAHeldCardInPlace) {
  absl::StatusOr<LeadTransition> held = engine_.ApplyMove(Enriched(), MoveTo("negotiating", 100));
  ASSERT_TRUE(held.ok());
  v1::Lead lead = held->lead;
  lead = Apply(lead, MakeEvent("s2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 200));
  EXPECT_EQ(lead.stage(), "negotiating");  // stays where the person put it
  EXPECT_EQ(lead.pipeline_stage(), "intake");
  EXPECT_EQ(lead.status(), v1::LEAD_STATUS_ENRICHING);  // the card says it is being re-enriched
  EXPECT_EQ(lead.stage_entered_by().name(), "Ana");
  // While the run goes on, a person may not hand it back to Enriched...
  absl::StatusOr<LeadTransition> back = engine_.ApplyMove(lead, MoveTo("enriched", 205));
  EXPECT_EQ(back.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(back.status().message(), HasSubstr("re-enriched"));
  // ...but may move it among the people's columns.
  EXPECT_TRUE(engine_.ApplyMove(lead, MoveTo("meeting_scheduled", 205)).ok());
  v1::PipelineEvent end2 = MakeEvent("end2", v1::EVENT_TYPE_PIPELINE_END, 210, "", true);
  end2.mutable_enrichment()->set_roi_potential_score(0.9);
  auto applied = engine_.ApplyToLead(&lead, end2);
  const LeadTransition& ended = std::get<LeadTransition>(applied);
  EXPECT_EQ(ended.lead.stage(), "negotiating");
  EXPECT_EQ(ended.lead.pipeline_stage(), "enriched");
  EXPECT_EQ(ended.lead.status(), v1::LEAD_STATUS_ENRICHED);
  EXPECT_DOUBLE_EQ(ended.lead.roi_potential_score(), 0.9);
  EXPECT_EQ(ended.kind, v1::CHANGE_KIND_UPDATED);
  EXPECT_FALSE(StartsVisit(ended));
}

TEST_F(StageMoveTest, EveryOrderOfARunWithAMoveEndsTheSame) {
  // The move lands as soon as the lead may be moved: after the failure or
  // after the success, whichever arrives first. Either way the person's
  // column holds, and the run's outcome shows in pipeline_stage.
  v1::PipelineEvent error = MakeEvent("err", v1::EVENT_TYPE_PIPELINE_ERROR, 4, "CompetitorIdentificationAgent");
  error.set_message("rate limited");
  v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true);
  end.mutable_enrichment()->set_market_fit_score(0.4);
  v1::Lead start = Play({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  ExpectOrderIndependent(
      engine_,
      {MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
       MakeEvent("a1", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent"),
       MakeEvent("a2", v1::EVENT_TYPE_AGENT_START, 3, "LeadQualificationAgent"), error, end,
       MakeEvent("late", v1::EVENT_TYPE_AGENT_END, 5, "ContactExtractionAgent", false)},
      "reviewing", start, MoveTo("reviewing", 100));
}

// A new run is recognized by its start (LEAD_ENRICHMENT_START after the
// previous run ended), which a pipeline sends before its agents; after it,
// the run's events and the old run's late ones may arrive in any order.
TEST_F(StageMoveTest, EveryOrderOfANewRunAfterAMoveEndsTheSame) {
  absl::StatusOr<LeadTransition> held = engine_.ApplyMove(Enriched(), MoveTo("first_messages", 100));
  ASSERT_TRUE(held.ok());
  v1::Lead rerun = Apply(held->lead, MakeEvent("s2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 200));
  v1::PipelineEvent end2 = MakeEvent("end2", v1::EVENT_TYPE_PIPELINE_END, 210, "", true);
  end2.mutable_enrichment()->set_roi_potential_score(0.95);
  v1::PipelineEvent failed = MakeEvent("f2", v1::EVENT_TYPE_AGENT_END, 204, "ContactExtractionAgent", false);
  failed.set_message("no contacts page");
  ExpectOrderIndependent(
      engine_,
      {MakeEvent("s2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 200),  // repeated
       MakeEvent("b1", v1::EVENT_TYPE_AGENT_START, 201, "TavilyEnrichmentAgent"),
       MakeEvent("b2", v1::EVENT_TYPE_AGENT_START, 202, "ObjectionHandlingAgent"), failed, end2,
       // Late and repeated events of the first run.
       MakeEvent("late", v1::EVENT_TYPE_AGENT_START, 5, "LeadQualificationAgent"),
       MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true)},
      "first_messages", rerun);
}

TEST(StageHistoryTest, CompletesVisitsAndAddsUpTimePerColumn) {
  BoardConfig board = BoardConfig::Default();
  v1::Lead lead;
  auto visit = [&](const std::string& stage, int second, int64_t revision) {
    v1::StageVisit* v = lead.add_history();
    v->set_stage(stage);
    v->mutable_entered_at()->set_seconds(second);
    v->set_revision(revision);
  };
  visit("enriched", 100, 5);
  visit("reviewing", 160, 6);
  visit("enriched", 200, 7);
  visit("reviewing", 230, 9);
  google::protobuf::Timestamp now;
  now.set_seconds(300);
  CompleteHistory(board, now, &lead);
  EXPECT_EQ(lead.history(0).left_at().seconds(), 160);
  EXPECT_EQ(lead.history(0).duration().seconds(), 60);
  EXPECT_FALSE(lead.history(3).has_left_at());
  EXPECT_EQ(lead.history(3).duration().seconds(), 70);  // until now
  ASSERT_EQ(lead.time_in_stage_size(), 2);
  EXPECT_EQ(lead.time_in_stage(0).stage(), "enriched");  // board order
  EXPECT_EQ(lead.time_in_stage(0).total().seconds(), 60 + 30);
  EXPECT_EQ(lead.time_in_stage(0).visits(), 2);
  EXPECT_EQ(lead.time_in_stage(1).stage(), "reviewing");
  EXPECT_EQ(lead.time_in_stage(1).total().seconds(), 40 + 70);
}

}  // namespace
}  // namespace leadboard::engine
