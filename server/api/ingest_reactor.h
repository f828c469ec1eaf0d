// IngestReactor: one IngestEvents stream. Decodes and validates each event
// as it is read (raw bytes, so that an undecodable event is rejected alone
// rather than ending the stream),
// read, hands valid ones to the commit queue in chunks (one chunk in flight
// while the next accumulates, so a busy stream batches and a quiet one
// commits at once), pauses reading past a bound, and finishes with the
// summary once everything it accepted is durable.
//
// When the server drains, an open stream (a worker's stream stays open while
// its pipeline runs) stops reading, commits what it has read, and ends with
// UNAVAILABLE saying how many of its events were processed: the client
// re-sends the rest elsewhere (event ids make re-sending safe).
#ifndef LEADBOARD_SERVER_API_INGEST_REACTOR_H_
#define LEADBOARD_SERVER_API_INGEST_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "api/service_context.h"
#include "leadboard/v1/event.pb.h"

namespace leadboard::api {

class IngestReactor;

// The open ingest streams, so that a draining server can end them promptly.
// Thread-safe.
class IngestStreams {
 public:
  // Ends every open stream as described above, and every stream opened
  // from now on at once. Returns without waiting for their commits.
  void DrainAll();

 private:
  friend class IngestReactor;
  // False once draining: the stream must end at once.
  bool Add(IngestReactor* stream);
  void Remove(IngestReactor* stream);

  absl::Mutex mu_;
  absl::flat_hash_set<IngestReactor*> open_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

class IngestReactor final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  // `principal` may write only its own user's events. The summary is
  // serialized into `response` when the stream finishes.
  IngestReactor(const ServiceContext& context, Principal principal, grpc::ByteBuffer* response);

  void OnReadDone(bool ok) override;
  void OnDone() override;

 private:
  friend class IngestStreams;
  struct Chunk {
    std::vector<v1::PipelineEvent> events;
    std::vector<int64_t> indices;
  };
  // What to do once the lock is released.
  struct Actions {
    std::optional<Chunk> submit;
    bool read = false;
    std::optional<grpc::Status> finish;
  };

  void OnCommitted(const absl::Status& status, std::vector<store::EventOutcome> outcomes,
                   int64_t last_revision, std::vector<int64_t> indices,
                   std::vector<std::string> event_ids);
  void PlanLocked(Actions* actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Execute(Actions actions);

  const ServiceContext& context_;
  void RejectLocked(int64_t index, const std::string& event_id, const engine::Rejection& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Principal principal_;
  grpc::ByteBuffer* const response_;
  grpc::ByteBuffer buffer_;  // the read buffer; one read in flight
  v1::IngestSummary summary_ ABSL_GUARDED_BY(mu_);

  absl::Mutex mu_;
  int64_t next_index_ ABSL_GUARDED_BY(mu_) = 0;
  Chunk pending_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_ ABSL_GUARDED_BY(mu_) = true;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_INGEST_REACTOR_H_
