#include "render.h"

#include <iomanip>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace leadboard::cli {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Humanize(const std::string& snake) {
  std::string out = absl::StrReplaceAll(snake, {{"_", " "}});
  if (!out.empty()) out[0] = absl::ascii_toupper(static_cast<unsigned char>(out[0]));
  return out;
}

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

std::string EnumShort(const google::protobuf::EnumValueDescriptor* value) {
  // QUALIFICATION_TIER_HIGH_POTENTIAL -> high potential
  std::string name = value->name();
  const std::string prefix = value->type()->name();
  std::string upper_prefix;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (i > 0 && absl::ascii_isupper(static_cast<unsigned char>(prefix[i]))) upper_prefix += '_';
    upper_prefix += absl::ascii_toupper(static_cast<unsigned char>(prefix[i]));
  }
  if (name.rfind(upper_prefix + "_", 0) == 0) name = name.substr(upper_prefix.size() + 1);
  return absl::AsciiStrToLower(absl::StrReplaceAll(name, {{"_", " "}}));
}

std::string Scalar(const Message& message, const FieldDescriptor* field, int index) {
  const Reflection* r = message.GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return repeated ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrCat(repeated ? r->GetRepeatedDouble(message, field, index)
                                   : r->GetDouble(message, field));
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(repeated ? r->GetRepeatedInt32(message, field, index)
                                   : r->GetInt32(message, field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(repeated ? r->GetRepeatedInt64(message, field, index)
                                   : r->GetInt64(message, field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field))
                 ? "yes"
                 : "no";
    case FieldDescriptor::CPPTYPE_ENUM:
      return EnumShort(repeated ? r->GetRepeatedEnum(message, field, index)
                                : r->GetEnum(message, field));
    default:
      return "";
  }
}

// Prints set fields of `message` as an indented outline.
void PrintMessage(const Message& message, int indent, std::ostream& out) {
  const std::string pad(indent, ' ');
  if (message.GetDescriptor()->full_name() == "google.protobuf.Timestamp") {
    out << pad << Time(static_cast<const google::protobuf::Timestamp&>(message)) << "\n";
    return;
  }
  if (message.GetDescriptor()->full_name() == "google.protobuf.Struct") {
    out << pad << ToJsonLine(message) << "\n";
    return;
  }
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string label = Humanize(field->name());
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        out << pad << label << ":\n";
        for (int i = 0; i < r->FieldSize(message, field); ++i) {
          out << pad << "  -\n";
          PrintMessage(r->GetRepeatedMessage(message, field, i), indent + 4, out);
        }
      } else {
        out << pad << label << ":\n";
        PrintMessage(r->GetMessage(message, field), indent + 2, out);
      }
    } else if (field->is_repeated()) {
      out << pad << label << ":\n";
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        out << pad << "  - " << Scalar(message, field, i) << "\n";
      }
    } else {
      out << pad << label << ": " << Scalar(message, field, 0) << "\n";
    }
  }
}

// "3d 4h", "2h 5m", "5m 2s", "12s".
std::string HumanDuration(const google::protobuf::Duration& d) {
  int64_t s = d.seconds();
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrCat(s / 60, "m ", s % 60, "s");
  if (s < 86400) return absl::StrCat(s / 3600, "h ", s % 3600 / 60, "m");
  return absl::StrCat(s / 86400, "d ", s % 86400 / 3600, "h");
}

// Step durations: milliseconds below a second, tenths below a minute.
std::string StepDuration(const google::protobuf::Duration& d) {
  const int64_t ms = d.seconds() * 1000 + d.nanos() / 1000000;
  if (ms < 1000) return absl::StrCat(ms, "ms");
  if (ms < 60000) return absl::StrCat(ms / 1000, ".", ms % 1000 / 100, "s");
  return HumanDuration(d);
}

std::string ActorText(const v1::Actor& actor) {
  switch (actor.kind()) {
    case v1::ACTOR_KIND_AGENT:
      return absl::StrCat("agent ", actor.name());
    case v1::ACTOR_KIND_PIPELINE:
      return absl::StrCat("pipeline ", actor.name());
    case v1::ACTOR_KIND_PERSON:
      return absl::StrCat("person ", actor.name());
    default:
      return "-";
  }
}

std::string Pad(const std::string& s, size_t width) {
  if (s.size() >= width) return s.substr(0, width - 1) + " ";
  return s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string ToJsonLine(const Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string ChangeLine(const v1::WatchLeadsResponse& response) {
  if (response.has_synced()) return absl::StrCat("-- synced at r", response.revision(), " (live from here)");
  if (response.has_progress()) return absl::StrCat("-- progress r", response.revision());
  const v1::LeadChange& change = response.lead_change();
  const v1::Lead& lead = change.lead();
  std::string kind = v1::ChangeKind_Name(change.kind()).substr(sizeof("CHANGE_KIND_") - 1);
  std::string move = change.previous_stage().empty() || change.previous_stage() == lead.stage()
                         ? lead.stage()
                         : absl::StrCat(change.previous_stage(), " -> ", lead.stage());
  std::string line = absl::StrCat("r", response.revision(), "\t", kind, "\t", lead.id(), "\t",
                                  move, "\t", lead.current_agent(), "\t",
                                  lead.profile().company_name());
  if (change.kind() == v1::CHANGE_KIND_MOVED) {
    absl::StrAppend(&line, "\tby ", change.actor().name());
    if (!change.note().empty()) absl::StrAppend(&line, ": ", change.note());
  }
  if (lead.has_error()) absl::StrAppend(&line, "\terror: ", lead.error().message());
  return line;
}

void PrintHistory(const v1::Lead& lead, std::ostream& out) {
  out << (lead.profile().company_name().empty() ? lead.id() : lead.profile().company_name())
      << "  [" << lead.id() << "]  now in " << lead.stage() << " (revision " << lead.revision()
      << ")\n";
  out << Pad("ENTERED", 21) << Pad("STAGE", 20) << Pad("FOR", 10) << Pad("BY", 36) << "NOTE\n";
  for (int i = 0; i < lead.history_size(); ++i) {
    const v1::StageVisit& visit = lead.history(i);
    const bool current = i + 1 == lead.history_size();
    out << Pad(Time(visit.entered_at()), 21) << Pad(visit.stage(), 20)
        << Pad(HumanDuration(visit.duration()) + (current ? "+" : ""), 10)
        << Pad(ActorText(visit.entered_by()), 36) << visit.note() << "\n";
  }
  out << "Time in stage:";
  for (const v1::StageTime& time : lead.time_in_stage()) {
    out << "  " << time.stage() << " " << HumanDuration(time.total())
        << (time.visits() > 1 ? absl::StrCat(" (", time.visits(), " visits)") : "");
  }
  out << "\n";
}

void PrintLead(const v1::Lead& lead, std::ostream& out) {
  out << (lead.profile().company_name().empty() ? lead.id() : lead.profile().company_name())
      << "  [" << lead.id() << "]\n";
  out << "Stage: " << lead.stage() << " (" << EnumShort(v1::LeadStatus_descriptor()->FindValueByNumber(lead.status()))
      << ")   Job: " << lead.job_id() << "   User: " << lead.user_id() << "   Revision: " << lead.revision() << "\n";
  if (!lead.current_agent().empty()) {
    out << "Agent: " << lead.current_agent() << " - " << lead.activity() << "\n";
  }
  if (lead.qualification_tier() != v1::QUALIFICATION_TIER_UNSPECIFIED) {
    out << "Qualification: " << EnumShort(v1::QualificationTier_descriptor()->FindValueByNumber(lead.qualification_tier())) << "\n";
  }
  out << "Created: " << Time(lead.created_at()) << "   Updated: " << Time(lead.updated_at())
      << "   In stage since: " << Time(lead.stage_entered_at()) << "\n";
  if (lead.has_error()) {
    out << "FAILED: " << lead.error().message();
    if (!lead.error().agent().empty()) out << " (in " << lead.error().agent() << ")";
    out << "\n";
  }
  for (const v1::LeadIssue& warning : lead.warnings()) {
    out << "Warning: " << warning.message();
    if (!warning.agent().empty()) out << " (in " << warning.agent() << ")";
    out << "\n";
  }
  out << "\n== Profile\n";
  PrintMessage(lead.profile(), 2, out);
  const Message& enrichment = lead.enrichment();
  const auto* descriptor = enrichment.GetDescriptor();
  const Reflection* r = enrichment.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    const bool present = field->is_repeated() ? r->FieldSize(enrichment, field) > 0
                                              : r->HasField(enrichment, field);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE && !field->is_repeated()) {
      if (present) out << "== " << Humanize(field->name()) << ": " << Scalar(enrichment, field, 0) << "\n";
      continue;
    }
    out << "\n== " << Humanize(field->name()) << "\n";
    if (!present) {
      out << "  (none found)\n";
    } else if (field->is_repeated() && field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      for (int k = 0; k < r->FieldSize(enrichment, field); ++k) {
        out << "  - " << Scalar(enrichment, field, k) << "\n";
      }
    } else if (field->is_repeated()) {
      for (int k = 0; k < r->FieldSize(enrichment, field); ++k) {
        out << "  -\n";
        PrintMessage(r->GetRepeatedMessage(enrichment, field, k), 4, out);
      }
    } else {
      PrintMessage(r->GetMessage(enrichment, field), 2, out);
    }
  }
}

void PrintLeadTable(const std::vector<v1::Lead>& leads, std::ostream& out) {
  out << Pad("LEAD", 24) << Pad("STAGE", 15) << Pad("COMPANY", 32) << Pad("AGENT", 34) << "UPDATED\n";
  for (const v1::Lead& lead : leads) {
    out << Pad(lead.id(), 24) << Pad(lead.stage(), 15) << Pad(lead.profile().company_name(), 32)
        << Pad(lead.current_agent(), 34) << Time(lead.updated_at());
    if (lead.has_stalled_since()) out << "  STALLED, no event since " << Time(lead.stalled_since());
    out << "\n";
  }
  out << leads.size() << " leads\n";
}

void PrintBoard(const v1::Board& board, std::ostream& out) {
  out << Pad("COLUMN", 20) << Pad("TITLE", 24) << "LEADS\n";
  int64_t total = 0;
  for (const v1::BoardColumn& column : board.columns()) {
    const char* mark = column.terminal()                          ? " *"
                       : column.role() == v1::COLUMN_ROLE_PEOPLE ? " +"
                                                                 : "";
    out << Pad(column.id(), 20) << Pad(column.title() + mark, 24) << column.lead_count()
        << (column.stalled_count() > 0 ? absl::StrCat(" (", column.stalled_count(), " stalled)")
                                       : "")
        << "\n";
    total += column.lead_count();
  }
  out << total << " leads at revision " << board.revision()
      << " (* terminal, + people move cards here with `leadboard move`)\n";
}

void PrintJobs(const std::vector<v1::Job>& jobs, std::ostream& out) {
  out << Pad("JOB", 24) << Pad("STATUS", 11) << Pad("LEADS", 7) << Pad("ENRICHED", 10)
      << Pad("FAILED", 8) << Pad("STARTED", 21) << "QUERY\n";
  for (const v1::Job& job : jobs) {
    const std::string status =
        job.has_stalled_since()
            ? "stalled"
            : EnumShort(v1::JobStatus_descriptor()->FindValueByNumber(job.status()));
    out << Pad(job.id(), 24) << Pad(status, 11)
        << Pad(absl::StrCat(job.lead_count()), 7) << Pad(absl::StrCat(job.enriched_count()), 10)
        << Pad(absl::StrCat(job.failed_count()), 8) << Pad(Time(job.started_at()), 21)
        << job.query() << "\n";
  }
}

void PrintTimeline(const v1::Lead& lead, std::ostream& out) {
  out << (lead.profile().company_name().empty() ? lead.id() : lead.profile().company_name())
      << "  [" << lead.id() << "]  now in " << lead.stage();
  if (lead.has_stalled_since()) out << ", STALLED (no event since " << Time(lead.stalled_since()) << ")";
  out << "\n";
  if (lead.runs_size() == 0) {
    out << "No enrichment run yet.\n";
    return;
  }
  for (int r = 0; r < lead.runs_size(); ++r) {
    const v1::AgentRun& run = lead.runs(r);
    out << "\nRun " << r + 1 << (r + 1 == lead.runs_size() ? " (current)" : "") << ": "
        << Time(run.started_at()) << " -> "
        << (run.has_ended_at() ? Time(run.ended_at()) : std::string("running")) << ", "
        << EnumShort(v1::LeadStatus_descriptor()->FindValueByNumber(run.outcome()))
        << (run.truncated() ? " (truncated: more events than kept)" : "") << "\n";
    out << "  " << Pad("STARTED", 21) << Pad("AGENT", 30) << Pad("TRY", 5) << Pad("TOOK", 9)
        << Pad("WAITED", 9) << Pad("TOOLS", 7) << "STATUS\n";
    for (const v1::AgentStep& step : run.steps()) {
      const std::string status =
          EnumShort(v1::StepStatus_descriptor()->FindValueByNumber(step.status()));
      out << "  " << Pad(Time(step.started_at()), 21)
          << Pad(step.agent_name().empty() ? step.agent() : step.agent_name(), 30)
          << Pad(absl::StrCat(step.attempt()), 5)
          << Pad(step.has_duration() ? StepDuration(step.duration()) : "-", 9)
          << Pad(step.has_wait_before() ? StepDuration(step.wait_before()) : "-", 9)
          << Pad(absl::StrCat(step.tool_calls()), 7) << status
          << (step.error().empty() ? "" : absl::StrCat(": ", step.error())) << "\n";
    }
  }
}

void PrintAgentStats(const v1::GetAgentStatsResponse& stats, std::ostream& out) {
  out << Pad("AGENT", 26) << Pad("STEPS", 8) << Pad("OK", 8) << Pad("FAILED", 8)
      << Pad("FAIL%", 7) << Pad("RUNNING", 9) << Pad("NEVER", 7) << Pad("RETRIES", 9)
      << Pad("P50", 9) << Pad("P95", 9) << "MAX\n";
  for (const v1::AgentStats& a : stats.agents()) {
    out << Pad(a.agent(), 26) << Pad(absl::StrCat(a.steps()), 8)
        << Pad(absl::StrCat(a.succeeded()), 8) << Pad(absl::StrCat(a.failed()), 8)
        << Pad(absl::StrFormat("%.1f", a.failure_rate() * 100), 7)
        << Pad(absl::StrCat(a.running()), 9) << Pad(absl::StrCat(a.unfinished()), 7)
        << Pad(absl::StrCat(a.retries()), 9)
        << Pad(a.has_p50() ? StepDuration(a.p50()) : "-", 9)
        << Pad(a.has_p95() ? StepDuration(a.p95()) : "-", 9)
        << (a.has_max() ? StepDuration(a.max()) : "-") << "\n";
  }
  out << stats.steps() << " steps (NEVER: never ended, their run ended without them)\n";
}

}  // namespace leadboard::cli
