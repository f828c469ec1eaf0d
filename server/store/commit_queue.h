// CommitQueue: group commit. Ingest streams submit chunks of validated
// events; one writer thread commits everything queued so far in a single
// transaction, so batches grow under load and stay small (low latency) when
// traffic trickles.
#ifndef LEADBOARD_SERVER_STORE_COMMIT_QUEUE_H_
#define LEADBOARD_SERVER_STORE_COMMIT_QUEUE_H_

#include <chrono>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/stage_engine.h"
#include "store/lead_repository.h"

namespace leadboard::store {

class CommitQueue {
 public:
  struct Options {
    size_t max_batch_events = 2000;  // events per transaction, at most
  };
  // Receives every committed batch's changes, in revision order, on the
  // writer thread. Must not block.
  using PublishFn = std::function<void(std::vector<Change> changes)>;
  // Receives a chunk's outcome on the writer thread once it is durable (or
  // failed: then nothing of it was stored). Must not block.
  using DoneFn = std::function<void(absl::Status status, std::vector<EventOutcome> outcomes,
                                    int64_t last_revision)>;
  // What one commit took: how long each of its chunks waited for the
  // transaction to begin (in submission order), and the transaction.
  struct Timing {
    std::vector<std::chrono::steady_clock::duration> queued;
    std::chrono::steady_clock::duration commit{};
  };
  // Observes each commit (for metrics): the batch, its result and its
  // timing. Called on the writer thread.
  using ObserveFn = std::function<void(const std::vector<const v1::PipelineEvent*>& batch,
                                       const absl::StatusOr<BatchResult>& result,
                                       const Timing& timing)>;

  // Told on the writer thread that a transaction begins (true) and that it
  // ended (false), after its changes were published or it failed. Must not
  // block.
  using CommittingFn = std::function<void(bool underway)>;

  CommitQueue(LeadRepository* repository, const engine::StageEngine* engine, PublishFn publish,
              Options options, ObserveFn observe = nullptr, CommittingFn committing = nullptr);
  // Commits what is queued, then stops the writer.
  ~CommitQueue();

  // Queues a chunk. Thread-safe, never blocks on the database. After Stop,
  // `done` is called at once with Unavailable.
  void Submit(std::vector<v1::PipelineEvent> events, DoneFn done);

  // Commits what is queued and joins the writer. Idempotent.
  void Stop();

 private:
  struct Chunk {
    std::vector<v1::PipelineEvent> events;
    DoneFn done;
    std::chrono::steady_clock::time_point submitted;
  };
  void Run();
  bool HasWorkLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !pending_.empty();
  }

  LeadRepository* const repository_;
  const engine::StageEngine* const engine_;
  const PublishFn publish_;
  const Options options_;
  const ObserveFn observe_;
  const CommittingFn committing_;
  absl::Mutex mu_;
  std::deque<Chunk> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_COMMIT_QUEUE_H_
