// Periodic: runs a piece of work on its own thread every `interval` until
// it is destroyed (the destructor stops the thread and waits for it). The
// retention trimmer and the stall sweeper are one each.
#ifndef LEADBOARD_SERVER_STORE_PERIODIC_H_
#define LEADBOARD_SERVER_STORE_PERIODIC_H_

#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "store/thread_name.h"

namespace leadboard::store {

class Periodic {
 public:
  enum class Start { kAtOnce, kAfterInterval };

  // `name` names the thread (see thread_name.h).
  Periodic(std::string name, absl::Duration interval, Start start, std::function<void()> work)
      : interval_(interval), work_(std::move(work)), thread_([this, start, name] {
          NameThisThread(name);
          if (start == Start::kAtOnce) work_();
          while (!stop_.WaitForNotificationWithTimeout(interval_)) work_();
        }) {}
  ~Periodic() {
    stop_.Notify();
    thread_.join();
  }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  const absl::Duration interval_;
  const std::function<void()> work_;
  absl::Notification stop_;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_PERIODIC_H_
