#include "engine/stage_engine.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "event_builder.h"
#include "order_independence.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace leadboard::engine {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing::ExpectOrderIndependent;
using testing::MakeEvent;

class StageEngineTest : public ::testing::Test {
 protected:
  // Applies events in order; returns the final lead (fails the test on a
  // rejection).
  v1::Lead Play(const std::vector<v1::PipelineEvent>& events,
                std::vector<LeadTransition>* transitions = nullptr) {
    std::optional<v1::Lead> lead;
    for (const v1::PipelineEvent& event : events) {
      auto applied = engine_.ApplyToLead(lead ? &*lead : nullptr, event);
      EXPECT_TRUE(std::holds_alternative<LeadTransition>(applied)) << event.event_id();
      LeadTransition& transition = std::get<LeadTransition>(applied);
      if (transitions != nullptr) transitions->push_back(transition);
      lead = transition.lead;
    }
    return lead.value_or(v1::Lead());
  }

  BoardConfig board_ = BoardConfig::Default();
  StageEngine engine_{board_};
};

TEST_F(StageEngineTest, ARealRunMovesThroughEveryColumnToEnriched) {
  std::vector<v1::PipelineEvent> events = {
      MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
      MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
  };
  const char* agents[] = {"TavilyEnrichmentAgent", "ContactExtractionAgent",
                          "PainPointDeepeningAgent", "LeadQualificationAgent",
                          "CompetitorIdentificationAgent", "BuyingTriggerIdentificationAgent",
                          "ValuePropositionCustomizationAgent", "StrategicQuestionGenerationAgent",
                          "ToTStrategyGenerationAgent", "ToTStrategyEvaluationAgent",
                          "ToTActionPlanSynthesisAgent", "DetailedApproachPlanAgent",
                          "ObjectionHandlingAgent", "B2BPersonalizedMessageAgent",
                          "InternalBriefingSummaryAgent"};
  int second = 2;
  for (const char* agent : agents) {
    events.push_back(MakeEvent(absl::StrCat("a", second), v1::EVENT_TYPE_AGENT_START, second,
                               agent));
    ++second;
    events.push_back(
        MakeEvent(absl::StrCat("b", second), v1::EVENT_TYPE_AGENT_END, second, agent, true));
    ++second;
  }
  v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, second, "", true);
  end.mutable_enrichment()->mutable_lead_qualification()->set_tier(
      v1::QUALIFICATION_TIER_HIGH_POTENTIAL);
  events.push_back(end);

  std::vector<LeadTransition> transitions;
  v1::Lead lead = Play(events, &transitions);
  std::vector<std::string> stages;
  for (const LeadTransition& t : transitions) {
    if (stages.empty() || stages.back() != t.lead.stage()) stages.push_back(t.lead.stage());
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"harvested", "intake", "research", "qualification",
                                              "intelligence", "strategy", "outreach",
                                              "enriched"}));
  EXPECT_EQ(transitions.front().kind, v1::CHANGE_KIND_CREATED);
  EXPECT_EQ(transitions[1].kind, v1::CHANGE_KIND_STAGE_CHANGED);
  EXPECT_EQ(transitions[1].previous_stage, "harvested");
  EXPECT_EQ(transitions.back().kind, v1::CHANGE_KIND_ENRICHED);
  EXPECT_EQ(lead.status(), v1::LEAD_STATUS_ENRICHED);
  EXPECT_TRUE(lead.enrichment_stored());
  EXPECT_EQ(lead.qualification_tier(), v1::QUALIFICATION_TIER_HIGH_POTENTIAL);
  EXPECT_EQ(lead.current_agent(), "InternalBriefingSummaryAgent");
}

TEST_F(StageEngineTest, ALateEventNeverMovesACardBack) {
  std::vector<LeadTransition> transitions;
  v1::Lead lead = Play({MakeEvent("1", v1::EVENT_TYPE_AGENT_START, 5, "LeadQualificationAgent"),
                        MakeEvent("2", v1::EVENT_TYPE_AGENT_START, 1, "TavilyEnrichmentAgent"),
                        MakeEvent("3", v1::EVENT_TYPE_LEAD_GENERATED, 0)},
                       &transitions);
  EXPECT_EQ(lead.stage(), "qualification");
  // The late events still record nothing visible on the stage.
  EXPECT_NE(transitions[1].kind, v1::CHANGE_KIND_STAGE_CHANGED);
  EXPECT_EQ(lead.current_agent(), "LeadQualificationAgent");  // the newest activity wins
}

TEST_F(StageEngineTest, UnknownAgentsAreRecordedButMoveNothing) {
  std::vector<LeadTransition> transitions;
  v1::Lead lead = Play({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0),
                        MakeEvent("2", v1::EVENT_TYPE_AGENT_START, 1, "BrandNewAgent")},
                       &transitions);
  EXPECT_EQ(lead.stage(), "harvested");
  EXPECT_EQ(lead.current_agent(), "BrandNewAgent");
  EXPECT_TRUE(transitions[1].visible);
  EXPECT_EQ(transitions[1].kind, v1::CHANGE_KIND_UPDATED);
}

TEST_F(StageEngineTest, ToolCallsWithoutAnyChangeAreNotVisible) {
  std::vector<LeadTransition> transitions;
  v1::PipelineEvent tool = MakeEvent("2", v1::EVENT_TYPE_TOOL_CALL_START, 2, "TavilyEnrichmentAgent");
  tool.set_tool_name("tavily_search");
  v1::PipelineEvent same = tool;
  same.set_event_id("3");
  Play({MakeEvent("1", v1::EVENT_TYPE_AGENT_START, 1, "TavilyEnrichmentAgent"), tool, same},
       &transitions);
  EXPECT_TRUE(transitions[1].visible);  // activity line changed
  EXPECT_EQ(transitions[1].lead.activity(), "calling tavily_search");
  EXPECT_FALSE(transitions[2].visible);  // nothing changed on the card
}

TEST_F(StageEngineTest, PipelineErrorFailsTheLeadWithItsMessage) {
  v1::PipelineEvent error = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_ERROR, 3, "TavilyEnrichmentAgent");
  error.set_message("Tavily API timeout");
  error.set_error_type("TimeoutError");
  std::vector<LeadTransition> transitions;
  v1::Lead lead = Play({MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1), error},
                       &transitions);
  EXPECT_EQ(lead.stage(), "failed");
  EXPECT_EQ(lead.status(), v1::LEAD_STATUS_FAILED);
  EXPECT_EQ(lead.error().message(), "Tavily API timeout");
  EXPECT_EQ(lead.error().agent(), "TavilyEnrichmentAgent");
  EXPECT_EQ(lead.error().error_type(), "TimeoutError");
  EXPECT_EQ(transitions.back().kind, v1::CHANGE_KIND_FAILED);
}

TEST_F(StageEngineTest, UnsuccessfulEndFailsWithAFallbackMessage) {
  v1::Lead lead = Play({MakeEvent("e", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 3, "", false)});
  EXPECT_EQ(lead.stage(), "failed");
  EXPECT_EQ(lead.error().message(), "enrichment ended without success");
}

TEST_F(StageEngineTest, AnErrorFollowedBySuccessEndsEnrichedWithAWarning) {
  v1::PipelineEvent error = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_ERROR, 3, "CompetitorIdentificationAgent");
  error.set_message("rate limited");
  v1::Lead lead = Play({error, MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true)});
  EXPECT_EQ(lead.stage(), "enriched");
  EXPECT_FALSE(lead.has_error());
  ASSERT_EQ(lead.warnings_size(), 1);
  EXPECT_EQ(lead.warnings(0).message(), "rate limited");
}

TEST_F(StageEngineTest, AFailedAgentEndIsAWarningNotAFailure) {
  v1::PipelineEvent end = MakeEvent("x", v1::EVENT_TYPE_AGENT_END, 2, "ContactExtractionAgent", false);
  end.set_message("no contacts page");
  v1::Lead lead = Play({end});
  EXPECT_EQ(lead.stage(), "research");
  ASSERT_EQ(lead.warnings_size(), 1);
  EXPECT_EQ(lead.warnings(0).agent(), "ContactExtractionAgent");
}

TEST_F(StageEngineTest, TerminalLeadLeavesOnlyOnANewerRun) {
  v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 10, "", true);
  end.mutable_enrichment()->add_strategic_questions("q");
  v1::Lead lead = Play({MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1), end,
                        // A late agent event and an older start: nothing moves.
                        MakeEvent("late", v1::EVENT_TYPE_AGENT_START, 5, "TavilyEnrichmentAgent"),
                        MakeEvent("old", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0)});
  EXPECT_EQ(lead.stage(), "enriched");

  std::vector<LeadTransition> transitions;
  auto applied = engine_.ApplyToLead(&lead, MakeEvent("new", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 20));
  const LeadTransition& rerun = std::get<LeadTransition>(applied);
  EXPECT_EQ(rerun.lead.stage(), "intake");
  EXPECT_EQ(rerun.kind, v1::CHANGE_KIND_STAGE_CHANGED);
  EXPECT_EQ(rerun.previous_stage, "enriched");
  EXPECT_EQ(rerun.lead.run_started_at().seconds(), 1767225600 + 20);
  EXPECT_TRUE(rerun.lead.enrichment_stored());  // the last package stays viewable

  // Events of the old run are stale now.
  auto stale = engine_.ApplyToLead(
      &rerun.lead, MakeEvent("stale", v1::EVENT_TYPE_PIPELINE_ERROR, 8, "TavilyEnrichmentAgent"));
  EXPECT_EQ(std::get<LeadTransition>(stale).lead.stage(), "intake");
  EXPECT_FALSE(std::get<LeadTransition>(stale).visible);
}

TEST_F(StageEngineTest, RejectsAnEventForAnotherUsersLead) {
  v1::Lead lead = Play({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  v1::PipelineEvent intruder = MakeEvent("2", v1::EVENT_TYPE_AGENT_START, 1, "TavilyEnrichmentAgent");
  intruder.set_user_id("mallory");
  auto applied = engine_.ApplyToLead(&lead, intruder);
  ASSERT_TRUE(std::holds_alternative<Rejection>(applied));
  EXPECT_EQ(std::get<Rejection>(applied).field, "user_id");
}

TEST_F(StageEngineTest, ProfileDataMergesFieldByField) {
  v1::PipelineEvent generated = MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0);
  generated.mutable_lead()->set_company_name("TechStart Solutions");
  generated.mutable_lead()->set_website("techstart.com");
  v1::PipelineEvent start = MakeEvent("2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1);
  start.mutable_lead()->set_sector("Technology");
  v1::Lead lead = Play({generated, start});
  EXPECT_EQ(lead.profile().company_name(), "TechStart Solutions");
  EXPECT_EQ(lead.profile().website(), "techstart.com");
  EXPECT_EQ(lead.profile().sector(), "Technology");
}

TEST_F(StageEngineTest, EveryOrderOfASuccessfulRunEndsTheSame) {
  v1::PipelineEvent generated = MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0);
  generated.mutable_lead()->set_company_name("DataSync Pro");
  v1::PipelineEvent error = MakeEvent("err", v1::EVENT_TYPE_PIPELINE_ERROR, 4, "CompetitorIdentificationAgent");
  error.set_message("rate limited");
  v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true);
  end.mutable_enrichment()->add_strategic_questions("Como vocês qualificam leads hoje?");
  v1::PipelineEvent failed_agent = MakeEvent("fa", v1::EVENT_TYPE_AGENT_END, 5, "ContactExtractionAgent", false);
  failed_agent.set_message("no contacts");
  ExpectOrderIndependent(
      engine_,
      {generated, MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
       MakeEvent("a1", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent"),
       MakeEvent("a2", v1::EVENT_TYPE_AGENT_START, 3, "LeadQualificationAgent"), error,
       failed_agent, MakeEvent("u", v1::EVENT_TYPE_AGENT_START, 6, "UnknownHelperAgent"), end},
      "enriched");
}

TEST_F(StageEngineTest, EveryOrderOfAFailedRunEndsTheSame) {
  v1::PipelineEvent error1 = MakeEvent("e1", v1::EVENT_TYPE_PIPELINE_ERROR, 4, "TavilyEnrichmentAgent");
  error1.set_message("first");
  v1::PipelineEvent error2 = MakeEvent("e2", v1::EVENT_TYPE_PIPELINE_ERROR, 6, "LeadQualificationAgent");
  error2.set_message("second");
  v1::Lead lead = ExpectOrderIndependent(
      engine_,
      {MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
       MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
       MakeEvent("a1", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent"), error1,
       MakeEvent("a2", v1::EVENT_TYPE_AGENT_START, 5, "LeadQualificationAgent"), error2,
       MakeEvent("end", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 7, "", false)},
      "failed");
  // The newest failure that says what went wrong is the error; the bare
  // unsuccessful end adds nothing.
  EXPECT_EQ(lead.error().message(), "second");
  EXPECT_EQ(lead.error().agent(), "LeadQualificationAgent");
  ASSERT_EQ(lead.warnings_size(), 1);
  EXPECT_EQ(lead.warnings(0).message(), "first");
}

TEST_F(StageEngineTest, BareFailedEndsKeepTheNewest) {
  v1::Lead lead = ExpectOrderIndependent(
      engine_,
      {MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
       MakeEvent("e1", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 5, "", false),
       MakeEvent("e2", v1::EVENT_TYPE_PIPELINE_END, 7, "", false)},
      "failed");
  EXPECT_EQ(lead.error().message(), "enrichment ended without success");
  EXPECT_EQ(lead.error().occurred_at().seconds(),
            MakeEvent("x", v1::EVENT_TYPE_PIPELINE_END, 7).occurred_at().seconds());
  EXPECT_EQ(lead.warnings_size(), 0);
}

// How the real pipelines fail: the agent's end, a pipeline_error and the
// lead's unsuccessful end all carry the same message, the last without the
// agent. The card shows one error, naming the agent, in any order.
TEST_F(StageEngineTest, ReportsOfOneFailureBecomeOneErrorNamingTheAgent) {
  v1::PipelineEvent agent_end =
      MakeEvent("ae", v1::EVENT_TYPE_AGENT_END, 3, "PainPointDeepeningAgent", false);
  agent_end.set_message("OpenAI rate limit");
  v1::PipelineEvent error =
      MakeEvent("pe", v1::EVENT_TYPE_PIPELINE_ERROR, 4, "PainPointDeepeningAgent");
  error.set_message("OpenAI rate limit");
  error.set_error_type("RateLimitError");
  v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 5, "", false);
  end.set_message("OpenAI rate limit");
  v1::Lead lead = ExpectOrderIndependent(
      engine_,
      {MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
       MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 2, "PainPointDeepeningAgent"), agent_end, error,
       end},
      "failed");
  EXPECT_EQ(lead.error().message(), "OpenAI rate limit");
  EXPECT_EQ(lead.error().agent(), "PainPointDeepeningAgent");
  EXPECT_EQ(lead.error().error_type(), "RateLimitError");
  EXPECT_EQ(lead.error().occurred_at().seconds(), end.occurred_at().seconds());
  EXPECT_EQ(lead.warnings_size(), 0);
}

// The same without a pipeline_error, the end quoting the agent's message:
// the failed agent's report names the agent of the lead's error, and another
// agent's failure stays a warning.
TEST_F(StageEngineTest, AFailedEndTakesTheAgentOfTheSameFailure) {
  v1::PipelineEvent other =
      MakeEvent("o", v1::EVENT_TYPE_AGENT_END, 2, "ContactExtractionAgent", false);
  other.set_message("no contacts page");
  v1::PipelineEvent agent_end =
      MakeEvent("ae", v1::EVENT_TYPE_AGENT_END, 3, "CompetitorIdentificationAgent", false);
  agent_end.set_message("search quota exceeded");
  v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 4, "", false);
  end.set_message("CompetitorIdentificationAgent failed: search quota exceeded");
  v1::Lead lead = ExpectOrderIndependent(engine_, {other, agent_end, end}, "failed");
  EXPECT_EQ(lead.error().message(), "search quota exceeded");
  EXPECT_EQ(lead.error().agent(), "CompetitorIdentificationAgent");
  ASSERT_EQ(lead.warnings_size(), 1);
  EXPECT_EQ(lead.warnings(0).agent(), "ContactExtractionAgent");
}

TEST_F(StageEngineTest, DuplicatesAnywhereChangeNothing) {
  // The same event applied twice in every position ends as applying it once.
  std::vector<v1::PipelineEvent> events = {
      MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
      MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 2, "PainPointDeepeningAgent"),
      MakeEvent("b", v1::EVENT_TYPE_AGENT_START, 3, "CompetitorIdentificationAgent"),
      MakeEvent("b", v1::EVENT_TYPE_AGENT_START, 3, "CompetitorIdentificationAgent"),
      MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 2, "PainPointDeepeningAgent"),
  };
  ExpectOrderIndependent(engine_, events, "intelligence");
}

TEST_F(StageEngineTest, JobsFollowTheirLifecycle) {
  v1::PipelineEvent start = MakeEvent("p", v1::EVENT_TYPE_PIPELINE_START, 0);
  start.clear_lead_id();
  start.set_query("B2B sales automation platform with AI");
  start.set_max_leads(10);
  v1::Job job;
  EXPECT_TRUE(engine_.ApplyToJob(&job, start));
  EXPECT_EQ(job.status(), v1::JOB_STATUS_RUNNING);
  EXPECT_EQ(job.query(), "B2B sales automation platform with AI");
  EXPECT_EQ(job.max_leads(), 10);
  // The same start again, or a lead event, changes nothing on the job.
  EXPECT_FALSE(engine_.ApplyToJob(&job, start));
  const v1::Job before = job;
  EXPECT_FALSE(engine_.ApplyToJob(&job, MakeEvent("x", v1::EVENT_TYPE_AGENT_START, 3, "A")));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(job, before));
  v1::PipelineEvent end = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_END, 60, "", false);
  end.clear_lead_id();
  end.set_message("quota exceeded");
  EXPECT_TRUE(engine_.ApplyToJob(&job, end));
  EXPECT_EQ(job.status(), v1::JOB_STATUS_FAILED);
  EXPECT_EQ(job.error(), "quota exceeded");
  EXPECT_EQ(job.ended_at().seconds(), 1767225600 + 60);
  EXPECT_FALSE(engine_.ApplyToJob(&job, end));
}

}  // namespace
}  // namespace leadboard::engine

namespace leadboard::engine {
namespace {

// Changes one field of `message` so that it differs from before (a nested
// message gets its first scalar field changed).
void Mutate(google::protobuf::Message* message, const google::protobuf::FieldDescriptor* field) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = message->GetReflection();
  if (field->is_repeated()) {
    ASSERT_EQ(field->cpp_type(), FieldDescriptor::CPPTYPE_MESSAGE) << field->full_name();
    google::protobuf::Message* added = r->AddMessage(message, field);
    Mutate(added, added->GetDescriptor()->field(0));
    return;
  }
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(message, field, r->GetString(*message, field) + "+");
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      r->SetInt64(message, field, r->GetInt64(*message, field) + 1);
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(message, field, r->GetInt32(*message, field) + 1);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      r->SetDouble(message, field, r->GetDouble(*message, field) + 0.5);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      r->SetBool(message, field, !r->GetBool(*message, field));
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      r->SetEnumValue(message, field, r->GetEnumValue(*message, field) + 1);
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      google::protobuf::Message* nested = r->MutableMessage(message, field);
      Mutate(nested, nested->GetDescriptor()->field(0));
      break;
    }
    default:
      FAIL() << "no mutation for " << field->full_name();
  }
}

// Every field of Lead is compared by SameCard except the ones it ignores
// (and the history and runs, which cards never carry), so a field added to Lead and
// forgotten there fails here.
TEST(SameCardTest, ComparesEveryFieldButEnrichmentUpdatedAtAndRevision) {
  const auto* descriptor = v1::Lead::descriptor();
  const std::set<int> ignored = {v1::Lead::kEnrichmentFieldNumber,
                                 v1::Lead::kUpdatedAtFieldNumber,
                                 v1::Lead::kRevisionFieldNumber,
                                 v1::Lead::kHistoryFieldNumber,
                                 v1::Lead::kTimeInStageFieldNumber,
                                 v1::Lead::kRunsFieldNumber};
  v1::Lead base;
  base.set_id("l1");
  base.mutable_profile()->set_company_name("Acme");
  ASSERT_TRUE(SameCard(base, base));
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    v1::Lead changed = base;
    Mutate(&changed, field);
    ASSERT_FALSE(google::protobuf::util::MessageDifferencer::Equals(base, changed))
        << field->name();
    EXPECT_EQ(SameCard(base, changed), ignored.count(field->number()) == 1) << field->name();
  }
  // Without profile data in the event, the profile is not compared.
  v1::Lead other_profile = base;
  other_profile.mutable_profile()->set_company_name("Other");
  EXPECT_TRUE(SameCard(base, other_profile, /*compare_profile=*/false));
}

}  // namespace
}  // namespace leadboard::engine
