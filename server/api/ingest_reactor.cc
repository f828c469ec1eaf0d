#include "api/ingest_reactor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/status_details.h"
#include "api/grpc_status.h"
#include "api/raw_message.h"
#include "engine/event_decoder.h"
#include "engine/event_validator.h"

namespace leadboard::api {

void IngestStreams::DrainAll() {
  // Plans each stream's end under the lock, executes outside it (Finish may
  // run OnDone, which removes the stream). A stream stays alive until its
  // planned Finish runs: nobody else finishes it, and a planned submit keeps
  // it in flight.
  std::vector<std::pair<IngestReactor*, IngestReactor::Actions>> plans;
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    for (IngestReactor* stream : open_) {
      IngestReactor::Actions actions;
      absl::MutexLock stream_lock(&stream->mu_);
      stream->draining_ = true;
      stream->PlanLocked(&actions);
      if (actions.submit || actions.finish) plans.emplace_back(stream, std::move(actions));
    }
  }
  for (auto& [stream, actions] : plans) stream->Execute(std::move(actions));
}

bool IngestStreams::Add(IngestReactor* stream) {
  absl::MutexLock lock(&mu_);
  if (draining_) return false;
  open_.insert(stream);
  return true;
}

void IngestStreams::Remove(IngestReactor* stream) {
  absl::MutexLock lock(&mu_);
  open_.erase(stream);
}

IngestReactor::IngestReactor(const ServiceContext& context, Principal principal,
                             grpc::ByteBuffer* response)
    : context_(context), principal_(std::move(principal)), response_(response) {
  if (context_.ingest_streams != nullptr && !context_.ingest_streams->Add(this)) {
    {
      absl::MutexLock lock(&mu_);
      finished_ = true;
    }
    Finish(ToGrpcStatus(absl::UnavailableError("server shutting down; send elsewhere")));
    return;
  }
  StartRead(&buffer_);
}

void IngestReactor::OnDone() {
  if (context_.ingest_streams != nullptr) context_.ingest_streams->Remove(this);
  delete this;
}

void IngestReactor::RejectLocked(int64_t index, const std::string& event_id,
                                 const engine::Rejection& why) {
  v1::RejectedEvent* rejected = summary_.add_rejected();
  rejected->set_index(index);
  // An over-long or undecodable id is not echoed back; the index says which.
  if (event_id.size() <= engine::kMaxIdBytes && engine::IsValidUtf8(event_id)) {
    rejected->set_event_id(event_id);
  }
  rejected->set_field(why.field);
  rejected->set_reason(why.reason);
}

void IngestReactor::OnReadDone(bool ok) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (!ok) {
      reads_done_ = true;
    } else if (error_.ok()) {
      const int64_t index = next_index_++;
      const std::string bytes = BufferBytes(buffer_);
      buffer_.Clear();
      v1::PipelineEvent event;
      std::string undecodable_id;
      std::optional<engine::Rejection> rejection =
          engine::DecodeEvent(bytes, &event, &undecodable_id);
      if (!rejection) {
        if (!event.has_occurred_at()) {
          const int64_t micros = absl::ToUnixMicros(context_.clock->Now());
          event.mutable_occurred_at()->set_seconds(micros / 1000000);
          event.mutable_occurred_at()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
        }
        // A worker's events are its user's: fill the user in, refuse others.
        if (event.user_id().empty()) event.set_user_id(principal_.user_id);
        rejection = engine::ValidateEvent(event);
        if (!rejection && !principal_.Owns(event.user_id())) {
          rejection = engine::Rejection{"user_id", "is not the user of this token"};
        }
      }
      if (rejection) {
        if (context_.metrics != nullptr) {
          context_.metrics->CountEvent(event.type(), Metrics::Outcome::kRejected);
        }
        RejectLocked(index, undecodable_id.empty() ? event.event_id() : undecodable_id,
                     *rejection);
      } else {
        pending_.events.push_back(std::move(event));
        pending_.indices.push_back(index);
      }
    }
    PlanLocked(&actions);
  }
  Execute(std::move(actions));
}

void IngestReactor::PlanLocked(Actions* actions) {
  if (finished_) return;
  const bool failed = !error_.ok();
  // Hand over what accumulated when nothing is in flight (low latency), or
  // when a full chunk is ready.
  if (!failed && !pending_.events.empty() &&
      (in_flight_ == 0 || pending_.events.size() >= context_.options.ingest_chunk_events)) {
    actions->submit = std::move(pending_);
    pending_ = Chunk();
    ++in_flight_;
  }
  if (failed && in_flight_ == 0) {
    finished_ = true;
    actions->finish = ToGrpcStatus(error_);
    return;
  }
  if (draining_ && in_flight_ == 0 && pending_.events.empty() && !actions->submit) {
    finished_ = true;
    const int64_t processed = next_index_;
    actions->finish = ToGrpcStatus(engine::WithErrorInfo(
        absl::UnavailableError(absl::StrCat(
            "server shutting down: the first ", processed,
            " events of this stream were processed (accepted ", summary_.accepted(),
            ", duplicates ", summary_.duplicates(), ", rejected ", summary_.rejected_size(),
            ", revision ", summary_.last_revision(), "); re-send the rest")),
        "SERVER_SHUTTING_DOWN",
        {{"events_processed", absl::StrCat(processed)},
         {"accepted", absl::StrCat(summary_.accepted())},
         {"duplicates", absl::StrCat(summary_.duplicates())},
         {"last_revision", absl::StrCat(summary_.last_revision())}}));
    return;
  }
  if (!reads_done_ && !reading_ && !draining_ &&
      pending_.events.size() < context_.options.ingest_max_pending) {
    reading_ = true;
    actions->read = true;
  }
  if (reads_done_ && in_flight_ == 0 && pending_.events.empty() && !actions->submit) {
    finished_ = true;
    std::sort(summary_.mutable_rejected()->begin(), summary_.mutable_rejected()->end(),
              [](const v1::RejectedEvent& a, const v1::RejectedEvent& b) {
                return a.index() < b.index();
              });
    grpc::Slice slice(summary_.SerializeAsString());
    grpc::ByteBuffer serialized(&slice, 1);
    response_->Swap(&serialized);
    actions->finish = grpc::Status::OK;
  }
}

void IngestReactor::Execute(Actions actions) {
  if (actions.submit) {
    std::vector<std::string> ids;
    ids.reserve(actions.submit->events.size());
    for (const v1::PipelineEvent& event : actions.submit->events) ids.push_back(event.event_id());
    context_.commits->Submit(
        std::move(actions.submit->events),
        [this, indices = std::move(actions.submit->indices), ids = std::move(ids)](
            absl::Status status, std::vector<store::EventOutcome> outcomes,
            int64_t last_revision) mutable {
          OnCommitted(status, std::move(outcomes), last_revision, std::move(indices),
                      std::move(ids));
        });
  }
  if (actions.read) StartRead(&buffer_);
  if (actions.finish) Finish(*actions.finish);
}

void IngestReactor::OnCommitted(const absl::Status& status,
                                std::vector<store::EventOutcome> outcomes, int64_t last_revision,
                                std::vector<int64_t> indices, std::vector<std::string> event_ids) {
  Actions actions;
  {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    if (!status.ok()) {
      if (error_.ok()) error_ = status;
    } else {
      for (size_t i = 0; i < outcomes.size(); ++i) {
        switch (outcomes[i].kind) {
          case store::EventOutcome::Kind::kAccepted:
            summary_.set_accepted(summary_.accepted() + 1);
            break;
          case store::EventOutcome::Kind::kDuplicate:
            summary_.set_duplicates(summary_.duplicates() + 1);
            break;
          case store::EventOutcome::Kind::kRejected:
            RejectLocked(indices[i], event_ids[i], outcomes[i].rejection);
            break;
        }
      }
      summary_.set_last_revision(std::max(summary_.last_revision(), last_revision));
    }
    PlanLocked(&actions);
  }
  Execute(std::move(actions));
}

}  // namespace leadboard::api
