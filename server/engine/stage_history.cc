#include "engine/stage_history.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/util/time_util.h"

namespace leadboard::engine {
namespace {

using google::protobuf::Duration;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

bool IsSet(const Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

Duration Between(const Timestamp& from, const Timestamp& to) {
  if (!IsSet(from) || !IsSet(to) || to < from) return Duration();
  return to - from;
}

}  // namespace

bool StartsVisit(const LeadTransition& transition) {
  return transition.visible && (transition.kind == v1::CHANGE_KIND_CREATED ||
                                transition.lead.stage() != transition.previous_stage);
}

v1::StageVisit VisitOf(const v1::Lead& lead) {
  v1::StageVisit visit;
  visit.set_stage(lead.stage());
  *visit.mutable_entered_at() = lead.stage_entered_at();
  *visit.mutable_entered_by() = lead.stage_entered_by();
  visit.set_note(lead.stage_note());
  visit.set_revision(lead.revision());
  return visit;
}

void CompleteHistory(const BoardConfig& board, const Timestamp& now, v1::Lead* lead) {
  auto* history = lead->mutable_history();
  struct Total {
    Duration total;
    int visits = 0;
  };
  absl::flat_hash_map<std::string, Total> totals;
  std::vector<std::string> unknown;  // columns no longer on the board, in order seen
  for (int i = 0; i < history->size(); ++i) {
    v1::StageVisit& visit = (*history)[i];
    if (i + 1 < history->size()) {
      *visit.mutable_left_at() = (*history)[i + 1].entered_at();
      *visit.mutable_duration() = Between(visit.entered_at(), visit.left_at());
    } else {
      visit.clear_left_at();
      *visit.mutable_duration() = Between(visit.entered_at(), now);
    }
    auto [it, inserted] = totals.try_emplace(visit.stage());
    if (inserted && board.Find(visit.stage()) == nullptr) unknown.push_back(visit.stage());
    it->second.total += visit.duration();
    ++it->second.visits;
  }
  lead->clear_time_in_stage();
  auto add = [&](const std::string& stage) {
    auto it = totals.find(stage);
    if (it == totals.end()) return;
    v1::StageTime* time = lead->add_time_in_stage();
    time->set_stage(stage);
    *time->mutable_total() = it->second.total;
    time->set_visits(it->second.visits);
  };
  for (const v1::BoardColumn& column : board.columns()) add(column.id());
  for (const std::string& stage : unknown) add(stage);
}

}  // namespace leadboard::engine
