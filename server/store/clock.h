// Clock: the source of "now" for everything that is not pure, injected so
// that tests can control time.
#ifndef LEADBOARD_SERVER_STORE_CLOCK_H_
#define LEADBOARD_SERVER_STORE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace leadboard {

class Clock {
 public:
  virtual ~Clock() = default;
  // The current time. Thread-safe.
  virtual absl::Time Now() const = 0;
};

// The system's wall clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace leadboard

#endif  // LEADBOARD_SERVER_STORE_CLOCK_H_
