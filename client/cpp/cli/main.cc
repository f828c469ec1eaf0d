// leadboard: the operator CLI. Subcommands: ingest, watch, get, history,
// move, timeline, agents, list, board, jobs, bench. `leadboard --help` and `leadboard SUBCOMMAND --help`.
//
// Exit codes: 0 success; 1 the server refused something (rejected events,
// not found, invalid argument); 2 usage or connection error.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "bench.h"
#include "google/protobuf/util/json_util.h"
#include "leadboard/client.h"
#include "render.h"

namespace {

using leadboard::client::Client;
using leadboard::client::ConnectOptions;
namespace v1 = leadboard::v1;
namespace cli = leadboard::cli;

Client* g_watch_client = nullptr;

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnauthenticated:
      return 2;
    default:
      return 1;
  }
}

int Fail(const absl::Status& status) {
  std::cerr << "leadboard: " << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  return ExitCodeFor(status);
}

int Ingest(const ConnectOptions& connect, const std::string& path, size_t batch) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path);
    if (!file) {
      std::cerr << "leadboard: cannot read " << path << "\n";
      return 2;
    }
    in = &file;
  }
  std::vector<v1::PipelineEvent> events;
  std::vector<int> line_of;  // event index -> line number
  int bad_lines = 0;
  std::string line;
  for (int number = 1; std::getline(*in, line); ++number) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    v1::PipelineEvent event;
    auto status = google::protobuf::util::JsonStringToMessage(line, &event);
    if (!status.ok()) {
      std::cout << "line " << number << ": invalid JSON: " << status.message() << "\n";
      ++bad_lines;
      continue;
    }
    events.push_back(std::move(event));
    line_of.push_back(number);
  }
  Client client(connect);
  leadboard::client::IngestOptions options;
  options.batch_size = batch;
  absl::StatusOr<v1::IngestSummary> summary = client.Ingest(events, options);
  if (!summary.ok()) return Fail(summary.status());
  for (const v1::RejectedEvent& rejected : summary->rejected()) {
    std::cout << "line " << line_of[rejected.index()] << ": " << rejected.field() << ": "
              << rejected.reason();
    if (!rejected.event_id().empty()) std::cout << " (event " << rejected.event_id() << ")";
    std::cout << "\n";
  }
  const int rejected = summary->rejected_size() + bad_lines;
  std::cout << "accepted " << summary->accepted() << ", duplicates " << summary->duplicates()
            << ", rejected " << rejected << ", revision " << summary->last_revision() << "\n";
  return rejected == 0 ? 0 : 1;
}

int Watch(const ConnectOptions& connect, const leadboard::client::WatchOptions& options,
          bool json, int64_t limit, bool progress) {
  Client client(connect);
  g_watch_client = &client;
  std::signal(SIGINT, [](int) {
    if (g_watch_client != nullptr) g_watch_client->Cancel();
  });
  int64_t changes = 0;
  absl::Status status = client.Watch(
      options,
      [&](const v1::WatchLeadsResponse& response) {
        if (response.has_progress() && !progress) return true;
        std::cout << (json ? cli::ToJsonLine(response) : cli::ChangeLine(response)) << std::endl;
        if (response.has_lead_change()) ++changes;
        return limit <= 0 || changes < limit;
      },
      [](leadboard::client::WatchNotice notice, const grpc::Status& why) {
        std::cerr << (notice == leadboard::client::WatchNotice::kRestarting
                          ? "leadboard: history no longer retained, restarting from a snapshot: "
                          : "leadboard: stream ended, resuming: ")
                  << why.error_message() << std::endl;
      });
  g_watch_client = nullptr;
  if (status.code() == absl::StatusCode::kCancelled) return 0;
  return status.ok() ? 0 : Fail(status);
}

// "30m", "24h" (absl durations) or "7d".
bool ParseWindow(const std::string& text, absl::Duration* window) {
  int64_t days = 0;
  if (absl::EndsWith(text, "d") && absl::SimpleAtoi(text.substr(0, text.size() - 1), &days)) {
    *window = absl::Hours(24) * days;
  } else if (!absl::ParseDuration(text, window)) {
    return false;
  }
  return *window > absl::ZeroDuration();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leadboard: operate a leadboard server (ingest, watch, inspect, benchmark)"};
  app.require_subcommand(1);
  ConnectOptions connect;
  if (const char* target = std::getenv("LEADBOARD_TARGET")) connect.target = target;
  if (const char* token = std::getenv("LEADBOARD_TOKEN")) connect.token = token;
  app.add_option("--target", connect.target, "Server address host:port (env LEADBOARD_TARGET)")
      ->capture_default_str();
  app.add_option("--token", connect.token, "Bearer token (env LEADBOARD_TOKEN)");
  app.add_flag("--tls", connect.tls, "Use TLS");
  app.add_option("--ca", connect.ca_file, "PEM file of CA roots for TLS");

  std::string ingest_path;
  size_t batch = 1000;
  auto* ingest = app.add_subcommand("ingest", "Stream JSON Lines events (protobuf JSON) from FILE or -");
  ingest->add_option("file", ingest_path, "File of events, one JSON object per line; - for stdin")
      ->required();
  ingest->add_option("--batch", batch, "Events per stream")->capture_default_str();

  int64_t limit = 0;
  std::string job, user, stage;
  bool json = false, progress = false;
  auto* watch = app.add_subcommand("watch", "Print board changes as they happen; resumes by itself");
  leadboard::client::WatchOptions watch_options;
  watch->add_option("--since", watch_options.since_revision,
                    "Replay changes after this revision (0: snapshot first)");
  watch->add_option("--job", watch_options.job_id, "Only this job's leads");
  watch->add_option("--user", watch_options.user_id, "Only this user's leads");
  watch->add_flag("--conflate", watch_options.conflate,
                  "When behind, only each lead's newest change (never cut off as too slow)");
  watch->add_flag("--catch-up", watch_options.catch_up,
                  "From a revision no longer retained: the changed leads' current cards");
  watch->add_option("--batch", watch_options.batch,
                    "When behind, what is waiting in one response (printed one by one)")
      ->capture_default_str();
  watch->add_flag("--json", json, "One JSON object per line");
  watch->add_flag("--progress", progress, "Also print heartbeats");
  watch->add_option("--limit", limit, "Exit after this many changes (0: never)");

  std::string lead_id;
  auto* get = app.add_subcommand("get", "Show one lead with every enrichment section");
  get->add_option("lead_id", lead_id, "Lead id")->required();
  get->add_flag("--json", json, "As JSON");

  auto* history = app.add_subcommand("history", "Show a lead's stage history with durations");
  history->add_option("lead_id", lead_id, "Lead id")->required();
  history->add_flag("--json", json, "The lead as one JSON object");

  std::string to_stage, note, actor;
  int64_t if_revision = -1;
  auto* move = app.add_subcommand("move", "Move a lead to a people's column (or back to enriched)");
  move->add_option("lead_id", lead_id, "Lead id")->required();
  move->add_option("stage", to_stage, "Column id (leadboard board lists them; + marks people's)")
      ->required();
  move->add_option("--if-revision", if_revision,
                   "Move only if the lead is still at this revision (else ABORTED)");
  move->add_option("--note", note, "Why, kept in the lead's history");
  move->add_option("--actor", actor, "Who moves it (without authentication)");

  auto* timeline = app.add_subcommand("timeline", "Show a lead's agent steps, run by run");
  timeline->add_option("lead_id", lead_id, "Lead id")->required();
  timeline->add_flag("--json", json, "The lead as one JSON object");

  std::string since;
  auto* agents = app.add_subcommand("agents", "Per-agent statistics: steps, failures, p50/p95/max");
  agents->add_option("--job", job, "Only this job's steps");
  agents->add_option("--user", user, "Only this user's steps");
  agents->add_option("--since", since, "Only steps started in this last while (30m, 24h, 7d)");
  agents->add_flag("--json", json, "As JSON");

  bool stalled = false;
  auto* list = app.add_subcommand("list", "List leads");
  list->add_flag("--stalled", stalled, "Only stalled leads (mid-run, no event for the limit)");
  list->add_option("--stage", stage, "Only this column");
  list->add_option("--job", job, "Only this job");
  list->add_option("--user", user, "Only this user");
  list->add_flag("--json", json, "One JSON object per line");

  auto* board = app.add_subcommand("board", "Show the board's columns with lead counts");
  board->add_option("--job", job, "Count only this job");
  board->add_option("--user", user, "Count only this user");
  board->add_flag("--json", json, "As JSON");

  auto* jobs = app.add_subcommand("jobs", "List pipeline jobs, newest first");
  jobs->add_option("--user", user, "Only this user's jobs");
  jobs->add_flag("--json", json, "One JSON object per line");

  cli::BenchOptions bench_options;
  auto* bench = app.add_subcommand("bench", "Drive load and report events/s, deliveries/s, latency");
  bench->add_option("--streams", bench_options.streams, "Concurrent ingest streams")->capture_default_str();
  bench->add_option("--events", bench_options.events, "Events in all")->capture_default_str();
  bench->add_option("--rate", bench_options.rate, "Offered events/s in all (0: as fast as possible)")->capture_default_str();
  bench->add_option("--watchers", bench_options.watchers, "Concurrent watchers")->capture_default_str();
  bench->add_option("--idle_watchers", bench_options.idle_watchers, "More watchers, of users that get no events (attached, idle)")->capture_default_str();
  bench->add_option("--batch", bench_options.batch, "Events per ingest stream")->capture_default_str();
  bench->add_option("--mix", bench_options.mix, "run (realistic lead runs), status (one change per event), harvest (new leads) or moves (people's moves, timed to a second watcher)")->capture_default_str();
  bench->add_option("--payload", bench_options.payload, "Bytes per status event message")->capture_default_str();
  bench->add_option("--users", bench_options.users, "Spread leads and watchers over this many users")->capture_default_str();
  bench->add_option("--watchers_per_connection", bench_options.watchers_per_connection, "Watch streams per connection")->capture_default_str();
  bench->add_option("--watch_target", bench_options.watch_target,
                    "Watchers connect to this replica of the same database (ingest goes to "
                    "--target): delivery across replicas");
  bench->add_option("--server_pid", bench_options.server_pid, "Report this (local) server's CPU, RSS per idle watcher and disk writes per event");
  bench->add_option("--user", bench_options.user, "User id for the bench leads")->capture_default_str();
  bench->add_flag("--json", bench_options.json, "One JSON object");
  bench->add_option("--hold", bench_options.hold,
                    "Seconds to keep the synced watchers open before ingest (the server's idle "
                    "cost, with --server_pid)")->capture_default_str();
  bench->add_option("--watch_batch", bench_options.watch_batch,
                    "Watchers ask for batches when behind (false: one message per response)")
      ->capture_default_str();
  bench->add_flag("--conflate", bench_options.conflate,
                  "Watchers ask for conflation; the run checks each ends with every lead's final revision");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*ingest) return Ingest(connect, ingest_path, batch);
  if (*watch) return Watch(connect, watch_options, json, limit, progress);
  if (*bench) {
    if (bench_options.mix == "moves") return cli::RunMoveBench(connect, bench_options);
    if (bench_options.mix == "catchup") return cli::RunCatchUpBench(connect, bench_options);
    return cli::RunBench(connect, bench_options);
  }
  Client client(connect);
  if (*get) {
    absl::StatusOr<v1::Lead> lead = client.GetLead(lead_id);
    if (!lead.ok()) return Fail(lead.status());
    if (json) {
      std::cout << cli::ToJsonLine(*lead) << "\n";
    } else {
      cli::PrintLead(*lead, std::cout);
    }
    return 0;
  }
  if (*history) {
    absl::StatusOr<v1::Lead> lead = client.GetLead(lead_id);
    if (!lead.ok()) return Fail(lead.status());
    if (json) {
      std::cout << cli::ToJsonLine(*lead) << "\n";
    } else {
      cli::PrintHistory(*lead, std::cout);
    }
    return 0;
  }
  if (*move) {
    v1::MoveLeadRequest request;
    request.set_lead_id(lead_id);
    request.set_to_stage(to_stage);
    if (if_revision >= 0) request.set_expected_revision(if_revision);
    request.set_note(note);
    request.set_actor(actor);
    absl::StatusOr<v1::MoveLeadResponse> moved = client.MoveLead(request);
    if (!moved.ok()) return Fail(moved.status());
    if (moved->moved()) {
      std::cout << "moved " << lead_id << " to " << moved->lead().stage() << " at revision "
                << moved->lead().revision() << "\n";
    } else {
      std::cout << lead_id << " already in " << moved->lead().stage() << " (revision "
                << moved->lead().revision() << "); nothing changed\n";
    }
    return 0;
  }
  if (*timeline) {
    absl::StatusOr<v1::Lead> lead = client.GetLead(lead_id);
    if (!lead.ok()) return Fail(lead.status());
    if (json) {
      std::cout << cli::ToJsonLine(*lead) << "\n";
    } else {
      cli::PrintTimeline(*lead, std::cout);
    }
    return 0;
  }
  if (*agents) {
    v1::GetAgentStatsRequest request;
    request.set_job_id(job);
    request.set_user_id(user);
    if (!since.empty()) {
      absl::Duration window;
      if (!ParseWindow(since, &window)) {
        std::cerr << "leadboard: --since: not a duration (30m, 24h, 7d): " << since << "\n";
        return 2;
      }
      const int64_t from = absl::ToUnixMicros(absl::Now() - window);
      *request.mutable_since() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(from);
    }
    absl::StatusOr<v1::GetAgentStatsResponse> stats = client.GetAgentStats(request);
    if (!stats.ok()) return Fail(stats.status());
    if (json) {
      std::cout << cli::ToJsonLine(*stats) << "\n";
    } else {
      cli::PrintAgentStats(*stats, std::cout);
    }
    return 0;
  }
  if (*list) {
    v1::ListLeadsRequest request;
    request.set_stalled(stalled);
    request.set_stage(stage);
    request.set_job_id(job);
    request.set_user_id(user);
    request.set_page_size(1000);
    absl::StatusOr<std::vector<v1::Lead>> leads = client.ListLeads(request);
    if (!leads.ok()) return Fail(leads.status());
    if (json) {
      for (const auto& lead : *leads) std::cout << cli::ToJsonLine(lead) << "\n";
    } else {
      cli::PrintLeadTable(*leads, std::cout);
    }
    return 0;
  }
  if (*board) {
    v1::GetBoardRequest request;
    request.set_job_id(job);
    request.set_user_id(user);
    absl::StatusOr<v1::Board> result = client.GetBoard(request);
    if (!result.ok()) return Fail(result.status());
    if (json) {
      std::cout << cli::ToJsonLine(*result) << "\n";
    } else {
      cli::PrintBoard(*result, std::cout);
    }
    return 0;
  }
  if (*jobs) {
    v1::ListJobsRequest request;
    request.set_user_id(user);
    request.set_page_size(1000);
    absl::StatusOr<std::vector<v1::Job>> result = client.ListJobs(request);
    if (!result.ok()) return Fail(result.status());
    if (json) {
      for (const auto& j : *result) std::cout << cli::ToJsonLine(j) << "\n";
    } else {
      cli::PrintJobs(*result, std::cout);
    }
    return 0;
  }
  return 2;
}
