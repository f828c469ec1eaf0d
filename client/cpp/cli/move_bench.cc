// `leadboard bench --mix moves`: a person's move, timed until a second
// watcher on its own connection receives it. Seeds enriched leads, then
// moves them one at a time (conditional on their revision) through the
// people's columns.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bench.h"

namespace leadboard::cli {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double At(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

}  // namespace

int RunMoveBench(const client::ConnectOptions& connect, const BenchOptions& options) {
  constexpr int kLeads = 50;
  const char* kColumns[] = {"reviewing", "first_messages", "negotiating", "meeting_scheduled"};
  client::Client mover(connect);
  const std::string run = absl::StrCat("mv", Clock::now().time_since_epoch().count() % 1000000);
  std::vector<v1::PipelineEvent> seed;
  for (int i = 0; i < kLeads; ++i) {
    for (int end = 0; end < 2; ++end) {
      v1::PipelineEvent& e = seed.emplace_back();
      e.set_event_id(absl::StrCat(run, "-", i, "-", end));
      e.set_lead_id(absl::StrCat(run, "-lead-", i));
      e.set_job_id(run);
      e.set_user_id(options.user);
      e.set_type(end ? v1::EVENT_TYPE_PIPELINE_END : v1::EVENT_TYPE_LEAD_GENERATED);
      e.set_success(end == 1);
      e.mutable_occurred_at()->set_seconds(1767225600 + end);
    }
  }
  absl::StatusOr<v1::IngestSummary> seeded = mover.Ingest(seed);
  if (!seeded.ok()) {
    std::cerr << "bench: cannot seed leads: " << seeded.status() << "\n";
    return 1;
  }

  // The second watcher: its own connection, receipt time per revision.
  client::ConnectOptions watch_connect = connect;
  watch_connect.connection_index = 1;
  client::Client watcher(watch_connect);
  absl::Mutex mu;
  std::map<int64_t, Clock::time_point> received;
  bool synced = false;
  std::thread watch([&] {
    client::WatchOptions watch_options;
    watch_options.since_revision = seeded->last_revision();
    watch_options.user_id = options.user;
    (void)watcher.Watch(watch_options, [&](const v1::WatchLeadsResponse& r) {
      absl::MutexLock lock(&mu);
      if (r.has_synced()) synced = true;
      if (r.has_lead_change() && r.lead_change().kind() == v1::CHANGE_KIND_MOVED) {
        received[r.revision()] = Clock::now();
      }
      return true;
    });
  });
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(&synced), absl::Seconds(30));
  }

  std::map<std::string, int64_t> revision_of;  // lead -> its last known revision
  std::vector<double> to_watcher, rpc;
  int failures = 0;
  const Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < options.events; ++i) {
    v1::MoveLeadRequest request;
    request.set_lead_id(absl::StrCat(run, "-lead-", i % kLeads));
    request.set_to_stage(kColumns[(i / kLeads) % 4]);
    request.set_actor("bench");
    if (auto it = revision_of.find(request.lead_id()); it != revision_of.end()) {
      request.set_expected_revision(it->second);
    }
    const Clock::time_point sent = Clock::now();
    absl::StatusOr<v1::MoveLeadResponse> moved = mover.MoveLead(request);
    const Clock::time_point answered = Clock::now();
    if (!moved.ok() || !moved->moved()) {
      ++failures;
      continue;
    }
    rpc.push_back(Ms(answered - sent));
    const int64_t revision = moved->lead().revision();
    revision_of[request.lead_id()] = revision;
    absl::MutexLock lock(&mu);
    auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return received.count(revision) > 0; };
    if (mu.AwaitWithTimeout(absl::Condition(&seen), absl::Seconds(10))) {
      to_watcher.push_back(Ms(received[revision] - sent));
    } else {
      ++failures;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  watcher.Cancel();
  watch.join();
  std::sort(to_watcher.begin(), to_watcher.end());
  std::sort(rpc.begin(), rpc.end());
  const double moves_per_s = to_watcher.size() / seconds;
  if (options.json) {
    std::cout << absl::StrFormat(
        "{\"mix\":\"moves\",\"moves\":%d,\"moves_per_second\":%.0f,\"move_ms_p50\":%.3f,"
        "\"move_ms_p99\":%.3f,\"to_watcher_ms_p50\":%.3f,\"to_watcher_ms_p99\":%.3f,"
        "\"to_watcher_ms_max\":%.3f,\"errors\":%d}\n",
        to_watcher.size(), moves_per_s, At(rpc, 0.5), At(rpc, 0.99), At(to_watcher, 0.5),
        At(to_watcher, 0.99), to_watcher.empty() ? 0 : to_watcher.back(), failures);
  } else {
    std::cout << absl::StrFormat(
        "moves       %d sequential conditional moves in %.2f s = %.0f moves/s\n"
        "MoveLead    answered p50 %.2f ms, p99 %.2f ms\n"
        "to watcher  move sent -> second watcher received: p50 %.2f ms, p99 %.2f ms, "
        "max %.2f ms\n",
        to_watcher.size(), seconds, moves_per_s, At(rpc, 0.5), At(rpc, 0.99),
        At(to_watcher, 0.5), At(to_watcher, 0.99), to_watcher.empty() ? 0 : to_watcher.back());
  }
  if (failures > 0) std::cerr << "bench: " << failures << " moves failed or were not seen\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace leadboard::cli
