#include "api/watch_stream.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/grpc_status.h"
#include "api/raw_message.h"
#include "engine/status_details.h"

namespace leadboard::api {
namespace {

constexpr int kReplayPage = 1000;
constexpr int kSnapshotPage = 1000;
// A batch (WatchLeadsRequest.batch) holds at most this many messages and
// this many bytes (a message larger on its own goes alone): well under
// gRPC's default 4 MiB receive limit, so a batch never fails where its
// messages one by one would not.
constexpr size_t kBatchMessages = 1000;
constexpr size_t kBatchBytes = 1 << 20;

// A synced or progress marker at `revision`.
std::shared_ptr<const std::string> Marker(int64_t revision, bool synced) {
  v1::WatchLeadsResponse message;
  message.set_revision(revision);
  if (synced) {
    message.mutable_synced();
  } else {
    message.mutable_progress();
  }
  return std::make_shared<const std::string>(message.SerializeAsString());
}

// A stored card as watchers get it: without the profile's description and
// extra fields (LeadChange.lead in the proto; changes are trimmed alike when
// they are serialized at commit).
void TrimToWatchCard(v1::Lead* card) {
  if (!card->has_profile()) return;
  card->mutable_profile()->clear_description();
  card->mutable_profile()->clear_extra();
}

// One stored card as a watch message of `kind` (SNAPSHOT or CURRENT) at the
// card's revision. Takes the card's contents.
std::shared_ptr<const std::string> CardMessage(v1::ChangeKind kind, v1::Lead* card) {
  TrimToWatchCard(card);
  v1::WatchLeadsResponse message;
  message.set_revision(card->revision());
  v1::LeadChange* change = message.mutable_lead_change();
  change->set_kind(kind);
  change->mutable_lead()->Swap(card);
  return std::make_shared<const std::string>(message.SerializeAsString());
}

store::LeadFilter FilterOf(const v1::WatchLeadsRequest& request) {
  return store::LeadFilter{request.user_id(), request.job_id(), ""};
}

}  // namespace

WatchStream::WatchStream(const ServiceContext& context, const v1::WatchLeadsRequest& request,
                         WatchSink* sink)
    : context_(context), request_(request), sink_(sink) {}

void WatchStream::Start() {
  watcher_ = std::make_shared<hub::Watcher>(FilterOf(request_), context_.options.watch_queue_limit,
                                            weak_from_this(), request_.conflate());
  const int64_t registered_at = context_.hub->Register(watcher_);
  context_.executor->Post(
      [self = shared_from_this(), registered_at] { self->CatchUp(registered_at); });
}

void WatchStream::CatchUp(int64_t registered_at) {
  {
    absl::MutexLock lock(&mu_);
    if (sink_ == nullptr || finish_) return;
  }
  const store::LeadFilter filter = FilterOf(request_);
  std::deque<Message> backlog;
  int64_t synced_at = 0;
  const int64_t since = request_.since_revision();
  auto count = [this](const char* what, bool request) {
    if (context_.metrics == nullptr) return;
    if (request) {
      context_.metrics->CountWatchRequest(what);
    } else {
      context_.metrics->CountWatcherCut(what);
    }
  };
  if (since == 0) {
    count("snapshot", true);
    absl::StatusOr<store::Snapshot> snapshot = context_.repository->ReadSnapshot(filter);
    if (!snapshot.ok()) {
      absl::MutexLock lock(&mu_);
      RequestFinishLocked(snapshot.status());
      return;
    }
    v1::WatchLeadsResponse message;
    if (request_.snapshot_pages()) {
      // Pages of up to kSnapshotPage cards or about 1 MiB.
      size_t bytes = 0;
      auto flush = [&] {
        if (message.snapshot_page().leads().empty()) return;
        backlog.push_back(Message{0, /*advances=*/false,
                                  std::make_shared<const std::string>(message.SerializeAsString())});
        message.Clear();
        bytes = 0;
      };
      for (v1::Lead& card : snapshot->cards) {
        TrimToWatchCard(&card);
        bytes += card.ByteSizeLong();
        message.mutable_snapshot_page()->add_leads()->Swap(&card);
        if (message.snapshot_page().leads_size() >= kSnapshotPage || bytes >= (1 << 20)) flush();
      }
      flush();
    }
    for (v1::Lead& card : snapshot->cards) {
      if (request_.snapshot_pages()) break;
      const int64_t revision = card.revision();
      backlog.push_back(
          Message{revision, /*advances=*/false, CardMessage(v1::CHANGE_KIND_SNAPSHOT, &card)});
    }
    synced_at = std::max(snapshot->revision, registered_at);
  } else {
    absl::StatusOr<store::LogRange> range = context_.repository->ChangeLogRange();
    if (!range.ok()) {
      absl::MutexLock lock(&mu_);
      RequestFinishLocked(range.status());
      return;
    }
    const int64_t oldest = range->oldest;
    const int64_t current = range->current;
    if (since < oldest - 1 && since <= current && request_.catch_up()) {
      // The changes after `since` are gone, the leads are not: send each
      // changed lead's current card, in revision order.
      count("catch_up", true);
      absl::StatusOr<store::ChangedLeads> changed =
          context_.repository->ReadChangedSince(filter, since);
      if (!changed.ok()) {
        absl::MutexLock lock(&mu_);
        RequestFinishLocked(changed.status());
        return;
      }
      for (v1::Lead& card : changed->cards) {
        const int64_t revision = card.revision();
        backlog.push_back(
            Message{revision, /*advances=*/true, CardMessage(v1::CHANGE_KIND_CURRENT, &card)});
      }
      synced_at = std::max(changed->revision, registered_at);
    } else if (since < oldest - 1 || since > current) {
      count("out_of_range", true);
      const std::string why =
          since > current
              ? absl::StrCat("since_revision ", since, " is ahead of the current revision ",
                             current)
              : absl::StrCat("since_revision ", since,
                             " is older than the oldest retained revision ", oldest);
      absl::MutexLock lock(&mu_);
      RequestFinishLocked(engine::WithErrorInfo(
          absl::OutOfRangeError(absl::StrCat(why, "; oldest retained revision is ", oldest,
                                             "; restart from a snapshot (since_revision 0)")),
          "REVISION_OUT_OF_RANGE",
          {{"oldest_revision", absl::StrCat(oldest)}, {"current_revision", absl::StrCat(current)}}));
      return;
    } else {
      count("replay", true);
      // Replay up to what is committed now (the hub may lag behind it); the
      // live queue holds everything after registered_at, so the overlap is
      // skipped there.
      const int64_t up_to = std::max(current, registered_at);
      for (int64_t after = since; after < up_to;) {
        absl::StatusOr<std::vector<store::Change>> page =
            context_.repository->ReadChanges(after, up_to, filter, kReplayPage);
        if (!page.ok()) {
          absl::MutexLock lock(&mu_);
          RequestFinishLocked(page.status());
          return;
        }
        for (const store::Change& change : *page) {
          backlog.push_back(Message{change.revision, true, change.wire});
        }
        if (static_cast<int>(page->size()) < kReplayPage) break;
        after = page->back().revision;
      }
      synced_at = std::max(since, up_to);
    }
  }
  backlog.push_back(Message{synced_at, true, Marker(synced_at, /*synced=*/true)});

  absl::MutexLock lock(&mu_);
  backlog_ = std::move(backlog);
  skip_through_ = synced_at;
  caught_up_ = true;
  MaybeWriteLocked();
}

void WatchStream::OnWatcherReady() {
  absl::MutexLock lock(&mu_);
  MaybeWriteLocked();
}

void WatchStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  in_flight_.Clear();
  if (!ok) RequestFinishLocked(absl::CancelledError("write failed"));
  MaybeWriteLocked();
}

void WatchStream::OnCancel() {
  absl::MutexLock lock(&mu_);
  RequestFinishLocked(absl::CancelledError("cancelled"));
}

void WatchStream::Detach() {
  {
    absl::MutexLock lock(&mu_);
    sink_ = nullptr;
  }
  context_.hub->Unregister(watcher_);
}

void WatchStream::RequestFinishLocked(absl::Status status) {
  if (!finish_) finish_ = ToGrpcStatus(status);
  MaybeWriteLocked();
}

void WatchStream::WriteLocked(const std::vector<Message>& messages) {
  for (const Message& message : messages) {
    if (message.advances) last_sent_ = message.revision;
  }
  if (messages.size() == 1) {
    in_flight_ = SharedBuffer(messages.front().wire);
  } else {
    std::vector<const std::string*> wires;
    wires.reserve(messages.size());
    for (const Message& message : messages) wires.push_back(message.wire.get());
    in_flight_ = SharedBuffer(
        std::make_shared<const std::string>(BatchWire(messages.back().revision, wires)));
  }
  writing_ = true;
  // No buffer hint: a hinted write does not complete until a later write
  // flushes it, and a call has only one write in flight.
  sink_->StartWrite(&in_flight_);
}

void WatchStream::MaybeWriteLocked() {
  if (sink_ == nullptr || finished_ || writing_) return;
  // A watcher that asked for batches gets what is waiting in one write:
  // a write is a completion, a frame and often a system call, whatever
  // its size, so a watcher that fell behind catches up in a few.
  std::vector<Message> messages;
  if (!finish_) {
    messages = FillWrite(request_.batch() ? kBatchMessages : 1, kBatchBytes, &held_,
                         [this](bool first) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                           return TakeLocked(first);  // under mu_, held by the caller
                         });
  }
  if (!messages.empty()) {
    WriteLocked(messages);
    return;
  }
  if (finish_) {
    finished_ = true;
    sink_->Finish(*finish_);
  }
}

std::optional<WatchStream::Message> WatchStream::TakeLocked(bool first) {
  if (!backlog_.empty()) {
    Message next = std::move(backlog_.front());
    backlog_.pop_front();
    watcher_->MarkActive(absl::Now());  // (the hub marks what it queued when popped)
    return next;
  }
  if (!caught_up_) return std::nullopt;
  for (;;) {
    hub::Queued queued;
    int64_t progress = 0;
    switch (watcher_->Pop(&queued, &progress)) {
      case hub::Watcher::Next::kMessage:
        if (queued.revision <= skip_through_) continue;  // in the snapshot already
        return Message{queued.revision, true, std::move(queued.wire)};
      case hub::Watcher::Next::kProgress: {
        const int64_t at = std::max({progress, skip_through_, last_sent_});
        return Message{at, false, Marker(at, /*synced=*/false)};
      }
      case hub::Watcher::Next::kEmpty:
        return std::nullopt;
      case hub::Watcher::Next::kOverflowed:
        if (!first) return std::nullopt;  // stays overflowed: the next write ends the stream
        if (context_.metrics != nullptr) context_.metrics->CountWatcherCut("slow");
        finish_ = ToGrpcStatus(engine::WithErrorInfo(
            absl::ResourceExhaustedError(absl::StrCat(
                "watcher fell behind: more than ", context_.options.watch_queue_limit,
                " changes queued; last revision sent ", last_sent_, "; resume with since_revision ",
                last_sent_)),
            "WATCHER_TOO_SLOW", {{"resume_revision", absl::StrCat(last_sent_)}}));
        return std::nullopt;
      case hub::Watcher::Next::kClosed:
        if (!first) return std::nullopt;
        if (context_.metrics != nullptr) context_.metrics->CountWatcherCut("shutdown");
        finish_ = ToGrpcStatus(engine::WithErrorInfo(
            absl::UnavailableError(absl::StrCat("server shutting down; last revision sent ",
                                                last_sent_, "; resume with since_revision ",
                                                last_sent_)),
            "SERVER_SHUTTING_DOWN", {{"resume_revision", absl::StrCat(last_sent_)}}));
        return std::nullopt;
    }
  }
}

}  // namespace leadboard::api
