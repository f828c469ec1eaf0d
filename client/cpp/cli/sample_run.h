// Realistic events for benchmarks (`leadboard bench` and tests/bench): a
// harvested lead, agent steps, and a pipeline_end carrying a full
// enrichment package, sized like the pipelines in docs/domain.md.
#ifndef LEADBOARD_CLIENT_CPP_CLI_SAMPLE_RUN_H_
#define LEADBOARD_CLIENT_CPP_CLI_SAMPLE_RUN_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "leadboard/v1/event.pb.h"

namespace leadboard::bench {

inline v1::EnrichmentPackage FullPackage() {
  v1::EnrichmentPackage p;
  auto* analysis = p.mutable_analysis();
  analysis->set_company_sector("Tecnologia - SaaS B2B");
  for (int i = 0; i < 4; ++i) analysis->add_main_services(absl::StrCat("Serviço de automação ", i));
  analysis->set_general_diagnosis(std::string(600, 'd'));
  auto* pains = p.mutable_pain_point_analysis();
  pains->set_primary_pain_category("Processos manuais excessivos");
  pains->set_urgency_level(v1::URGENCY_LEVEL_HIGH);
  for (int i = 0; i < 4; ++i) {
    auto* pain = pains->add_pain_points();
    pain->set_description(absl::StrCat("Sistemas desconectados ", i, std::string(150, 'p')));
    pain->set_business_impact(std::string(150, 'i'));
    pain->set_solution_alignment(std::string(150, 's'));
  }
  p.mutable_lead_qualification()->set_tier(v1::QUALIFICATION_TIER_HIGH_POTENTIAL);
  p.mutable_lead_qualification()->set_score(0.82);
  for (const char* name : {"HubSpot", "Salesforce", "RD Station", "Pipedrive"}) {
    auto* c = p.mutable_competitor_intelligence()->add_competitors();
    c->set_name(name);
    c->set_description(std::string(200, 'c'));
  }
  for (int i = 0; i < 3; ++i) {
    auto* v = p.add_value_propositions();
    v->set_title(absl::StrCat("Proposta ", i));
    v->set_key_benefit(std::string(200, 'b'));
    p.add_strategic_questions(std::string(120, 'q'));
    auto* o = p.mutable_objection_framework()->add_objections();
    o->set_objection(std::string(100, 'o'));
    o->set_suggested_response(std::string(300, 'r'));
  }
  p.mutable_personalized_message()->mutable_primary_message()->set_body(std::string(1200, 'm'));
  p.mutable_internal_briefing()->set_executive_summary(std::string(800, 'e'));
  return p;
}

// The harvest of one lead: the first event of its run.
inline v1::PipelineEvent HarvestEvent(const std::string& run, int64_t lead,
                                      const std::string& user = "bench") {
  v1::PipelineEvent e;
  e.set_event_id(absl::StrCat(run, "-", lead, "-1"));
  e.set_lead_id(absl::StrCat(run, "-lead-", lead));
  e.set_job_id(run);
  e.set_user_id(user);
  e.set_type(v1::EVENT_TYPE_LEAD_GENERATED);
  e.mutable_occurred_at()->set_seconds(1767225600);
  e.mutable_lead()->set_company_name("TechStart Solutions");
  e.mutable_lead()->set_website("https://techstart.com");
  e.mutable_lead()->set_description(std::string(300, 'x'));
  return e;
}

// The events of one lead's enrichment: 1 harvest, 15 agents (start, tool,
// end), 1 end with the package: 47 events, about 14 KB on the wire.
inline std::vector<v1::PipelineEvent> LeadRun(const std::string& run, int64_t lead,
                                              const std::string& user = "bench") {
  std::vector<v1::PipelineEvent> events;
  int64_t t = 1767225600;
  auto add = [&](v1::EventType type, const std::string& agent) -> v1::PipelineEvent& {
    v1::PipelineEvent& e = events.emplace_back();
    e.set_event_id(absl::StrCat(run, "-", lead, "-", events.size()));
    e.set_lead_id(absl::StrCat(run, "-lead-", lead));
    e.set_job_id(run);
    e.set_user_id(user);
    e.set_type(type);
    e.mutable_occurred_at()->set_seconds(t++);
    e.set_agent_name(agent);
    return e;
  };
  events.push_back(HarvestEvent(run, lead, user));
  ++t;
  for (const char* agent : {"TavilyEnrichmentAgent", "ContactExtractionAgent", "PainPointDeepeningAgent",
                            "LeadQualificationAgent", "CompetitorIdentificationAgent",
                            "BuyingTriggerIdentificationAgent", "ValuePropositionCustomizationAgent",
                            "StrategicQuestionGenerationAgent", "ToTStrategyGenerationAgent",
                            "ToTStrategyEvaluationAgent", "ToTActionPlanSynthesisAgent",
                            "DetailedApproachPlanAgent", "ObjectionHandlingAgent",
                            "B2BPersonalizedMessageAgent", "InternalBriefingSummaryAgent"}) {
    add(v1::EVENT_TYPE_AGENT_START, agent).set_message("Analisando o lead");
    add(v1::EVENT_TYPE_TOOL_CALL_START, agent).set_tool_name("tavily_search");
    v1::PipelineEvent& end = add(v1::EVENT_TYPE_AGENT_END, agent);
    end.set_success(true);
    end.set_message(std::string(200, 'r'));
  }
  v1::PipelineEvent& end = add(v1::EVENT_TYPE_PIPELINE_END, "");
  end.set_success(true);
  *end.mutable_enrichment() = FullPackage();
  return events;
}

}  // namespace leadboard::bench

#endif  // LEADBOARD_CLIENT_CPP_CLI_SAMPLE_RUN_H_
