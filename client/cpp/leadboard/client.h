// leadboard::client: a small C++ client for the LeadBoard service.
//
// Connects with plaintext or TLS and an optional bearer token; ingests
// events in batches with idempotent retry (event ids make re-sending safe);
// watches with automatic resume from the last revision and a fresh snapshot
// on OUT_OF_RANGE; reads leads, the board and jobs.
//
// A Client is thread-safe except that one Watch runs at a time per Client.
#ifndef LEADBOARD_CLIENT_CPP_LEADBOARD_CLIENT_H_
#define LEADBOARD_CLIENT_CPP_LEADBOARD_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "leadboard/v1/leadboard.grpc.pb.h"

namespace leadboard::client {

struct ConnectOptions {
  std::string target = "127.0.0.1:50051";
  std::string token;        // sent as "authorization: Bearer <token>"
  bool tls = false;
  std::string ca_file;      // PEM roots for TLS (default: system roots)
  // Clients with the same options share one connection; a different
  // connection_index gets its own (benchmarks spread streams this way).
  int connection_index = 0;
};

struct IngestOptions {
  size_t batch_size = 1000;  // events per IngestEvents stream
  int max_attempts = 8;      // per batch, on UNAVAILABLE / DEADLINE_EXCEEDED
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration deadline = absl::Seconds(120);  // per stream
};

struct WatchOptions {
  int64_t since_revision = 0;
  std::string job_id;
  std::string user_id;
  // Behind: only each lead's newest change, never cut off (boards want it).
  bool conflate = false;
  // A revision no longer retained: the changed leads' current cards
  // instead of OUT_OF_RANGE and a fresh snapshot.
  bool catch_up = false;
  // Behind: what is waiting comes in one response (a batch) instead of one
  // response each; on_message still sees one message at a time.
  bool batch = true;
  absl::Duration max_backoff = absl::Seconds(5);
};

// What happened to a watch besides messages, for callers that want to say so.
enum class WatchNotice {
  kReconnecting,  // the stream broke; resuming from the last revision
  kRestarting,    // OUT_OF_RANGE; starting over from a snapshot
};

class Client {
 public:
  explicit Client(const ConnectOptions& options);

  // Streams `events` in batches of options.batch_size. Returns the combined
  // summary with rejection indices relative to `events`. Retries a batch
  // (all of it: duplicates are counted, never doubled) on UNAVAILABLE and
  // DEADLINE_EXCEEDED with exponential backoff; other errors return at once
  // with the summary of the batches before in `partial` if given.
  absl::StatusOr<v1::IngestSummary> Ingest(const std::vector<v1::PipelineEvent>& events,
                                           const IngestOptions& options = {},
                                           v1::IngestSummary* partial = nullptr);

  // Watches until `on_message` returns false, Cancel() is called, or a
  // non-retryable error (returned). Resumes on UNAVAILABLE, RESOURCE_EXHAUSTED
  // and the like from the last revision seen; restarts from a snapshot on
  // OUT_OF_RANGE. `on_notice` (optional) hears about both. A batch is
  // unpacked: `on_message` gets each of its messages in turn.
  absl::Status Watch(const WatchOptions& options,
                     const std::function<bool(const v1::WatchLeadsResponse&)>& on_message,
                     const std::function<void(WatchNotice, const grpc::Status&)>& on_notice = {});
  // Ends a running Watch from another thread.
  void Cancel();

  // The lead with its enrichment and stage history.
  absl::StatusOr<v1::Lead> GetLead(const std::string& lead_id);
  // A person's move; errors keep the server's details (ErrorInfoOf,
  // BadRequestOf): ABORTED says where the lead is now and who put it there.
  absl::StatusOr<v1::MoveLeadResponse> MoveLead(const v1::MoveLeadRequest& request);
  // All pages.
  absl::StatusOr<std::vector<v1::Lead>> ListLeads(v1::ListLeadsRequest request);
  absl::StatusOr<v1::Board> GetBoard(const v1::GetBoardRequest& request);
  absl::StatusOr<std::vector<v1::Job>> ListJobs(v1::ListJobsRequest request);
  absl::StatusOr<v1::GetAgentStatsResponse> GetAgentStats(const v1::GetAgentStatsRequest& request);

  v1::LeadBoard::Stub* stub() { return stub_.get(); }
  // A context with the token and, if set, a deadline.
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration deadline = absl::ZeroDuration());

 private:
  grpc::Status IngestBatch(const std::vector<v1::PipelineEvent>& events, size_t begin, size_t end,
                           const IngestOptions& options, v1::IngestSummary* summary);

  const ConnectOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LeadBoard::Stub> stub_;
  absl::Mutex mu_;
  grpc::ClientContext* watch_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// Maps a grpc::Status to an absl::Status: same code and message, and the
// google.rpc details of grpc-status-details-bin as payloads.
absl::Status FromGrpc(const grpc::Status& status);

// The google.rpc.ErrorInfo / BadRequest a status carries, if any.
std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const absl::Status& status);
std::optional<google::rpc::BadRequest> BadRequestOf(const absl::Status& status);

}  // namespace leadboard::client

#endif  // LEADBOARD_CLIENT_CPP_LEADBOARD_CLIENT_H_
