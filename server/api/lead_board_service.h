// LeadBoardService: the leadboard.v1.LeadBoard gRPC service. Validates
// requests, hands streams to their reactors and runs unary reads on the
// executor, never on gRPC's threads. Every method is on the callback API but
// WatchLeads, which is served on completion queues of its own (WatchQueues).
#ifndef LEADBOARD_SERVER_API_LEAD_BOARD_SERVICE_H_
#define LEADBOARD_SERVER_API_LEAD_BOARD_SERVICE_H_

#include <functional>

#include "api/service_context.h"
#include "leadboard/v1/leadboard.grpc.pb.h"

namespace leadboard::api {

// IngestEvents is registered raw (bytes in, bytes out) so that the reactor
// can reject an undecodable event alone instead of losing the stream.
// WatchLeads is raw too, so that a change serialized once goes to all its
// watchers as the same bytes, and asynchronous (see watch_queues.h). The
// methods are listed one by one because a callback method cannot be made
// asynchronous after the fact (gRPC keeps its handler).
using LeadBoardServiceBase = v1::LeadBoard::WithRawCallbackMethod_IngestEvents<
    v1::LeadBoard::WithRawMethod_WatchLeads<v1::LeadBoard::WithCallbackMethod_GetLead<
        v1::LeadBoard::WithCallbackMethod_ListLeads<v1::LeadBoard::WithCallbackMethod_GetBoard<
            v1::LeadBoard::WithCallbackMethod_ListJobs<v1::LeadBoard::WithCallbackMethod_MoveLead<
                v1::LeadBoard::WithCallbackMethod_GetAgentStats<v1::LeadBoard::Service>>>>>>>>;

class LeadBoardService final : public LeadBoardServiceBase {
 public:
  explicit LeadBoardService(ServiceContext context) : context_(context) {}

  const ServiceContext& context() const { return context_; }

  // A WatchLeads call's request, authorized, checked and scoped to the
  // caller's user; or the status to end the call with.
  absl::StatusOr<v1::WatchLeadsRequest> AcceptWatch(const grpc::ServerContextBase& ctx,
                                                    const grpc::ByteBuffer& raw) const;

  grpc::ServerReadReactor<grpc::ByteBuffer>* IngestEvents(grpc::CallbackServerContext* ctx,
                                                          grpc::ByteBuffer* summary) override;
  grpc::ServerUnaryReactor* GetLead(grpc::CallbackServerContext* ctx,
                                    const v1::GetLeadRequest* request, v1::Lead* lead) override;
  grpc::ServerUnaryReactor* ListLeads(grpc::CallbackServerContext* ctx,
                                      const v1::ListLeadsRequest* request,
                                      v1::ListLeadsResponse* response) override;
  grpc::ServerUnaryReactor* GetBoard(grpc::CallbackServerContext* ctx,
                                     const v1::GetBoardRequest* request,
                                     v1::Board* board) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* ctx,
                                     const v1::ListJobsRequest* request,
                                     v1::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* MoveLead(grpc::CallbackServerContext* ctx,
                                     const v1::MoveLeadRequest* request,
                                     v1::MoveLeadResponse* response) override;
  grpc::ServerUnaryReactor* GetAgentStats(grpc::CallbackServerContext* ctx,
                                          const v1::GetAgentStatsRequest* request,
                                          v1::GetAgentStatsResponse* response) override;

 private:
  enum class Access { kIngest, kRead, kMove };
  // Authenticates the call and checks the principal's role allows `access`:
  // UNAUTHENTICATED or PERMISSION_DENIED otherwise.
  absl::StatusOr<Principal> Authorize(const grpc::ServerContextBase& ctx, Access access) const;

  // Every unary RPC has one shape: authorize, then `prepare` validates the
  // request on gRPC's thread (cheap, no I/O) and returns the work, which
  // runs on the executor and finishes the call with its status.
  using Work = std::function<absl::Status()>;
  using Prepare = std::function<absl::StatusOr<Work>(const Principal&)>;
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, Access access,
                                  const Prepare& prepare);

  const ServiceContext context_;
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_LEAD_BOARD_SERVICE_H_
