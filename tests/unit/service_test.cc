// The gRPC edge in-process: a whole Server (server/server.h) on port 0 over
// a SQLite file, with an injected clock, called through a real channel.
// Covers what the service adds on top of the engine and store: every
// rejection names its field in a google.rpc.BadRequest, authorization per
// role, stage history completed against the server's clock, and a drain
// that ends open streams at once.
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "api/authenticator.h"
#include "api/grpc_status.h"
#include "event_builder.h"
#include "engine/status_details.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "leadboard/v1/leadboard.grpc.pb.h"
#include "server/server.h"
#include "test_database.h"

namespace leadboard {
namespace {

using ::testing::HasSubstr;

class FixedClock : public Clock {
 public:
  absl::Time Now() const override { return now; }
  absl::Time now = absl::FromUnixSeconds(1767225600 + 3600);
};

// The field a failed call's BadRequest names ("" if none).
std::string ViolatedField(const grpc::Status& status) {
  google::rpc::Status details;
  google::rpc::BadRequest bad;
  if (!details.ParseFromString(status.error_details()) || details.details_size() != 1 ||
      !details.details(0).UnpackTo(&bad) || bad.field_violations_size() != 1) {
    return "";
  }
  return bad.field_violations(0).field();
}

class ServiceTest : public ::testing::Test {
 protected:
  void Start(api::Authenticator auth = api::Authenticator(), int watch_queues = 8) {
    std::string skip;
    db_ = testing::TestDatabase::Create(testing::Backend::kSqlite, &skip);
    ServerConfig config;
    config.database = *store::ParseDatabaseUrl(db_->url());
    config.auth = std::move(auth);
    config.shutdown_grace = absl::Seconds(30);
    config.watch_queues = watch_queues;
    absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(std::move(config), &clock_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::LeadBoard::NewStub(channel_);
  }
  std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }
  static v1::PipelineEvent Event(const std::string& id, v1::EventType type, int second) {
    return testing::MakeEvent(id, type, second);
  }
  grpc::Status Ingest(const std::vector<v1::PipelineEvent>& events, const std::string& token = "") {
    v1::IngestSummary summary;
    auto context = Context(token);
    auto writer = stub_->IngestEvents(context.get(), &summary);
    for (const auto& e : events) writer->Write(e);
    writer->WritesDone();
    return writer->Finish();
  }

  FixedClock clock_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LeadBoard::Stub> stub_;
};

TEST(GrpcStatusTest, PacksEveryPayloadAsADetailAndNothingWithout) {
  grpc::Status plain = api::ToGrpcStatus(absl::NotFoundError("lead \"x\" not found"));
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(plain.error_message(), "lead \"x\" not found");
  EXPECT_TRUE(plain.error_details().empty());

  absl::Status both = engine::WithErrorInfo(engine::InvalidFieldError("to_stage", "is required"),
                                            "BAD_MOVE", {{"lead_id", "L1"}});
  grpc::Status packed = api::ToGrpcStatus(both);
  EXPECT_EQ(packed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(packed.error_message(), "to_stage: is required");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(packed.error_details()));
  EXPECT_EQ(details.code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(details.details_size(), 2);
  google::rpc::BadRequest bad;
  google::rpc::ErrorInfo info;
  for (const auto& any : details.details()) {
    if (any.Is<google::rpc::BadRequest>()) any.UnpackTo(&bad);
    if (any.Is<google::rpc::ErrorInfo>()) any.UnpackTo(&info);
  }
  EXPECT_EQ(bad.field_violations(0).field(), "to_stage");
  EXPECT_EQ(info.reason(), "BAD_MOVE");
  EXPECT_EQ(info.metadata().at("lead_id"), "L1");
}

TEST_F(ServiceTest, EveryRejectedRequestNamesItsField) {
  Start();
  v1::Lead lead;
  v1::GetLeadRequest get;
  EXPECT_EQ(ViolatedField(stub_->GetLead(Context().get(), get, &lead)), "lead_id");
  get.set_lead_id(std::string(200, 'x'));
  EXPECT_EQ(ViolatedField(stub_->GetLead(Context().get(), get, &lead)), "lead_id");
  get.set_lead_id("missing");
  grpc::Status missing = stub_->GetLead(Context().get(), get, &lead);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "lead \"missing\" not found");

  v1::ListLeadsResponse leads;
  v1::ListLeadsRequest list;
  list.set_page_size(-1);
  EXPECT_EQ(ViolatedField(stub_->ListLeads(Context().get(), list, &leads)), "page_size");
  list.set_page_size(0);
  list.set_stage("limbo");
  EXPECT_EQ(ViolatedField(stub_->ListLeads(Context().get(), list, &leads)), "stage");
  list.set_stage("");
  list.set_page_token("!!not base64!!");
  EXPECT_EQ(ViolatedField(stub_->ListLeads(Context().get(), list, &leads)), "page_token");

  v1::ListJobsResponse jobs;
  v1::ListJobsRequest list_jobs;
  list_jobs.set_page_token("bm90IGEgdG9rZW4");
  grpc::Status bad_token = stub_->ListJobs(Context().get(), list_jobs, &jobs);
  EXPECT_EQ(bad_token.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(bad_token), "page_token");

  v1::WatchLeadsRequest watch;
  watch.set_since_revision(-5);
  auto context = Context();
  auto reader = stub_->WatchLeads(context.get(), watch);
  v1::WatchLeadsResponse response;
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_EQ(ViolatedField(reader->Finish()), "since_revision");
}

TEST_F(ServiceTest, RolesDecideWhatACallMayDo) {
  absl::StatusOr<api::Authenticator> auth = api::Authenticator::FromText(absl::StrCat(
      api::Authenticator::HashToken("w"), " worker u1\n", api::Authenticator::HashToken("b"),
      " board u1\n"));
  ASSERT_TRUE(auth.ok());
  Start(*std::move(auth));
  v1::Board board;
  EXPECT_EQ(stub_->GetBoard(Context().get(), {}, &board).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status worker = stub_->GetBoard(Context("w").get(), {}, &board);
  EXPECT_EQ(worker.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(worker.error_message(), HasSubstr("(role worker)"));
  EXPECT_TRUE(stub_->GetBoard(Context("b").get(), {}, &board).ok());
  EXPECT_EQ(Ingest({Event("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)}, "b").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Ingest({Event("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)}, "w").ok());
  v1::GetBoardRequest other;
  other.set_user_id("u2");
  EXPECT_EQ(stub_->GetBoard(Context("b").get(), other, &board).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServiceTest, HistoryDurationsRunToTheServersClock) {
  Start();
  v1::PipelineEvent end = Event("3", v1::EVENT_TYPE_PIPELINE_END, 600);
  end.set_success(true);
  ASSERT_TRUE(Ingest({Event("1", v1::EVENT_TYPE_LEAD_GENERATED, 0),
                      Event("2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 60), end})
                  .ok());
  v1::GetLeadRequest get;
  get.set_lead_id("L1");
  v1::Lead lead;
  ASSERT_TRUE(stub_->GetLead(Context().get(), get, &lead).ok());
  ASSERT_EQ(lead.history_size(), 3);
  EXPECT_EQ(lead.history(0).duration().seconds(), 60);
  EXPECT_EQ(lead.history(1).duration().seconds(), 540);
  EXPECT_EQ(lead.history(2).duration().seconds(), 3000);  // enriched at +600, now +3600
  clock_.now += absl::Minutes(10);
  ASSERT_TRUE(stub_->GetLead(Context().get(), get, &lead).ok());
  EXPECT_EQ(lead.history(2).duration().seconds(), 3600);
  ASSERT_EQ(lead.time_in_stage_size(), 3);
  EXPECT_EQ(lead.time_in_stage(2).stage(), "enriched");
}

TEST_F(ServiceTest, ShutdownEndsAnOpenIngestStreamWithWhatWasProcessed) {
  Start();
  v1::IngestSummary summary;
  auto context = Context();
  auto writer = stub_->IngestEvents(context.get(), &summary);
  ASSERT_TRUE(writer->Write(Event("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)));
  ASSERT_TRUE(writer->Write(Event("2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)));
  // Both are read and committed before the drain (the revision says so).
  for (int i = 0; i < 200; ++i) {
    v1::Board board;
    if (stub_->GetBoard(Context().get(), {}, &board).ok() && board.revision() == 2) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  server_->Shutdown();
  grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("the first 2 events of this stream were processed"));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "SERVER_SHUTTING_DOWN");
  EXPECT_EQ(info.metadata().at("events_processed"), "2");
  EXPECT_EQ(info.metadata().at("last_revision"), "2");
  // New streams after the drain are refused at once.
  EXPECT_NE(Ingest({Event("3", v1::EVENT_TYPE_STATUS_UPDATE, 2)}).error_code(), grpc::StatusCode::OK);
}

// Watch streams are spread over the watch completion queues (so that no
// queue's completions scan every open stream), evenly even when they all
// come over one connection, and a cancelled stream leaves its queue.
TEST_F(ServiceTest, WatchStreamsSpreadEvenlyOverTheQueuesAndLeaveThemWhenCancelled) {
  Start(api::Authenticator(), /*watch_queues=*/4);
  auto total = [&] {
    int sum = 0;
    for (int open : server_->watch_queue_streams()) sum += open;
    return sum;
  };
  ASSERT_EQ(server_->watch_queue_streams().size(), 4u);
  const int idle = total();  // calls requested, waiting for streams
  EXPECT_EQ(idle, 4);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::WatchLeadsResponse>>> readers;
  for (int i = 0; i < 40; ++i) {
    contexts.push_back(Context());
    readers.push_back(stub_->WatchLeads(contexts.back().get(), v1::WatchLeadsRequest()));
    v1::WatchLeadsResponse synced;
    ASSERT_TRUE(readers.back()->Read(&synced));
    ASSERT_TRUE(synced.has_synced()) << synced.DebugString();
  }
  const std::vector<int> open = server_->watch_queue_streams();
  EXPECT_EQ(total(), 40 + idle);
  EXPECT_LE(*std::max_element(open.begin(), open.end()) -
                *std::min_element(open.begin(), open.end()),
            1)
      << ::testing::PrintToString(open);
  for (auto& context : contexts) context->TryCancel();
  for (auto& reader : readers) {
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  for (int i = 0; i < 500 && total() != idle; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(total(), idle) << ::testing::PrintToString(server_->watch_queue_streams());
}

}  // namespace
}  // namespace leadboard
