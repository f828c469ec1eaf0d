// Authentication, scoping, the safe default, and TLS, on the real server.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api/authenticator.h"
#include "command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "leadboard/client.h"
#include "server_process.h"
#include "test_database.h"

namespace leadboard {
namespace {

using ::testing::HasSubstr;
using testing::Backend;
using testing::ServerProcess;
using testing::TestDatabase;

v1::PipelineEvent Generated(const std::string& id, const std::string& lead, const std::string& user) {
  v1::PipelineEvent event;
  event.set_event_id(id);
  event.set_lead_id(lead);
  event.set_job_id("job");
  event.set_user_id(user);
  event.set_type(v1::EVENT_TYPE_LEAD_GENERATED);
  event.mutable_occurred_at()->set_seconds(1767225600);
  return event;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    db_ = TestDatabase::Create(Backend::kSqlite, &skip);
    const std::string tokens = db_->dir() + "/tokens";
    std::ofstream out(tokens);
    out << "# test tokens\n"
        << api::Authenticator::HashToken("worker-1") << " worker u1\n"
        << api::Authenticator::HashToken("board-1") << " board u1\n"
        << api::Authenticator::HashToken("board-2") << " board u2\n"
        << api::Authenticator::HashToken("ops") << " operator *\n";
    out.close();
    server_ = std::make_unique<ServerProcess>(db_->url(), db_->dir(),
                                              std::vector<std::string>{"--tokens_file=" + tokens});
    ASSERT_TRUE(server_->Start().ok());
  }
  client::Client As(const std::string& token) { return client::Client({server_->target(), token}); }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(AuthTest, MissingOrUnknownTokensAreUnauthenticated) {
  auto none = As("").GetBoard({});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(none.status().message(), HasSubstr("missing authorization"));
  EXPECT_EQ(As("guess").GetBoard({}).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(As("guess").Ingest({Generated("e", "l", "u1")}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, WorkersWriteOnlyTheirOwnUsersEventsAndCannotRead) {
  client::Client worker = As("worker-1");
  v1::PipelineEvent no_user = Generated("e3", "mine-2", "");
  auto summary = worker.Ingest({Generated("e1", "mine", "u1"), Generated("e2", "theirs", "u2"), no_user});
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->accepted(), 2);  // its own, and one without a user (filled in)
  ASSERT_EQ(summary->rejected_size(), 1);
  EXPECT_EQ(summary->rejected(0).field(), "user_id");
  EXPECT_EQ(worker.GetBoard({}).status().code(), absl::StatusCode::kPermissionDenied);
  auto lead = As("ops").GetLead("mine-2");
  ASSERT_TRUE(lead.ok());
  EXPECT_EQ(lead->user_id(), "u1");
}

TEST_F(AuthTest, BoardsSeeOnlyTheirUsersLeadsWithNoHintOfOthers) {
  ASSERT_TRUE(As("ops").Ingest({Generated("e1", "a1", "u1"), Generated("e2", "b1", "u2")}).ok());
  client::Client board = As("board-1");
  EXPECT_TRUE(board.GetLead("a1").ok());
  auto other = board.GetLead("b1");
  auto missing = board.GetLead("nope");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(other.status().message()), HasSubstr("is not visible to this token"));
  auto leads = board.ListLeads({});
  ASSERT_TRUE(leads.ok());
  ASSERT_EQ(leads->size(), 1u);
  EXPECT_EQ((*leads)[0].id(), "a1");
  v1::ListLeadsRequest theirs;
  theirs.set_user_id("u2");
  EXPECT_EQ(board.ListLeads(theirs).status().code(), absl::StatusCode::kPermissionDenied);
  auto counts = board.GetBoard({});
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->columns(0).lead_count(), 1);
  EXPECT_EQ(board.Ingest({Generated("e9", "x", "u1")}).status().code(),
            absl::StatusCode::kPermissionDenied);
  // The watch is scoped too.
  std::vector<std::string> seen;
  client::WatchOptions options;
  ASSERT_TRUE(board
                  .Watch(options,
                         [&](const v1::WatchLeadsResponse& r) {
                           if (r.has_lead_change()) seen.push_back(r.lead_change().lead().id());
                           return !r.has_synced();
                         })
                  .ok());
  EXPECT_EQ(seen, std::vector<std::string>{"a1"});
  // Operators see everything.
  EXPECT_EQ(As("ops").ListLeads({})->size(), 2u);
}

TEST_F(AuthTest, BoardsMoveOnlyTheirOwnUsersLeadsAndTheTokenNamesTheActor) {
  auto enriched = [](const std::string& id, const std::string& lead, const std::string& user) {
    v1::PipelineEvent end = Generated(id, lead, user);
    end.set_type(v1::EVENT_TYPE_PIPELINE_END);
    end.set_success(true);
    end.mutable_occurred_at()->set_seconds(1767225609);
    return end;
  };
  ASSERT_TRUE(As("ops").Ingest({Generated("e1", "a1", "u1"), enriched("e2", "a1", "u1"),
                                Generated("e3", "b1", "u2"), enriched("e4", "b1", "u2")})
                  .ok());
  v1::MoveLeadRequest request;
  request.set_lead_id("a1");
  request.set_to_stage("reviewing");
  request.set_actor("Mallory");  // ignored: the token says who moves
  EXPECT_EQ(As("worker-1").MoveLead(request).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(As("worker-1").MoveLead(request).status().message()),
              HasSubstr("may not move leads"));
  auto moved = As("board-1").MoveLead(request);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->lead().stage_entered_by().name(), "u1");
  // Another user's lead answers like a lead that does not exist.
  request.set_lead_id("b1");
  auto theirs = As("board-1").MoveLead(request);
  request.set_lead_id("nope");
  auto missing = As("board-1").MoveLead(request);
  EXPECT_EQ(theirs.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(theirs.status().message()),
            absl::StrReplaceAll(std::string(missing.status().message()), {{"nope", "b1"}}));
  EXPECT_EQ(As("ops").GetLead("b1")->stage(), "enriched");
  // An operator of every user names the person.
  request.set_lead_id("b1");
  auto by_ops = As("ops").MoveLead(request);
  ASSERT_TRUE(by_ops.ok()) << by_ops.status();
  EXPECT_EQ(by_ops->lead().stage_entered_by().name(), "Mallory");
}

TEST(AuthenticatorTest, RejectsMalformedTokenFilesWithTheLine) {
  EXPECT_THAT(std::string(api::Authenticator::FromText("abc worker u1\n").status().message()),
              HasSubstr("line 1: the first field must be the token's SHA-256"));
  const std::string hash = api::Authenticator::HashToken("t");
  EXPECT_THAT(std::string(api::Authenticator::FromText("\n" + hash + " admin u1").status().message()),
              HasSubstr("line 2: unknown role \"admin\""));
  EXPECT_THAT(std::string(api::Authenticator::FromText(hash + " board *").status().message()),
              HasSubstr("only operators may have user '*'"));
  EXPECT_TRUE(api::Authenticator::FromText(hash + " operator *  # comment").ok());
}

TEST(SafeDefaultTest, RefusesToListenOnEveryInterfaceWithoutTokens) {
  std::string skip;
  auto db = TestDatabase::Create(Backend::kSqlite, &skip);
  testing::CommandResult refused = testing::RunCommand(
      {LEADBOARD_SERVER_BIN, "--listen=0.0.0.0:0", "--database=" + db->url()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.output, HasSubstr("refusing to listen on 0.0.0.0:0 without --tokens_file"));
  // With --insecure it gets past the check (and fails on the database here).
  testing::CommandResult bad_flag = testing::RunCommand(
      {LEADBOARD_SERVER_BIN, "--listen=0.0.0.0:0", "--insecure", "--database=sqlite:/nonexistent/x.db"});
  EXPECT_EQ(bad_flag.exit_code, 3);
  EXPECT_THAT(bad_flag.output, HasSubstr("cannot open database"));
}

TEST(TlsTest, ServesTlsToClientsThatTrustItsCertificate) {
  std::string skip;
  auto db = TestDatabase::Create(Backend::kSqlite, &skip);
  const std::string cert = db->dir() + "/cert.pem", key = db->dir() + "/key.pem";
  testing::CommandResult made = testing::RunCommand(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
       cert, "-days", "1", "-subj", "/CN=localhost", "-addext",
       "subjectAltName=IP:127.0.0.1,DNS:localhost"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  ServerProcess server(db->url(), db->dir(), {"--tls_cert=" + cert, "--tls_key=" + key});
  ASSERT_TRUE(server.Start().ok());
  client::Client tls({server.target(), "", true, cert});
  EXPECT_TRUE(tls.GetBoard({}).ok());
  client::Client plain({server.target()});
  EXPECT_EQ(plain.GetBoard({}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace leadboard
