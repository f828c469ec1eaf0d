// Validation of one PipelineEvent against the contract's limits. A failed
// check rejects that event alone and names the field and the reason.
#ifndef LEADBOARD_SERVER_ENGINE_EVENT_VALIDATOR_H_
#define LEADBOARD_SERVER_ENGINE_EVENT_VALIDATOR_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "leadboard/v1/event.pb.h"

namespace leadboard::engine {

inline constexpr size_t kMaxIdBytes = 128;
inline constexpr size_t kMaxNameBytes = 256;
inline constexpr size_t kMaxMessageBytes = 64 * 1024;
inline constexpr size_t kMaxProfileFieldBytes = 4 * 1024;
inline constexpr size_t kMaxDescriptionBytes = 16 * 1024;
inline constexpr size_t kMaxEnrichmentBytes = 1024 * 1024;
inline constexpr size_t kMaxAttributesBytes = 64 * 1024;

// Why an event was rejected: the field path ("lead.website") and a sentence.
struct Rejection {
  std::string field;
  std::string reason;
};

// Returns the first violation in `event`, or nullopt if it is valid. Checks
// required fields per type, byte limits, UTF-8 and control characters in
// ids, enum values, timestamps (year 2000 to 2200) and fields not allowed for
// the type. Pure and thread-safe.
std::optional<Rejection> ValidateEvent(const v1::PipelineEvent& event);

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(absl::string_view s);

// True if `type` names a lead-scoped event that requires lead_id.
bool RequiresLeadId(v1::EventType type);

}  // namespace leadboard::engine

#endif  // LEADBOARD_SERVER_ENGINE_EVENT_VALIDATOR_H_
