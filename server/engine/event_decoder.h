// Decoding of one PipelineEvent from the wire. protobuf refuses a whole
// message with invalid UTF-8 in any string; this says which field it was,
// so the event can be rejected alone, precisely, and the stream go on.
#ifndef LEADBOARD_SERVER_ENGINE_EVENT_DECODER_H_
#define LEADBOARD_SERVER_ENGINE_EVENT_DECODER_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "engine/event_validator.h"
#include "leadboard/v1/event.pb.h"

namespace leadboard::engine {

// Parses `bytes` into `event`. On failure returns the rejection (the field
// path with invalid UTF-8, or a malformed encoding) and sets `event_id` to
// the event's id when it could be read. Pure and thread-safe.
std::optional<Rejection> DecodeEvent(absl::string_view bytes, v1::PipelineEvent* event,
                                     std::string* event_id);

}  // namespace leadboard::engine

#endif  // LEADBOARD_SERVER_ENGINE_EVENT_DECODER_H_
