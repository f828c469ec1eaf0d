// Conversion of absl::Status to grpc::Status, once, at the edge; invalid
// fields carry a google.rpc.BadRequest in grpc-status-details-bin so that
// grpcurl, Python and the browser all show which field and why.
#ifndef LEADBOARD_SERVER_API_GRPC_STATUS_H_
#define LEADBOARD_SERVER_API_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace leadboard::api {

// Same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

// INVALID_ARGUMENT "FIELD: REASON" with a BadRequest field violation.
grpc::Status InvalidField(absl::string_view field, absl::string_view reason);

}  // namespace leadboard::api

#endif  // LEADBOARD_SERVER_API_GRPC_STATUS_H_
