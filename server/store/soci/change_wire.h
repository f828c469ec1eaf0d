// The bytes a change is stored and sent as, made without copying the lead.
#ifndef LEADBOARD_SERVER_STORE_SOCI_CHANGE_WIRE_H_
#define LEADBOARD_SERVER_STORE_SOCI_CHANGE_WIRE_H_

#include <cstdint>
#include <string>

#include "leadboard/v1/leadboard.pb.h"

namespace leadboard::store {

// `lead` serialized as a card: without its enrichment package. The package
// is detached while serializing and put back, so nothing is copied.
std::string SerializeCard(v1::Lead* lead);

// The WatchLeadsResponse of one change, serialized. The lead is borrowed,
// not copied; without `with_package` it goes as a watch card: no package,
// no profile description or extra (see LeadChange.lead in the proto).
// A person's move (MOVED) also names the actor and the note.
std::string SerializeChange(int64_t revision, v1::ChangeKind kind,
                            const std::string& previous_stage, const std::string& agent,
                            v1::Lead* lead, bool with_package,
                            const v1::Actor* actor = nullptr, const std::string& note = "");

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_CHANGE_WIRE_H_
