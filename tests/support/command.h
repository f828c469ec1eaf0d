// Running programs from tests: to completion, or in the background.
#ifndef LEADBOARD_TESTS_SUPPORT_COMMAND_H_
#define LEADBOARD_TESTS_SUPPORT_COMMAND_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace leadboard::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] with argv, stdin from `stdin_path` (or /dev/null), and waits.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& stdin_path = "/dev/null");

// A program running in the background with its output going to a file.
class BackgroundCommand {
 public:
  BackgroundCommand(const std::vector<std::string>& argv, std::string output_path);
  ~BackgroundCommand();  // SIGKILL if still running
  // SIGINT and wait; returns the exit code.
  int Interrupt();
  std::string Output() const;

 private:
  pid_t pid_ = -1;
  std::string output_path_;
};

}  // namespace leadboard::testing

#endif  // LEADBOARD_TESTS_SUPPORT_COMMAND_H_
