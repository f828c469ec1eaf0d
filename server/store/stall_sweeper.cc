#include "store/stall_sweeper.h"

#include <algorithm>
#include <utility>

#include "spdlog/spdlog.h"

namespace leadboard::store {

absl::Duration StallSweeper::IntervalFor(const engine::BoardConfig& board) {
  absl::Duration shortest = board.job_stall_after();
  for (const v1::BoardColumn& column : board.columns()) {
    shortest = std::min(shortest, board.StallAfter(column.id()));
  }
  return std::clamp(shortest / 10, absl::Milliseconds(100), absl::Seconds(5));
}

StallSweeper::StallSweeper(LeadRepository* repository, const engine::StageEngine* engine,
                           Publish publish, absl::Duration interval, Committing committing)
    : repository_(repository),
      engine_(engine),
      publish_(std::move(publish)),
      committing_(std::move(committing)),
      periodic_("lb-stall-sweep", interval, Periodic::Start::kAfterInterval, [this] { Sweep(); }) {}

void StallSweeper::Sweep() {
  if (committing_) committing_(true);
  absl::StatusOr<SweepResult> swept = repository_->SweepStalls(*engine_);
  const size_t leads = swept.ok() ? swept->changes.size() : 0;
  if (leads > 0) publish_(std::move(swept->changes));
  if (committing_) committing_(false);  // its changes published first
  if (!swept.ok()) {
    spdlog::warn("stalls: cannot sweep: {}", swept.status().ToString());
    return;
  }
  if (leads > 0 || swept->stalled_jobs > 0) {
    spdlog::info("stalls: flagged {} leads and {} jobs", leads, swept->stalled_jobs);
  }
}

}  // namespace leadboard::store
