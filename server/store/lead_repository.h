// LeadRepository: the storage port. Everything the service persists or
// reads goes through it; SociLeadRepository implements it on SQLite and
// PostgreSQL, tests may fake it.
#ifndef LEADBOARD_SERVER_STORE_LEAD_REPOSITORY_H_
#define LEADBOARD_SERVER_STORE_LEAD_REPOSITORY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/event_validator.h"
#include "engine/stage_engine.h"
#include "engine/timeline_log.pb.h"
#include "leadboard/v1/leadboard.pb.h"

namespace leadboard::store {

// What became of one event of a batch.
struct EventOutcome {
  enum class Kind { kAccepted, kDuplicate, kRejected };
  Kind kind = Kind::kAccepted;
  engine::Rejection rejection;  // set for kRejected
};

// What the change log holds.
struct LogRange {
  int64_t oldest = 1;
  int64_t current = 0;
};

// One committed change: a revision of the change log, ready to send.
struct Change {
  int64_t revision = 0;
  std::string lead_id;
  std::string user_id;
  std::string job_id;
  // The serialized WatchLeadsResponse watchers receive (revision +
  // lead_change): made once, shared by every watcher's write.
  std::shared_ptr<const std::string> wire;
};

// The result of committing a batch.
struct BatchResult {
  std::vector<EventOutcome> outcomes;  // one per input event, same order
  std::vector<Change> changes;         // in revision order, dense
  int64_t last_revision = 0;           // the revision after the commit
};

// Which leads a read covers; empty fields match everything.
struct LeadFilter {
  std::string user_id;
  std::string job_id;
  std::string stage;
  bool stalled = false;  // only stalled leads (ListLeads)
};

// A column's counts (GetBoard).
struct StageCount {
  int64_t leads = 0;
  int64_t stalled = 0;
};

// Which agent steps statistics cover; empty fields and unset times match
// everything. Times are the steps' starts.
struct StepFilter {
  std::string user_id;
  std::string job_id;
  std::optional<absl::Time> since;  // inclusive
  std::optional<absl::Time> until;  // exclusive
};

// What one stall sweep did.
struct SweepResult {
  std::vector<Change> changes;  // one STALLED change per lead it flagged
  int64_t stalled_jobs = 0;     // jobs it flagged
};

// A consistent read of the cards that changed after a revision.
struct ChangedLeads {
  int64_t revision = 0;        // the revision they are consistent with
  std::vector<v1::Lead> cards;  // revision order
};

// A consistent snapshot: every matching card as of `revision`.
struct Snapshot {
  int64_t revision = 0;
  std::vector<v1::Lead> cards;
};

struct LeadPage {
  std::vector<v1::Lead> leads;
  std::string next_after;  // lead id to continue after; empty on the last page
};

// The lead after a person's move, and the change it made (none when the
// lead already was where the move put it).
struct MoveResult {
  v1::Lead lead;
  std::optional<Change> change;
};

struct JobPage {
  std::vector<v1::Job> jobs;
  std::string next_token;  // empty on the last page
};

// The change log as the hub reads it: the latest revision, and the
// changes after one. Thread-safe.
class ChangeLogReader {
 public:
  virtual ~ChangeLogReader() = default;

  // The latest committed revision (0 for an empty log).
  virtual absl::StatusOr<int64_t> CurrentRevision() = 0;

  // Changes with after < revision <= up_to matching `filter` (stage is
  // ignored), in order, at most `limit`.
  virtual absl::StatusOr<std::vector<Change>> ReadChanges(int64_t after, int64_t up_to,
                                                          const LeadFilter& filter,
                                                          int limit) = 0;
};

// Thread-safe: every method may be called from any thread concurrently.
// Errors: Unavailable when the database cannot be reached or is busy
// (retryable); Internal for corrupt rows; InvalidArgument for bad tokens.
class LeadRepository : public ChangeLogReader {
 public:

  // Commits `events` (validated, occurred_at set) in one transaction: each
  // new event_id is stored and applied to its lead and job with `engine`;
  // each visible change gets the next revision. Returns only after the
  // commit is durable. On error nothing of the batch is stored.
  virtual absl::StatusOr<BatchResult> CommitBatch(const std::vector<const v1::PipelineEvent*>& events,
                                                  const engine::StageEngine& engine) = 0;

  // The retained change log, read in one transaction: `oldest` is the
  // oldest revision still in it (current + 1 when it is empty), `current`
  // the latest committed revision.
  virtual absl::StatusOr<LogRange> ChangeLogRange() = 0;

  // Every matching card and the revision they are consistent with.
  virtual absl::StatusOr<Snapshot> ReadSnapshot(const LeadFilter& filter) = 0;

  // The matching cards whose revision is greater than `after`, in revision
  // order, and the revision they are consistent with (a watcher's
  // catch-up once its revision left the change log).
  virtual absl::StatusOr<ChangedLeads> ReadChangedSince(const LeadFilter& filter,
                                                        int64_t after) = 0;

  // One lead with its enrichment and its stage history (visits oldest
  // first, as recorded: left_at, durations and time_in_stage are left to
  // engine::CompleteHistory), or nullopt. Its timeline log, read in the
  // same transaction, goes to `timeline` if given (engine::BuildRuns makes
  // the runs).
  virtual absl::StatusOr<std::optional<v1::Lead>> GetLead(
      const std::string& lead_id, engine::stored::TimelineLog* timeline = nullptr) = 0;

  // Leads ordered by id, after `after`, at most `limit`.
  virtual absl::StatusOr<LeadPage> ListLeads(const LeadFilter& filter, const std::string& after,
                                             int limit, bool full) = 0;

  // Lead counts (and stalled counts) per stage id.
  virtual absl::StatusOr<absl::flat_hash_map<std::string, StageCount>> CountByStage(
      const LeadFilter& filter) = 0;

  // Per-agent statistics over the stored agent steps matching `filter`
  // (agents sorted by name).
  virtual absl::StatusOr<v1::GetAgentStatsResponse> GetAgentStats(const StepFilter& filter) = 0;

  // Flags the leads mid-run and the running jobs whose stall limit has
  // passed without an event (engine.board()'s limits, the clock's now), in
  // one transaction serialized with every other write: each lead gets
  // stalled_since and a STALLED change (next revision), for the caller to
  // publish. Replicas may sweep at once: a lead is flagged once. Cheap when
  // nothing is due (an index lookup).
  virtual absl::StatusOr<SweepResult> SweepStalls(const engine::StageEngine& engine) = 0;

  // Jobs newest first with their lead counts.
  virtual absl::StatusOr<JobPage> ListJobs(const std::string& user_id, const std::string& token,
                                           int limit, const engine::BoardConfig& board) = 0;

  // Applies a person's move (engine.ApplyMove) to the lead in one
  // transaction serialized with every other write: on success the lead,
  // its change (next revision) and its history visit are durable and the
  // change is returned for the caller to publish. NotFound when the lead
  // does not exist or `user_scope` (non-empty) is not its user; the
  // engine's errors (InvalidArgument, Aborted, FailedPrecondition) as they
  // are; nothing is written on error or for a no-op move.
  virtual absl::StatusOr<MoveResult> MoveLead(const std::string& lead_id,
                                              const std::string& user_scope,
                                              const engine::Move& move,
                                              const engine::StageEngine& engine) = 0;

  // Deletes changes committed before `cutoff`. Returns how many.
  virtual absl::StatusOr<int64_t> TrimChanges(absl::Time cutoff) = 0;
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_LEAD_REPOSITORY_H_
