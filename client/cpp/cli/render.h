// Rendering of leads, changes, boards and jobs for a terminal.
#ifndef LEADBOARD_CLIENT_CPP_CLI_RENDER_H_
#define LEADBOARD_CLIENT_CPP_CLI_RENDER_H_

#include <ostream>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "leadboard/v1/leadboard.pb.h"

namespace leadboard::cli {

// One line of JSON (protobuf JSON mapping).
std::string ToJsonLine(const google::protobuf::Message& message);

// One human line per watch message: revision, kind, lead, move, agent, company.
std::string ChangeLine(const v1::WatchLeadsResponse& response);

// The full lead, every enrichment section with a heading; empty sections
// are listed as such.
void PrintLead(const v1::Lead& lead, std::ostream& out);

// The lead's stage history: each stay with when, how long and by whom, then
// the cumulative time per column.
void PrintHistory(const v1::Lead& lead, std::ostream& out);

// Each run's agent steps: when, how long, waits, tool calls, outcome.
void PrintTimeline(const v1::Lead& lead, std::ostream& out);

// GetAgentStats as a table, one agent per line.
void PrintAgentStats(const v1::GetAgentStatsResponse& stats, std::ostream& out);

void PrintLeadTable(const std::vector<v1::Lead>& leads, std::ostream& out);
void PrintBoard(const v1::Board& board, std::ostream& out);
void PrintJobs(const std::vector<v1::Job>& jobs, std::ostream& out);

}  // namespace leadboard::cli

#endif  // LEADBOARD_CLIENT_CPP_CLI_RENDER_H_
