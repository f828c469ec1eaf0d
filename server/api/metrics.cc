#include "api/metrics.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "engine/agent_names.h"
#include "prometheus/family.h"
#include "prometheus/metric_family.h"

namespace leadboard::api {
namespace {

// Gauges read from the hub when scraped, so they are never stale.
class LiveGauges : public prometheus::Collectable {
 public:
  explicit LiveGauges(const hub::Hub* hub) : hub_(hub) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    return {Gauge("leadboard_revision", "Last revision fanned out to watchers",
                  static_cast<double>(hub_->revision())),
            Gauge("leadboard_watchers", "Open WatchLeads streams",
                  static_cast<double>(hub_->watcher_count())),
            Gauge("leadboard_watcher_queue_depth", "Changes queued for all watchers",
                  static_cast<double>(hub_->total_queue_depth()))};
  }

 private:
  static prometheus::MetricFamily Gauge(const std::string& name, const std::string& help,
                                        double value) {
    prometheus::MetricFamily family;
    family.name = name;
    family.help = help;
    family.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric metric;
    metric.gauge.value = value;
    family.metric.push_back(metric);
    return family;
  }
  const hub::Hub* hub_;
};

}  // namespace

Metrics::Metrics(const hub::Hub* hub, const engine::BoardConfig& board)
    : registry_(std::make_shared<prometheus::Registry>()),
      live_(std::make_shared<LiveGauges>(hub)) {
  auto& step_seconds =
      prometheus::BuildHistogram()
          .Name("leadboard_agent_step_seconds")
          .Help("Duration of agent steps (AGENT_END's duration) by agent; agents the board "
                "does not map are \"other\"")
          .Register(*registry_);
  auto& step_failures = prometheus::BuildCounter()
                            .Name("leadboard_agent_step_failures_total")
                            .Help("Agent steps that ended unsuccessfully, by agent")
                            .Register(*registry_);
  const prometheus::Histogram::BucketBoundaries buckets = {0.5, 1, 2.5, 5, 10, 20, 30,
                                                           60, 120, 300, 600};
  auto series = [&](const std::string& agent) {
    return AgentSeries{&step_seconds.Add({{"agent", agent}}, buckets),
                       &step_failures.Add({{"agent", agent}})};
  };
  for (const v1::BoardColumn& column : board.columns()) {
    for (const std::string& agent : column.agents()) agents_.emplace(agent, series(agent));
  }
  other_agent_ = series("other");
  auto& events = prometheus::BuildCounter()
                     .Name("leadboard_events_total")
                     .Help("Pipeline events by type and outcome")
                     .Register(*registry_);
  const char* outcomes[] = {"accepted", "duplicate", "rejected"};
  for (int type = 0; type < v1::EventType_ARRAYSIZE; ++type) {
    std::string name = type == 0 ? "unknown" : v1::EventType_Name(type).substr(11);
    std::array<prometheus::Counter*, 3> row;
    for (int o = 0; o < 3; ++o) {
      row[o] = &events.Add({{"type", absl::AsciiStrToLower(name)}, {"outcome", outcomes[o]}});
    }
    events_.push_back(row);
  }
  batch_events_ = &prometheus::BuildHistogram()
                       .Name("leadboard_commit_batch_events")
                       .Help("Events per committed transaction")
                       .Register(*registry_)
                       .Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 100, 500, 1000, 2000});
  // Where an event's way to the boards goes: waiting for its transaction,
  // the transaction, and the fan-out to watchers (sub-millisecond buckets:
  // at a low rate each is a fraction of a millisecond).
  const prometheus::Histogram::BucketBoundaries latency = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
  auto histogram = [&](const std::string& name, const std::string& help) {
    return &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_).Add(
        {}, latency);
  };
  commit_seconds_ = histogram("leadboard_commit_seconds", "Time to commit one transaction");
  commit_queue_seconds_ = histogram(
      "leadboard_commit_queue_seconds",
      "Time a chunk of an ingest stream's events waited for its transaction to begin");
  fanout_seconds_ = histogram("leadboard_fanout_seconds",
                              "Time from a local commit to its changes queued to every matching "
                              "watcher (and an idle stream's write started)");
  commit_failures_ = &prometheus::BuildCounter()
                          .Name("leadboard_commit_failures_total")
                          .Help("Transactions that failed (database errors)")
                          .Register(*registry_)
                          .Add({});
  deliveries_ = &prometheus::BuildCounter()
                     .Name("leadboard_deliveries_total")
                     .Help("Changes queued to watchers")
                     .Register(*registry_)
                     .Add({});
  watch_requests_ = &prometheus::BuildCounter()
                         .Name("leadboard_watch_requests_total")
                         .Help("WatchLeads calls by mode: snapshot, replay, out_of_range")
                         .Register(*registry_);
  watchers_cut_ = &prometheus::BuildCounter()
                       .Name("leadboard_watchers_cut_total")
                       .Help("Watch streams the server ended: slow (queue overflow), shutdown")
                       .Register(*registry_);
}

std::vector<std::shared_ptr<prometheus::Collectable>> Metrics::Collectables() const {
  return {registry_, live_};
}

void Metrics::CountEvent(int type, Outcome outcome) {
  if (type < 0 || type >= static_cast<int>(events_.size())) type = 0;
  events_[type][static_cast<int>(outcome)]->Increment();
}

void Metrics::ObserveCommit(const std::vector<const v1::PipelineEvent*>& batch,
                            const absl::StatusOr<store::BatchResult>& result,
                            const store::CommitQueue::Timing& timing) {
  commit_seconds_->Observe(std::chrono::duration<double>(timing.commit).count());
  for (const auto& queued : timing.queued) {
    commit_queue_seconds_->Observe(std::chrono::duration<double>(queued).count());
  }
  if (!result.ok()) {
    commit_failures_->Increment();
    return;
  }
  batch_events_->Observe(static_cast<double>(batch.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto kind = result->outcomes[i].kind;
    CountEvent(batch[i]->type(), kind == store::EventOutcome::Kind::kAccepted    ? Outcome::kAccepted
                                 : kind == store::EventOutcome::Kind::kDuplicate ? Outcome::kDuplicate
                                                                                 : Outcome::kRejected);
    if (kind == store::EventOutcome::Kind::kAccepted &&
        batch[i]->type() == v1::EVENT_TYPE_AGENT_END) {
      ObserveAgentEnd(*batch[i]);
    }
  }
}

void Metrics::ObserveAgentEnd(const v1::PipelineEvent& event) {
  auto it = agents_.find(engine::NormalizeAgentName(event.agent_name()));
  const AgentSeries& series = it == agents_.end() ? other_agent_ : it->second;
  if (event.duration_seconds() > 0) series.seconds->Observe(event.duration_seconds());
  if (!event.success()) series.failures->Increment();
}

void Metrics::ObserveFanOut(const hub::Hub::FanOutStats& stats) {
  deliveries_->Increment(static_cast<double>(stats.deliveries));
  if (stats.since_published) {
    fanout_seconds_->Observe(std::chrono::duration<double>(*stats.since_published).count());
  }
}

void Metrics::CountWatchRequest(const std::string& mode) { watch_requests_->Add({{"mode", mode}}).Increment(); }

void Metrics::CountWatcherCut(const std::string& reason) { watchers_cut_->Add({{"reason", reason}}).Increment(); }

}  // namespace leadboard::api
