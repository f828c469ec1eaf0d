#include "bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace leadboard::cli {
namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * (sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

int RunBench(const client::ConnectOptions& connect, const BenchOptions& options) {
  const std::string run = absl::StrCat("bench-", NowNanos());
  client::Client probe(connect);
  absl::StatusOr<v1::Board> board = probe.GetBoard(v1::GetBoardRequest());
  if (!board.ok()) {
    std::cerr << "bench: cannot reach " << connect.target << ": " << board.status() << "\n";
    return 2;
  }
  const int64_t start_revision = board->revision();

  // Watchers: count deliveries and time ingest -> receipt from the stamp in
  // each event's message ("<run> <send time ns> ...").
  struct WatcherState {
    std::unique_ptr<client::Client> client;
    std::thread thread;
    std::atomic<int64_t> delivered{0};
    std::vector<double> latencies_ms;  // owned by the watcher thread until joined
  };
  std::vector<std::unique_ptr<WatcherState>> watchers;
  std::atomic<int> synced{0};
  Clock::time_point last_delivery;
  absl::Mutex last_mu;
  for (int w = 0; w < options.watchers; ++w) {
    auto state = std::make_unique<WatcherState>();
    state->client = std::make_unique<client::Client>(connect);
    WatcherState* s = state.get();
    state->thread = std::thread([s, &options, start_revision, &synced, &last_delivery, &last_mu, run] {
      client::WatchOptions watch;
      watch.since_revision = start_revision;
      watch.user_id = options.user;
      const int64_t expected = options.events;
      (void)s->client->Watch(watch, [&](const v1::WatchLeadsResponse& response) {
        if (response.has_synced()) {
          ++synced;
          return true;
        }
        if (!response.has_lead_change()) return true;
        const std::string& activity = response.lead_change().lead().activity();
        if (activity.rfind(run, 0) != 0) return true;
        int64_t sent = 0;
        size_t space = activity.find(' ', run.size() + 1);
        if (absl::SimpleAtoi(activity.substr(run.size() + 1, space - run.size() - 1), &sent)) {
          s->latencies_ms.push_back((NowNanos() - sent) / 1e6);
        }
        const int64_t n = ++s->delivered;
        {
          absl::MutexLock lock(&last_mu);
          last_delivery = Clock::now();
        }
        return n < expected;
      });
    });
    watchers.push_back(std::move(state));
  }
  while (synced.load() < options.watchers) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  // Ingest: each stream sends its share, paced to the offered rate.
  std::atomic<int64_t> accepted{0};
  std::atomic<int> errors{0};
  const std::string filler(std::max(0, options.payload - 40), 'x');
  const auto ingest_start = Clock::now();
  std::vector<std::thread> streams;
  for (int t = 0; t < options.streams; ++t) {
    streams.emplace_back([&, t] {
      client::Client client(connect);
      const int64_t share = options.events / options.streams +
                            (t < options.events % options.streams ? 1 : 0);
      const double per_stream_rate = options.rate > 0 ? options.rate / options.streams : 0;
      int64_t sent = 0;
      while (sent < share) {
        const int64_t n = std::min<int64_t>(options.batch, share - sent);
        std::vector<v1::PipelineEvent> events;
        events.reserve(n);
        for (int64_t i = 0; i < n; ++i) {
          const int64_t k = sent + i;
          v1::PipelineEvent& event = events.emplace_back();
          event.set_event_id(absl::StrCat(run, "-", t, "-", k));
          event.set_lead_id(absl::StrCat(run, "-lead-", t, "-", k % 100));
          event.set_job_id(run);
          event.set_user_id(options.user);
          event.set_type(v1::EVENT_TYPE_STATUS_UPDATE);
          const int64_t now = NowNanos();
          event.mutable_occurred_at()->set_seconds(now / 1000000000);
          event.mutable_occurred_at()->set_nanos(static_cast<int32_t>(now % 1000000000));
          event.set_message(absl::StrCat(run, " ", now, " ", k, " ", filler));
          if (per_stream_rate > 0) {
            const auto due = ingest_start + std::chrono::duration<double>((k + 1) / per_stream_rate);
            std::this_thread::sleep_until(due);
            event.set_message(absl::StrCat(run, " ", NowNanos(), " ", k, " ", filler));
          }
        }
        client::IngestOptions ingest;
        ingest.batch_size = n;
        absl::StatusOr<v1::IngestSummary> summary = client.Ingest(events, ingest);
        if (!summary.ok()) {
          ++errors;
          std::cerr << "bench: ingest failed: " << summary.status() << "\n";
          return;
        }
        accepted += summary->accepted();
        sent += n;
      }
    });
  }
  for (std::thread& s : streams) s.join();
  const double ingest_seconds = std::chrono::duration<double>(Clock::now() - ingest_start).count();

  // Give watchers up to 30 s to receive everything, then stop them.
  const auto wait_until = Clock::now() + std::chrono::seconds(30);
  for (auto& w : watchers) {
    while (w->delivered.load() < accepted.load() && Clock::now() < wait_until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    w->client->Cancel();
    w->thread.join();
  }
  double deliver_seconds;
  {
    absl::MutexLock lock(&last_mu);
    deliver_seconds = std::chrono::duration<double>(last_delivery - ingest_start).count();
  }
  int64_t delivered = 0;
  std::vector<double> latencies;
  for (auto& w : watchers) {
    delivered += w->delivered.load();
    latencies.insert(latencies.end(), w->latencies_ms.begin(), w->latencies_ms.end());
  }
  std::sort(latencies.begin(), latencies.end());
  const double events_per_s = accepted.load() / ingest_seconds;
  const double deliveries_per_s = deliver_seconds > 0 ? delivered / deliver_seconds : 0;
  const double p50 = Percentile(latencies, 0.50), p99 = Percentile(latencies, 0.99),
               p999 = Percentile(latencies, 0.999);
  if (options.json) {
    std::cout << absl::StrFormat(
        "{\"streams\":%d,\"watchers\":%d,\"offered_rate\":%.0f,\"events\":%d,\"accepted\":%d,"
        "\"ingest_seconds\":%.3f,\"events_per_second\":%.0f,\"delivered\":%d,"
        "\"deliveries_per_second\":%.0f,\"latency_ms_p50\":%.3f,\"latency_ms_p99\":%.3f,"
        "\"latency_ms_p999\":%.3f,\"errors\":%d}\n",
        options.streams, options.watchers, options.rate, options.events, accepted.load(),
        ingest_seconds, events_per_s, delivered, deliveries_per_s, p50, p99, p999, errors.load());
  } else {
    std::cout << absl::StrFormat(
        "streams %d, watchers %d, offered %s events/s\n"
        "committed   %d events in %.2f s = %.0f events/s (durable: summaries returned)\n"
        "delivered   %d changes = %.0f deliveries/s\n"
        "latency     ingest->receipt p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms (%d samples)\n",
        options.streams, options.watchers,
        options.rate > 0 ? absl::StrCat(options.rate) : std::string("max"), accepted.load(),
        ingest_seconds, events_per_s, delivered, deliveries_per_s, p50, p99, p999,
        latencies.size());
  }
  const bool complete = accepted.load() == options.events &&
                        delivered == accepted.load() * options.watchers && errors.load() == 0;
  if (!complete) std::cerr << "bench: incomplete run (see counts above)\n";
  return complete ? 0 : 1;
}

}  // namespace leadboard::cli
