// SociLeadRepository: LeadRepository over SOCI on SQLite or PostgreSQL.
//
// Schema (migrated on Open, idempotently): revision_counter (one row, the
// last revision; locked by every writing transaction so revisions are dense
// and commit in order, across processes too), events (raw events, unique
// event_id), leads (current card + enrichment), changes (revision-ordered
// change log), jobs, schema_version. Protobuf payloads are stored as their
// bytes (bytea on PostgreSQL; see batch_rows.h).
#ifndef LEADBOARD_SERVER_STORE_SOCI_SOCI_LEAD_REPOSITORY_H_
#define LEADBOARD_SERVER_STORE_SOCI_SOCI_LEAD_REPOSITORY_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "store/clock.h"
#include "store/database_url.h"
#include "store/lead_repository.h"

namespace soci {
class connection_pool;
class session;
}  // namespace soci

namespace leadboard::store {

class BatchWriter;

class SociLeadRepository final : public LeadRepository {
 public:
  struct Options {
    DatabaseUrl url;
    int pool_size = 4;  // reader sessions; the writer has its own
  };

  // Connects, applies migrations and returns a ready repository.
  // Unavailable if the database cannot be reached, with the reason.
  static absl::StatusOr<std::unique_ptr<SociLeadRepository>> Open(const Options& options,
                                                                  const Clock* clock);
  ~SociLeadRepository() override;

  absl::StatusOr<BatchResult> CommitBatch(const std::vector<const v1::PipelineEvent*>& events,
                                          const engine::StageEngine& engine) override;
  absl::StatusOr<int64_t> CurrentRevision() override;
  absl::StatusOr<LogRange> ChangeLogRange() override;
  absl::StatusOr<std::vector<Change>> ReadChanges(int64_t after, int64_t up_to,
                                                  const LeadFilter& filter, int limit) override;
  absl::StatusOr<Snapshot> ReadSnapshot(const LeadFilter& filter) override;
  absl::StatusOr<ChangedLeads> ReadChangedSince(const LeadFilter& filter, int64_t after) override;
  absl::StatusOr<std::optional<v1::Lead>> GetLead(
      const std::string& lead_id, engine::stored::TimelineLog* timeline = nullptr) override;
  absl::StatusOr<LeadPage> ListLeads(const LeadFilter& filter, const std::string& after,
                                     int limit, bool full) override;
  absl::StatusOr<absl::flat_hash_map<std::string, StageCount>> CountByStage(
      const LeadFilter& filter) override;
  absl::StatusOr<v1::GetAgentStatsResponse> GetAgentStats(const StepFilter& filter) override;
  absl::StatusOr<SweepResult> SweepStalls(const engine::StageEngine& engine) override;
  absl::StatusOr<JobPage> ListJobs(const std::string& user_id, const std::string& token,
                                   int limit, const engine::BoardConfig& board) override;
  absl::StatusOr<int64_t> TrimChanges(absl::Time cutoff) override;
  absl::StatusOr<MoveResult> MoveLead(const std::string& lead_id, const std::string& user_scope,
                                      const engine::Move& move,
                                      const engine::StageEngine& engine) override;

  const DatabaseUrl& url() const { return options_.url; }

 private:
  SociLeadRepository(Options options, const Clock* clock);
  // GetLead's read: the lead (and its timeline log, if `timeline`) and up
  // to `page` of its visits after revision `after`, oldest first, in one
  // statement. Visits go to `*lead` (found: set on the first page, then
  // added to); `*more` says a page was full.
  absl::Status ReadLead(soci::session& sql, const std::string& lead_id,
                        engine::stored::TimelineLog* timeline, long long after, int page,
                        std::optional<v1::Lead>* lead, bool* more);
  absl::Status Connect();
  // Forgets the writer connection and its statements; the next batch
  // reconnects.
  void DropWriter() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // Opens the writer connection if it is not open. Unavailable if it
  // cannot be.
  absl::Status EnsureWriterLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);
  // The writer session's batch writer for its database, made on first use.
  BatchWriter& BatchWriterLocked(soci::session& sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_);

  const Options options_;
  const Clock* clock_;
  std::unique_ptr<soci::connection_pool> pool_;
  absl::Mutex writer_mu_;
  std::unique_ptr<soci::session> writer_ ABSL_GUARDED_BY(writer_mu_);
  // The writer's batch I/O for its database, made once per connection.
  std::unique_ptr<BatchWriter> batch_writer_ ABSL_GUARDED_BY(writer_mu_);

  // Runs `work(writer session)` under the writer lock: connects if needed;
  // an exception becomes a status (an outage drops the connection, anything
  // else rolls back), and an error result rolls back what work began.
  template <typename Work>
  auto WithWriter(absl::string_view what, Work&& work)
      -> decltype(work(std::declval<soci::session&>())) ABSL_LOCKS_EXCLUDED(writer_mu_);
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_SOCI_LEAD_REPOSITORY_H_
