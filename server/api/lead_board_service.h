// LeadBoardService: the leadboard.v1.LeadBoard gRPC service (callback API).
// Validates requests, hands streams to their reactors and runs unary reads
// on the executor, never on gRPC's threads.
#ifndef LEADBOARD_SERVER_API_LEAD_BOARD_SERVICE_H_
#define LEADBOARD_SERVER_API_LEAD_BOARD_SERVICE_H_

#include <optional>

#include "api/service_context.h"
#include "leadboard/v1/leadboard.grpc.pb.h"

namespace leadboard::api {

// IngestEvents is registered raw (bytes in, bytes out) so that the reactor
// can reject an undecodable event alone instead of losing the stream.
// WatchLeads is raw too, so that a change serialized once goes to all its
// watchers as the same bytes.
class LeadBoardService final
    : public v1::LeadBoard::WithRawCallbackMethod_IngestEvents<
          v1::LeadBoard::WithRawCallbackMethod_WatchLeads<v1::LeadBoard::CallbackService>> {
 public:
  explicit LeadBoardService(ServiceContext context) : context_(context) {}

  grpc::ServerReadReactor<grpc::ByteBuffer>* IngestEvents(grpc::CallbackServerContext* ctx,
                                                          grpc::ByteBuffer* summary) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchLeads(grpc::CallbackServerContext* ctx,
                                                         const grpc::ByteBuffer* request) override;
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

 private:
  // Authenticates the call and checks the role may write (ingest) or read.
  // Returns the error to finish with, or fills `principal`.
  std::optional<grpc::Status> Authorize(grpc::CallbackServerContext* ctx, bool write,
                                        Principal* principal) const;

  const ServiceContext context_;
};

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_LEAD_BOARD_SERVICE_H_
