// `leadboard bench`: drives load against a server and reports what it saw.
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
  int batch = 500;          // events per IngestEvents stream
  int payload = 200;        // bytes of message per event
  std::string user = "bench";
  bool json = false;        // print one JSON object instead of a table
};

// Runs the benchmark; returns the process exit code.
int RunBench(const client::ConnectOptions& connect, const BenchOptions& options);

}  // namespace leadboard::cli

#endif  // LEADBOARD_CLIENT_CPP_CLI_BENCH_H_
