// WatchQueues: serves WatchLeads on completion queues of its own, several of
// them, each drained by its own thread.
//
// Why not the callback API like the other methods: gRPC puts every callback
// call of a server on one completion queue, and Debian's gRPC 1.51 is built
// with assertions that scan a queue's outstanding operations on every
// completion. Every open watch stream keeps one outstanding (the
// notification that it is done), so with every stream on one queue a
// delivery costs time in proportion to the streams open: 10,000 watchers
// halved delivery per core, 100,000 idle ones made the process useless for
// the active few. Here a new stream is bound to the queue with the fewest
// open streams, so a completion scans about streams/queues operations.
//
// Calls are accepted on one server queue (its thread authorizes and checks
// the request, then hands the stream to the hub); everything after that
// (writes, finish, done) completes on the stream's own queue.
#ifndef LEADBOARD_SERVER_API_WATCH_QUEUES_H_
#define LEADBOARD_SERVER_API_WATCH_QUEUES_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "api/lead_board_service.h"

namespace leadboard::api {

class WatchQueues {
 public:
  // Adds the accepting queue to `builder` (call before BuildAndStart);
  // `service` must be registered with the same builder and outlive this.
  WatchQueues(LeadBoardService* service, grpc::ServerBuilder* builder, int queues);
  // Shutdown().
  ~WatchQueues();

  // Starts accepting streams. Call once, after the server has started.
  void Start();
  // Call after the server's Shutdown (which ends every call): drains the
  // queues and joins their threads. Idempotent.
  void Shutdown();

  // Open streams on each queue (for metrics and tests).
  std::vector<int> open_streams() const;

 private:
  class Call;
  struct Queue {
    grpc::CompletionQueue cq;
    std::atomic<int> open{0};
    std::thread thread;
  };

  // Requests the next call, bound to the least busy queue.
  void Accept();
  // Drains `cq`: each tag is an event of one Call.
  static void Drain(grpc::CompletionQueue* cq);

  LeadBoardService* const service_;
  std::unique_ptr<grpc::ServerCompletionQueue> accept_cq_;
  std::thread accept_thread_;
  std::vector<std::unique_ptr<Queue>> queues_;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_WATCH_QUEUES_H_
