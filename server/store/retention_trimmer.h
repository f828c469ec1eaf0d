// RetentionTrimmer: deletes change-log rows older than the retention window,
// once a minute, on its own thread. Snapshots never need the log, so trimming
// only limits how far back a watcher can resume (older: OUT_OF_RANGE).
#ifndef LEADBOARD_SERVER_STORE_RETENTION_TRIMMER_H_
#define LEADBOARD_SERVER_STORE_RETENTION_TRIMMER_H_

#include "absl/time/time.h"
#include "store/clock.h"
#include "store/lead_repository.h"
#include "store/periodic.h"

namespace leadboard::store {

class RetentionTrimmer {
 public:
  RetentionTrimmer(LeadRepository* repository, const Clock* clock, absl::Duration retention,
                   absl::Duration interval = absl::Minutes(1));

 private:
  void Trim();

  LeadRepository* const repository_;
  const Clock* const clock_;
  const absl::Duration retention_;
  Periodic periodic_;  // last: runs Trim, which reads the rest
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_RETENTION_TRIMMER_H_
