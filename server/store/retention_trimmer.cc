#include "store/retention_trimmer.h"

#include "spdlog/spdlog.h"

namespace leadboard::store {

RetentionTrimmer::RetentionTrimmer(LeadRepository* repository, const Clock* clock,
                                   absl::Duration retention, absl::Duration interval)
    : repository_(repository),
      clock_(clock),
      retention_(retention),
      periodic_("lb-trim", interval, Periodic::Start::kAtOnce, [this] { Trim(); }) {}

void RetentionTrimmer::Trim() {
  absl::StatusOr<int64_t> trimmed = repository_->TrimChanges(clock_->Now() - retention_);
  if (!trimmed.ok()) {
    spdlog::warn("retention: cannot trim the change log: {}", trimmed.status().ToString());
  } else if (*trimmed > 0) {
    spdlog::info("retention: trimmed {} changes older than {}", *trimmed,
                 absl::FormatDuration(retention_));
  }
}

}  // namespace leadboard::store
