// Agent-name normalization: the pipelines spell one agent many ways
// (LeadQualificationAgent, lead_qualification_agent, lead-qualification).
#ifndef LEADBOARD_SERVER_ENGINE_AGENT_NAMES_H_
#define LEADBOARD_SERVER_ENGINE_AGENT_NAMES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace leadboard::engine {

// Returns the canonical key of an agent name: ASCII letters and digits only,
// lower-cased, with one trailing "agent" removed ("leadqualification").
// Every spelling of the same agent yields the same key. Pure, thread-safe.
std::string NormalizeAgentName(absl::string_view name);

}  // namespace leadboard::engine

#endif  // LEADBOARD_SERVER_ENGINE_AGENT_NAMES_H_
