#include "engine/event_validator.h"

#include "event_builder.h"
#include "gtest/gtest.h"

namespace leadboard::engine {
namespace {

using testing::MakeEvent;

void ExpectRejected(const v1::PipelineEvent& event, const std::string& field,
                    const std::string& reason_part) {
  std::optional<Rejection> rejection = ValidateEvent(event);
  ASSERT_TRUE(rejection.has_value()) << event.DebugString();
  EXPECT_EQ(rejection->field, field);
  EXPECT_NE(rejection->reason.find(reason_part), std::string::npos) << rejection->reason;
}

TEST(EventValidatorTest, AcceptsAValidEventOfEveryType) {
  for (int type = v1::EVENT_TYPE_PIPELINE_START; type <= v1::EVENT_TYPE_PIPELINE_ERROR; ++type) {
    v1::PipelineEvent event =
        MakeEvent("e", static_cast<v1::EventType>(type), 0, "LeadQualificationAgent");
    EXPECT_EQ(ValidateEvent(event), std::nullopt) << v1::EventType_Name(type);
  }
}

TEST(EventValidatorTest, RequiresIdsAndType) {
  v1::PipelineEvent event = MakeEvent("", v1::EVENT_TYPE_AGENT_START, 0, "A");
  ExpectRejected(event, "event_id", "is required");
  event = MakeEvent("e", v1::EVENT_TYPE_AGENT_START, 0, "A");
  event.clear_job_id();
  ExpectRejected(event, "job_id", "is required");
  event = MakeEvent("e", v1::EVENT_TYPE_AGENT_START, 0, "A");
  event.clear_user_id();
  ExpectRejected(event, "user_id", "is required");
  ExpectRejected(MakeEvent("e", v1::EVENT_TYPE_UNSPECIFIED, 0), "type", "is required");
  ExpectRejected(MakeEvent("e", static_cast<v1::EventType>(99), 0), "type", "unknown value 99");
}

TEST(EventValidatorTest, LeadIdIsRequiredOnlyForLeadScopedTypes) {
  v1::PipelineEvent event = MakeEvent("e", v1::EVENT_TYPE_LEAD_GENERATED, 0);
  event.clear_lead_id();
  ExpectRejected(event, "lead_id", "is required for EVENT_TYPE_LEAD_GENERATED");
  event = MakeEvent("e", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 0);
  event.clear_lead_id();
  ExpectRejected(event, "lead_id", "is required");
  event = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_START, 0);
  event.clear_lead_id();
  EXPECT_EQ(ValidateEvent(event), std::nullopt);
}

TEST(EventValidatorTest, EnforcesByteLimitsAndEncoding) {
  ExpectRejected(MakeEvent(std::string(129, 'x'), v1::EVENT_TYPE_AGENT_START, 0, "A"),
                 "event_id", "is 129 bytes; the limit is 128");
  EXPECT_EQ(ValidateEvent(MakeEvent(std::string(128, 'x'), v1::EVENT_TYPE_AGENT_START, 0, "A")),
            std::nullopt);
  ExpectRejected(MakeEvent("bad\xff", v1::EVENT_TYPE_AGENT_START, 0, "A"), "event_id",
                 "not valid UTF-8");
  ExpectRejected(MakeEvent("tab\tid", v1::EVENT_TYPE_AGENT_START, 0, "A"), "event_id",
                 "control character");
  v1::PipelineEvent event = MakeEvent("e", v1::EVENT_TYPE_STATUS_UPDATE, 0);
  event.set_message(std::string(64 * 1024 + 1, 'm'));
  ExpectRejected(event, "message", "the limit is 65536");
  event = MakeEvent("e", v1::EVENT_TYPE_LEAD_GENERATED, 0);
  event.mutable_lead()->set_description(std::string(16 * 1024 + 1, 'd'));
  ExpectRejected(event, "lead.description", "the limit is 16384");
  event = MakeEvent("e", v1::EVENT_TYPE_AGENT_START, 0, std::string(257, 'a'));
  ExpectRejected(event, "agent_name", "the limit is 256");
  // Valid UTF-8, but no text column holds it: PostgreSQL refused it, and
  // a statement's literal was cut short at it.
  event = MakeEvent("e", v1::EVENT_TYPE_AGENT_START, 0, std::string("bad\0agent", 9));
  ExpectRejected(event, "agent_name", "contains a NUL byte");
  event = MakeEvent("e", v1::EVENT_TYPE_STATUS_UPDATE, 0);
  event.set_message(std::string("a\0b", 3));
  ExpectRejected(event, "message", "contains a NUL byte");
}

TEST(EventValidatorTest, RejectsFieldsThatDoNotBelongToTheType) {
  v1::PipelineEvent event = MakeEvent("e", v1::EVENT_TYPE_AGENT_START, 0, "A");
  event.mutable_enrichment()->add_strategic_questions("q");
  ExpectRejected(event, "enrichment", "only PIPELINE_END and LEAD_ENRICHMENT_END");
  event = MakeEvent("e", v1::EVENT_TYPE_AGENT_END, 0, "A");
  event.mutable_lead()->set_company_name("X");
  ExpectRejected(event, "lead", "not allowed on EVENT_TYPE_AGENT_END");
  event = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_END, 0);
  event.clear_lead_id();
  event.mutable_enrichment()->add_strategic_questions("q");
  ExpectRejected(event, "enrichment", "needs lead_id");
  ExpectRejected(MakeEvent("e", v1::EVENT_TYPE_AGENT_START, 0), "agent_name",
                 "is required for EVENT_TYPE_AGENT_START");
}

TEST(EventValidatorTest, ChecksNumbersAndTimes) {
  v1::PipelineEvent event = MakeEvent("e", v1::EVENT_TYPE_STATUS_UPDATE, 0);
  event.set_progress_percent(101);
  ExpectRejected(event, "progress_percent", "between 0 and 100");
  event = MakeEvent("e", v1::EVENT_TYPE_AGENT_END, 0, "A");
  event.set_duration_seconds(-1);
  ExpectRejected(event, "duration_seconds", "non-negative");
  event = MakeEvent("e", v1::EVENT_TYPE_AGENT_START, 0, "A");
  event.mutable_occurred_at()->set_seconds(10);
  ExpectRejected(event, "occurred_at", "between the years 2000 and 2200");
  event = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_START, 0);
  event.set_max_leads(-3);
  ExpectRejected(event, "max_leads", "must not be negative");
}

TEST(EventValidatorTest, LimitsTheEnrichmentPackageSize) {
  v1::PipelineEvent event = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_END, 0, "", true);
  for (int i = 0; i < 20; ++i) {
    event.mutable_enrichment()->add_strategic_questions(std::string(60 * 1024, 'q'));
  }
  ExpectRejected(event, "enrichment", "the limit is 1048576");
}

}  // namespace
}  // namespace leadboard::engine
