// leadboard-server: turns flags (and LEADBOARD_* environment variables) into
// a ServerConfig, starts a Server (server/server.h does the wiring), and
// runs until SIGINT or SIGTERM, then drains.
//
// Exit codes: 0 clean shutdown, 1 bad flag, 2 bad configuration,
// 3 database unreachable, 4 cannot listen.
#include <grpcpp/grpcpp.h>
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
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/authenticator.h"
#include "engine/board_config.h"
#include "server/server.h"
#include "store/database_url.h"
#include "spdlog/spdlog.h"

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
ABSL_FLAG(absl::Duration, stall_after, absl::Minutes(10),
          "A lead mid-run (or a running job) with no event for this long is flagged stalled; "
          "a board column's stall_after overrides it (at least 1s).");
ABSL_FLAG(absl::Duration, progress_interval, absl::Seconds(30),
          "A watch stream that has sent nothing for this long gets a progress heartbeat "
          "(under the idle timeouts of proxies, typically 60 s).");
ABSL_FLAG(int, watch_queue_limit, 10000,
          "Live changes queued per watcher before it is cut off as too slow.");
ABSL_FLAG(int, watch_queues, 8,
          "Completion queues, one thread each, that watch streams are spread over (1 to 256).");
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

using leadboard::ServerConfig;
using leadboard::engine::BoardConfig;

[[noreturn]] void Die(int code, const std::string& message) {
  spdlog::error("{}", message);
  std::exit(code);
}

// LEADBOARD_<FLAG> environment variables set flags; the command line wins.
void ApplyEnvironment() {
  for (const char* name : {"listen", "data_dir", "database", "board_config", "retention", "trim_interval",
                           "stall_after", "progress_interval", "watch_queue_limit", "watch_queues", "shutdown_grace",
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

// The configuration the flags describe; exits with a message on a bad one.
ServerConfig ConfigFromFlags() {
  ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  if (const std::string path = absl::GetFlag(FLAGS_tokens_file); !path.empty()) {
    absl::StatusOr<leadboard::api::Authenticator> loaded =
        leadboard::api::Authenticator::FromFile(path);
    if (!loaded.ok()) Die(2, absl::StrCat("leadboard-server: ", loaded.status().message()));
    config.auth = *std::move(loaded);
  } else if (!IsLoopback(config.listen) && !absl::GetFlag(FLAGS_insecure)) {
    Die(1, absl::StrCat("leadboard-server: refusing to listen on ", config.listen,
                        " without --tokens_file: anyone who can reach it could read and write "
                        "every lead. Pass --tokens_file, or --insecure to accept that."));
  }
  if (const std::string path = absl::GetFlag(FLAGS_board_config); !path.empty()) {
    absl::StatusOr<BoardConfig> loaded = BoardConfig::FromFile(path);
    if (!loaded.ok()) Die(2, absl::StrCat("leadboard-server: ", loaded.status().message()));
    config.board = *std::move(loaded);
  }
  if (absl::GetFlag(FLAGS_watch_queue_limit) < 1) {
    Die(1, "leadboard-server: --watch_queue_limit must be at least 1");
  }
  config.watch_queue_limit = absl::GetFlag(FLAGS_watch_queue_limit);
  config.watch_queues = absl::GetFlag(FLAGS_watch_queues);
  if (config.watch_queues < 1 || config.watch_queues > 256) {
    Die(1, "leadboard-server: --watch_queues must be 1 to 256");
  }
  config.progress_interval = absl::GetFlag(FLAGS_progress_interval);
  config.retention = absl::GetFlag(FLAGS_retention);
  config.trim_interval = absl::GetFlag(FLAGS_trim_interval);
  if (config.progress_interval <= absl::ZeroDuration() ||
      config.retention <= absl::ZeroDuration() || config.trim_interval <= absl::ZeroDuration()) {
    Die(1, "leadboard-server: --progress_interval, --retention and --trim_interval must be "
           "positive");
  }
  config.stall_after = absl::GetFlag(FLAGS_stall_after);
  if (config.stall_after < absl::Seconds(1)) {
    Die(1, "leadboard-server: --stall_after must be at least 1s");
  }
  config.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.credentials = ServerCredentials();

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
  absl::StatusOr<leadboard::store::DatabaseUrl> url = leadboard::store::ParseDatabaseUrl(database);
  if (!url.ok()) Die(1, absl::StrCat("leadboard-server: ", url.status().message()));
  config.database = *std::move(url);
  return config;
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
  // --help lists this file's flags (Abseil's default looks for a file
  // named after the program, which main.cc is not).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server/main.cc");
  };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));
  if (absl::GetFlag(FLAGS_hash_token)) {
    std::string token;
    std::getline(std::cin, token);
    std::cout << leadboard::api::Authenticator::HashToken(token) << "\n";
    return 0;
  }
  ServerConfig config = ConfigFromFlags();
  const bool tls = !absl::GetFlag(FLAGS_tls_cert).empty();

  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  leadboard::SystemClock clock;
  absl::StatusOr<std::unique_ptr<leadboard::Server>> server =
      leadboard::Server::Start(std::move(config), &clock);
  if (!server.ok()) {
    Die(absl::IsUnavailable(server.status()) ? 3 : 4,
        absl::StrCat("leadboard-server: ", server.status().message()));
  }
  if (const std::string path = absl::GetFlag(FLAGS_port_file); !path.empty()) {
    WritePortFile(path, (*server)->port());
  }
  spdlog::info("leadboard-server listening on {}{}", tls ? "tls://" : "", (*server)->Describe());

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("leadboard-server: signal {}, draining (grace {} for unary calls)", signal_number,
               absl::FormatDuration(absl::GetFlag(FLAGS_shutdown_grace)));
  (*server)->Shutdown();
  spdlog::info("leadboard-server stopped");
  return 0;
}
