// leadboard-server: parses flags (and LEADBOARD_* environment variables),
// wires the engine, store, hub and gRPC service, and runs until SIGINT or
// SIGTERM, then drains gracefully.
//
// Exit codes: 0 clean shutdown, 1 bad flag, 2 bad configuration,
// 3 database unreachable, 4 cannot listen.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/authenticator.h"
#include "api/executor.h"
#include "api/lead_board_service.h"
#include "engine/board_config.h"
#include "grpc/health/v1/health.pb.h"
#include "engine/stage_engine.h"
#include "hub/hub.h"
#include "prometheus/exposer.h"
#include "spdlog/spdlog.h"
#include "store/commit_queue.h"
#include "store/pg_listener.h"
#include "store/retention_trimmer.h"
#include "store/soci_lead_repository.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on (host:port; port 0 picks a free one).");
ABSL_FLAG(std::string, data_dir, "",
          "Directory for the embedded SQLite database (default: "
          "$XDG_DATA_HOME/leadboard or ~/.local/share/leadboard).");
ABSL_FLAG(std::string, database, "",
          "Database URL: sqlite:PATH or postgresql://user@host:port/db "
          "(default: sqlite:DATA_DIR/leadboard.db).");
ABSL_FLAG(std::string, board_config, "",
          "Board configuration file (protobuf JSON of leadboard.v1.BoardConfig); "
          "default: the built-in board.");
ABSL_FLAG(absl::Duration, retention, absl::Hours(24 * 7),
          "How long the change log is kept for watchers to resume from.");
ABSL_FLAG(absl::Duration, trim_interval, absl::Minutes(1),
          "How often the change log is trimmed to the retention window.");
ABSL_FLAG(absl::Duration, progress_interval, absl::Seconds(5),
          "How often watchers get a progress heartbeat.");
ABSL_FLAG(int, watch_queue_limit, 10000,
          "Live changes queued per watcher before it is cut off as too slow.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "How long shutdown waits for open calls before cancelling them.");
ABSL_FLAG(std::string, port_file, "", "If set, the chosen port is written to this file.");
ABSL_FLAG(std::string, metrics_listen, "",
          "If set (e.g. 127.0.0.1:9464), serve Prometheus metrics at http://ADDR/metrics.");
ABSL_FLAG(std::string, tokens_file, "",
          "Bearer tokens: lines of \"SHA256HEX ROLE USER_ID\" (role worker, board or operator). "
          "Without it authentication is off and the server listens on loopback only.");
ABSL_FLAG(bool, insecure, false,
          "Allow listening on a non-loopback address without --tokens_file.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve TLS (with --tls_key).");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require client certificates signed by it (mutual TLS).");
ABSL_FLAG(bool, hash_token, false,
          "Read a token on stdin, print the line hash for --tokens_file, and exit.");
ABSL_FLAG(std::string, log_level, "info", "Log level: debug, info, warn, error.");

namespace {

using leadboard::api::Executor;
using leadboard::api::LeadBoardService;
using leadboard::api::ServiceContext;
using leadboard::engine::BoardConfig;
using leadboard::engine::StageEngine;
using leadboard::hub::Hub;
using leadboard::store::CommitQueue;
using leadboard::store::RetentionTrimmer;
using leadboard::store::SociLeadRepository;

[[noreturn]] void Die(int code, const std::string& message) {
  spdlog::error("{}", message);
  std::exit(code);
}

// LEADBOARD_<FLAG> environment variables set flags; the command line wins.
void ApplyEnvironment() {
  for (const char* name : {"listen", "data_dir", "database", "board_config", "retention", "trim_interval",
                           "progress_interval", "watch_queue_limit", "shutdown_grace",
                           "port_file", "metrics_listen", "tokens_file", "insecure", "tls_cert",
                           "tls_key", "tls_client_ca", "log_level"}) {
    const std::string env = absl::StrCat("LEADBOARD_", absl::AsciiStrToUpper(name));
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    if (flag == nullptr || !flag->ParseFrom(value, &error)) {
      Die(1, absl::StrCat("leadboard-server: bad ", env, "=", value, ": ", error));
    }
  }
}

std::string DefaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/leadboard");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.local/share/leadboard");
}

std::string ReadFileOrDie(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) Die(2, absl::StrCat("leadboard-server: --", flag, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsLoopback(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "[::1]" ||
         host == "ipv4:127.0.0.1" || host == "ipv6:[::1]";
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials() {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  if (cert.empty() != key.empty()) Die(1, "leadboard-server: --tls_cert and --tls_key go together");
  if (cert.empty()) {
    if (!absl::GetFlag(FLAGS_tls_client_ca).empty()) {
      Die(1, "leadboard-server: --tls_client_ca needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options(
      absl::GetFlag(FLAGS_tls_client_ca).empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back(
      {ReadFileOrDie("tls_key", key), ReadFileOrDie("tls_cert", cert)});
  if (!absl::GetFlag(FLAGS_tls_client_ca).empty()) {
    options.pem_root_certs = ReadFileOrDie("tls_client_ca", absl::GetFlag(FLAGS_tls_client_ca));
  }
  return grpc::SslServerCredentials(options);
}

void WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "leadboard-server: the real-time lead board service.\n"
      "Every flag can also be set as LEADBOARD_<FLAG> in the environment.");
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles
  // (a few percent of the fan-out path); the tests keep the check on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ApplyEnvironment();
  absl::ParseCommandLine(argc, argv);
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));
  if (absl::GetFlag(FLAGS_hash_token)) {
    std::string token;
    std::getline(std::cin, token);
    std::cout << leadboard::api::Authenticator::HashToken(token) << "\n";
    return 0;
  }

  // Authentication, and the safe default without it.
  leadboard::api::Authenticator auth;
  if (const std::string path = absl::GetFlag(FLAGS_tokens_file); !path.empty()) {
    absl::StatusOr<leadboard::api::Authenticator> loaded =
        leadboard::api::Authenticator::FromFile(path);
    if (!loaded.ok()) Die(2, absl::StrCat("leadboard-server: ", loaded.status().message()));
    auth = *std::move(loaded);
  } else if (!IsLoopback(absl::GetFlag(FLAGS_listen)) && !absl::GetFlag(FLAGS_insecure)) {
    Die(1, absl::StrCat("leadboard-server: refusing to listen on ", absl::GetFlag(FLAGS_listen),
                        " without --tokens_file: anyone who can reach it could read and write "
                        "every lead. Pass --tokens_file, or --insecure to accept that."));
  }

  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Board configuration.
  BoardConfig board = BoardConfig::Default();
  if (const std::string path = absl::GetFlag(FLAGS_board_config); !path.empty()) {
    absl::StatusOr<BoardConfig> loaded = BoardConfig::FromFile(path);
    if (!loaded.ok()) Die(2, absl::StrCat("leadboard-server: ", loaded.status().message()));
    board = *std::move(loaded);
  }
  if (absl::GetFlag(FLAGS_watch_queue_limit) < 1) {
    Die(1, "leadboard-server: --watch_queue_limit must be at least 1");
  }
  if (absl::GetFlag(FLAGS_progress_interval) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_retention) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_trim_interval) <= absl::ZeroDuration()) {
    Die(1, "leadboard-server: --progress_interval, --retention and --trim_interval must be "
           "positive");
  }

  // Database.
  std::string database = absl::GetFlag(FLAGS_database);
  if (database.empty()) {
    std::string data_dir = absl::GetFlag(FLAGS_data_dir);
    if (data_dir.empty()) data_dir = DefaultDataDir();
    std::error_code error;
    std::filesystem::create_directories(data_dir, error);
    if (error) {
      Die(2, absl::StrCat("leadboard-server: cannot create data directory ", data_dir, ": ",
                          error.message()));
    }
    database = absl::StrCat("sqlite:", data_dir, "/leadboard.db");
  }
  absl::StatusOr<leadboard::store::DatabaseUrl> url =
      leadboard::store::ParseDatabaseUrl(database);
  if (!url.ok()) Die(1, absl::StrCat("leadboard-server: ", url.status().message()));
  leadboard::SystemClock clock;
  absl::StatusOr<std::unique_ptr<SociLeadRepository>> repository =
      SociLeadRepository::Open({*url, 4}, &clock);
  if (!repository.ok()) Die(3, absl::StrCat("leadboard-server: ", repository.status().message()));

  // Engine, hub, commit queue, executor, service.
  StageEngine engine(board);
  std::unique_ptr<leadboard::api::Metrics> metrics;
  Hub hub(repository->get(), Hub::Options{absl::GetFlag(FLAGS_progress_interval), 1000},
          [&metrics](size_t, size_t deliveries) {
            if (metrics) metrics->CountDeliveries(deliveries);
          });
  metrics = std::make_unique<leadboard::api::Metrics>(&hub);
  std::unique_ptr<prometheus::Exposer> exposer;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_listen); !address.empty()) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(address);
    } catch (const std::exception& e) {
      Die(4, absl::StrCat("leadboard-server: cannot serve metrics on ", address, ": ", e.what()));
    }
    for (const auto& collectable : metrics->Collectables()) exposer->RegisterCollectable(collectable);
  }
  if (absl::Status started = hub.Start(); !started.ok()) {
    Die(3, absl::StrCat("leadboard-server: ", started.message()));
  }
  CommitQueue commits(
      repository->get(), &engine,
      [&hub](std::vector<leadboard::store::Change> changes) { hub.Publish(std::move(changes)); },
      CommitQueue::Options{},
      [&metrics](const std::vector<const leadboard::v1::PipelineEvent*>& batch,
                 const absl::StatusOr<leadboard::store::BatchResult>& result, double seconds) {
        metrics->ObserveCommit(batch, result, seconds);
      });
  Executor executor(4);
  RetentionTrimmer trimmer(repository->get(), &clock, absl::GetFlag(FLAGS_retention),
                           absl::GetFlag(FLAGS_trim_interval));
  ServiceContext context;
  context.repository = repository->get();
  context.commits = &commits;
  context.hub = &hub;
  context.board = &board;
  context.engine = &engine;
  context.executor = &executor;
  context.clock = &clock;
  context.metrics = metrics.get();
  context.auth = &auth;
  context.options.watch_queue_limit = absl::GetFlag(FLAGS_watch_queue_limit);
  LeadBoardService service(context);

  // Link health.proto's descriptors so reflection can describe the health
  // service (grpcurl grpc.health.v1.Health/Check).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), ServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(16 * 1024 * 1024);
  // Long streams behind proxies: ping idle connections, accept clients'
  // keepalive pings every 10 s even without calls.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Die(4, absl::StrCat("leadboard-server: cannot listen on ", absl::GetFlag(FLAGS_listen)));
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  // Several replicas share one PostgreSQL: learn of their commits by LISTEN,
  // and report NOT_SERVING while the database is unreachable.
  std::unique_ptr<leadboard::store::PgListener> listener;
  if (url->backend == leadboard::store::DatabaseUrl::Backend::kPostgres) {
    listener = std::make_unique<leadboard::store::PgListener>(
        url->postgres_conninfo, [&hub](int64_t revision) { hub.NotifyRevision(revision); },
        [&server](bool connected) {
          spdlog::info("health: {}", connected ? "SERVING (database back)"
                                                : "NOT_SERVING (database unreachable)");
          server->GetHealthCheckService()->SetServingStatus(connected);
        });
  }
  std::string listen = absl::GetFlag(FLAGS_listen);
  listen = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
  if (const std::string path = absl::GetFlag(FLAGS_port_file); !path.empty()) {
    WritePortFile(path, port);
  }
  spdlog::info("leadboard-server listening on {}{} (database {}, board of {} columns, {}{})",
               absl::GetFlag(FLAGS_tls_cert).empty() ? "" : "tls://", listen, url->Describe(),
               board.columns().size(),
               auth.enabled() ? "bearer tokens required" : "authentication off",
               exposer ? absl::StrCat(", metrics on http://", absl::GetFlag(FLAGS_metrics_listen),
                                      "/metrics")
                       : std::string());

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("leadboard-server: signal {}, draining (grace {})", signal_number,
               absl::FormatDuration(absl::GetFlag(FLAGS_shutdown_grace)));
  server->GetHealthCheckService()->SetServingStatus(false);
  listener.reset();
  hub.CloseAll();
  server->Shutdown(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_shutdown_grace)));
  server->Wait();
  executor.Stop();
  commits.Stop();
  hub.Stop();
  spdlog::info("leadboard-server stopped");
  return 0;
}
