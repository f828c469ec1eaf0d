#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/executor.h"
#include "api/ingest_reactor.h"
#include "api/lead_board_service.h"
#include "api/metrics.h"
#include "api/watch_queues.h"
#include "engine/stage_engine.h"
#include "grpc/health/v1/health.pb.h"
#include "hub/hub.h"
#include "prometheus/exposer.h"
#include "spdlog/spdlog.h"
#include "store/commit_queue.h"
#include "store/soci/pg_listener.h"
#include "store/retention_trimmer.h"
#include "store/stall_sweeper.h"
#include "store/soci/soci_lead_repository.h"

namespace leadboard {

// Declared in the order they are built; destroyed in reverse.
struct Server::Parts {
  std::unique_ptr<store::SociLeadRepository> repository;
  std::unique_ptr<engine::StageEngine> engine;
  std::unique_ptr<api::Metrics> metrics;
  std::unique_ptr<hub::Hub> hub;
  std::unique_ptr<prometheus::Exposer> exposer;
  std::unique_ptr<store::CommitQueue> commits;
  std::unique_ptr<api::Executor> executor;
  std::unique_ptr<store::RetentionTrimmer> trimmer;
  std::unique_ptr<store::StallSweeper> sweeper;
  api::IngestStreams ingest_streams;
  std::unique_ptr<api::LeadBoardService> service;
  std::unique_ptr<api::WatchQueues> watch_queues;  // outlives the server's calls
  std::unique_ptr<grpc::Server> grpc;
  std::unique_ptr<store::PgListener> listener;
};

Server::Server(ServerConfig config, const Clock* clock)
    : config_(std::move(config)), clock_(clock), parts_(std::make_unique<Parts>()) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerConfig config, const Clock* clock) {
  std::unique_ptr<Server> server(new Server(std::move(config), clock));
  absl::Status started = server->Run();
  if (!started.ok()) return started;
  return server;
}

absl::Status Server::Run() {
  Parts& p = *parts_;
  absl::StatusOr<std::unique_ptr<store::SociLeadRepository>> repository =
      store::SociLeadRepository::Open({config_.database, config_.database_pool}, clock_);
  if (!repository.ok()) return repository.status();
  p.repository = *std::move(repository);
  config_.board = config_.board.WithStallAfter(config_.stall_after);
  p.engine = std::make_unique<engine::StageEngine>(config_.board);

  // The hub counts deliveries into the metrics, which read the hub's gauges.
  p.hub = std::make_unique<hub::Hub>(
      p.repository.get(), hub::Hub::Options{config_.progress_interval, 1000},
      [metrics = &p.metrics](const hub::Hub::FanOutStats& stats) {
        if (*metrics) (*metrics)->ObserveFanOut(stats);
      });
  p.metrics = std::make_unique<api::Metrics>(p.hub.get(), config_.board);
  if (!config_.metrics_listen.empty()) {
    try {
      p.exposer = std::make_unique<prometheus::Exposer>(config_.metrics_listen);
    } catch (const std::exception& e) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot serve metrics on ", config_.metrics_listen, ": ", e.what()));
    }
    for (const auto& collectable : p.metrics->Collectables()) {
      p.exposer->RegisterCollectable(collectable);
    }
  }
  if (absl::Status hub_started = p.hub->Start(); !hub_started.ok()) {
    return absl::UnavailableError(hub_started.message());
  }
  p.commits = std::make_unique<store::CommitQueue>(
      p.repository.get(), p.engine.get(),
      [hub = p.hub.get()](std::vector<store::Change> changes) { hub->Publish(std::move(changes)); },
      store::CommitQueue::Options{},
      [metrics = p.metrics.get()](const std::vector<const v1::PipelineEvent*>& batch,
                                  const absl::StatusOr<store::BatchResult>& result,
                                  const store::CommitQueue::Timing& timing) {
        metrics->ObserveCommit(batch, result, timing);
      },
      [hub = p.hub.get()](bool underway) { hub->LocalCommit(underway); });
  p.executor = std::make_unique<api::Executor>(4);
  p.trimmer = std::make_unique<store::RetentionTrimmer>(p.repository.get(), clock_,
                                                        config_.retention, config_.trim_interval);
  p.sweeper = std::make_unique<store::StallSweeper>(
      p.repository.get(), p.engine.get(),
      [hub = p.hub.get()](std::vector<store::Change> changes) { hub->Publish(std::move(changes)); },
      config_.stall_sweep_interval > absl::ZeroDuration()
          ? config_.stall_sweep_interval
          : store::StallSweeper::IntervalFor(config_.board),
      [hub = p.hub.get()](bool underway) { hub->LocalCommit(underway); });

  api::ServiceContext context;
  context.repository = p.repository.get();
  context.commits = p.commits.get();
  context.hub = p.hub.get();
  context.board = &config_.board;
  context.engine = p.engine.get();
  context.executor = p.executor.get();
  context.clock = clock_;
  context.metrics = p.metrics.get();
  context.auth = &config_.auth;
  context.ingest_streams = &p.ingest_streams;
  context.options.watch_queue_limit = config_.watch_queue_limit;
  p.service = std::make_unique<api::LeadBoardService>(context);

  // Link health.proto's descriptors so reflection can describe the health
  // service (grpcurl grpc.health.v1.Health/Check).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen, config_.credentials, &port_);
  builder.RegisterService(p.service.get());
  p.watch_queues = std::make_unique<api::WatchQueues>(p.service.get(), &builder,
                                                      config_.watch_queues);
  builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  // Long streams behind proxies: ping idle connections, accept clients'
  // keepalive pings every 10 s even without calls.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  p.grpc = builder.BuildAndStart();
  if (p.grpc == nullptr || port_ == 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", config_.listen));
  }
  p.watch_queues->Start();
  p.grpc->GetHealthCheckService()->SetServingStatus(true);
  // Several replicas share one PostgreSQL: learn of their commits by LISTEN,
  // and report NOT_SERVING while the database is unreachable.
  if (config_.database.backend == store::DatabaseUrl::Backend::kPostgres) {
    p.listener = std::make_unique<store::PgListener>(
        config_.database.postgres_conninfo,
        [hub = p.hub.get()](int64_t revision) { hub->NotifyRevision(revision); },
        [grpc = p.grpc.get()](bool connected) {
          spdlog::info("health: {}", connected ? "SERVING (database back)"
                                                : "NOT_SERVING (database unreachable)");
          grpc->GetHealthCheckService()->SetServingStatus(connected);
        });
  }
  address_ = absl::StrCat(config_.listen.substr(0, config_.listen.rfind(':')), ":", port_);
  return absl::OkStatus();
}

std::string Server::Describe() const {
  return absl::StrCat(
      address_, " (database ", config_.database.Describe(), ", board of ",
      config_.board.columns().size(), " columns, ",
      config_.auth.enabled() ? "bearer tokens required" : "authentication off",
      config_.metrics_listen.empty()
          ? ""
          : absl::StrCat(", metrics on http://", config_.metrics_listen, "/metrics"),
      ")");
}

std::vector<int> Server::watch_queue_streams() const {
  return parts_->watch_queues ? parts_->watch_queues->open_streams() : std::vector<int>();
}

void Server::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  Parts& p = *parts_;
  if (p.grpc != nullptr) {
    p.grpc->GetHealthCheckService()->SetServingStatus(false);
    p.listener.reset();
    // Streams end now, so the grace below only waits for unary calls.
    p.hub->CloseAll();
    p.ingest_streams.DrainAll();
    p.grpc->Shutdown(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(config_.shutdown_grace));
    p.watch_queues->Shutdown();
    p.grpc->Wait();
  }
  p.sweeper.reset();
  if (p.executor) p.executor->Stop();
  if (p.commits) p.commits->Stop();
  if (p.hub) p.hub->Stop();
}

Server::~Server() { Shutdown(); }

}  // namespace leadboard
