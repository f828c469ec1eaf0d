#include "engine/board_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace leadboard::engine {
namespace {

using ::testing::HasSubstr;

TEST(BoardConfigTest, DefaultBoardHasTheDomainColumnsInOrder) {
  BoardConfig board = BoardConfig::Default();
  std::vector<std::string> ids;
  for (const auto& column : board.columns()) ids.push_back(column.id());
  EXPECT_THAT(ids, ::testing::ElementsAre("harvested", "intake", "research", "qualification",
                                          "intelligence", "strategy", "outreach", "enriched",
                                          "failed", "reviewing", "first_messages", "negotiating",
                                          "meeting_scheduled", "disqualified"));
  EXPECT_TRUE(board.Find("enriched")->terminal());
  EXPECT_TRUE(board.Find("failed")->terminal());
  EXPECT_FALSE(board.Find("research")->terminal());
  // People move cards into their own columns and back to Enriched only.
  EXPECT_TRUE(board.IsPeoples("negotiating"));
  EXPECT_FALSE(board.IsPeoples("enriched"));
  EXPECT_TRUE(board.AcceptsMoves("negotiating"));
  EXPECT_TRUE(board.AcceptsMoves("enriched"));
  EXPECT_FALSE(board.AcceptsMoves("failed"));
  EXPECT_FALSE(board.AcceptsMoves("research"));
  EXPECT_EQ(board.Rank("reviewing"), -1);  // no run ever implies a people's column
}

TEST(BoardConfigTest, PeoplesColumnsComeLastAndTakeNoAgents) {
  absl::StatusOr<BoardConfig> agents = BoardConfig::FromJson(R"({"columns": [
    {"id": "new", "eventTypes": ["EVENT_TYPE_LEAD_GENERATED"]},
    {"id": "done", "role": "COLUMN_ROLE_SUCCESS"},
    {"id": "failed", "role": "COLUMN_ROLE_FAILURE"},
    {"id": "calling", "role": "COLUMN_ROLE_PEOPLE", "agents": ["CallAgent"]}]})");
  ASSERT_FALSE(agents.ok());
  EXPECT_THAT(agents.status().message(), HasSubstr("columns[3] (\"calling\")"));
  EXPECT_THAT(agents.status().message(), HasSubstr("people's columns take no agents"));

  absl::StatusOr<BoardConfig> order = BoardConfig::FromJson(R"({"columns": [
    {"id": "calling", "role": "COLUMN_ROLE_PEOPLE"},
    {"id": "new", "eventTypes": ["EVENT_TYPE_LEAD_GENERATED"]},
    {"id": "done", "role": "COLUMN_ROLE_SUCCESS"},
    {"id": "failed", "role": "COLUMN_ROLE_FAILURE"}]})");
  ASSERT_FALSE(order.ok());
  EXPECT_THAT(order.status().message(), HasSubstr("working columns come before the people's"));

  absl::StatusOr<BoardConfig> good = BoardConfig::FromJson(R"({"columns": [
    {"id": "new", "eventTypes": ["EVENT_TYPE_LEAD_GENERATED"]},
    {"id": "done", "role": "COLUMN_ROLE_SUCCESS"},
    {"id": "failed", "role": "COLUMN_ROLE_FAILURE"},
    {"id": "calling", "role": "COLUMN_ROLE_PEOPLE", "acceptsMoves": false}]})");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_TRUE(good->Find("calling")->accepts_moves());  // the server decides, not the file
  EXPECT_FALSE(good->Find("new")->accepts_moves());
}

TEST(BoardConfigTest, RanksWorkingColumnsThenFailureThenSuccess) {
  BoardConfig board = BoardConfig::Default();
  EXPECT_LT(board.Rank("harvested"), board.Rank("intake"));
  EXPECT_LT(board.Rank("outreach"), board.Rank("failed"));
  EXPECT_LT(board.Rank("failed"), board.Rank("enriched"));
  EXPECT_EQ(board.Rank("nope"), -1);
}

TEST(BoardConfigTest, MapsEveryDomainAgentHoweverSpelled) {
  BoardConfig board = BoardConfig::Default();
  const std::pair<const char*, const char*> cases[] = {
      {"LeadIntakeAgent", "intake"},
      {"lead_analysis_agent", "intake"},
      {"TavilyEnrichmentAgent", "research"},
      {"contact-extraction-agent", "research"},
      {"PainPointDeepeningAgent", "qualification"},
      {"lead_qualification_agent", "qualification"},
      {"CompetitorIdentificationAgent", "intelligence"},
      {"BuyingTriggerIdentificationAgent", "intelligence"},
      {"ValuePropositionCustomizationAgent", "strategy"},
      {"StrategicQuestionGenerationAgent", "strategy"},
      {"ToTStrategyGenerationAgent", "strategy"},
      {"ToTStrategyEvaluationAgent", "strategy"},
      {"ToTActionPlanSynthesisAgent", "strategy"},
      {"DetailedApproachPlanAgent", "strategy"},
      {"ObjectionHandlingAgent", "strategy"},
      {"B2BPersonaCreationAgent", "strategy"},
      {"B2BPersonalizedMessageAgent", "outreach"},
      {"InternalBriefingSummaryAgent", "outreach"},
  };
  for (const auto& [agent, column] : cases) {
    const v1::BoardColumn* found = board.ColumnForAgent(agent);
    ASSERT_NE(found, nullptr) << agent;
    EXPECT_EQ(found->id(), column) << agent;
  }
  EXPECT_EQ(board.ColumnForAgent("SomeNewAgent"), nullptr);
  EXPECT_EQ(board.ColumnForEventType(v1::EVENT_TYPE_LEAD_GENERATED)->id(), "harvested");
  EXPECT_EQ(board.ColumnForEventType(v1::EVENT_TYPE_LEAD_ENRICHMENT_START)->id(), "intake");
}

TEST(BoardConfigTest, LoadsACustomBoardFromJson) {
  absl::StatusOr<BoardConfig> board = BoardConfig::FromJson(R"({"columns": [
      {"id": "new", "title": "New", "eventTypes": ["EVENT_TYPE_LEAD_GENERATED"]},
      {"id": "work", "agents": ["ResearchAgent"]},
      {"id": "done", "role": "COLUMN_ROLE_SUCCESS"},
      {"id": "broken", "role": "COLUMN_ROLE_FAILURE"}]})");
  ASSERT_TRUE(board.ok()) << board.status();
  EXPECT_EQ(board->columns().size(), 4u);
  EXPECT_EQ(board->Find("work")->title(), "work");  // title defaults to the id
  EXPECT_EQ(board->ColumnForAgent("research_agent")->id(), "work");
  EXPECT_EQ(board->success_column().id(), "done");
  EXPECT_EQ(board->failure_column().id(), "broken");
}

TEST(BoardConfigTest, RejectsInvalidBoardsWithTheReason) {
  EXPECT_THAT(BoardConfig::FromJson("{not json").status().message(), HasSubstr("invalid JSON"));
  EXPECT_THAT(BoardConfig::FromJson(R"({"columns": [{"id": "a"}]})").status().message(),
              HasSubstr("exactly one COLUMN_ROLE_SUCCESS"));
  EXPECT_THAT(BoardConfig::FromJson(R"({"columns": [{"id": "a"}, {"id": "a"},
      {"id": "s", "role": "COLUMN_ROLE_SUCCESS"}, {"id": "f", "role": "COLUMN_ROLE_FAILURE"}]})")
                  .status()
                  .message(),
              HasSubstr("columns[1] (\"a\"): duplicate id"));
  EXPECT_THAT(BoardConfig::FromJson(R"({"columns": [{"id": "a", "agents": ["X"]},
      {"id": "b", "agents": ["x_agent"]}, {"id": "s", "role": "COLUMN_ROLE_SUCCESS"},
      {"id": "f", "role": "COLUMN_ROLE_FAILURE"}]})")
                  .status()
                  .message(),
              HasSubstr("mapped twice"));
  EXPECT_THAT(BoardConfig::FromFile("/nonexistent/board.json").status().code(),
              absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace leadboard::engine
