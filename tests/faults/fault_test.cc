// Faults and bad input: the server killed mid-stream, PostgreSQL restarted
// under load, floods of malformed events, watchers that never read. These
// tests restart shared things, so ctest runs them serially.
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "command.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadboard/client.h"
#include "server_process.h"
#include "backend_test.h"
#include "test_database.h"

namespace leadboard {
namespace {

using ::testing::HasSubstr;
using testing::Backend;
using testing::ServerProcess;
using testing::TestDatabase;

// N status updates on distinct leads' cards: each accepted event makes
// exactly one change, so the final revision counts accepted events.
std::vector<v1::PipelineEvent> Stream(const std::string& prefix, int count) {
  std::vector<v1::PipelineEvent> events;
  for (int i = 0; i < count; ++i) {
    v1::PipelineEvent& event = events.emplace_back();
    event.set_event_id(absl::StrCat(prefix, "-", i));
    event.set_lead_id(absl::StrCat(prefix, "-lead-", i % 50));
    event.set_job_id("job");
    event.set_user_id("user");
    event.set_type(i < 50 ? v1::EVENT_TYPE_LEAD_GENERATED : v1::EVENT_TYPE_STATUS_UPDATE);
    event.mutable_occurred_at()->set_seconds(1767225600 + i);
    event.set_message(absl::StrCat("step ", i));
  }
  return events;
}

int64_t ResidentKiB(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

class FaultTest : public testing::BackendTest {
 protected:
  void Start(std::vector<std::string> args = {}) {
    server_ = std::make_unique<ServerProcess>(db_->url(), db_->dir(), args);
    ASSERT_TRUE(server_->Start().ok());
  }
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(FaultTest, KillNineMidStreamThenResendLosesAndDoublesNothing) {
  Start();
  constexpr int kStreams = 3, kPerStream = 3000;
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  for (int s = 0; s < kStreams; ++s) {
    workers.emplace_back([&, s] {
      client::Client c({server_->target()});
      client::IngestOptions options;
      options.batch_size = 200;
      options.max_attempts = 50;
      options.max_backoff = absl::Milliseconds(200);
      auto summary = c.Ingest(Stream(absl::StrCat("w", s), kPerStream), options);
      if (!summary.ok()) {
        ++failures;
        return;
      }
      // Every event acknowledged once, as new or as an already stored one.
      EXPECT_EQ(summary->accepted() + summary->duplicates(), kPerStream);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  server_->Kill();  // SIGKILL with streams in flight
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(server_->Start().ok());  // same port: clients reconnect
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);
  client::Client c({server_->target()});
  auto board = c.GetBoard({});
  ASSERT_TRUE(board.ok());
  EXPECT_EQ(board->revision(), kStreams * kPerStream);  // exactly once each
  // Re-sending everything changes nothing.
  auto again = c.Ingest(Stream("w0", kPerStream));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->duplicates(), kPerStream);
}

TEST_P(FaultTest, AThousandMalformedEventsEachGetAPreciseRejection) {
  Start();
  struct Case {
    std::string field;
    std::string reason;
    std::function<void(v1::PipelineEvent*)> spoil;
  };
  const std::vector<Case> cases = {
      {"event_id", "is required", [](auto* e) { e->clear_event_id(); }},
      {"event_id", "limit is 128", [](auto* e) { e->set_event_id(std::string(300, 'x')); }},
      {"event_id", "control character", [](auto* e) { e->set_event_id("a\nb"); }},
      {"type", "is required", [](auto* e) { e->set_type(v1::EVENT_TYPE_UNSPECIFIED); }},
      {"type", "unknown value 77", [](auto* e) { e->set_type(static_cast<v1::EventType>(77)); }},
      {"lead_id", "is required for EVENT_TYPE_LEAD_GENERATED", [](auto* e) { e->clear_lead_id(); }},
      {"job_id", "is required", [](auto* e) { e->clear_job_id(); }},
      {"user_id", "is required", [](auto* e) { e->clear_user_id(); }},
      {"message", "limit is 65536", [](auto* e) { e->set_message(std::string(70000, 'm')); }},
      {"enrichment", "only PIPELINE_END", [](auto* e) { e->set_type(v1::EVENT_TYPE_AGENT_START); e->set_agent_name("A"); e->mutable_enrichment()->add_strategic_questions("q"); }},
      {"lead", "not allowed on EVENT_TYPE_AGENT_END", [](auto* e) { e->set_type(v1::EVENT_TYPE_AGENT_END); e->set_agent_name("A"); e->mutable_lead()->set_company_name("x"); }},
      {"agent_name", "is required for EVENT_TYPE_AGENT_START", [](auto* e) { e->set_type(v1::EVENT_TYPE_AGENT_START); }},
      {"occurred_at", "between the years 2000 and 2200", [](auto* e) { e->mutable_occurred_at()->set_seconds(5); }},
      {"progress_percent", "between 0 and 100", [](auto* e) { e->set_progress_percent(250); }},
      {"duration_seconds", "non-negative", [](auto* e) { e->set_duration_seconds(-2); }},
      {"lead.website", "limit is 4096", [](auto* e) { e->mutable_lead()->set_website(std::string(5000, 'w')); }},
  };
  std::vector<v1::PipelineEvent> events;
  std::vector<const Case*> expected;  // per event; nullptr for a good one
  for (int i = 0; i < 1100; ++i) {
    v1::PipelineEvent event = Stream("m", 1)[0];
    event.set_event_id(absl::StrCat("m-", i));
    event.set_lead_id(absl::StrCat("m-lead-", i % 7));
    if (i % 11 == 10) {
      expected.push_back(nullptr);  // a good event among the bad
    } else {
      const Case& c = cases[i % cases.size()];
      c.spoil(&event);
      expected.push_back(&c);
    }
    events.push_back(std::move(event));
  }
  client::Client c({server_->target()});
  client::IngestOptions one_stream;
  one_stream.batch_size = 5000;
  auto summary = c.Ingest(events, one_stream);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->accepted(), 100);
  ASSERT_EQ(summary->rejected_size(), 1000);
  for (const v1::RejectedEvent& r : summary->rejected()) {
    const Case* want = expected[r.index()];
    ASSERT_NE(want, nullptr) << "good event " << r.index() << " rejected: " << r.reason();
    EXPECT_EQ(r.field(), want->field) << r.index();
    EXPECT_THAT(r.reason(), HasSubstr(want->reason)) << r.index();
  }
  // Still healthy and serving.
  testing::CommandResult health = testing::RunCommand(
      {std::string(LEADBOARD_ROOT) + "/build/go-bin/grpcurl", "-plaintext", server_->target(),
       "grpc.health.v1.Health/Check"});
  if (health.exit_code != 127) EXPECT_THAT(health.output, HasSubstr("SERVING"));
  EXPECT_TRUE(c.GetBoard({}).ok());
}

TEST_P(FaultTest, InvalidUtf8IsRejectedByFieldAndTheStreamGoesOn) {
  Start();
  auto events = Stream("u", 5);
  events[1].set_message("bad \xff\xfe utf8");                  // top level
  events[3].mutable_lead()->set_company_name("Caf\xc3 Ltda");  // nested, truncated sequence
  client::Client c({server_->target()});
  client::IngestOptions once;
  once.max_attempts = 1;
  auto summary = c.Ingest(events, once);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->accepted(), 3);
  ASSERT_EQ(summary->rejected_size(), 2);
  EXPECT_EQ(summary->rejected(0).index(), 1);
  EXPECT_EQ(summary->rejected(0).event_id(), "u-1");
  EXPECT_EQ(summary->rejected(0).field(), "message");
  EXPECT_EQ(summary->rejected(0).reason(), "is not valid UTF-8");
  EXPECT_EQ(summary->rejected(1).field(), "lead.company_name");
  EXPECT_EQ(c.GetBoard({})->revision(), 3);
}

TEST_P(FaultTest, AnOversizedMessageIsRefusedAndTheServerCarriesOn) {
  Start();
  client::Client c({server_->target()});
  v1::PipelineEvent huge = Stream("h", 1)[0];
  huge.set_message(std::string(64 * 1024 * 1024, 'x'));
  client::IngestOptions once;
  once.max_attempts = 1;
  auto refused = c.Ingest({huge}, once);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  auto fine = c.Ingest(Stream("ok", 10));
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->accepted(), 10);
}

TEST_P(FaultTest, WatchersThatNeverReadStayWithinTheirBound) {
  Start({"--watch_queue_limit=200"});
  client::Client c({server_->target()});
  // 50 watchers that never read.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::WatchLeadsResponse>>> readers;
  for (int i = 0; i < 50; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    readers.push_back(c.stub()->WatchLeads(contexts.back().get(), v1::WatchLeadsRequest()));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int64_t before = ResidentKiB(server_->pid());
  // 4,000 changes of ~8 KiB: unbounded queues would need 50 x 32 MB.
  for (int batch = 0; batch < 8; ++batch) {
    std::vector<v1::PipelineEvent> events = Stream(absl::StrCat("big", batch), 500);
    for (auto& e : events) e.set_message(absl::StrCat(e.event_id(), std::string(8000, 'x')));
    ASSERT_TRUE(c.Ingest(events).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int64_t after = ResidentKiB(server_->pid());
  RecordProperty("rss_growth_kib", static_cast<int>(after - before));
  EXPECT_LT(after - before, 400 * 1024) << "RSS grew from " << before << " to " << after << " KiB";
  for (auto& context : contexts) context->TryCancel();
}

TEST(PostgresRestartTest, NothingAcknowledgedIsLostWhenTheDatabaseRestarts) {
  std::string skip;
  auto db = TestDatabase::Create(Backend::kPostgres, &skip);
  if (db == nullptr) GTEST_SKIP() << skip;
  if (getuid() != 0) GTEST_SKIP() << "restarting PostgreSQL needs root";
  ServerProcess server(db->url(), db->dir());
  ASSERT_TRUE(server.Start().ok());
  constexpr int kEvents = 6000;
  std::atomic<bool> done{false};
  absl::StatusOr<v1::IngestSummary> summary;
  std::thread worker([&] {
    client::Client c({server.target()});
    client::IngestOptions options;
    options.batch_size = 100;
    options.max_attempts = 100;
    options.max_backoff = absl::Milliseconds(300);
    summary = c.Ingest(Stream("pg", kEvents), options);
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  testing::CommandResult restart =
      testing::RunCommand({"/usr/bin/pg_ctlcluster", "15", "main", "restart"});
  ASSERT_EQ(restart.exit_code, 0) << restart.output;
  worker.join();
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->accepted() + summary->duplicates(), kEvents);
  client::Client c({server.target()});
  absl::StatusOr<v1::Board> board;
  for (int i = 0; i < 100 && !(board = c.GetBoard({})).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(board.ok()) << board.status();
  EXPECT_EQ(board->revision(), kEvents);
}

TEST(PostgresOutageTest, HealthFollowsTheDatabaseAndIngestFailsLoudly) {
  std::string skip;
  auto db = TestDatabase::Create(Backend::kPostgres, &skip);
  if (db == nullptr) GTEST_SKIP() << skip;
  if (getuid() != 0) GTEST_SKIP() << "stopping PostgreSQL needs root";
  ServerProcess server(db->url(), db->dir());
  ASSERT_TRUE(server.Start().ok());
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials()));
  auto status_is = [&](grpc::health::v1::HealthCheckResponse::ServingStatus want) {
    for (int i = 0; i < 200; ++i) {
      grpc::ClientContext context;
      grpc::health::v1::HealthCheckResponse response;
      if (health->Check(&context, {}, &response).ok() && response.status() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(status_is(grpc::health::v1::HealthCheckResponse::SERVING));
  client::Client c({server.target()});
  ASSERT_EQ(testing::RunCommand({"/usr/bin/pg_ctlcluster", "15", "main", "stop"}).exit_code, 0);
  EXPECT_TRUE(status_is(grpc::health::v1::HealthCheckResponse::NOT_SERVING));
  client::IngestOptions once;
  once.max_attempts = 1;
  auto refused = c.Ingest(Stream("outage", 5), once);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  ASSERT_EQ(testing::RunCommand({"/usr/bin/pg_ctlcluster", "15", "main", "start"}).exit_code, 0);
  EXPECT_TRUE(status_is(grpc::health::v1::HealthCheckResponse::SERVING));
  client::IngestOptions patient;
  patient.max_attempts = 30;
  auto accepted = c.Ingest(Stream("outage", 5), patient);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->accepted(), 5);  // the refused attempt stored nothing
}

LEADBOARD_INSTANTIATE_BACKENDS(FaultTest);

}  // namespace
}  // namespace leadboard
