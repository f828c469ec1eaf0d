// Executor: a small fixed thread pool for blocking work (database reads)
// that must not run on gRPC's callback threads.
#ifndef LEADBOARD_SERVER_API_EXECUTOR_H_
#define LEADBOARD_SERVER_API_EXECUTOR_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace leadboard::api {

class Executor {
 public:
  explicit Executor(int threads);
  // Runs what is queued, then joins the threads.
  ~Executor();

  // Queues `task`. Thread-safe. Tasks posted after Stop run on the caller.
  void Post(std::function<void()> task);

  // Drains the queue and joins. Idempotent.
  void Stop();

 private:
  void Run();
  bool HasWorkLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !tasks_.empty();
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_EXECUTOR_H_
