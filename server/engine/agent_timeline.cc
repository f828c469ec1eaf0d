#include "engine/agent_timeline.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "engine/agent_names.h"
#include "engine/stage_engine.h"
#include "google/protobuf/util/time_util.h"

namespace leadboard::engine {
namespace {

using google::protobuf::util::TimeUtil;
using stored::StepMarker;

constexpr size_t kMaxErrorBytes = 1024;

int64_t MicrosOf(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

google::protobuf::Timestamp TimestampOf(int64_t micros) {
  return TimeUtil::MicrosecondsToTimestamp(micros);
}

google::protobuf::Duration DurationOf(int64_t micros) {
  return TimeUtil::MicrosecondsToDuration(std::max<int64_t>(micros, 0));
}

// Cuts UTF-8 text to at most `limit` bytes without splitting a character.
std::string Cut(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// The order markers are kept in; equal under it means the same event. (The
// agent index orders markers of different agents at one instant by arrival,
// which pairing, done per agent, never sees.)
bool MarkerLess(const StepMarker& a, const StepMarker& b) {
  return std::make_tuple(a.at_micros(), static_cast<int>(a.kind()), a.agent(), a.success()) <
         std::make_tuple(b.at_micros(), static_cast<int>(b.kind()), b.agent(), b.success());
}

// The agent's 1-based index in the log's dictionary, added if new (-1 when
// the dictionary is full); keeps the smallest spelling of each agent.
int AgentIndex(const std::string& name, stored::TimelineLog* log, bool* changed) {
  if (name.empty()) return 0;
  for (int i = 0; i < log->agents_size(); ++i) {
    if (log->agents(i) == name) return i + 1;  // the usual case: a spelling seen before
  }
  const std::string key = NormalizeAgentName(name);
  for (int i = 0; i < log->agents_size(); ++i) {
    if (NormalizeAgentName(log->agents(i)) == key) {
      if (name < log->agents(i)) {
        log->set_agents(i, name);
        *changed = true;
      }
      return i + 1;
    }
  }
  // Names are never dropped (older runs' markers refer to them): bounded
  // like the markers, whatever names a pipeline makes up.
  if (log->agents_size() >= kMaxTimelineMarkers) return -1;
  log->add_agents(name);
  *changed = true;
  return log->agents_size();
}

// Drops the oldest past run and its markers. False when there is none.
bool DropOldestPastRun(stored::TimelineLog* log) {
  if (log->past_runs_size() == 0) return false;
  const int64_t ended = log->past_runs(0).ended_micros();
  auto* markers = log->mutable_markers();
  int keep_from = 0;
  while (keep_from < markers->size() && markers->Get(keep_from).at_micros() <= ended) ++keep_from;
  markers->DeleteSubrange(0, keep_from);
  log->mutable_past_runs()->DeleteSubrange(0, 1);
  return true;
}

// One attempt of one agent while a run's steps are being paired.
struct Attempt {
  const StepMarker* start = nullptr;
  const StepMarker* end = nullptr;
  int tool_calls = 0;
  bool superseded = false;  // the agent started again after it

  std::optional<int64_t> StartMicros() const {
    if (start != nullptr) return start->at_micros();
    if (end != nullptr && end->duration_micros() > 0) {
      return end->at_micros() - end->duration_micros();
    }
    return std::nullopt;
  }
  // Where the attempt sits on the time axis when its start is unknown.
  int64_t SortMicros() const {
    if (auto s = StartMicros()) return *s;
    return end->at_micros();
  }
  bool Covers(int64_t at) const {
    auto s = StartMicros();
    return s && *s <= at && (end == nullptr || end->at_micros() >= at);
  }
};

// Pairs one run's markers (in log order) into steps.
void BuildSteps(const std::vector<const StepMarker*>& markers,
                const std::vector<std::string>& keys, const stored::TimelineLog& log,
                bool run_ended, std::optional<int64_t> run_start, v1::AgentRun* run) {
  absl::flat_hash_map<std::string, std::vector<Attempt>> by_agent;
  absl::flat_hash_map<std::string, std::vector<size_t>> open;
  std::vector<const StepMarker*> tool_calls;
  for (const StepMarker* m : markers) {
    const std::string& key = keys[m->agent()];
    switch (m->kind()) {
      case StepMarker::KIND_START: {
        std::vector<Attempt>& attempts = by_agent[key];
        for (size_t i : open[key]) attempts[i].superseded = true;
        open[key].push_back(attempts.size());
        attempts.push_back(Attempt{m});
        break;
      }
      case StepMarker::KIND_END: {
        std::vector<Attempt>& attempts = by_agent[key];
        std::vector<size_t>& agent_open = open[key];
        if (!agent_open.empty()) {
          attempts[agent_open.back()].end = m;
          agent_open.pop_back();
        } else {
          attempts.push_back(Attempt{nullptr, m});
        }
        break;
      }
      case StepMarker::KIND_TOOL_CALL:
        tool_calls.push_back(m);
        break;
      default:
        break;
    }
  }
  // A tool call counts for its agent's attempt that covers it (any agent's
  // when the call names none): the one that started last.
  for (const StepMarker* call : tool_calls) {
    const std::string& key = keys[call->agent()];
    Attempt* best = nullptr;
    std::string best_agent;
    for (auto& [agent, attempts] : by_agent) {
      if (!key.empty() && agent != key) continue;
      for (Attempt& a : attempts) {
        if (a.Covers(call->at_micros()) &&
            (best == nullptr || *best->StartMicros() < *a.StartMicros() ||
             (*best->StartMicros() == *a.StartMicros() && best_agent < agent))) {
          best = &a;
          best_agent = agent;
        }
      }
    }
    if (best != nullptr) ++best->tool_calls;
  }

  struct Built {
    int64_t sort;
    std::string agent;
    v1::AgentStep step;
  };
  std::vector<Built> steps;
  for (auto& [agent, attempts] : by_agent) {
    std::stable_sort(attempts.begin(), attempts.end(), [](const Attempt& a, const Attempt& b) {
      return a.SortMicros() < b.SortMicros();
    });
    for (size_t i = 0; i < attempts.size(); ++i) {
      const Attempt& a = attempts[i];
      v1::AgentStep step;
      step.set_agent(agent);
      step.set_agent_name(log.agents((a.start != nullptr ? a.start : a.end)->agent() - 1));
      step.set_attempt(static_cast<int>(i) + 1);
      const std::optional<int64_t> start = a.StartMicros();
      if (start) *step.mutable_started_at() = TimestampOf(*start);
      if (a.end != nullptr) {
        *step.mutable_ended_at() = TimestampOf(a.end->at_micros());
        if (start) *step.mutable_duration() = DurationOf(a.end->at_micros() - *start);
        step.set_status(a.end->success() ? v1::STEP_STATUS_SUCCEEDED : v1::STEP_STATUS_FAILED);
        if (!a.end->success()) step.set_error(a.end->error());
      } else {
        step.set_status(run_ended || a.superseded || i + 1 < attempts.size()
                            ? v1::STEP_STATUS_UNFINISHED
                            : v1::STEP_STATUS_RUNNING);
      }
      step.set_tool_calls(a.tool_calls);
      steps.push_back(Built{a.SortMicros(), agent, std::move(step)});
    }
  }
  std::sort(steps.begin(), steps.end(), [](const Built& a, const Built& b) {
    return std::make_tuple(a.sort, a.agent, a.step.attempt()) <
           std::make_tuple(b.sort, b.agent, b.step.attempt());
  });
  // Waiting: from the latest end so far (or the run's start) to each start.
  std::optional<int64_t> free_since = run_start;
  for (Built& b : steps) {
    v1::AgentStep& step = b.step;
    if (step.has_started_at()) {
      const int64_t started = MicrosOf(step.started_at());
      if (free_since) *step.mutable_wait_before() = DurationOf(started - *free_since);
    }
    if (step.has_ended_at()) {
      const int64_t ended = MicrosOf(step.ended_at());
      if (!free_since || *free_since < ended) free_since = ended;
    }
    *run->add_steps() = std::move(step);
  }
}

}  // namespace

bool AffectsTimeline(v1::EventType type) {
  switch (type) {
    case v1::EVENT_TYPE_AGENT_START:
    case v1::EVENT_TYPE_AGENT_END:
    case v1::EVENT_TYPE_TOOL_CALL_START:
    case v1::EVENT_TYPE_LEAD_ENRICHMENT_START:
    case v1::EVENT_TYPE_LEAD_ENRICHMENT_END:
    case v1::EVENT_TYPE_PIPELINE_END:
    case v1::EVENT_TYPE_PIPELINE_ERROR:
      return true;
    default:
      return false;
  }
}

bool RecordMarker(const v1::PipelineEvent& event, stored::TimelineLog* log) {
  StepMarker marker;
  switch (event.type()) {
    case v1::EVENT_TYPE_AGENT_START:
      marker.set_kind(StepMarker::KIND_START);
      break;
    case v1::EVENT_TYPE_AGENT_END:
      marker.set_kind(StepMarker::KIND_END);
      marker.set_success(event.success());
      if (!event.success()) {
        marker.set_error(Cut(event.message().empty() ? "agent failed" : event.message(),
                             kMaxErrorBytes));
      }
      if (event.duration_seconds() > 0) {
        marker.set_duration_micros(static_cast<int64_t>(event.duration_seconds() * 1e6));
      }
      break;
    case v1::EVENT_TYPE_TOOL_CALL_START:
      marker.set_kind(StepMarker::KIND_TOOL_CALL);
      break;
    default:
      return false;
  }
  if (marker.kind() != StepMarker::KIND_TOOL_CALL && event.agent_name().empty()) return false;
  marker.set_at_micros(MicrosOf(event.occurred_at()));
  // A new spelling of a known agent changes the dictionary even when the
  // marker itself is a repeat.
  bool dictionary_changed = false;
  const int agent = AgentIndex(event.agent_name(), log, &dictionary_changed);
  if (agent < 0) {
    const bool changed = !log->current_truncated();
    log->set_current_truncated(true);
    return changed;
  }
  marker.set_agent(agent);

  auto* markers = log->mutable_markers();
  auto at = std::lower_bound(markers->begin(), markers->end(), marker, MarkerLess);
  if (at != markers->end() && !MarkerLess(marker, *at)) return dictionary_changed;  // a repeat
  while (markers->size() >= kMaxTimelineMarkers) {
    if (!DropOldestPastRun(log)) {
      const bool changed = !log->current_truncated() || dictionary_changed;
      log->set_current_truncated(true);
      return changed;
    }
  }
  at = std::lower_bound(markers->begin(), markers->end(), marker, MarkerLess);
  const int index = static_cast<int>(at - markers->begin());
  *markers->Add() = std::move(marker);
  for (int i = markers->size() - 1; i > index; --i) markers->SwapElements(i, i - 1);
  return true;
}

bool RecordRunChange(const BoardConfig& board, const v1::Lead* before, const v1::Lead& after,
                     stored::TimelineLog* log) {
  if (before == nullptr || !after.has_previous_run_ended_at()) return false;
  const int64_t ended = MicrosOf(after.previous_run_ended_at());
  if (before->has_previous_run_ended_at() && MicrosOf(before->previous_run_ended_at()) == ended) {
    return false;
  }
  stored::PastRun* past = log->add_past_runs();
  past->set_started_micros(before->has_run_started_at() ? MicrosOf(before->run_started_at()) : 0);
  past->set_ended_micros(ended);
  past->set_outcome(StatusForStage(board, PipelineStage(*before)));
  past->set_job_id(before->job_id());
  past->set_truncated(log->current_truncated());
  log->set_current_truncated(false);
  while (log->past_runs_size() > kMaxPastRuns) DropOldestPastRun(log);
  return true;
}

std::vector<v1::AgentRun> BuildRuns(const BoardConfig& board, const stored::TimelineLog& log,
                                    const v1::Lead& lead) {
  // Each agent's key, by marker index (0: no agent).
  std::vector<std::string> keys = {""};
  for (const std::string& agent : log.agents()) keys.push_back(NormalizeAgentName(agent));
  const int past_count = log.past_runs_size();
  std::vector<std::vector<const StepMarker*>> markers(past_count + 1);
  const int64_t boundary =
      lead.has_previous_run_ended_at() ? MicrosOf(lead.previous_run_ended_at()) : 0;
  for (const StepMarker& m : log.markers()) {
    int run = past_count;
    if (past_count > 0 && m.at_micros() <= boundary) {
      run = past_count - 1;
      for (int i = 0; i < past_count; ++i) {
        if (m.at_micros() <= log.past_runs(i).ended_micros()) {
          run = i;
          break;
        }
      }
    }
    markers[run].push_back(&m);
  }

  std::vector<v1::AgentRun> runs;
  for (int i = 0; i < past_count; ++i) {
    const stored::PastRun& past = log.past_runs(i);
    v1::AgentRun run;
    std::optional<int64_t> start;
    if (past.started_micros() != 0) {
      start = past.started_micros();
      *run.mutable_started_at() = TimestampOf(past.started_micros());
    }
    *run.mutable_ended_at() = TimestampOf(past.ended_micros());
    run.set_outcome(static_cast<v1::LeadStatus>(past.outcome()));
    run.set_truncated(past.truncated());
    BuildSteps(markers[i], keys, log, /*run_ended=*/true, start, &run);
    runs.push_back(std::move(run));
  }

  const v1::LeadStatus status = StatusForStage(board, PipelineStage(lead));
  const bool started = lead.has_run_started_at() || !markers[past_count].empty() ||
                       status == v1::LEAD_STATUS_ENRICHING;
  if (!started) return runs;
  v1::AgentRun current;
  std::optional<int64_t> start;
  if (lead.has_run_started_at()) {
    start = MicrosOf(lead.run_started_at());
    *current.mutable_started_at() = lead.run_started_at();
  }
  const bool ended = status == v1::LEAD_STATUS_ENRICHED || status == v1::LEAD_STATUS_FAILED;
  if (ended) {
    *current.mutable_ended_at() = lead.pipeline_stage().empty() ? lead.stage_entered_at()
                                                                : lead.pipeline_stage_entered_at();
    current.set_outcome(status);
  } else {
    current.set_outcome(v1::LEAD_STATUS_ENRICHING);
  }
  current.set_truncated(log.current_truncated());
  BuildSteps(markers[past_count], keys, log, ended, start, &current);
  if (!current.has_started_at() && current.steps_size() > 0) {
    // No LEAD_ENRICHMENT_START yet: the run began with its earliest step.
    for (const v1::AgentStep& step : current.steps()) {
      if (step.has_started_at()) {
        *current.mutable_started_at() = step.started_at();
        break;
      }
    }
  }
  runs.push_back(std::move(current));
  return runs;
}

int64_t RunKey(const v1::AgentRun& run) {
  return run.has_started_at() ? MicrosOf(run.started_at()) : 0;
}

}  // namespace leadboard::engine
