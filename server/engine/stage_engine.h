// The stage-transition engine: turns (current lead, event) into the lead's
// next state and the visible change, if any. Pure: no I/O, no clock, no
// globals; the same inputs always give the same output.
//
// Semantics (docs/semantics.md):
// - Within one run a lead's stage is the highest-ranked stage its events
//   imply (working columns left to right < failure < success), so the final
//   state does not depend on the order events arrive in.
// - Moves are monotonic: a late or repeated event never moves a card back.
// - A terminal lead leaves its column only when a LEAD_ENRICHMENT_START that
//   occurred after it entered that column starts a new run. Events that
//   occurred before the previous run ended are stale: they change nothing.
// - Unknown agents are recorded as activity and move nothing.
// - A failure followed (in event time or arrival) by a success ends enriched;
//   the failure stays on the card as a warning.
// - Automation never undoes a person: a lead a person put in a people's
//   column stays there whatever events follow (late ones, or a new run); the
//   run goes on in `pipeline_stage`, with the same rules.
#ifndef LEADBOARD_SERVER_ENGINE_STAGE_ENGINE_H_
#define LEADBOARD_SERVER_ENGINE_STAGE_ENGINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/board_config.h"
#include "engine/event_validator.h"
#include "leadboard/v1/event.pb.h"
#include "leadboard/v1/lead.pb.h"
#include "leadboard/v1/leadboard.pb.h"

namespace leadboard::engine {

// The outcome of applying one event to one lead.
struct LeadTransition {
  v1::Lead lead;                 // the lead after the event (revision untouched)
  bool visible = false;          // true if the card changed: record a change
  v1::ChangeKind kind = v1::CHANGE_KIND_UNSPECIFIED;  // set when visible
  std::string previous_stage;    // stage before the event ("" for a new lead)
};

// A person's move of a lead (MoveLead), as the engine needs it.
struct Move {
  std::string to_stage;
  std::optional<int64_t> expected_revision;  // compare-and-swap when set
  v1::Actor actor;                           // kind PERSON
  std::string note;
  google::protobuf::Timestamp at;            // when the server received it
};

class StageEngine {
 public:
  // `board` must outlive the engine.
  explicit StageEngine(const BoardConfig& board) : board_(board) {}

  // Applies a validated, lead-scoped event (non-empty lead_id, occurred_at
  // set) to `current` (nullptr: the lead is new). Returns a Rejection for
  // `user_id` when the lead belongs to another user. Thread-safe.
  std::variant<LeadTransition, Rejection> ApplyToLead(const v1::Lead* current,
                                                      const v1::PipelineEvent& event) const;

  // Applies a validated event to its job in place (an empty Job: the job
  // is new). Returns true if the job changed. Job counts are not maintained
  // here (the store computes them).
  bool ApplyToJob(v1::Job* job, const v1::PipelineEvent& event) const;

  // Applies a person's move to `current`. Returns the transition (kind
  // MOVED), or one that is not visible when the lead already is in
  // to_stage (a retried move changes nothing). Errors, checked in this
  // order: InvalidArgument naming to_stage (unknown, or a column only the
  // pipeline fills); Aborted with a REVISION_MISMATCH ErrorInfo (stage,
  // revision, actor, actor_kind) when expected_revision is set and differs;
  // FailedPrecondition when the lead is mid-run (a working column), or is
  // being re-enriched and the target is the success column. Thread-safe.
  absl::StatusOr<LeadTransition> ApplyMove(const v1::Lead& current, const Move& move) const;

  const BoardConfig& board() const { return board_; }

 private:
  const BoardConfig& board_;
};

// INVALID_ARGUMENT naming to_stage: a column people may not move cards to.
absl::Status MoveTargetError(absl::string_view to_stage);

// The column the pipeline has `lead` in: its pipeline_stage, or (not set:
// leads stored before the two were kept apart) the card's stage.
const std::string& PipelineStage(const v1::Lead& lead);

// Status of a lead in `stage` on `board`.
v1::LeadStatus StatusForStage(const BoardConfig& board, const std::string& stage);

// True if the cards are equal apart from the enrichment package, updated_at
// and revision. The profile is compared only if `compare_profile` (an event
// without profile data cannot have changed it).
bool SameCard(const v1::Lead& a, const v1::Lead& b, bool compare_profile = true);

}  // namespace leadboard::engine

#endif  // LEADBOARD_SERVER_ENGINE_STAGE_ENGINE_H_
