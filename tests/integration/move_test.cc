// People move cards (MoveLead) on the real server, on SQLite and
// PostgreSQL: every open board sees the move, concurrent conditional moves
// of one card have exactly one winner, bad requests name their field and
// change nothing, and the lead's stage history records who did what.
#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "leadboard/client.h"
#include "server_fixture.h"

namespace leadboard {
namespace {

using ::testing::HasSubstr;
using testing::Event;
using testing::WatchClient;

// The google.rpc details of a failed call.
google::rpc::Status Details(const grpc::Status& status) {
  google::rpc::Status details;
  details.ParseFromString(status.error_details());
  return details;
}

class MoveTest : public testing::ServerTest {
 protected:
  // Ingests a lead's harvest and a successful enrichment run.
  void Enrich(const std::string& lead) {
    v1::PipelineEvent end = Event(lead + "-end", lead, v1::EVENT_TYPE_PIPELINE_END, 9);
    end.set_success(true);
    end.mutable_enrichment()->set_roi_potential_score(0.75);
    IngestOk({Event(lead + "-g", lead, v1::EVENT_TYPE_LEAD_GENERATED, 0),
              Event(lead + "-s", lead, v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
              Event(lead + "-a", lead, v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent"),
              end});
  }
  grpc::Status Move(const v1::MoveLeadRequest& request, v1::MoveLeadResponse* response) {
    grpc::ClientContext context;
    return stub_->MoveLead(&context, request, response);
  }
  v1::MoveLeadRequest Request(const std::string& lead, const std::string& stage,
                              const std::string& actor = "Ana") {
    v1::MoveLeadRequest request;
    request.set_lead_id(lead);
    request.set_to_stage(stage);
    request.set_actor(actor);
    return request;
  }
};

TEST_P(MoveTest, EveryWatcherSeesAMoveAndTheHistoryKeepsIt) {
  StartServer();
  Enrich("romano");
  const int64_t before = GetLead("romano").revision();
  auto first = Watch(0);
  auto second = Watch(0);
  ASSERT_TRUE(first->WaitForSynced());
  ASSERT_TRUE(second->WaitForSynced());

  v1::MoveLeadRequest request = Request("romano", "negotiating", "Bruno");
  request.set_expected_revision(before);
  request.set_note("asked for a proposal");
  v1::MoveLeadResponse response;
  grpc::Status status = Move(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.moved());
  EXPECT_EQ(response.lead().stage(), "negotiating");
  EXPECT_EQ(response.lead().revision(), before + 1);
  EXPECT_EQ(response.lead().stage_entered_by().name(), "Bruno");

  for (WatchClient* watch : {first.get(), second.get()}) {
    ASSERT_TRUE(watch->WaitUntil([](const auto& r) { return testing::CountChanges(r) >= 1; }));
    auto changes = watch->changes();
    ASSERT_EQ(changes.size(), 1u);
    const v1::LeadChange& change = changes[0].lead_change();
    EXPECT_EQ(changes[0].revision(), before + 1);
    EXPECT_EQ(change.kind(), v1::CHANGE_KIND_MOVED);
    EXPECT_EQ(change.previous_stage(), "enriched");
    EXPECT_EQ(change.lead().stage(), "negotiating");
    EXPECT_EQ(change.actor().kind(), v1::ACTOR_KIND_PERSON);
    EXPECT_EQ(change.actor().name(), "Bruno");
    EXPECT_EQ(change.note(), "asked for a proposal");
  }
  // The move replays like any change.
  auto replay = Watch(before);
  ASSERT_TRUE(replay->WaitForSynced());
  ASSERT_EQ(replay->changes().size(), 1u);
  EXPECT_EQ(replay->changes()[0].lead_change().kind(), v1::CHANGE_KIND_MOVED);

  // Again to the same column: nothing changes, no new revision.
  ASSERT_TRUE(Move(request, &response).ok());
  EXPECT_FALSE(response.moved());
  EXPECT_EQ(response.lead().revision(), before + 1);

  v1::Lead lead = GetLead("romano");
  std::vector<std::string> stages;
  for (const v1::StageVisit& visit : lead.history()) stages.push_back(visit.stage());
  EXPECT_THAT(stages, ::testing::ElementsAre("harvested", "intake", "research", "enriched",
                                             "negotiating"));
  const v1::StageVisit& moved = lead.history(4);
  EXPECT_EQ(moved.entered_by().kind(), v1::ACTOR_KIND_PERSON);
  EXPECT_EQ(moved.entered_by().name(), "Bruno");
  EXPECT_EQ(moved.note(), "asked for a proposal");
  EXPECT_EQ(moved.revision(), before + 1);
  EXPECT_FALSE(moved.has_left_at());
  EXPECT_EQ(lead.history(2).entered_by().name(), "TavilyEnrichmentAgent");
  EXPECT_EQ(lead.history(2).entered_by().kind(), v1::ACTOR_KIND_AGENT);
  EXPECT_EQ(lead.history(2).left_at().seconds(), lead.history(3).entered_at().seconds());
  ASSERT_GE(lead.time_in_stage_size(), 5);
  EXPECT_EQ(lead.time_in_stage(0).stage(), "harvested");
  EXPECT_EQ(lead.time_in_stage(0).visits(), 1);
  EXPECT_DOUBLE_EQ(lead.roi_potential_score(), 0.75);
  // A new run refreshes the card where the person put it.
  IngestOk({Event("rerun", "romano", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 100000)});
  lead = GetLead("romano");
  EXPECT_EQ(lead.stage(), "negotiating");
  EXPECT_EQ(lead.pipeline_stage(), "intake");
  EXPECT_EQ(lead.status(), v1::LEAD_STATUS_ENRICHING);
}

TEST_P(MoveTest, OfTwoConcurrentConditionalMovesExactlyOneWins) {
  StartServer();
  Enrich("acme");
  const int64_t revision = GetLead("acme").revision();
  for (int round = 0; round < 5; ++round) {
    const int64_t expected = GetLead("acme").revision();
    const std::string targets[2] = {round % 2 ? "reviewing" : "first_messages",
                                    round % 2 ? "negotiating" : "meeting_scheduled"};
    grpc::Status results[2];
    v1::MoveLeadResponse responses[2];
    std::thread movers[2];
    for (int i = 0; i < 2; ++i) {
      movers[i] = std::thread([&, i] {
        v1::MoveLeadRequest request = Request("acme", targets[i], i == 0 ? "Ana" : "Bruno");
        request.set_expected_revision(expected);
        results[i] = Move(request, &responses[i]);
      });
    }
    for (std::thread& t : movers) t.join();
    ASSERT_NE(results[0].ok(), results[1].ok())
        << results[0].error_message() << " / " << results[1].error_message();
    const int winner = results[0].ok() ? 0 : 1;
    const grpc::Status& lost = results[1 - winner];
    EXPECT_EQ(lost.error_code(), grpc::StatusCode::ABORTED);
    EXPECT_THAT(lost.error_message(),
                HasSubstr(absl::StrCat("it is in \"", targets[winner], "\" at revision ",
                                       expected + 1, ", moved there by ",
                                       winner == 0 ? "Ana" : "Bruno")));
    google::rpc::Status details = Details(lost);
    ASSERT_EQ(details.details_size(), 1);
    google::rpc::ErrorInfo info;
    ASSERT_TRUE(details.details(0).UnpackTo(&info));
    EXPECT_EQ(info.reason(), "REVISION_MISMATCH");
    EXPECT_EQ(info.metadata().at("stage"), targets[winner]);
    EXPECT_EQ(info.metadata().at("revision"), absl::StrCat(expected + 1));
    EXPECT_EQ(GetLead("acme").stage(), targets[winner]);
  }
  EXPECT_EQ(GetLead("acme").revision(), revision + 5);  // one revision per round
}

TEST_P(MoveTest, BadMovesNameTheirFieldAndChangeNothing) {
  StartServer();
  Enrich("acme");
  IngestOk({Event("b-g", "busy", v1::EVENT_TYPE_LEAD_GENERATED, 0),
            Event("b-a", "busy", v1::EVENT_TYPE_AGENT_START, 3, "LeadQualificationAgent")});
  const int64_t revision = GetLead("busy").revision();
  struct Case {
    v1::MoveLeadRequest request;
    grpc::StatusCode code;
    std::string field;  // for INVALID_ARGUMENT
    std::string says;
  };
  auto with = [&](auto change) {
    v1::MoveLeadRequest r = Request("acme", "reviewing");
    change(&r);
    return r;
  };
  const std::vector<Case> cases = {
      {with([](auto* r) { r->clear_lead_id(); }), grpc::INVALID_ARGUMENT, "lead_id", "is required"},
      {with([](auto* r) { r->set_lead_id(std::string(129, 'x')); }), grpc::INVALID_ARGUMENT,
       "lead_id", "the limit is 128"},
      {with([](auto* r) { r->clear_to_stage(); }), grpc::INVALID_ARGUMENT, "to_stage",
       "is required"},
      {with([](auto* r) { r->set_to_stage("nowhere"); }), grpc::INVALID_ARGUMENT, "to_stage",
       "unknown column \"nowhere\""},
      {with([](auto* r) { r->set_to_stage("research"); }), grpc::INVALID_ARGUMENT, "to_stage",
       "does not accept moves by people"},
      {with([](auto* r) { r->set_expected_revision(-1); }), grpc::INVALID_ARGUMENT,
       "expected_revision", "must not be negative"},
      {with([](auto* r) { r->set_note(std::string(1025, 'n')); }), grpc::INVALID_ARGUMENT,
       "note", "the limit is 1024"},
      {with([](auto* r) { r->set_note(std::string("call\0back", 9)); }), grpc::INVALID_ARGUMENT,
       "note", "contains a NUL byte"},
      {with([](auto* r) { r->set_actor(std::string(129, 'a')); }), grpc::INVALID_ARGUMENT,
       "actor", "the limit is 128"},
      {with([](auto* r) { r->set_lead_id("ghost"); }), grpc::NOT_FOUND, "", "not found"},
      {with([](auto* r) { r->set_lead_id("busy"); }), grpc::FAILED_PRECONDITION, "",
       "agent LeadQualificationAgent at work"},
  };
  const int64_t acme = GetLead("acme").revision();
  for (const Case& c : cases) {
    v1::MoveLeadResponse response;
    grpc::Status status = Move(c.request, &response);
    EXPECT_EQ(status.error_code(), c.code) << c.says << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.says));
    if (!c.field.empty()) {
      google::rpc::Status details = Details(status);
      google::rpc::BadRequest bad;
      ASSERT_EQ(details.details_size(), 1) << c.field;
      ASSERT_TRUE(details.details(0).UnpackTo(&bad));
      ASSERT_EQ(bad.field_violations_size(), 1);
      EXPECT_EQ(bad.field_violations(0).field(), c.field);
    }
  }
  EXPECT_EQ(GetLead("acme").revision(), acme);
  EXPECT_EQ(GetLead("acme").stage(), "enriched");
  EXPECT_EQ(GetLead("busy").revision(), revision);
}

LEADBOARD_INSTANTIATE_BACKENDS(MoveTest);

}  // namespace
}  // namespace leadboard
