// Stage history: every stay of a lead in a column, for its whole life, and
// the cumulative time per column ("time in stage", "cumulative time in
// stage"). The store keeps one visit per change that moved the card; these
// pure helpers decide when a change starts a visit and complete the
// history for GetLead.
#ifndef LEADBOARD_SERVER_ENGINE_STAGE_HISTORY_H_
#define LEADBOARD_SERVER_ENGINE_STAGE_HISTORY_H_

#include "engine/board_config.h"
#include "engine/stage_engine.h"
#include "leadboard/v1/lead.pb.h"

namespace leadboard::engine {

// True if the transition puts the card in a column it was not in (a new
// lead, or a stage change): the store records a visit for it.
bool StartsVisit(const LeadTransition& transition);

// The visit that `lead` (after a transition, with its revision set) starts:
// its stage, entered_at, entered_by, note and revision.
v1::StageVisit VisitOf(const v1::Lead& lead);

// Completes `lead->history()` (visits oldest first, as stored): each
// visit's left_at is the next one's entered_at, durations are filled in
// (the current stay until `now`, never negative), and time_in_stage gets
// the cumulative time and visit count per column, in board order (columns
// no longer on the board last). Pure; thread-safe.
void CompleteHistory(const BoardConfig& board, const google::protobuf::Timestamp& now,
                     v1::Lead* lead);

}  // namespace leadboard::engine

#endif  // LEADBOARD_SERVER_ENGINE_STAGE_HISTORY_H_
