// `leadboard bench --mix catchup`: what a watcher that was away costs once
// its revision left the change log. Seeds `events` leads, changes 1 % of
// them, waits until the server has trimmed the log past the seed (run the
// server with a short --retention), then times and weighs a full snapshot
// (since 0) against a catch-up (since the seed's revision, catch_up).
#include <chrono>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench.h"
#include "sample_run.h"

namespace leadboard::cli {
namespace {

struct Read {
  int64_t messages = 0;
  int64_t bytes = 0;
  double seconds = 0;
  bool out_of_range = false;
};

// Watches until `synced`, counting what arrived.
Read ReadUntilSynced(client::Client& client, int64_t since, bool catch_up,
                     const std::string& user) {
  Read read;
  v1::WatchLeadsRequest request;
  request.set_since_revision(since);
  request.set_catch_up(catch_up);
  request.set_user_id(user);
  auto context = client.NewContext(absl::Seconds(300));
  const auto start = std::chrono::steady_clock::now();
  auto reader = client.stub()->WatchLeads(context.get(), request);
  v1::WatchLeadsResponse response;
  bool synced = false;
  while (!synced && reader->Read(&response)) {
    ++read.messages;
    read.bytes += static_cast<int64_t>(response.ByteSizeLong());
    synced = response.has_synced();
  }
  read.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Cancel only a stream still open: cancelling one that ended would hide
  // the status it ended with.
  if (synced) context->TryCancel();
  read.out_of_range = reader->Finish().error_code() == grpc::StatusCode::OUT_OF_RANGE;
  return read;
}

}  // namespace

int RunCatchUpBench(const client::ConnectOptions& connect, const BenchOptions& options) {
  client::Client client(connect);
  const std::string run =
      absl::StrCat("cu", std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
  std::vector<v1::PipelineEvent> seed;
  for (int64_t i = 0; i < options.events; ++i) {
    seed.push_back(bench::HarvestEvent(run, i, options.user));
  }
  absl::StatusOr<v1::IngestSummary> seeded = client.Ingest(seed);
  if (!seeded.ok()) {
    std::cerr << "bench: cannot seed: " << seeded.status() << "\n";
    return 1;
  }
  const int64_t away_at = seeded->last_revision();
  std::vector<v1::PipelineEvent> changes;
  const int64_t changed = std::max<int64_t>(1, options.events / 100);
  for (int64_t i = 0; i < changed; ++i) {
    v1::PipelineEvent& e = changes.emplace_back(bench::HarvestEvent(run, i * 100, options.user));
    e.set_event_id(absl::StrCat(e.event_id(), "-update"));
    e.set_type(v1::EVENT_TYPE_STATUS_UPDATE);
    e.clear_lead();
    e.set_message("re-checked");
    e.mutable_occurred_at()->set_seconds(e.occurred_at().seconds() + 60);
  }
  if (absl::StatusOr<v1::IngestSummary> s = client.Ingest(changes); !s.ok()) {
    std::cerr << "bench: cannot change leads: " << s.status() << "\n";
    return 1;
  }
  // Wait until the log no longer reaches back to the seed.
  bool trimmed = false;
  for (int i = 0; i < 600 && !trimmed; ++i) {
    trimmed = ReadUntilSynced(client, away_at, false, options.user).out_of_range;
    if (!trimmed) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (!trimmed) {
    std::cerr << "bench: the change log was not trimmed (run the server with a short "
                 "--retention)\n";
    return 1;
  }
  const Read snapshot = ReadUntilSynced(client, 0, false, options.user);
  const Read catch_up = ReadUntilSynced(client, away_at, true, options.user);
  if (options.json) {
    std::cout << absl::StrFormat(
        "{\"mix\":\"catchup\",\"leads\":%d,\"changed\":%d,\"snapshot_messages\":%d,"
        "\"snapshot_bytes\":%d,\"snapshot_seconds\":%.3f,\"catch_up_messages\":%d,"
        "\"catch_up_bytes\":%d,\"catch_up_seconds\":%.3f}\n",
        options.events, changed, snapshot.messages, snapshot.bytes, snapshot.seconds,
        catch_up.messages, catch_up.bytes, catch_up.seconds);
  } else {
    std::cout << absl::StrFormat(
        "%d leads, %d changed while away\n"
        "snapshot    %d messages, %.1f MiB, %.3f s\n"
        "catch-up    %d messages, %.1f KiB, %.3f s (%.1f%% of the bytes)\n",
        options.events, changed, snapshot.messages, snapshot.bytes / 1048576.0,
        snapshot.seconds, catch_up.messages, catch_up.bytes / 1024.0, catch_up.seconds,
        100.0 * catch_up.bytes / std::max<int64_t>(1, snapshot.bytes));
  }
  return catch_up.messages == changed + 1 ? 0 : 1;
}

}  // namespace leadboard::cli
