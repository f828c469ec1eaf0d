// The `leadboard` CLI against the real server, on SQLite and PostgreSQL.
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server_process.h"
#include "backend_test.h"
#include "test_database.h"

namespace leadboard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Backend;
using testing::BackgroundCommand;
using testing::RunCommand;
using testing::ServerProcess;
using testing::TestDatabase;

std::string EventJson(const std::string& id, const std::string& lead, const std::string& type,
                      int second, const std::string& extra = "") {
  return absl::StrCat(R"({"event_id":")", id, R"(","lead_id":")", lead,
                      R"(","job_id":"job-cli","user_id":"ops","type":"EVENT_TYPE_)", type,
                      R"(","occurred_at":"2026-11-24T10:00:)", second < 10 ? "0" : "", second,
                      R"(Z")", extra, "}");
}

class CliTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    server_ = std::make_unique<ServerProcess>(db_->url(), db_->dir());
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  testing::CommandResult Cli(std::vector<std::string> args, const std::string& stdin_path = "/dev/null") {
    args.insert(args.begin(), {LEADBOARD_CLI_BIN, "--target", server_->target()});
    return RunCommand(args, stdin_path);
  }

  std::string WriteFile(const std::string& name, const std::vector<std::string>& lines) {
    const std::string path = db_->dir() + "/" + name;
    std::ofstream out(path);
    for (const auto& line : lines) out << line << "\n";
    return path;
  }

  std::unique_ptr<ServerProcess> server_;
};

TEST_P(CliTest, IngestKeepsGoodLinesAndReportsTheBadOne) {
  const std::string file = WriteFile(
      "events.jsonl",
      {EventJson("e1", "techstart", "LEAD_GENERATED", 0,
                 R"(,"lead":{"company_name":"TechStart Solutions","sector":"Technology"})"),
       EventJson("e2", "", "LEAD_ENRICHMENT_START", 1),  // no lead_id: rejected
       "", EventJson("e3", "techstart", "AGENT_START", 2, R"(,"agent_name":"TavilyEnrichmentAgent")"),
       R"({"event_id": "e4", "not_a_field": 1})"});
  testing::CommandResult result = Cli({"ingest", file});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("line 2: lead_id: is required for EVENT_TYPE_LEAD_ENRICHMENT_START (event e2)"));
  EXPECT_THAT(result.output, HasSubstr("line 5: invalid JSON"));
  EXPECT_THAT(result.output, HasSubstr("accepted 2, duplicates 0, rejected 2"));

  testing::CommandResult get = Cli({"get", "techstart"});
  EXPECT_EQ(get.exit_code, 0) << get.output;
  EXPECT_THAT(get.output, HasSubstr("TechStart Solutions  [techstart]"));
  EXPECT_THAT(get.output, HasSubstr("Stage: research"));
  EXPECT_THAT(get.output, HasSubstr("== Pain point analysis\n  (none found)"));

  // Everything again from stdin: all duplicates now, still the same bad line.
  testing::CommandResult again = Cli({"ingest", "-"}, file);
  EXPECT_THAT(again.output, HasSubstr("accepted 0, duplicates 2, rejected 2"));
}

TEST_P(CliTest, ListBoardAndJobsShowWhatWasIngested) {
  const std::string file = WriteFile(
      "events.jsonl", {EventJson("e1", "a", "LEAD_GENERATED", 0, R"(,"lead":{"company_name":"DataSync Pro"})"),
                       EventJson("e2", "b", "LEAD_GENERATED", 0),
                       EventJson("e3", "b", "LEAD_ENRICHMENT_START", 1)});
  ASSERT_EQ(Cli({"ingest", file}).exit_code, 0);
  testing::CommandResult list = Cli({"list", "--stage", "harvested"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.output, HasSubstr("DataSync Pro"));
  EXPECT_THAT(list.output, HasSubstr("1 leads"));
  testing::CommandResult board = Cli({"board"});
  EXPECT_THAT(board.output, HasSubstr("2 leads at revision 3"));
  testing::CommandResult jobs = Cli({"jobs"});
  EXPECT_THAT(jobs.output, HasSubstr("job-cli"));
  testing::CommandResult missing = Cli({"get", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("NOT_FOUND"));
  testing::CommandResult bad = Cli({"list", "--stage", "limbo"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("stage: unknown column"));
}

TEST_P(CliTest, MoveIsConditionalAndHistoryShowsWhoAndHowLong) {
  const std::string file = WriteFile(
      "events.jsonl",
      {EventJson("e1", "romano", "LEAD_GENERATED", 0, R"(,"lead":{"company_name":"Romano Advogados"})"),
       EventJson("e2", "romano", "AGENT_START", 2, R"(,"agent_name":"TavilyEnrichmentAgent")"),
       EventJson("e3", "romano", "PIPELINE_END", 9, R"(,"success":true)")});
  ASSERT_EQ(Cli({"ingest", file}).exit_code, 0);  // revision 3
  testing::CommandResult moved =
      Cli({"move", "romano", "negotiating", "--if-revision", "3", "--note", "proposal sent",
           "--actor", "Bruno"});
  EXPECT_EQ(moved.exit_code, 0) << moved.output;
  EXPECT_THAT(moved.output, HasSubstr("moved romano to negotiating at revision 4"));
  testing::CommandResult again = Cli({"move", "romano", "negotiating"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_THAT(again.output, HasSubstr("already in negotiating (revision 4); nothing changed"));
  testing::CommandResult stale = Cli({"move", "romano", "reviewing", "--if-revision", "3"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_THAT(stale.output, HasSubstr("ABORTED"));
  EXPECT_THAT(stale.output, HasSubstr("moved there by Bruno"));
  testing::CommandResult pipeline = Cli({"move", "romano", "research"});
  EXPECT_EQ(pipeline.exit_code, 1);
  EXPECT_THAT(pipeline.output, HasSubstr("to_stage: column \"research\" does not accept moves"));
  testing::CommandResult history = Cli({"history", "romano"});
  EXPECT_EQ(history.exit_code, 0);
  EXPECT_THAT(history.output, HasSubstr("now in negotiating (revision 4)"));
  EXPECT_THAT(history.output, HasSubstr("agent TavilyEnrichmentAgent"));
  EXPECT_THAT(history.output, HasSubstr("person Bruno"));
  EXPECT_THAT(history.output, HasSubstr("proposal sent"));
  EXPECT_THAT(history.output, HasSubstr("Time in stage:  harvested 2s  research 7s"));
  testing::CommandResult board = Cli({"board"});
  EXPECT_THAT(board.output, HasSubstr("Negotiating +"));
}

TEST_P(CliTest, WatchSurvivesAServerRestart) {
  ASSERT_EQ(Cli({"ingest", WriteFile("a.jsonl", {EventJson("e1", "a", "LEAD_GENERATED", 0)})}).exit_code, 0);
  BackgroundCommand watch({LEADBOARD_CLI_BIN, "--target", server_->target(), "watch", "--json"},
                          db_->dir() + "/watch.out");
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 400; ++i) {
      if (watch.Output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  };
  ASSERT_TRUE(wait_for(R"("synced")")) << watch.Output();
  server_->Kill();
  ASSERT_TRUE(server_->Start().ok());
  ASSERT_EQ(Cli({"ingest", WriteFile("b.jsonl", {EventJson("e2", "a", "LEAD_ENRICHMENT_START", 1)})}).exit_code, 0);
  ASSERT_TRUE(wait_for(R"("kind":"CHANGE_KIND_STAGE_CHANGED")")) << watch.Output();
  EXPECT_EQ(watch.Interrupt(), 0);
  const std::string output = watch.Output();
  EXPECT_THAT(output, HasSubstr("resuming"));
  // Revision 2 arrives exactly once: no gap, no duplicate.
  int seen = 0;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    seen += absl::StrContains(line, R"("revision":"2","lead_change")");
  }
  EXPECT_EQ(seen, 1) << output;
}

TEST_P(CliTest, BenchReportsItsFigures) {
  // Status updates: one change per event, so every figure is known.
  testing::CommandResult bench = Cli({"bench", "--mix", "status", "--events", "400", "--streams",
                                      "2", "--watchers", "2", "--batch", "100"});
  EXPECT_EQ(bench.exit_code, 0) << bench.output;
  EXPECT_THAT(bench.output, HasSubstr("committed   400 events"));
  EXPECT_THAT(bench.output, HasSubstr("400 changes"));
  EXPECT_THAT(bench.output, HasSubstr("delivered   800 changes"));
  EXPECT_THAT(bench.output, Not(HasSubstr("incomplete")));
}

TEST_P(CliTest, BenchRunsRealisticLeadRunsOverUsersAndConnections) {
  // Two lead runs (47 events each) over two users, three watchers on two
  // connections; the bench itself fails unless every watcher reaches its
  // user's end marker.
  testing::CommandResult bench =
      Cli({"bench", "--events", "94", "--streams", "2", "--watchers", "3", "--users", "2",
           "--watchers_per_connection", "2", "--batch", "20", "--json"});
  EXPECT_EQ(bench.exit_code, 0) << bench.output;
  EXPECT_THAT(bench.output, HasSubstr("\"accepted\":94"));
  EXPECT_THAT(bench.output, HasSubstr("\"errors\":0"));
  EXPECT_THAT(bench.output, Not(HasSubstr("\"delivered\":0,")));
}

TEST_P(CliTest, BenchReportsWhatTheServerWroteToStorage) {
  // With --server_pid the bench reads the server's /proc/PID/io: on SQLite
  // the server writes its own log, at least an event's bytes per event.
  testing::CommandResult bench =
      Cli({"bench", "--events", "94", "--streams", "2", "--watchers", "1", "--rate", "200",
           "--server_pid", absl::StrCat(server_->pid()), "--json"});
  ASSERT_EQ(bench.exit_code, 0) << bench.output;
  const std::string key = "\"server_disk_kib_per_event\":";
  const size_t at = bench.output.find(key);
  ASSERT_NE(at, std::string::npos) << bench.output;
  const double kib = std::strtod(bench.output.c_str() + at + key.size(), nullptr);
  if (GetParam() == testing::Backend::kSqlite) {
    EXPECT_GT(kib, 0.3) << bench.output;  // a realistic event is ~0.3 KiB before any page
  } else {
    EXPECT_LT(kib, 0.3) << bench.output;  // PostgreSQL's own processes write its files
  }
}

TEST_P(CliTest, BenchWatchesOnAnotherReplica) {
  // Ingest through one replica, every watcher on another: the bench fails
  // unless each watcher sees every change (read from the shared change log).
  if (GetParam() != testing::Backend::kPostgres) GTEST_SKIP() << "replicas share PostgreSQL";
  ServerProcess other(db_->url(), testing::MakeTempDir());
  ASSERT_TRUE(other.Start().ok());
  testing::CommandResult bench =
      Cli({"bench", "--mix", "status", "--events", "200", "--streams", "2", "--watchers", "2",
           "--batch", "50", "--watch_target", other.target(), "--json"});
  EXPECT_EQ(bench.exit_code, 0) << bench.output;
  EXPECT_THAT(bench.output, HasSubstr("\"accepted\":200"));
  EXPECT_THAT(bench.output, HasSubstr("\"delivered\":400"));
  // And the watchers really were there: with nothing at that address, no
  // watcher gets anything and the bench says so.
  other.Kill();
  testing::CommandResult nowhere =
      Cli({"bench", "--mix", "status", "--events", "20", "--streams", "1", "--watchers", "1",
           "--watch_target", other.target(), "--json"});
  EXPECT_EQ(nowhere.exit_code, 1) << nowhere.output;
  EXPECT_THAT(nowhere.output, HasSubstr("\"delivered\":0,"));
}

LEADBOARD_INSTANTIATE_BACKENDS(CliTest);

}  // namespace
}  // namespace leadboard
