#include "engine/stage_engine.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "engine/status_details.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"

namespace leadboard::engine {
namespace {

using google::protobuf::Timestamp;
using google::protobuf::util::MessageDifferencer;

constexpr int kMaxWarnings = 32;

bool IsSet(const Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

bool Before(const Timestamp& a, const Timestamp& b) {
  return a.seconds() < b.seconds() || (a.seconds() == b.seconds() && a.nanos() < b.nanos());
}

// Returns true if it changed the field.
bool KeepEarliest(Timestamp* field, const Timestamp& t) {
  if (IsSet(*field) && !Before(t, *field)) return false;
  *field = t;
  return true;
}

void KeepLatest(Timestamp* field, const Timestamp& t) {
  if (!IsSet(*field) || Before(*field, t)) *field = t;
}

// Total order on issues used to pick the newest deterministically.
bool IssueBefore(const v1::LeadIssue& a, const v1::LeadIssue& b) {
  if (Before(a.occurred_at(), b.occurred_at())) return true;
  if (Before(b.occurred_at(), a.occurred_at())) return false;
  return std::tie(a.message(), a.agent(), a.error_type()) <
         std::tie(b.message(), b.agent(), b.error_type());
}

bool SameIssue(const v1::LeadIssue& a, const v1::LeadIssue& b) {
  return !IssueBefore(a, b) && !IssueBefore(b, a);
}

constexpr absl::string_view kEndedWithoutSuccess = "enrichment ended without success";

// An unsuccessful end that names neither a cause nor an agent: it says only
// that the run failed, which any other failure of the run says better.
bool IsBare(const v1::LeadIssue& issue) {
  return issue.agent().empty() && issue.message() == kEndedWithoutSuccess;
}

// True if `text` quotes `part`, long enough not to be a coincidence.
bool Quotes(const std::string& text, const std::string& part) {
  return part.size() >= 8 && absl::StrContains(text, part);
}

// Two reports of one failure: pipelines send the same message as an agent's
// failed end, a pipeline_error and the lead's unsuccessful end, the last
// often without the agent, or quoting the message ("X failed: <message>").
bool SameFailure(const v1::LeadIssue& a, const v1::LeadIssue& b) {
  return (a.agent() == b.agent() || a.agent().empty() || b.agent().empty()) &&
         (a.message() == b.message() || Quotes(a.message(), b.message()) ||
          Quotes(b.message(), a.message()));
}

// Folds `from` into `into` (a report of the same failure): the shorter
// message (the one not quoting the other), the agent and error type filled
// in, the later time. Symmetric, so the result does not depend on the order
// events arrive in.
void Merge(v1::LeadIssue* into, const v1::LeadIssue& from) {
  if (from.message().size() < into->message().size()) into->set_message(from.message());
  if (into->agent().empty()) into->set_agent(from.agent());
  if (from.error_type() > into->error_type()) into->set_error_type(from.error_type());
  KeepLatest(into->mutable_occurred_at(), from.occurred_at());
}

void SortAndTrim(google::protobuf::RepeatedPtrField<v1::LeadIssue>* warnings) {
  std::sort(warnings->begin(), warnings->end(), IssueBefore);
  if (warnings->size() > kMaxWarnings) {
    warnings->DeleteSubrange(0, warnings->size() - kMaxWarnings);
  }
}

void AddWarning(v1::Lead* lead, const v1::LeadIssue& issue) {
  if (lead->has_error() && SameFailure(lead->error(), issue)) {
    Merge(lead->mutable_error(), issue);
    return;
  }
  auto* warnings = lead->mutable_warnings();
  for (v1::LeadIssue& w : *warnings) {
    if (SameFailure(w, issue)) {
      Merge(&w, issue);
      SortAndTrim(warnings);
      return;
    }
  }
  *warnings->Add() = issue;
  SortAndTrim(warnings);
}

// Records a failure: the newest failure is the lead's error, older ones
// become warnings, whatever order they arrive in. Reports of the same
// failure become one issue, and a bare unsuccessful end gives way to any
// failure that says what went wrong.
void AddFailure(v1::Lead* lead, v1::LeadIssue issue) {
  auto* warnings = lead->mutable_warnings();
  for (int i = warnings->size() - 1; i >= 0; --i) {
    if (SameFailure(warnings->Get(i), issue)) {
      Merge(&issue, warnings->Get(i));
      warnings->DeleteSubrange(i, 1);
    }
  }
  const bool had_error = lead->has_error();
  v1::LeadIssue* error = lead->mutable_error();
  if (!had_error) {
    *error = std::move(issue);
  } else if (SameFailure(*error, issue)) {
    Merge(error, issue);
  } else if (IsBare(*error)) {
    *error = std::move(issue);
  } else if (IsBare(issue)) {
    // The failure is already told better.
  } else if (IssueBefore(*error, issue)) {
    v1::LeadIssue older = std::move(*error);
    *error = std::move(issue);
    AddWarning(lead, older);
  } else {
    AddWarning(lead, issue);
  }
}

v1::LeadIssue MakeIssue(const v1::PipelineEvent& event, absl::string_view fallback) {
  v1::LeadIssue issue;
  issue.set_message(event.message().empty() ? std::string(fallback) : event.message());
  issue.set_agent(event.agent_name());
  issue.set_error_type(event.error_type());
  *issue.mutable_occurred_at() = event.occurred_at();
  return issue;
}

bool IsEnd(v1::EventType type) {
  return type == v1::EVENT_TYPE_PIPELINE_END || type == v1::EVENT_TYPE_LEAD_ENRICHMENT_END;
}

std::string ActivityLine(const v1::PipelineEvent& event) {
  switch (event.type()) {
    case v1::EVENT_TYPE_AGENT_START:
      return event.message().empty() ? "started" : event.message();
    case v1::EVENT_TYPE_AGENT_END:
      if (event.success()) return "finished";
      return event.message().empty() ? "failed" : absl::StrCat("failed: ", event.message());
    case v1::EVENT_TYPE_TOOL_CALL_START:
      return absl::StrCat("calling ", event.tool_name().empty() ? "a tool" : event.tool_name());
    case v1::EVENT_TYPE_TOOL_CALL_OUTPUT:
      return absl::StrCat("reading ", event.tool_name().empty() ? "tool" : event.tool_name(),
                          " output");
    case v1::EVENT_TYPE_TOOL_CALL_END:
      return absl::StrCat(event.tool_name().empty() ? "tool" : event.tool_name(),
                          event.success() ? " done" : " failed");
    default:
      return event.message();
  }
}

// Agent activity: the event with the latest time wins; ties go to the
// greater (agent, activity) so that arrival order does not matter.
void RecordActivity(v1::Lead* lead, const v1::PipelineEvent& event) {
  const bool has_agent = !event.agent_name().empty();
  if (!has_agent && event.type() != v1::EVENT_TYPE_STATUS_UPDATE) return;
  std::string agent = has_agent ? event.agent_name() : lead->current_agent();
  std::string activity = ActivityLine(event);
  const Timestamp& t = event.occurred_at();
  const bool newer =
      !IsSet(lead->activity_at()) || Before(lead->activity_at(), t) ||
      (!Before(t, lead->activity_at()) &&
       std::tie(agent, activity) > std::tie(lead->current_agent(), lead->activity()));
  if (!newer) return;
  lead->set_current_agent(std::move(agent));
  lead->set_activity(std::move(activity));
  *lead->mutable_activity_at() = t;
}

// Who an event's move is attributed to: its agent, or else the pipeline
// event itself ("LEAD_GENERATED").
v1::Actor EventActor(const v1::PipelineEvent& event) {
  v1::Actor actor;
  if (!event.agent_name().empty()) {
    actor.set_kind(v1::ACTOR_KIND_AGENT);
    actor.set_name(event.agent_name());
  } else {
    actor.set_kind(v1::ACTOR_KIND_PIPELINE);
    actor.set_name(std::string(absl::StripPrefix(v1::EventType_Name(event.type()), "EVENT_TYPE_")));
  }
  return actor;
}

bool SameActor(const v1::Actor& a, const v1::Actor& b) {
  return a.kind() == b.kind() && a.name() == b.name();
}

// Copies the scores a card shows from the package; a score the package
// does not carry is unset.
void CopyScores(const v1::EnrichmentPackage& package, v1::Lead* lead) {
  if (package.has_analysis()) {
    lead->set_relevance_score(package.analysis().relevance_score());
  } else {
    lead->clear_relevance_score();
  }
  if (package.roi_potential_score() != 0) {
    lead->set_roi_potential_score(package.roi_potential_score());
  } else {
    lead->clear_roi_potential_score();
  }
  if (package.market_fit_score() != 0) {
    lead->set_market_fit_score(package.market_fit_score());
  } else {
    lead->clear_market_fit_score();
  }
}

// Exchanges the card's stage with the pipeline's, so that the run logic
// works on the pipeline's view while a person holds the card.
void SwapPipelineView(v1::Lead* lead) {
  std::string stage = lead->stage();
  lead->set_stage(lead->pipeline_stage());
  lead->set_pipeline_stage(std::move(stage));
  lead->mutable_stage_entered_at()->Swap(lead->mutable_pipeline_stage_entered_at());
}

std::string Quoted(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

}  // namespace

const std::string& PipelineStage(const v1::Lead& lead) {
  return lead.pipeline_stage().empty() ? lead.stage() : lead.pipeline_stage();
}

v1::LeadStatus StatusForStage(const BoardConfig& board, const std::string& stage) {
  const v1::BoardColumn* column = board.Find(stage);
  if (column == nullptr) return v1::LEAD_STATUS_UNSPECIFIED;
  switch (column->role()) {
    case v1::COLUMN_ROLE_SUCCESS:
      return v1::LEAD_STATUS_ENRICHED;
    case v1::COLUMN_ROLE_FAILURE:
      return v1::LEAD_STATUS_FAILED;
    default:
      return board.IsFirstWorkingColumn(stage) ? v1::LEAD_STATUS_HARVESTED
                                               : v1::LEAD_STATUS_ENRICHING;
  }
}

bool SameCard(const v1::Lead& a, const v1::Lead& b, bool compare_profile) {
  // Field by field, not by reflection: this runs for every event on the
  // commit thread. stage_engine_test changes every field of Lead in turn
  // and fails if one is not compared here.
  auto same_time = [](const Timestamp& x, const Timestamp& y) {
    return x.seconds() == y.seconds() && x.nanos() == y.nanos();
  };
  if (a.id() != b.id() || a.user_id() != b.user_id() || a.job_id() != b.job_id() ||
      a.stage() != b.stage() || a.status() != b.status() ||
      a.current_agent() != b.current_agent() || a.activity() != b.activity() ||
      a.qualification_tier() != b.qualification_tier() ||
      a.enrichment_stored() != b.enrichment_stored() ||
      !same_time(a.created_at(), b.created_at()) ||
      !same_time(a.stage_entered_at(), b.stage_entered_at()) ||
      !same_time(a.run_started_at(), b.run_started_at()) ||
      !same_time(a.activity_at(), b.activity_at()) ||
      !same_time(a.enriched_at(), b.enriched_at()) ||
      !same_time(a.previous_run_ended_at(), b.previous_run_ended_at()) ||
      a.has_error() != b.has_error() || (a.has_error() && !SameIssue(a.error(), b.error())) ||
      a.warnings_size() != b.warnings_size() || a.has_profile() != b.has_profile() ||
      a.has_relevance_score() != b.has_relevance_score() ||
      a.relevance_score() != b.relevance_score() ||
      a.has_roi_potential_score() != b.has_roi_potential_score() ||
      a.roi_potential_score() != b.roi_potential_score() ||
      a.has_market_fit_score() != b.has_market_fit_score() ||
      a.market_fit_score() != b.market_fit_score() ||
      !SameActor(a.stage_entered_by(), b.stage_entered_by()) ||
      a.has_stage_entered_by() != b.has_stage_entered_by() || a.stage_note() != b.stage_note() ||
      a.pipeline_stage() != b.pipeline_stage() ||
      !same_time(a.pipeline_stage_entered_at(), b.pipeline_stage_entered_at()) ||
      a.has_stalled_since() != b.has_stalled_since() ||
      !same_time(a.stalled_since(), b.stalled_since())) {
    return false;
  }
  for (int i = 0; i < a.warnings_size(); ++i) {
    if (!SameIssue(a.warnings(i), b.warnings(i))) return false;
  }
  return !compare_profile || MessageDifferencer::Equals(a.profile(), b.profile());
}


std::variant<LeadTransition, Rejection> StageEngine::ApplyToLead(
    const v1::Lead* current, const v1::PipelineEvent& event) const {
  if (current != nullptr && current->user_id() != event.user_id()) {
    return Rejection{"user_id", absl::StrCat("lead \"", event.lead_id(),
                                             "\" belongs to another user")};
  }
  LeadTransition out;
  v1::Lead& lead = out.lead;
  if (current != nullptr) {
    lead = *current;
    out.previous_stage = current->stage();
  } else {
    lead.set_id(event.lead_id());
    lead.set_user_id(event.user_id());
    lead.set_job_id(event.job_id());
  }
  const Timestamp& t = event.occurred_at();
  const v1::EventType type = event.type();
  // Any event of the lead, even a stale one, shows its pipeline is alive.
  lead.clear_stalled_since();
  KeepEarliest(lead.mutable_created_at(), t);
  // Leads stored before the pipeline's stage was kept apart: it is the card's.
  if (lead.pipeline_stage().empty()) {
    lead.set_pipeline_stage(lead.stage());
    *lead.mutable_pipeline_stage_entered_at() = lead.stage_entered_at();
  }
  // A person holds the card in a people's column: the run's logic works on
  // the pipeline's stage, and the card stays where the person put it.
  const bool held = board_.IsPeoples(lead.stage());
  if (held) SwapPipelineView(&lead);
  std::optional<v1::Actor> mover;  // who moved the pipeline's stage, if it moved
  if (event.has_lead()) {
    // Later profile data fills in and corrects earlier data, field by field.
    v1::LeadProfile merged = lead.profile();
    merged.MergeFrom(event.lead());
    *lead.mutable_profile() = std::move(merged);
  }

  const v1::BoardColumn* stage_column = board_.Find(lead.stage());
  const bool terminal = stage_column != nullptr && stage_column->terminal();
  bool enrichment_replaced = false;

  if (type == v1::EVENT_TYPE_LEAD_ENRICHMENT_START && terminal &&
      Before(lead.stage_entered_at(), t)) {
    // A newer run: the card leaves its terminal column.
    const v1::BoardColumn* start = board_.ColumnForEventType(type);
    lead.set_stage(start != nullptr ? start->id() : board_.columns().front().id());
    *lead.mutable_previous_run_ended_at() = lead.stage_entered_at();
    *lead.mutable_stage_entered_at() = t;
    mover = EventActor(event);
    *lead.mutable_run_started_at() = t;
    lead.set_job_id(event.job_id());
    lead.clear_error();
    lead.clear_warnings();
    lead.clear_current_agent();
    lead.clear_activity();
    lead.clear_activity_at();
  } else {
    // Run membership is fixed by when the previous run ended, so that it
    // does not depend on the order events arrive in: what occurred up to
    // that moment (the old run's end itself, repeated) is the old run's.
    const bool stale =
        IsSet(lead.previous_run_ended_at()) && !Before(lead.previous_run_ended_at(), t);
    if (type == v1::EVENT_TYPE_LEAD_ENRICHMENT_START && !stale) {
      KeepEarliest(lead.mutable_run_started_at(), t);
    }
    if (!stale) {
      // The stage this event implies, if any.
      const v1::BoardColumn* implied = board_.ColumnForEventType(type);
      if (IsEnd(type)) {
        implied = event.success() ? &board_.success_column() : &board_.failure_column();
      } else if (type == v1::EVENT_TYPE_PIPELINE_ERROR) {
        implied = &board_.failure_column();
      } else if (implied == nullptr && !event.agent_name().empty()) {
        implied = board_.ColumnForAgent(event.agent_name());
      }
      if (implied != nullptr) {
        const int implied_rank = board_.Rank(implied->id());
        const int current_rank = lead.stage().empty() ? -1 : board_.Rank(lead.stage());
        if (implied_rank > current_rank) {
          lead.set_stage(implied->id());
          *lead.mutable_stage_entered_at() = t;
          mover = EventActor(event);
        } else if (implied_rank == current_rank) {
          // The earliest event into the column moved it there; at equal
          // times the smaller actor name, so arrival order does not matter.
          const bool same_time = !Before(t, lead.stage_entered_at()) &&
                                 !Before(lead.stage_entered_at(), t);
          if (KeepEarliest(lead.mutable_stage_entered_at(), t) ||
              (same_time && !held && EventActor(event).name() < lead.stage_entered_by().name())) {
            mover = EventActor(event);
          }
        }
      }
      RecordActivity(&lead, event);

      if (type == v1::EVENT_TYPE_PIPELINE_ERROR) {
        AddFailure(&lead, MakeIssue(event, "pipeline error"));
      } else if (IsEnd(type) && !event.success()) {
        AddFailure(&lead, MakeIssue(event, kEndedWithoutSuccess));
      } else if (type == v1::EVENT_TYPE_AGENT_END && !event.success()) {
        AddWarning(&lead, MakeIssue(event, "agent failed"));
      }
      if (IsEnd(type) && event.success() && event.has_enrichment()) {
        const bool newer =
            !lead.enrichment_stored() || Before(lead.enriched_at(), t) ||
            (!Before(t, lead.enriched_at()) &&
             event.enrichment().SerializeAsString() > lead.enrichment().SerializeAsString());
        if (newer) {
          *lead.mutable_enrichment() = event.enrichment();
          *lead.mutable_enriched_at() = t;
          lead.set_enrichment_stored(true);
          lead.set_qualification_tier(event.enrichment().lead_qualification().tier());
          CopyScores(event.enrichment(), &lead);
          enrichment_replaced = true;
        }
      }
      KeepLatest(lead.mutable_updated_at(), t);
    }
  }

  // On an enriched lead, failures of the run are warnings.
  if (lead.has_error() &&
      board_.Find(lead.stage()) == &board_.success_column()) {
    v1::LeadIssue error = std::move(*lead.mutable_error());
    lead.clear_error();
    AddWarning(&lead, error);
  }
  lead.set_status(StatusForStage(board_, lead.stage()));
  if (held) {
    SwapPipelineView(&lead);
  } else {
    lead.set_pipeline_stage(lead.stage());
    *lead.mutable_pipeline_stage_entered_at() = lead.stage_entered_at();
    if (mover) {
      *lead.mutable_stage_entered_by() = *std::move(mover);
      lead.clear_stage_note();
    }
  }

  if (current == nullptr) {
    out.visible = true;
    out.kind = v1::CHANGE_KIND_CREATED;
  } else if (lead.stage() != current->stage()) {
    out.visible = true;
    if (lead.stage() == board_.success_column().id()) {
      out.kind = v1::CHANGE_KIND_ENRICHED;
    } else if (lead.stage() == board_.failure_column().id()) {
      out.kind = v1::CHANGE_KIND_FAILED;
    } else {
      out.kind = v1::CHANGE_KIND_STAGE_CHANGED;
    }
  } else if (enrichment_replaced && lead.stage() == board_.success_column().id() && !held) {
    out.visible = true;
    out.kind = v1::CHANGE_KIND_ENRICHED;
  } else if (enrichment_replaced ||
             !SameCard(lead, *current, /*compare_profile=*/event.has_lead())) {
    out.visible = true;
    out.kind = v1::CHANGE_KIND_UPDATED;
  }
  return out;
}

absl::StatusOr<LeadTransition> StageEngine::ApplyMove(const v1::Lead& current,
                                                      const Move& move) const {
  const v1::BoardColumn* target = board_.Find(move.to_stage);
  if (target == nullptr || !target->accepts_moves()) {
    return MoveTargetError(move.to_stage);
  }
  LeadTransition out;
  out.lead = current;
  out.previous_stage = current.stage();
  if (current.stage() == move.to_stage) return out;  // already there: a harmless retry
  if (move.expected_revision && *move.expected_revision != current.revision()) {
    const v1::Actor& by = current.stage_entered_by();
    return WithErrorInfo(
        absl::AbortedError(absl::StrCat(
            "lead ", Quoted(current.id()), " changed since revision ", *move.expected_revision,
            ": it is in ", Quoted(current.stage()), " at revision ", current.revision(),
            by.name().empty() ? "" : absl::StrCat(", moved there by ", by.name()))),
        "REVISION_MISMATCH",
        {{"lead_id", current.id()},
         {"stage", current.stage()},
         {"revision", absl::StrCat(current.revision())},
         {"actor", by.name()},
         {"actor_kind", std::string(absl::StripPrefix(v1::ActorKind_Name(by.kind()),
                                                      "ACTOR_KIND_"))}});
  }
  const v1::BoardColumn* from = board_.Find(current.stage());
  const bool movable = from != nullptr && (from->terminal() || board_.IsPeoples(from->id()));
  auto mid_run = [&](absl::string_view where) {
    return absl::FailedPreconditionError(absl::StrCat(
        "lead ", Quoted(current.id()), " is in the middle of an enrichment run (", where,
        current.current_agent().empty() ? "" : absl::StrCat(", agent ", current.current_agent(),
                                                           " at work"),
        "): people move leads once the pipeline is done with them"));
  };
  if (!movable) return mid_run(absl::StrCat("stage ", Quoted(current.stage())));
  const v1::BoardColumn* pipeline = board_.Find(current.pipeline_stage());
  if (target->role() == v1::COLUMN_ROLE_SUCCESS && pipeline != nullptr && !pipeline->terminal() &&
      !current.pipeline_stage().empty()) {
    return mid_run(absl::StrCat("being re-enriched, now in ", Quoted(current.pipeline_stage())));
  }
  v1::Lead& lead = out.lead;
  if (lead.pipeline_stage().empty()) {
    lead.set_pipeline_stage(lead.stage());
    *lead.mutable_pipeline_stage_entered_at() = lead.stage_entered_at();
  }
  lead.set_stage(move.to_stage);
  *lead.mutable_stage_entered_at() = move.at;
  *lead.mutable_stage_entered_by() = move.actor;
  lead.set_stage_note(move.note);
  if (target->role() == v1::COLUMN_ROLE_SUCCESS) {
    // Back to the pipeline's success column: automation takes the card
    // again (a newer run moves it), as for any enriched lead.
    lead.set_pipeline_stage(move.to_stage);
    *lead.mutable_pipeline_stage_entered_at() = move.at;
  }
  lead.set_status(StatusForStage(board_, lead.pipeline_stage()));
  KeepLatest(lead.mutable_updated_at(), move.at);
  out.visible = true;
  out.kind = v1::CHANGE_KIND_MOVED;
  return out;
}

absl::Status MoveTargetError(absl::string_view to_stage) {
  return InvalidFieldError(
      "to_stage", to_stage.empty()
                      ? "is required"
                      : absl::StrCat("column ", Quoted(to_stage),
                                     " does not accept moves by people: only the people's "
                                     "columns and the success column do (agents move cards "
                                     "through the others)"));
}

bool StageEngine::ApplyToJob(v1::Job* job, const v1::PipelineEvent& event) const {
  // In place, noting each real change: the commit thread runs this for
  // every event, and most events leave their job as it was.
  bool changed = false;
  if (job->id().empty()) {
    job->set_id(event.job_id());
    job->set_user_id(event.user_id());
    job->set_status(v1::JOB_STATUS_RUNNING);
    changed = true;
  }
  const Timestamp& t = event.occurred_at();
  if (job->has_stalled_since()) {
    job->clear_stalled_since();  // the job's pipeline is alive again
    changed = true;
  }
  changed |= KeepEarliest(job->mutable_started_at(), t);
  const bool job_level = event.lead_id().empty();
  switch (event.type()) {
    case v1::EVENT_TYPE_PIPELINE_START:
      if (!event.query().empty() && job->query() != event.query()) {
        job->set_query(event.query());
        changed = true;
      }
      if (event.max_leads() > 0 && job->max_leads() != event.max_leads()) {
        job->set_max_leads(event.max_leads());
        changed = true;
      }
      if (job->status() != v1::JOB_STATUS_RUNNING && Before(job->ended_at(), t)) {
        job->set_status(v1::JOB_STATUS_RUNNING);  // the job was restarted
        job->clear_ended_at();
        job->clear_error();
        changed = true;
      }
      break;
    case v1::EVENT_TYPE_PIPELINE_END:
      if (job_level && (job->status() == v1::JOB_STATUS_RUNNING || Before(job->ended_at(), t))) {
        job->set_status(event.success() ? v1::JOB_STATUS_SUCCEEDED : v1::JOB_STATUS_FAILED);
        *job->mutable_ended_at() = t;
        if (!event.success()) {
          job->set_error(event.message().empty() ? "pipeline ended without success"
                                                 : event.message());
        }
        changed = true;
      }
      break;
    case v1::EVENT_TYPE_PIPELINE_ERROR:
      if (job_level) {
        const std::string& error = event.message().empty() ? "pipeline error" : event.message();
        if (job->error() != error) {
          job->set_error(error);
          changed = true;
        }
      }
      break;
    case v1::EVENT_TYPE_STATUS_UPDATE:
      if (job_level && !event.message().empty() && job->activity() != event.message()) {
        job->set_activity(event.message());
        changed = true;
      }
      break;
    default:
      break;
  }
  return changed;
}

}  // namespace leadboard::engine
