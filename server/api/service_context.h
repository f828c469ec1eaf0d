// ServiceContext: what the gRPC handlers need, wired by main.
#ifndef LEADBOARD_SERVER_API_SERVICE_CONTEXT_H_
#define LEADBOARD_SERVER_API_SERVICE_CONTEXT_H_

#include <cstddef>

#include "api/authenticator.h"
#include "api/executor.h"
#include "api/metrics.h"
#include "engine/board_config.h"
#include "hub/hub.h"
#include "store/clock.h"
#include "store/commit_queue.h"
#include "store/lead_repository.h"

namespace leadboard::api {

class IngestStreams;

struct ServiceOptions {
  size_t watch_queue_limit = 10000;    // live changes queued per watcher
  size_t ingest_chunk_events = 1000;   // events a stream hands over at once
  size_t ingest_max_pending = 4000;    // a stream stops reading past this
};

// Non-owning; everything outlives the service.
struct ServiceContext {
  store::LeadRepository* repository = nullptr;
  store::CommitQueue* commits = nullptr;
  hub::Hub* hub = nullptr;
  const engine::BoardConfig* board = nullptr;
  const engine::StageEngine* engine = nullptr;
  Executor* executor = nullptr;
  const Clock* clock = nullptr;
  Metrics* metrics = nullptr;  // optional
  const Authenticator* auth = nullptr;
  IngestStreams* ingest_streams = nullptr;  // optional: streams to end on drain
  ServiceOptions options;
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_SERVICE_CONTEXT_H_
