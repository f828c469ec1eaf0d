// ServerProcess: the real leadboard-server binary, started on an ephemeral
// (or given) loopback port for integration tests.
#ifndef LEADBOARD_TESTS_SUPPORT_SERVER_PROCESS_H_
#define LEADBOARD_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace leadboard::testing {

class ServerProcess {
 public:
  // `args` are extra flags; `dir` holds the port file and the log.
  ServerProcess(std::string database_url, std::string dir, std::vector<std::string> args = {});
  ~ServerProcess();  // SIGKILL if still running

  // Starts the binary and waits (up to 20 s) until it serves. A restart
  // reuses the port it got the first time.
  absl::Status Start();
  // SIGTERM and wait; returns the exit code.
  int Stop();
  // SIGKILL and wait.
  void Kill();

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string target() const;
  std::string log_path() const { return dir_ + "/server.log"; }
  bool running() const { return pid_ > 0; }

 private:
  const std::string database_url_;
  const std::string dir_;
  const std::vector<std::string> args_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace leadboard::testing

#endif  // LEADBOARD_TESTS_SUPPORT_SERVER_PROCESS_H_
