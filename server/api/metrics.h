// Metrics: the Prometheus metrics operators scrape from /metrics.
//
//   leadboard_events_total{type,outcome}        accepted | duplicate | rejected
//   leadboard_commit_batch_events               histogram of events per transaction
//   leadboard_commit_seconds                    histogram of transaction time
//   leadboard_commit_queue_seconds              histogram of a chunk's wait for its transaction
//   leadboard_fanout_seconds                    histogram of a local commit's time to its watchers
//   leadboard_commit_failures_total             failed transactions
//   leadboard_deliveries_total                  changes queued to watchers
//   leadboard_watch_requests_total{mode}        snapshot | replay | out_of_range
//   leadboard_watchers_cut_total{reason}        slow | shutdown
//   leadboard_revision, leadboard_watchers, leadboard_watcher_queue_depth
//                                               gauges read from the hub at scrape time
//
// Thread-safe. Never records secrets or lead data.
#ifndef LEADBOARD_SERVER_API_METRICS_H_
#define LEADBOARD_SERVER_API_METRICS_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/board_config.h"
#include "hub/hub.h"
#include "leadboard/v1/event.pb.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "store/commit_queue.h"
#include "store/lead_repository.h"

namespace leadboard::api {

class Metrics {
 public:
  enum class Outcome { kAccepted = 0, kDuplicate = 1, kRejected = 2 };

  // Agent-step metrics are labelled by the normalized names of the agents
  // `board` maps (a bounded label set); any other agent counts as "other".
  Metrics(const hub::Hub* hub, const engine::BoardConfig& board);

  // What to expose: the registry and the live gauges.
  std::vector<std::shared_ptr<prometheus::Collectable>> Collectables() const;

  void CountEvent(int type, Outcome outcome);
  void ObserveCommit(const std::vector<const v1::PipelineEvent*>& batch,
                     const absl::StatusOr<store::BatchResult>& result,
                     const store::CommitQueue::Timing& timing);
  void ObserveFanOut(const hub::Hub::FanOutStats& stats);
  void CountWatchRequest(const std::string& mode);
  void CountWatcherCut(const std::string& reason);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> live_;
  // [event type][outcome]; type 0 also stands for unknown types.
  std::vector<std::array<prometheus::Counter*, 3>> events_;
  prometheus::Histogram* batch_events_;
  prometheus::Histogram* commit_seconds_;
  prometheus::Histogram* commit_queue_seconds_;
  prometheus::Histogram* fanout_seconds_;
  prometheus::Counter* commit_failures_;
  prometheus::Counter* deliveries_;
  prometheus::Family<prometheus::Counter>* watch_requests_;
  prometheus::Family<prometheus::Counter>* watchers_cut_;
  // Per agent (normalized name, or "other"): step durations and failures.
  struct AgentSeries {
    prometheus::Histogram* seconds;
    prometheus::Counter* failures;
  };
  absl::flat_hash_map<std::string, AgentSeries> agents_;
  AgentSeries other_agent_;

  // Records an accepted AGENT_END.
  void ObserveAgentEnd(const v1::PipelineEvent& event);
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_METRICS_H_
