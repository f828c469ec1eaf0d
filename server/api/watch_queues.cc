#include "api/watch_queues.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/grpc_status.h"
#include "api/watch_stream.h"
#include "store/thread_name.h"

namespace leadboard::api {

// One WatchLeads call: requested, then accepted (on the accepting queue),
// then its writes, its finish and its done notification (on its own queue).
// Deletes itself when the done notification and every operation it started
// have come back.
class WatchQueues::Call final : public WatchSink {
 public:
  // What a completion-queue tag stands for.
  struct Tag {
    Call* call;
    enum Kind { kAccepted, kWritten, kFinished, kDone } kind;
  };

  Call(WatchQueues* owner, Queue* queue) : owner_(owner), queue_(queue), writer_(&ctx_) {
    ++queue_->open;
    ctx_.AsyncNotifyWhenDone(&done_);
  }
  ~Call() override { --queue_->open; }

  void Request() {
    owner_->service_->RequestWatchLeads(&ctx_, &request_, &writer_, &queue_->cq,
                                        owner_->accept_cq_.get(), &accepted_);
  }

  // Runs on the thread of the queue the tag came from.
  void Handle(Tag::Kind kind, bool ok) {
    switch (kind) {
      case Tag::kAccepted:
        if (!ok) {  // the server is shutting down: never started, no done
          delete this;
          return;
        }
        owner_->Accept();
        // The done notification, and this thread until OnAccepted returns
        // (the done notification may come first, on the stream's queue).
        outstanding_ = 2;
        OnAccepted();
        break;
      case Tag::kWritten:
        Stream()->OnWriteDone(ok);
        break;
      case Tag::kFinished:
        break;
      case Tag::kDone: {
        std::shared_ptr<WatchStream> stream;
        {
          absl::MutexLock lock(&mu_);
          done_seen_ = true;
          stream = stream_;
        }
        if (stream != nullptr && ctx_.IsCancelled()) stream->OnCancel();
        break;
      }
    }
    if (--outstanding_ == 0) {
      if (std::shared_ptr<WatchStream> stream = Stream()) stream->Detach();
      delete this;
    }
  }

  // WatchSink: called by the stream under its lock, from any thread.
  void StartWrite(const grpc::ByteBuffer* message) override {
    ++outstanding_;
    writer_.Write(*message, &written_);
  }
  void Finish(const grpc::Status& status) override {
    ++outstanding_;
    writer_.Finish(status, &finished_);
  }

 private:
  std::shared_ptr<WatchStream> Stream() {
    absl::MutexLock lock(&mu_);
    return stream_;
  }

  void OnAccepted() {
    absl::StatusOr<v1::WatchLeadsRequest> request =
        owner_->service_->AcceptWatch(ctx_, request_);
    request_.Clear();
    if (!request.ok()) {
      Finish(ToGrpcStatus(request.status()));
      return;
    }
    auto stream = std::make_shared<WatchStream>(owner_->service_->context(), *request, this);
    bool done;
    {
      absl::MutexLock lock(&mu_);
      stream_ = stream;
      done = done_seen_;
    }
    stream->Start();
    if (done && ctx_.IsCancelled()) stream->OnCancel();
  }

  WatchQueues* const owner_;
  Queue* const queue_;
  grpc::ServerContext ctx_;
  grpc::ByteBuffer request_;
  grpc::ServerAsyncWriter<grpc::ByteBuffer> writer_;
  absl::Mutex mu_;
  std::shared_ptr<WatchStream> stream_ ABSL_GUARDED_BY(mu_);
  bool done_seen_ ABSL_GUARDED_BY(mu_) = false;
  // Operations whose tags have not come back (the done notification
  // included). Changed by the stream's threads and the queue's.
  std::atomic<int> outstanding_{0};
  Tag accepted_{this, Tag::kAccepted};
  Tag written_{this, Tag::kWritten};
  Tag finished_{this, Tag::kFinished};
  Tag done_{this, Tag::kDone};
};

WatchQueues::WatchQueues(LeadBoardService* service, grpc::ServerBuilder* builder, int queues)
    : service_(service), accept_cq_(builder->AddCompletionQueue()) {
  for (int i = 0; i < std::max(1, queues); ++i) queues_.push_back(std::make_unique<Queue>());
}

WatchQueues::~WatchQueues() { Shutdown(); }

void WatchQueues::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
  }
  int index = 0;
  for (auto& queue : queues_) {
    queue->thread = std::thread([cq = &queue->cq, name = absl::StrCat("lb-watch-", index++)] {
      store::NameThisThread(name);
      Drain(cq);
    });
  }
  accept_thread_ = std::thread([cq = accept_cq_.get()] {
    store::NameThisThread("lb-watch-accept");
    Drain(cq);
  });
  // One call requested per queue, so a burst of new streams does not wait
  // for the accepting thread to ask for the next.
  for (size_t i = 0; i < queues_.size(); ++i) Accept();
}

void WatchQueues::Accept() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  Queue* least = queues_.front().get();
  for (auto& queue : queues_) {
    if (queue->open < least->open) least = queue.get();
  }
  (new Call(this, least))->Request();
}

void WatchQueues::Drain(grpc::CompletionQueue* cq) {
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
    auto* event = static_cast<Call::Tag*>(tag);
    event->call->Handle(event->kind, ok);
  }
}

void WatchQueues::Shutdown() {
  bool started;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    started = started_;
  }
  // The server has cancelled every call; let them finish (their last
  // operations still need the queues) before the queues stop taking any.
  for (int waited_ms = 0; started && waited_ms < 5000; waited_ms += 10) {
    const std::vector<int> open = open_streams();
    if (std::accumulate(open.begin(), open.end(), 0) == 0) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  // The accepting queue first: a call it accepts last may still start
  // writing on its own queue. Never started: nothing came, drain here.
  accept_cq_->Shutdown();
  if (started) {
    accept_thread_.join();
  } else {
    Drain(accept_cq_.get());
  }
  for (auto& queue : queues_) queue->cq.Shutdown();
  for (auto& queue : queues_) {
    if (started) {
      queue->thread.join();
    } else {
      Drain(&queue->cq);
    }
  }
}

std::vector<int> WatchQueues::open_streams() const {
  std::vector<int> open;
  for (const auto& queue : queues_) open.push_back(queue->open);
  return open;
}

}  // namespace leadboard::api
