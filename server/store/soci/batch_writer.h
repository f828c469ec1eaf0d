// BatchWriter: how one database writes a batch inside the writer's
// transaction. SociLeadRepository::CommitBatch keeps the per-event logic
// (dedup outcome, engine, revisions, changes, visits) and leaves the I/O to
// the writer: SQLite reuses prepared one-row statements (a call is cheap
// there, preparing a wide statement is not: 42k vs 20k events/s measured);
// PostgreSQL begins, stages events (COPY, or literals for a small batch)
// and reads a batch's leads and jobs in one round trip, and writes and
// commits in another (a call is a round trip: a small batch takes two; a
// large one adds its COPYs).
//
// Not thread-safe: one writer per writer session, used under its lock.
// Every method may throw SOCI exceptions; the caller maps them.
#ifndef LEADBOARD_SERVER_STORE_SOCI_BATCH_WRITER_H_
#define LEADBOARD_SERVER_STORE_SOCI_BATCH_WRITER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/soci/batch_rows.h"

namespace soci {
class session;
}  // namespace soci

namespace leadboard::store {

class BatchWriter {
 public:
  virtual ~BatchWriter() = default;

  // Begins the transaction and locks the revision counter row (which
  // serializes writers, across processes too, so revisions are dense and
  // become visible in commit order). Returns the last revision.
  virtual long long Begin() = 0;

  // Begin(), then stores the events (deduplicated on event_id) and sets
  // is_new[i] for each; may read the batch's leads and jobs (and the
  // timelines of leads with events that affect them) into the slots up
  // front. Returns the last revision.
  virtual absl::StatusOr<long long> BeginBatch(const std::vector<const v1::PipelineEvent*>& events,
                                               long long now, std::vector<bool>* is_new,
                                               LeadSlots* leads, JobSlots* jobs) = 0;

  // Reads a lead or job the batch had not read yet into its fresh slot
  // (left empty when there is none). Internal for a corrupt row.
  virtual absl::Status LoadLead(const std::string& id, LeadSlot* slot) = 0;
  virtual absl::Status LoadJob(const std::string& id, JobSlot* slot) = 0;
  // Reads a lead's timeline log into its slot (timeline_loaded set; an
  // empty log when there is none). Internal for a corrupt row.
  virtual absl::Status LoadTimeline(const std::string& id, LeadSlot* slot) = 0;

  // Removes a stored event the engine rejected.
  virtual void DeleteEvent(const std::string& event_id) = 0;

  // Writes the batch's leads, jobs, changes, visits and then enrichment
  // packages (may move out of `rows`; `now` is the commit time), stores
  // `revision` as the last one when it moved past `start`, tells other
  // replicas, and commits.
  virtual void Commit(Rows* rows, const std::vector<Change>& changes, long long now,
                      long long start, long long revision) = 0;
};

// The writers, on the writer's session (which must outlive them).
std::unique_ptr<BatchWriter> MakeSqliteBatchWriter(soci::session& sql);
std::unique_ptr<BatchWriter> MakePostgresBatchWriter(soci::session& sql);

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_BATCH_WRITER_H_
