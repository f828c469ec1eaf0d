// WatchStream: what one WatchLeads stream sends, and when.
//
// The stream registers a Watcher with the hub first (live changes queue up
// from that revision on), then reads the snapshot or replay on the executor,
// writes it, writes `synced`, and then writes live changes and heartbeats
// as the hub delivers them. One write in flight; Finish exactly once, only
// when no write is in flight. Messages go out pre-serialized (the method is
// registered raw): a live change is serialized once for all its watchers.
// The stream is shared with the hub and the executor, so neither can outlive
// it; it sends through a WatchSink (the gRPC call, see watch_queues.h) until
// the call detaches it.
#ifndef LEADBOARD_SERVER_API_WATCH_STREAM_H_
#define LEADBOARD_SERVER_API_WATCH_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "api/service_context.h"
#include "hub/watcher.h"
#include "leadboard/v1/leadboard.pb.h"

namespace leadboard::api {

// Where a stream's messages go: a gRPC call with at most one write in
// flight. The stream calls it under its own lock; the call reports back with
// OnWriteDone and OnCancel, and Detach before it goes away.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual void StartWrite(const grpc::ByteBuffer* message) = 0;
  virtual void Finish(const grpc::Status& status) = 0;
};

class WatchStream final : public hub::WatcherListener,
                          public std::enable_shared_from_this<WatchStream> {
 public:
  WatchStream(const ServiceContext& context, const v1::WatchLeadsRequest& request,
              WatchSink* sink);

  // Registers with the hub and schedules the catch-up. Call once.
  void Start();

  void OnWatcherReady() override;
  void OnWriteDone(bool ok);
  void OnCancel();
  // The call is done: forget its sink and leave the hub.
  void Detach();

 private:
  // A message ready to send. `advances`: sending it moves the resume
  // point (last_sent_) to `revision` (not so for snapshot entries, whose
  // revision is their lead's, nor for heartbeats).
  struct Message {
    int64_t revision = 0;
    bool advances = true;
    std::shared_ptr<const std::string> wire;
  };

  // Reads the snapshot or the replay (executor thread).
  void CatchUp(int64_t registered_at);
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The next message to send after `held_`; nullopt when there is none.
  // When the watcher overflowed or is closed, asks to finish if `first`
  // (nothing taken for this write yet), else leaves that for the next
  // write, so the status names what was really sent.
  std::optional<Message> TakeLocked(bool first) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the messages, as a batch when there are several, and moves the
  // resume point past them.
  void WriteLocked(const std::vector<Message>& messages) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RequestFinishLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ServiceContext& context_;
  const v1::WatchLeadsRequest request_;
  std::shared_ptr<hub::Watcher> watcher_;

  absl::Mutex mu_;
  WatchSink* sink_ ABSL_GUARDED_BY(mu_);
  std::deque<Message> backlog_ ABSL_GUARDED_BY(mu_);  // snapshot or replay, then synced
  std::optional<Message> held_ ABSL_GUARDED_BY(mu_);  // taken, too big for the last batch
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  int64_t skip_through_ ABSL_GUARDED_BY(mu_) = 0;  // live changes at or below: already sent
  int64_t last_sent_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ByteBuffer in_flight_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_WATCH_STREAM_H_
