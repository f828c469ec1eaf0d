#include "store/commit_queue.h"

#include <chrono>
#include <utility>

#include "store/thread_name.h"

namespace leadboard::store {

CommitQueue::CommitQueue(LeadRepository* repository, const engine::StageEngine* engine,
                         PublishFn publish, Options options, ObserveFn observe,
                         CommittingFn committing)
    : repository_(repository),
      engine_(engine),
      publish_(std::move(publish)),
      options_(options),
      observe_(std::move(observe)),
      committing_(std::move(committing)),
      thread_([this] { Run(); }) {}

CommitQueue::~CommitQueue() { Stop(); }

void CommitQueue::Submit(std::vector<v1::PipelineEvent> events, DoneFn done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      pending_.push_back(
          Chunk{std::move(events), std::move(done), std::chrono::steady_clock::now()});
      return;
    }
  }
  done(absl::UnavailableError("server is shutting down"), {}, 0);
}

void CommitQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CommitQueue::Run() {
  NameThisThread("lb-commit");
  for (;;) {
    std::vector<Chunk> chunks;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &CommitQueue::HasWorkLocked));
      if (pending_.empty()) return;  // stopping, nothing left
      size_t events = 0;
      while (!pending_.empty() &&
             (chunks.empty() || events + pending_.front().events.size() <= options_.max_batch_events)) {
        events += pending_.front().events.size();
        chunks.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    std::vector<const v1::PipelineEvent*> batch;
    for (const Chunk& chunk : chunks) {
      for (const v1::PipelineEvent& event : chunk.events) batch.push_back(&event);
    }
    Timing timing;
    const auto start = std::chrono::steady_clock::now();
    for (const Chunk& chunk : chunks) timing.queued.push_back(start - chunk.submitted);
    if (committing_) committing_(true);
    absl::StatusOr<BatchResult> result = repository_->CommitBatch(batch, *engine_);
    timing.commit = std::chrono::steady_clock::now() - start;
    if (result.ok() && !result->changes.empty()) publish_(std::move(result->changes));
    if (committing_) committing_(false);
    if (observe_) observe_(batch, result, timing);
    if (!result.ok()) {
      for (Chunk& chunk : chunks) chunk.done(result.status(), {}, 0);
      continue;
    }
    size_t offset = 0;
    for (Chunk& chunk : chunks) {
      std::vector<EventOutcome> outcomes(
          std::make_move_iterator(result->outcomes.begin() + offset),
          std::make_move_iterator(result->outcomes.begin() + offset + chunk.events.size()));
      offset += chunk.events.size();
      chunk.done(absl::OkStatus(), std::move(outcomes), result->last_revision);
    }
  }
}

}  // namespace leadboard::store
