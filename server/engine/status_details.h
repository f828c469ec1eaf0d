// Errors that carry details for programs as well as a message for people.
//
// The details ride in the absl::Status as payloads: the serialized
// google.rpc detail message (BadRequest, ErrorInfo) under its type URL, the
// convention gRPC itself uses. Any layer may build such a status; only
// api::ToGrpcStatus, at the edge, turns it into a grpc::Status, packing every
// payload into grpc-status-details-bin so that grpcurl, Python and the
// browser all see which field and why.
#ifndef LEADBOARD_SERVER_ENGINE_STATUS_DETAILS_H_
#define LEADBOARD_SERVER_ENGINE_STATUS_DETAILS_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace leadboard::engine {

inline constexpr absl::string_view kBadRequestUrl =
    "type.googleapis.com/google.rpc.BadRequest";
inline constexpr absl::string_view kErrorInfoUrl = "type.googleapis.com/google.rpc.ErrorInfo";
inline constexpr absl::string_view kErrorDomain = "leadboard.v1";

// INVALID_ARGUMENT "FIELD: REASON" carrying a BadRequest field violation.
absl::Status InvalidFieldError(absl::string_view field, absl::string_view reason);

// The field a status built by InvalidFieldError names, if any.
std::optional<std::string> InvalidFieldOf(const absl::Status& status);

// `status` with a google.rpc.ErrorInfo (domain leadboard.v1) attached.
absl::Status WithErrorInfo(absl::Status status, absl::string_view reason,
                           std::initializer_list<std::pair<absl::string_view, std::string>> metadata);

}  // namespace leadboard::engine

#endif  // LEADBOARD_SERVER_ENGINE_STATUS_DETAILS_H_
