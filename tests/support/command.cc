#include "command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "test_database.h"

namespace leadboard::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::string& stdin_path,
            const std::string& output_path) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  const int in = open(stdin_path.c_str(), O_RDONLY);
  const int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  std::vector<char*> raw;
  for (const std::string& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
  raw.push_back(nullptr);
  execv(raw[0], raw.data());
  _exit(127);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_path) {
  const std::string dir = MakeTempDir();
  const std::string output = dir + "/output";
  CommandResult result;
  result.exit_code = Wait(Spawn(argv, stdin_path, output));
  result.output = ReadFile(output);
  unlink(output.c_str());
  rmdir(dir.c_str());
  return result;
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv,
                                     std::string output_path)
    : output_path_(std::move(output_path)) {
  pid_ = Spawn(argv, "/dev/null", output_path_);
}

BackgroundCommand::~BackgroundCommand() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait(pid_);
  }
}

int BackgroundCommand::Interrupt() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGINT);
  const int code = Wait(pid_);
  pid_ = -1;
  return code;
}

std::string BackgroundCommand::Output() const { return ReadFile(output_path_); }

}  // namespace leadboard::testing
