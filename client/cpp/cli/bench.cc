#include "bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/arena.h"
#include "sample_run.h"

namespace leadboard::cli {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * (sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

// Resident set size of a process in KiB (0 if unknown).
int64_t RssKib(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (absl::StartsWith(line, "VmRSS:")) {
      int64_t kib = 0;
      std::string number = line.substr(6, line.find("kB") - 6);
      absl::StripAsciiWhitespace(&number);
      return absl::SimpleAtoi(number, &kib) ? kib : 0;
    }
  }
  return 0;
}

// Bytes a process has caused to be written to storage (/proc/PID/io's
// write_bytes; -1 if unknown): for SQLite, its log and its checkpoints.
int64_t DiskWriteBytes(int pid) {
  std::ifstream io(absl::StrCat("/proc/", pid, "/io"));
  std::string line;
  while (std::getline(io, line)) {
    int64_t bytes = 0;
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "write_bytes: ") && absl::SimpleAtoi(rest, &bytes)) {
      return bytes;
    }
  }
  return -1;
}

// CPU time (user + system) a process has used, in seconds (0 if unknown).
double CpuSeconds(int pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces): state is the 3rd
  // field, utime and stime the 14th and 15th.
  const size_t close = content.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(content.substr(close + 2), ' ');
  double utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return 0;
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string UserOf(const BenchOptions& options, int64_t n) {
  return options.users <= 1 ? options.user : absl::StrCat(options.user, "-", n % options.users);
}

// One stream's events, made as they are needed.
class EventSource {
 public:
  EventSource(const BenchOptions& options, const std::string& run, int stream)
      : options_(options), run_(run), stream_(stream),
        filler_(std::max(0, options.payload - 40), 'x') {}

  // The k-th event of this stream; `stamp` is put where it reaches a
  // watcher (the card's activity line) if the event carries one.
  v1::PipelineEvent Next(int64_t k) {
    const int64_t now = NowNanos();
    const std::string stamp = absl::StrCat(run_, " ", now);
    if (options_.mix == "status") {
      v1::PipelineEvent event;
      const int64_t lead = static_cast<int64_t>(stream_) * 100 + k % 100;
      event.set_event_id(absl::StrCat(run_, "-", stream_, "-", k));
      event.set_lead_id(absl::StrCat(run_, "-lead-", lead));
      event.set_job_id(run_);
      event.set_user_id(UserOf(options_, lead));
      event.set_type(v1::EVENT_TYPE_STATUS_UPDATE);
      event.mutable_occurred_at()->set_seconds(now / 1000000000);
      event.mutable_occurred_at()->set_nanos(static_cast<int32_t>(now % 1000000000));
      event.set_message(absl::StrCat(stamp, " ", k, " ", filler_));
      return event;
    }
    if (options_.mix == "harvest") {
      const int64_t lead = k * options_.streams + stream_;
      return bench::HarvestEvent(run_, lead, UserOf(options_, lead));
    }
    if (next_ >= run_events_.size()) {
      const int64_t lead = leads_++ * options_.streams + stream_;
      run_events_ = bench::LeadRun(run_, lead, UserOf(options_, lead));
      next_ = 0;
    }
    v1::PipelineEvent event = std::move(run_events_[next_++]);
    if (event.type() == v1::EVENT_TYPE_AGENT_START) event.set_message(stamp);
    return event;
  }

 private:
  const BenchOptions& options_;
  const std::string run_;
  const int stream_;
  const std::string filler_;
  std::vector<v1::PipelineEvent> run_events_;
  size_t next_ = 0;
  int64_t leads_ = 0;
};

// What all watchers share.
struct WatchTally {
  absl::Mutex mu;
  int synced ABSL_GUARDED_BY(mu) = 0;
  int finished ABSL_GUARDED_BY(mu) = 0;  // saw their end marker
  int done ABSL_GUARDED_BY(mu) = 0;      // stream over
  int errors ABSL_GUARDED_BY(mu) = 0;
  int64_t heartbeats ABSL_GUARDED_BY(mu) = 0;
  std::string first_error ABSL_GUARDED_BY(mu);
  Clock::time_point last_delivery ABSL_GUARDED_BY(mu);
};

// One watch stream on gRPC's callback API: counts changes, takes latency
// samples, and stops at its user's end marker.
class BenchWatcher final : public grpc::ClientReadReactor<v1::WatchLeadsResponse> {
 public:
  BenchWatcher(client::Client* client, v1::WatchLeadsRequest request, std::string run,
               std::string marker, WatchTally* tally)
      : context_(client->NewContext()),
        request_(std::move(request)),
        run_(std::move(run)),
        marker_(std::move(marker)),
        tally_(tally) {
    client->stub()->async()->WatchLeads(context_.get(), &request_, this);
    StartRead(response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    bool go_on = true;
    if (response_->has_batch()) {
      for (const v1::WatchLeadsResponse& message : response_->batch().messages()) {
        if (!(go_on = Handle(message))) break;
      }
    } else {
      go_on = Handle(*response_);
    }
    if (!go_on) return;
    response_ = NextResponse();
    StartRead(response_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&tally_->mu);
    ++tally_->done;
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      if (tally_->errors++ == 0) {
        tally_->first_error = absl::StrCat(status.error_code(), ": ", status.error_message());
      }
    }
  }

  void Cancel() { context_->TryCancel(); }
  // Only once the stream is done.
  int64_t delivered() const { return delivered_; }
  // Conflating: the last revision received per lead.
  const absl::flat_hash_map<std::string, int64_t>& last_revision() const {
    return last_revision_;
  }
  const std::vector<double>& latencies_ms() const { return latencies_ms_; }

  // One message; false at its user's end marker (the stream is cancelled).
  bool Handle(const v1::WatchLeadsResponse& response) {
    if (response.has_synced()) {
      absl::MutexLock lock(&tally_->mu);
      ++tally_->synced;
    } else if (response.has_progress()) {
      absl::MutexLock lock(&tally_->mu);
      ++tally_->heartbeats;
    } else if (response.has_lead_change()) {
      const v1::Lead& lead = response.lead_change().lead();
      if (lead.id() == marker_) {
        {
          absl::MutexLock lock(&tally_->mu);
          ++tally_->finished;
        }
        context_->TryCancel();
        return false;
      }
      ++delivered_;
      if (request_.conflate()) last_revision_[lead.id()] = response.revision();
      const std::string& activity = lead.activity();
      int64_t sent = 0;
      if (activity.size() > run_.size() && absl::StartsWith(activity, run_) &&
          activity[run_.size()] == ' ') {
        const size_t end = activity.find(' ', run_.size() + 1);
        if (absl::SimpleAtoi(activity.substr(run_.size() + 1, end - run_.size() - 1), &sent)) {
          latencies_ms_.push_back((NowNanos() - sent) / 1e6);
        }
      }
      absl::MutexLock lock(&tally_->mu);
      tally_->last_delivery = Clock::now();
    }
    return true;
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  // Each read on a fresh arena, dropped whole after it: a batch holds up to
  // 1,000 cards, and freeing them one by one (and a oneof switching from
  // a batch to a single change frees it) made malloc the load
  // generator's largest cost, CPU the server shares on a small machine.
  v1::WatchLeadsResponse* NextResponse() {
    arena_.Reset();
    return google::protobuf::Arena::CreateMessage<v1::WatchLeadsResponse>(&arena_);
  }

  v1::WatchLeadsRequest request_;
  google::protobuf::Arena arena_;
  v1::WatchLeadsResponse* response_ = NextResponse();
  const std::string run_;
  const std::string marker_;
  WatchTally* const tally_;
  int64_t delivered_ = 0;
  std::vector<double> latencies_ms_;
  absl::flat_hash_map<std::string, int64_t> last_revision_;
};

// Waits until `ready` holds for the tally or `timeout` passes; `ready`
// runs with the tally's lock held.
bool AwaitTally(WatchTally* tally, absl::Duration timeout,
                const std::function<bool(const WatchTally&)>& ready) {
  absl::MutexLock lock(&tally->mu);
  auto condition = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(tally->mu) { return ready(*tally); };
  return tally->mu.AwaitWithTimeout(absl::Condition(&condition), timeout);
}

std::string MarkerLead(const std::string& run, int user) {
  return absl::StrCat(run, "-end-", user);
}

}  // namespace

int RunBench(const client::ConnectOptions& connect, const BenchOptions& options) {
  if (options.mix != "run" && options.mix != "status" && options.mix != "harvest") {
    std::cerr << "bench: --mix must be run, status or harvest\n";
    return 2;
  }
  const std::string run = absl::StrCat("bench-", NowNanos());
  client::Client probe(connect);
  // Its revision alone: no lead counted (the store may hold many).
  v1::GetBoardRequest revision_only;
  revision_only.set_columns_only(true);
  absl::StatusOr<v1::Board> board = probe.GetBoard(revision_only);
  if (!board.ok()) {
    std::cerr << "bench: cannot reach " << connect.target << ": " << board.status() << "\n";
    return 2;
  }
  const int64_t start_revision = board->revision();
  const int users = std::max(1, options.users);

  // Watchers, spread over users and connections (the idle ones watch users
  // of their own that get no events); then the server's idle footprint per
  // watcher once all of them are synced.
  const int64_t rss_before = options.server_pid > 0 ? RssKib(options.server_pid) : 0;
  const int all_watchers = options.watchers + std::max(0, options.idle_watchers);
  WatchTally tally;
  std::vector<std::unique_ptr<client::Client>> connections;
  std::vector<std::unique_ptr<BenchWatcher>> watchers;
  for (int w = 0; w < all_watchers; ++w) {
    if (w % std::max(1, options.watchers_per_connection) == 0) {
      client::ConnectOptions own = connect;
      if (!options.watch_target.empty()) own.target = options.watch_target;
      own.connection_index = static_cast<int>(connections.size()) + 1;
      connections.push_back(std::make_unique<client::Client>(own));
    }
    const bool idle = w >= options.watchers;
    v1::WatchLeadsRequest request;
    request.set_since_revision(start_revision);
    request.set_user_id(idle ? absl::StrCat(options.user, "-idle-", w) : UserOf(options, w));
    request.set_conflate(options.conflate);
    request.set_batch(options.watch_batch);
    watchers.push_back(std::make_unique<BenchWatcher>(
        connections.back().get(), request, run, idle ? "" : MarkerLead(run, w % users), &tally));
  }
  const bool synced = AwaitTally(&tally, absl::Seconds(120),
                                 [&](const WatchTally& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t.mu) {
    return t.synced + t.errors >= all_watchers;
  });
  int64_t rss_after = 0;
  if (options.server_pid > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the server settle
    rss_after = RssKib(options.server_pid);
  }
  if (!synced) std::cerr << "bench: not every watcher synced within 120 s\n";
  double hold_cpu = 0;
  int64_t hold_heartbeats = 0;
  if (options.hold > 0) {
    std::cerr << "bench: " << all_watchers << " watchers synced; holding them " << options.hold
              << " s" << std::endl;
    auto heartbeats = [&tally] {
      absl::MutexLock lock(&tally.mu);
      return tally.heartbeats;
    };
    const double cpu_start = options.server_pid > 0 ? CpuSeconds(options.server_pid) : 0;
    const int64_t heartbeats_start = heartbeats();
    std::this_thread::sleep_for(std::chrono::duration<double>(options.hold));
    hold_cpu = options.server_pid > 0 ? CpuSeconds(options.server_pid) - cpu_start : 0;
    hold_heartbeats = heartbeats() - heartbeats_start;
  }

  // Ingest: each stream writes its share over IngestEvents streams of
  // `batch` events, paced to the offered rate.
  std::atomic<int64_t> accepted{0};
  std::atomic<int> errors{0};
  const double cpu_before = options.server_pid > 0 ? CpuSeconds(options.server_pid) : 0;
  const int64_t disk_before = options.server_pid > 0 ? DiskWriteBytes(options.server_pid) : -1;
  const auto ingest_start = Clock::now();
  std::vector<std::thread> streams;
  for (int t = 0; t < options.streams; ++t) {
    streams.emplace_back([&, t] {
      client::Client client(connect);
      EventSource source(options, run, t);
      const int64_t share = options.events / options.streams +
                            (t < options.events % options.streams ? 1 : 0);
      const double per_stream_rate = options.rate > 0 ? options.rate / options.streams : 0;
      for (int64_t sent = 0; sent < share;) {
        std::unique_ptr<grpc::ClientContext> context = client.NewContext();
        v1::IngestSummary summary;
        auto writer = client.stub()->IngestEvents(context.get(), &summary);
        const int64_t n = std::min<int64_t>(options.batch, share - sent);
        for (int64_t i = 0; i < n; ++i) {
          if (per_stream_rate > 0) {
            std::this_thread::sleep_until(
                ingest_start + std::chrono::duration<double>((sent + i + 1) / per_stream_rate));
          }
          if (!writer->Write(source.Next(sent + i))) break;
        }
        writer->WritesDone();
        const grpc::Status status = writer->Finish();
        if (!status.ok() || summary.rejected_size() > 0) {
          ++errors;
          std::cerr << "bench: ingest failed: "
                    << (status.ok() ? summary.rejected(0).reason() : status.error_message())
                    << "\n";
          return;
        }
        accepted += summary.accepted();
        sent += n;
      }
    });
  }
  for (std::thread& s : streams) s.join();
  const double ingest_seconds = std::chrono::duration<double>(Clock::now() - ingest_start).count();

  // One end marker per user; watchers stop at their user's. Then give
  // them up to 60 s to get there.
  if (options.watchers > 0) {
    std::vector<v1::PipelineEvent> markers;
    for (int u = 0; u < users; ++u) {
      v1::PipelineEvent& m = markers.emplace_back();
      m.set_event_id(MarkerLead(run, u));
      m.set_lead_id(MarkerLead(run, u));
      m.set_job_id(run);
      m.set_user_id(UserOf(options, u));
      m.set_type(v1::EVENT_TYPE_STATUS_UPDATE);
      m.mutable_occurred_at()->set_seconds(NowNanos() / 1000000000);
      m.set_message("end of bench");
    }
    absl::StatusOr<v1::IngestSummary> marked = probe.Ingest(markers);
    if (!marked.ok()) std::cerr << "bench: cannot send end markers: " << marked.status() << "\n";
    AwaitTally(&tally, absl::Seconds(60), [&](const WatchTally& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t.mu) {
      return t.finished + t.errors >= options.watchers || t.done >= all_watchers;
    });
  }
  for (auto& w : watchers) w->Cancel();
  AwaitTally(&tally, absl::Seconds(30),
             [&](const WatchTally& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(t.mu) {
               return t.done >= all_watchers;
             });
  // The server's CPU for the whole run (ingest and delivery): what a
  // delivery costs it, whatever the load generator on the same cores took.
  const double server_cpu =
      options.server_pid > 0 ? CpuSeconds(options.server_pid) - cpu_before : 0;
  // What the server itself wrote to storage per committed event (SQLite's
  // write amplification; PostgreSQL's own processes write its files).
  const int64_t disk_after = disk_before >= 0 ? DiskWriteBytes(options.server_pid) : -1;
  const double disk_kib_per_event = disk_after >= 0 && accepted.load() > 0
                                        ? double(disk_after - disk_before) / 1024 / accepted.load()
                                        : 0;

  absl::StatusOr<v1::Board> after = probe.GetBoard(revision_only);
  const int64_t changes =
      after.ok() ? after->revision() - start_revision - (options.watchers > 0 ? users : 0) : 0;
  int64_t delivered = 0;
  std::vector<double> latencies;
  for (auto& w : watchers) {
    delivered += w->delivered();
    latencies.insert(latencies.end(), w->latencies_ms().begin(), w->latencies_ms().end());
  }
  // Conflating watchers of one user must each end with every lead's final
  // revision: compare with the server's.
  int exact = 0;
  if (options.conflate && users == 1 && options.watchers > 0) {
    v1::ListLeadsRequest list;
    list.set_user_id(UserOf(options, 0));
    list.set_page_size(1000);
    absl::StatusOr<std::vector<v1::Lead>> leads = probe.ListLeads(list);
    absl::flat_hash_map<std::string, int64_t> final_revision;
    if (leads.ok()) {
      for (const v1::Lead& lead : *leads) {
        if (lead.revision() > start_revision && absl::StartsWith(lead.id(), run)) {
          final_revision[lead.id()] = lead.revision();
        }
      }
      final_revision.erase(MarkerLead(run, 0));
    }
    for (int i = 0; i < options.watchers; ++i) exact += watchers[i]->last_revision() == final_revision;
  }
  const int64_t conflated = std::max<int64_t>(0, changes * options.watchers - delivered);
  std::sort(latencies.begin(), latencies.end());
  double deliver_seconds;
  int finished, watch_errors;
  std::string watch_error;
  {
    absl::MutexLock lock(&tally.mu);
    deliver_seconds = std::chrono::duration<double>(tally.last_delivery - ingest_start).count();
    finished = tally.finished;
    watch_errors = tally.errors;
    watch_error = tally.first_error;
  }
  const double events_per_s = accepted.load() / ingest_seconds;
  const double deliveries_per_s = deliver_seconds > 0 ? delivered / deliver_seconds : 0;
  const double rss_per_watcher =
      all_watchers > 0 && rss_after > 0 ? double(rss_after - rss_before) / all_watchers : 0;
  const double p50 = Percentile(latencies, 0.50), p99 = Percentile(latencies, 0.99),
               p999 = Percentile(latencies, 0.999);
  if (options.json) {
    std::cout << absl::StrFormat(
        "{\"mix\":\"%s\",\"streams\":%d,\"watchers\":%d,\"idle_watchers\":%d,\"users\":%d,"
        "\"offered_rate\":%.0f,"
        "\"events\":%d,\"accepted\":%d,\"ingest_seconds\":%.3f,\"events_per_second\":%.0f,"
        "\"changes\":%d,\"delivered\":%d,\"deliveries_per_second\":%.0f,"
        "\"latency_samples\":%d,\"latency_ms_p50\":%.3f,\"latency_ms_p99\":%.3f,"
        "\"latency_ms_p999\":%.3f,\"rss_kib_per_watcher\":%.1f,\"server_cpu_seconds\":%.2f,"
        "\"server_disk_kib_per_event\":%.2f,"
        "\"conflate\":%s,\"conflated\":%d,\"watchers_exact\":%d,\"hold_seconds\":%.1f,"
        "\"hold_server_cpu_seconds\":%.3f,\"hold_heartbeats\":%d,\"errors\":%d}\n",
        options.mix, options.streams, options.watchers, all_watchers - options.watchers, users,
        options.rate, options.events, accepted.load(), ingest_seconds, events_per_s, changes,
        delivered, deliveries_per_s, latencies.size(), p50, p99, p999, rss_per_watcher, server_cpu,
        disk_kib_per_event, options.conflate ? "true" : "false", conflated, exact, options.hold, hold_cpu,
        hold_heartbeats, errors.load() + watch_errors);
  } else {
    std::cout << absl::StrFormat(
        "mix %s, streams %d, watchers %d over %d user(s) (+%d idle), offered %s events/s\n"
        "committed   %d events in %.2f s = %.0f events/s (durable: summaries returned), "
        "%d changes\n"
        "delivered   %d changes = %.0f deliveries/s\n"
        "latency     ingest->receipt p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms (%d samples)\n",
        options.mix, options.streams, options.watchers, users, all_watchers - options.watchers,
        options.rate > 0 ? absl::StrCat(options.rate) : std::string("max"), accepted.load(),
        ingest_seconds, events_per_s, changes, delivered, deliveries_per_s, p50, p99, p999,
        latencies.size());
    if (server_cpu > 0) {
      std::cout << absl::StrFormat(
          "server cpu  %.2f s: %.0f events/s and %.0f deliveries/s per server core\n", server_cpu,
          accepted.load() / server_cpu, delivered / server_cpu);
    }
    if (disk_kib_per_event > 0) {
      std::cout << absl::StrFormat("disk        the server wrote %.2f KiB to storage per event\n",
                                   disk_kib_per_event);
    }
    if (rss_after > 0) {
      std::cout << absl::StrFormat(
          "memory      server RSS %d -> %d KiB: %.1f KiB per idle watcher\n", rss_before,
          rss_after, rss_per_watcher);
    }
    if (options.hold > 0) {
      std::cout << absl::StrFormat(
          "idle        %d watchers held %.0f s: server cpu %.3f s (%.1f ms/s), %d heartbeats\n",
          all_watchers, options.hold, hold_cpu, 1000 * hold_cpu / options.hold, hold_heartbeats);
    }
  }
  if (watch_errors > 0) {
    std::cerr << "bench: " << watch_errors << " watch(es) failed: " << watch_error << "\n";
  }
  // Complete: everything accepted, every watcher reached its marker and,
  // with one user, saw every change.
  const bool complete = accepted.load() == options.events && errors.load() == 0 &&
                        watch_errors == 0 && finished == options.watchers &&
                        (users > 1 || delivered == changes * options.watchers ||
                         (options.conflate && exact == options.watchers));
  if (!complete) std::cerr << "bench: incomplete run (see counts above)\n";
  return complete ? 0 : 1;
}

}  // namespace leadboard::cli
