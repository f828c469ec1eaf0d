#include "engine/board_config.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/agent_names.h"
#include "google/protobuf/util/json_util.h"

namespace leadboard::engine {
namespace {

struct ColumnSpec {
  const char* id;
  const char* title;
  v1::ColumnRole role;
  std::vector<const char*> agents;
  std::vector<v1::EventType> event_types;
};

v1::BoardConfig DefaultProto() {
  const std::vector<ColumnSpec> specs = {
      {"harvested", "Harvested", v1::COLUMN_ROLE_UNSPECIFIED, {},
       {v1::EVENT_TYPE_LEAD_GENERATED}},
      {"intake", "Intake", v1::COLUMN_ROLE_UNSPECIFIED,
       {"LeadIntakeAgent", "LeadAnalysisAgent", "LeadAnalysisGenerationAgent",
        "EnhancedLeadProcessor"},
       {v1::EVENT_TYPE_LEAD_ENRICHMENT_START}},
      {"research", "Research", v1::COLUMN_ROLE_UNSPECIFIED,
       {"TavilyEnrichmentAgent", "ContactExtractionAgent"}, {}},
      {"qualification", "Qualification", v1::COLUMN_ROLE_UNSPECIFIED,
       {"PainPointDeepeningAgent", "LeadQualificationAgent"}, {}},
      {"intelligence", "Market intelligence", v1::COLUMN_ROLE_UNSPECIFIED,
       {"CompetitorIdentificationAgent", "BuyingTriggerIdentificationAgent"}, {}},
      {"strategy", "Strategy", v1::COLUMN_ROLE_UNSPECIFIED,
       {"ValuePropositionCustomizationAgent", "StrategicQuestionGenerationAgent",
        "ToTStrategyGenerationAgent", "ToTStrategyEvaluationAgent",
        "ToTActionPlanSynthesisAgent", "DetailedApproachPlanAgent",
        "ObjectionHandlingAgent", "B2BPersonaCreationAgent", "PersonaCreationAgent",
        "ApproachStrategyAgent"},
       {}},
      {"outreach", "Outreach prep", v1::COLUMN_ROLE_UNSPECIFIED,
       {"B2BPersonalizedMessageAgent", "MessageCraftingAgent",
        "InternalBriefingSummaryAgent"},
       {}},
      {"enriched", "Enriched", v1::COLUMN_ROLE_SUCCESS, {}, {}},
      {"failed", "Failed", v1::COLUMN_ROLE_FAILURE, {}, {}},
      // People's columns: the sales stages a person moves an enriched lead
      // through (the prospecting app's revisando, primeiras mensagens,
      // negociando, reuniao agendada, desqualificado).
      {"reviewing", "Reviewing", v1::COLUMN_ROLE_PEOPLE, {}, {}},
      {"first_messages", "First messages", v1::COLUMN_ROLE_PEOPLE, {}, {}},
      {"negotiating", "Negotiating", v1::COLUMN_ROLE_PEOPLE, {}, {}},
      {"meeting_scheduled", "Meeting scheduled", v1::COLUMN_ROLE_PEOPLE, {}, {}},
      {"disqualified", "Disqualified", v1::COLUMN_ROLE_PEOPLE, {}, {}},
  };
  v1::BoardConfig config;
  for (const ColumnSpec& spec : specs) {
    v1::BoardColumn* column = config.add_columns();
    column->set_id(spec.id);
    column->set_title(spec.title);
    column->set_role(spec.role);
    for (const char* agent : spec.agents) column->add_agents(agent);
    for (v1::EventType type : spec.event_types) column->add_event_types(type);
  }
  return config;
}

absl::Status ColumnError(int index, absl::string_view id, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("board config: columns[", index, "] (\"", id, "\"): ", why));
}

}  // namespace

BoardConfig BoardConfig::Default() {
  absl::StatusOr<BoardConfig> config = FromProto(DefaultProto());
  // The built-in default is valid by construction; tests check it.
  return *std::move(config);
}

absl::StatusOr<BoardConfig> BoardConfig::FromProto(v1::BoardConfig config) {
  BoardConfig board;
  int successes = 0;
  int failures = 0;
  int working = 0;
  int people = 0;
  for (int i = 0; i < config.columns_size(); ++i) {
    v1::BoardColumn column = config.columns(i);
    column.clear_lead_count();
    column.set_accepts_moves(column.role() == v1::COLUMN_ROLE_SUCCESS ||
                             column.role() == v1::COLUMN_ROLE_PEOPLE);
    const std::string& id = column.id();
    if (id.empty() || id.size() > 64) {
      return ColumnError(i, id, "id must be 1 to 64 bytes");
    }
    if (column.title().empty()) column.set_title(id);
    if (board.by_id_.contains(id)) return ColumnError(i, id, "duplicate id");
    const size_t index = board.columns_.size();
    board.by_id_[id] = index;
    switch (column.role()) {
      case v1::COLUMN_ROLE_SUCCESS:
        ++successes;
        board.success_ = index;
        column.set_terminal(true);
        break;
      case v1::COLUMN_ROLE_FAILURE:
        ++failures;
        board.failure_ = index;
        column.set_terminal(true);
        break;
      case v1::COLUMN_ROLE_PEOPLE:
        column.set_terminal(false);
        break;
      case v1::COLUMN_ROLE_UNSPECIFIED:
        if (people > 0) {
          return ColumnError(i, id, "working columns come before the people's columns");
        }
        column.set_terminal(false);
        board.rank_[id] = working++;
        break;
      default:
        return ColumnError(i, id, absl::StrCat("unknown role ", column.role()));
    }
    if (column.role() == v1::COLUMN_ROLE_PEOPLE) ++people;
    if (column.has_stall_after()) {
      if (column.terminal() || column.role() == v1::COLUMN_ROLE_PEOPLE) {
        return ColumnError(i, id, "stall_after: only working columns hold leads mid-run");
      }
      const google::protobuf::Duration& limit = column.stall_after();
      if (limit.seconds() < 1 || limit.nanos() < 0 || limit.seconds() > 30 * 86400) {
        return ColumnError(i, id, "stall_after: must be between 1s and 30 days");
      }
    }
    if ((column.terminal() || column.role() == v1::COLUMN_ROLE_PEOPLE) &&
        (column.agents_size() > 0 || column.event_types_size() > 0)) {
      return ColumnError(i, id,
                         "terminal and people's columns take no agents or event types: only "
                         "working columns are filled by the pipeline");
    }
    for (std::string& agent : *column.mutable_agents()) {
      std::string key = NormalizeAgentName(agent);
      if (key.empty()) return ColumnError(i, id, "empty agent name");
      if (!board.by_agent_.emplace(key, index).second) {
        return ColumnError(i, id, absl::StrCat("agent \"", agent, "\" is mapped twice"));
      }
      agent = key;
    }
    for (int type : column.event_types()) {
      if (!board.by_event_type_.emplace(type, index).second) {
        return ColumnError(i, id, absl::StrCat("event type ", v1::EventType_Name(type),
                                               " is mapped twice"));
      }
    }
    board.columns_.push_back(std::move(column));
  }
  if (successes != 1 || failures != 1) {
    return absl::InvalidArgumentError(
        "board config: needs exactly one COLUMN_ROLE_SUCCESS and one "
        "COLUMN_ROLE_FAILURE column");
  }
  if (working == 0) {
    return absl::InvalidArgumentError("board config: needs at least one working column");
  }
  board.rank_[board.columns_[board.failure_].id()] = working;
  board.rank_[board.columns_[board.success_].id()] = working + 1;
  return board;
}

absl::StatusOr<BoardConfig> BoardConfig::FromJson(absl::string_view json) {
  v1::BoardConfig config;
  google::protobuf::util::Status status =
      google::protobuf::util::JsonStringToMessage(std::string(json), &config);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("board config: invalid JSON: ", status.message().as_string()));
  }
  return FromProto(std::move(config));
}

absl::StatusOr<BoardConfig> BoardConfig::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("board config: cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return FromJson(buffer.str());
}

const v1::BoardColumn* BoardConfig::ColumnForAgent(absl::string_view agent_name) const {
  auto it = by_agent_.find(NormalizeAgentName(agent_name));
  return it == by_agent_.end() ? nullptr : &columns_[it->second];
}

const v1::BoardColumn* BoardConfig::ColumnForEventType(v1::EventType type) const {
  auto it = by_event_type_.find(static_cast<int>(type));
  return it == by_event_type_.end() ? nullptr : &columns_[it->second];
}

int BoardConfig::Rank(absl::string_view column_id) const {
  auto it = rank_.find(column_id);
  return it == rank_.end() ? -1 : it->second;
}

const v1::BoardColumn* BoardConfig::Find(absl::string_view column_id) const {
  auto it = by_id_.find(column_id);
  return it == by_id_.end() ? nullptr : &columns_[it->second];
}

bool BoardConfig::IsFirstWorkingColumn(absl::string_view column_id) const {
  return Rank(column_id) == 0;
}

}  // namespace leadboard::engine

namespace leadboard::engine {

bool BoardConfig::IsPeoples(absl::string_view column_id) const {
  const v1::BoardColumn* column = Find(column_id);
  return column != nullptr && column->role() == v1::COLUMN_ROLE_PEOPLE;
}

BoardConfig BoardConfig::WithStallAfter(absl::Duration limit) const {
  BoardConfig board = *this;
  board.job_stall_after_ = limit;
  for (v1::BoardColumn& column : board.columns_) {
    if (column.terminal() || column.role() == v1::COLUMN_ROLE_PEOPLE) {
      column.clear_stall_after();
    } else if (!column.has_stall_after()) {
      const int64_t micros = absl::ToInt64Microseconds(limit);
      column.mutable_stall_after()->set_seconds(micros / 1000000);
      column.mutable_stall_after()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
    }
  }
  return board;
}

absl::Duration BoardConfig::StallAfter(absl::string_view column_id) const {
  const v1::BoardColumn* column = Find(column_id);
  if (column == nullptr || !column->has_stall_after()) return absl::InfiniteDuration();
  return absl::Seconds(column->stall_after().seconds()) +
         absl::Nanoseconds(column->stall_after().nanos());
}

bool BoardConfig::AcceptsMoves(absl::string_view column_id) const {
  const v1::BoardColumn* column = Find(column_id);
  return column != nullptr && column->accepts_moves();
}

}  // namespace leadboard::engine
