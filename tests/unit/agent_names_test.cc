#include "engine/agent_names.h"

#include "gtest/gtest.h"

namespace leadboard::engine {
namespace {

TEST(NormalizeAgentNameTest, EverySpellingOfOneAgentMatches) {
  const std::string key = NormalizeAgentName("LeadQualificationAgent");
  EXPECT_EQ(key, "leadqualification");
  EXPECT_EQ(NormalizeAgentName("lead_qualification_agent"), key);
  EXPECT_EQ(NormalizeAgentName("lead-qualification-agent"), key);
  EXPECT_EQ(NormalizeAgentName("lead_qualification"), key);
  EXPECT_EQ(NormalizeAgentName("LeadQualification"), key);
  EXPECT_EQ(NormalizeAgentName("  Lead Qualification Agent "), key);
}

TEST(NormalizeAgentNameTest, KeepsDigitsAndDistinguishesAgents) {
  EXPECT_EQ(NormalizeAgentName("B2BPersonalizedMessageAgent"), "b2bpersonalizedmessage");
  EXPECT_NE(NormalizeAgentName("ToTStrategyGenerationAgent"),
            NormalizeAgentName("ToTStrategyEvaluationAgent"));
}

TEST(NormalizeAgentNameTest, ANameThatIsOnlyAgentIsKept) {
  EXPECT_EQ(NormalizeAgentName("Agent"), "agent");
  EXPECT_EQ(NormalizeAgentName(""), "");
}

}  // namespace
}  // namespace leadboard::engine
