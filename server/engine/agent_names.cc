#include "engine/agent_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace leadboard::engine {

std::string NormalizeAgentName(absl::string_view name) {
  std::string key;
  key.reserve(name.size());
  for (char c : name) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      key.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
  }
  constexpr absl::string_view kSuffix = "agent";
  if (key.size() > kSuffix.size() && absl::EndsWith(key, kSuffix)) {
    key.resize(key.size() - kSuffix.size());
  }
  return key;
}

}  // namespace leadboard::engine
