// libFuzzer target: arbitrary bytes as one IngestEvents message. Decoding,
// validation and the stage engine must never crash, and the engine's
// promises must hold for whatever passes validation: applying an event twice
// changes nothing the second time, a terminal card never moves back to a
// working column without a newer run, and automation never undoes a person:
// a card moved into a people's column stays there whatever the event is,
// repeated or as part of a newer run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "engine/board_config.h"
#include "engine/event_decoder.h"
#include "engine/event_validator.h"
#include "engine/stage_engine.h"
#include "google/protobuf/util/message_differencer.h"

namespace {

const leadboard::engine::BoardConfig& Board() {
  static const auto* board = new leadboard::engine::BoardConfig(leadboard::engine::BoardConfig::Default());
  return *board;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace leadboard;
  v1::PipelineEvent event;
  std::string id;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  if (engine::DecodeEvent(bytes, &event, &id)) return 0;
  if (!event.has_occurred_at()) event.mutable_occurred_at()->set_seconds(1767225600);
  if (engine::ValidateEvent(event)) return 0;
  const engine::StageEngine engine(Board());
  v1::Job job;
  if (!engine.ApplyToJob(&job, event)) std::abort();  // a new job always changes
  const v1::Job first_job = job;
  // Idempotent: the same event again changes nothing, and says so.
  if (engine.ApplyToJob(&job, event)) std::abort();
  if (!google::protobuf::util::MessageDifferencer::Equals(job, first_job)) std::abort();
  if (event.lead_id().empty()) return 0;
  auto first = engine.ApplyToLead(nullptr, event);
  if (!std::holds_alternative<engine::LeadTransition>(first)) std::abort();
  const v1::Lead& lead = std::get<engine::LeadTransition>(first).lead;
  if (Board().Find(lead.stage()) == nullptr && !lead.stage().empty()) std::abort();
  auto second = engine.ApplyToLead(&lead, event);
  const auto& again = std::get<engine::LeadTransition>(second);
  // Idempotent: the same event again is invisible and changes no state.
  if (again.visible) std::abort();
  if (!google::protobuf::util::MessageDifferencer::Equals(again.lead, lead)) std::abort();

  engine::Move move;
  move.to_stage = "negotiating";
  move.actor.set_kind(v1::ACTOR_KIND_PERSON);
  move.actor.set_name("fuzz");
  move.at = event.occurred_at();
  absl::StatusOr<engine::LeadTransition> moved = engine.ApplyMove(lead, move);
  if (!moved.ok()) {
    // Only a lead the pipeline is still working on may refuse this move.
    if (moved.status().code() != absl::StatusCode::kFailedPrecondition) std::abort();
    const v1::BoardColumn* column = Board().Find(lead.stage());
    if (column != nullptr && column->terminal()) std::abort();
    return 0;
  }
  if (moved->lead.stage() != "negotiating" || !moved->visible) std::abort();
  v1::PipelineEvent rerun = event;
  rerun.set_type(v1::EVENT_TYPE_LEAD_ENRICHMENT_START);
  rerun.mutable_occurred_at()->set_seconds(event.occurred_at().seconds() + 86400);
  for (const v1::PipelineEvent* next : {&event, &rerun}) {
    auto after = engine.ApplyToLead(&moved->lead, *next);
    if (std::get<engine::LeadTransition>(after).lead.stage() != "negotiating") std::abort();
  }
  // A retried move changes nothing.
  absl::StatusOr<engine::LeadTransition> retried = engine.ApplyMove(moved->lead, move);
  if (!retried.ok() || retried->visible) std::abort();
  return 0;
}
