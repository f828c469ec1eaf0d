// Each lead's agent timeline: the store keeps a lead's agent and tool
// events in a TimelineLog, and these pure functions turn the log and the
// lead's run state into runs of agent steps (AGENT_START paired with its
// AGENT_END, retries numbered, tool calls counted, waits measured).
//
// Steps are rebuilt from the whole log each time, so they depend only on
// the set of events a lead has received, never on the order they arrived
// in; an event repeated (even under another event id) counts once.
// Pairing, per agent within a run, by event time: an end closes the latest
// start before it that is still open; an end with no open start is a step
// whose start never arrived; a start that is never closed is RUNNING while
// its run goes on and UNFINISHED once the run has ended or the agent has
// started again.
#ifndef LEADBOARD_SERVER_ENGINE_AGENT_TIMELINE_H_
#define LEADBOARD_SERVER_ENGINE_AGENT_TIMELINE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/board_config.h"
#include "engine/timeline_log.pb.h"
#include "leadboard/v1/event.pb.h"
#include "leadboard/v1/lead.pb.h"

namespace leadboard::engine {

// Markers a log keeps per lead; older runs give way first, then the
// current run's newest markers are dropped (the run is marked truncated).
inline constexpr int kMaxTimelineMarkers = 500;
// Past runs a log keeps per lead.
inline constexpr int kMaxPastRuns = 10;

// True for the events a lead's timeline depends on: agent and tool events,
// and those that start or end a run.
bool AffectsTimeline(v1::EventType type);

// Records an agent or tool event (AGENT_START, AGENT_END, TOOL_CALL_START)
// of a validated, lead-scoped event in `log`. Returns true if the log
// changed (false for other events and repeats).
bool RecordMarker(const v1::PipelineEvent& event, stored::TimelineLog* log);

// Records a run boundary: when `after` (the lead after an event) began a
// newer run than `before` (nullptr: a new lead), the run that ended is
// appended to the log's past runs. Returns true if the log changed.
bool RecordRunChange(const BoardConfig& board, const v1::Lead* before, const v1::Lead& after,
                     stored::TimelineLog* log);

// The lead's runs, oldest first, the current one last (none when the log
// is empty and the lead never started a run). Pure; thread-safe.
std::vector<v1::AgentRun> BuildRuns(const BoardConfig& board, const stored::TimelineLog& log,
                                    const v1::Lead& lead);

// The key of a run in the steps table: its start in micros (0 if unknown).
int64_t RunKey(const v1::AgentRun& run);

}  // namespace leadboard::engine

#endif  // LEADBOARD_SERVER_ENGINE_AGENT_TIMELINE_H_
