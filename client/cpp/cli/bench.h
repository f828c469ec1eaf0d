// `leadboard bench`: drives load against a server and reports what it saw.
//
// Ingest: `streams` threads, each writing its share of `events` over
// IngestEvents streams of `batch` events, as fast as possible or paced to
// `rate` (events are stamped when written, so latency is commit + fan-out,
// not time spent waiting for a batch to fill). Watch: `watchers` streams
// multiplexed `watchers_per_connection` to a connection, on gRPC's callback
// threads. Latency is ingest->receipt from stamps carried in the events.
#ifndef LEADBOARD_CLIENT_CPP_CLI_BENCH_H_
#define LEADBOARD_CLIENT_CPP_CLI_BENCH_H_

#include <string>

#include "leadboard/client.h"

namespace leadboard::cli {

struct BenchOptions {
  int streams = 4;          // concurrent ingest streams
  int64_t events = 20000;   // events in all
  double rate = 0;          // offered events/s in all; 0 = as fast as possible
  int watchers = 1;         // concurrent watchers
  int idle_watchers = 0;    // more watchers, of users that get no events
  int batch = 500;          // events per IngestEvents stream
  // What to send: "run" (realistic lead runs: a harvest, 15 agents' start,
  // tool call and end, a pipeline_end with a full enrichment package),
  // "status" (status updates of `payload` bytes on 100 leads a stream: one
  // change per event), "harvest" (one new lead per event: fills a store) or
  // "moves" (people's moves, see RunMoveBench).
  std::string mix = "run";
  int payload = 200;        // bytes of message per status event
  int users = 1;            // leads and watchers spread over this many users
  int watchers_per_connection = 100;
  std::string watch_target;  // if set: the watchers' replica (ingest goes to --target)
  int server_pid = 0;       // if set: the server's CPU, RSS per idle watcher, disk writes
  std::string user = "bench";
  bool json = false;        // print one JSON object instead of a table
  // Watchers ask for conflation: when behind, each lead's newest change
  // only. The run then checks each ends with every lead's final revision.
  bool conflate = false;
  bool watch_batch = true;  // watchers ask for batches (what the board and SDKs do)
  // Seconds to keep every watcher open once synced, before any ingest: the
  // server's CPU over that time is what its idle watchers cost it
  // (heartbeats included), reported with the heartbeats they received.
  double hold = 0;
};

// Runs the benchmark; returns the process exit code.
int RunBench(const client::ConnectOptions& connect, const BenchOptions& options);

// --mix moves: `events` sequential conditional MoveLead calls, each timed
// until a second watcher (its own connection) receives it.
int RunMoveBench(const client::ConnectOptions& connect, const BenchOptions& options);

// --mix catchup: a full snapshot against a catch-up after 1 % of `events`
// leads changed and the log was trimmed (see catch_up_bench.cc).
int RunCatchUpBench(const client::ConnectOptions& connect, const BenchOptions& options);

}  // namespace leadboard::cli

#endif  // LEADBOARD_CLIENT_CPP_CLI_BENCH_H_
