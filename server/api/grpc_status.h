// The one place a failure becomes a grpc::Status. Everything below the edge
// returns absl::Status (engine/status_details.h attaches details for
// programs); ToGrpcStatus keeps the code and message and packs every payload
// into google.rpc.Status details (grpc-status-details-bin).
#ifndef LEADBOARD_SERVER_API_GRPC_STATUS_H_
#define LEADBOARD_SERVER_API_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace leadboard::api {

// Same code and message, and the status's payloads as google.rpc details.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_GRPC_STATUS_H_
