// StallSweeper: on its own thread, asks the repository every `interval` to
// flag the leads and jobs whose stall limit passed without an event
// (LeadRepository::SweepStalls), and hands the STALLED changes to
// `publish`. Each replica runs one; the sweep's transaction makes sure a
// stall is flagged once whichever replica gets there first. Like the
// commit queue it says when its transaction is under way (`committing`,
// Hub::LocalCommit), so that the hub does not read back from the change
// log what `publish` brings a moment later.
#ifndef LEADBOARD_SERVER_STORE_STALL_SWEEPER_H_
#define LEADBOARD_SERVER_STORE_STALL_SWEEPER_H_

#include <functional>
#include <vector>

#include "absl/time/time.h"
#include "engine/stage_engine.h"
#include "store/lead_repository.h"
#include "store/periodic.h"

namespace leadboard::store {

class StallSweeper {
 public:
  using Publish = std::function<void(std::vector<Change>)>;
  using Committing = std::function<void(bool underway)>;

  // A tenth of the board's shortest limit, between 100 ms and 5 s: a stall
  // is flagged at most that late.
  static absl::Duration IntervalFor(const engine::BoardConfig& board);

  // `committing` may be empty.
  StallSweeper(LeadRepository* repository, const engine::StageEngine* engine, Publish publish,
               absl::Duration interval, Committing committing = nullptr);

 private:
  void Sweep();

  LeadRepository* const repository_;
  const engine::StageEngine* const engine_;
  const Publish publish_;
  const Committing committing_;
  Periodic periodic_;  // last: runs Sweep, which reads the rest
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_STALL_SWEEPER_H_
