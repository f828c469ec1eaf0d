#include "store/soci/batch_rows.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/stage_engine.h"
#include "engine/stage_history.h"
#include "store/soci/change_wire.h"

namespace leadboard::store {

using google::protobuf::Message;
using google::protobuf::Timestamp;

long long Micros(const Timestamp& t) {
  return static_cast<long long>(t.seconds()) * 1000000 + t.nanos() / 1000;
}

std::string Encode(const Message& message) { return message.SerializeAsString(); }

namespace {

// bytea's hex text form after its "\x": an even count of hex digits.
bool IsHex(absl::string_view hex) {
  if (hex.size() % 2 != 0) return false;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::Status CorruptRow(absl::string_view what) {
  return absl::InternalError(absl::StrCat("store: corrupt ", what, " row"));
}

absl::Status Decode(absl::string_view stored, Message* message, absl::string_view what,
                    std::string* bytes) {
  std::string decoded;
  const bool hex = absl::ConsumePrefix(&stored, "\\x");
  if (hex) {
    if (!IsHex(stored)) return CorruptRow(what);
    decoded = absl::HexStringToBytes(stored);
  }
  const absl::string_view raw = hex ? absl::string_view(decoded) : stored;
  if (!message->ParseFromArray(raw.data(), static_cast<int>(raw.size()))) return CorruptRow(what);
  if (bytes != nullptr) {
    if (hex) {
      *bytes = std::move(decoded);
    } else {
      bytes->assign(raw.data(), raw.size());
    }
  }
  return absl::OkStatus();
}

namespace {

JobStage CountedIn(const v1::Lead& lead) {
  return JobStage(lead.job_id(), engine::PipelineStage(lead));
}

}  // namespace

absl::Status LoadStoredLead(absl::string_view state, LeadSlot* slot) {
  absl::Status status = Decode(state, &slot->lead.emplace(), "lead");
  if (status.ok()) slot->counted_in = CountedIn(*slot->lead);
  return status;
}

absl::Status LoadStoredJob(absl::string_view state, JobSlot* slot) {
  absl::Status status = Decode(state, &slot->job.emplace(), "job");
  if (status.ok()) slot->stored_started_at = Micros(slot->job->started_at());
  return status;
}

Rows::Visit VisitRow(const v1::Lead& lead) {
  v1::StageVisit visit = engine::VisitOf(lead);
  return Rows::Visit{lead.id(),
                     visit.revision(),
                     visit.stage(),
                     Micros(visit.entered_at()),
                     static_cast<int>(visit.entered_by().kind()),
                     visit.entered_by().name(),
                     visit.note()};
}

namespace {

// When a deadline `limit` after `last_event_at` falls, in micros; 0 for
// none (no limit, or no event time known).
long long Deadline(long long last_event_at, absl::Duration limit) {
  if (last_event_at == 0 || limit == absl::InfiniteDuration()) return 0;
  return last_event_at + absl::ToInt64Microseconds(limit);
}

}  // namespace

long long LastAt(const engine::stored::TimelineLog& log) {
  return log.markers().empty() ? 0 : LastAtHour(log.markers().rbegin()->at_micros());
}

Rows GatherRows(LeadSlots& leads, const JobSlots& jobs, const std::vector<Change>& changes,
                std::vector<Rows::Visit> visits, const engine::BoardConfig& board) {
  Rows rows;
  rows.visits = std::move(visits);
  for (auto& [id, slot] : leads) {
    if (!slot.touched) continue;
    const v1::Lead& lead = *slot.lead;
    const std::string& pipeline_stage = engine::PipelineStage(lead);
    JobStage counted_in = CountedIn(lead);
    if (counted_in != slot.counted_in) {
      if (slot.counted_in && --rows.stage_counts[*slot.counted_in] == 0) {
        rows.stage_counts.erase(*slot.counted_in);
      }
      if (++rows.stage_counts[counted_in] == 0) rows.stage_counts.erase(counted_in);
    }
    const bool mid_run =
        engine::StatusForStage(board, pipeline_stage) == v1::LEAD_STATUS_ENRICHING;
    const long long stall_at = mid_run && !lead.has_stalled_since()
                                   ? Deadline(slot.last_event_at, board.StallAfter(pipeline_stage))
                                   : 0;
    std::optional<std::string> enrichment;
    if (slot.enrichment_dirty) enrichment = Encode(slot.lead->enrichment());
    rows.leads.push_back(Rows::Lead{&id, &lead, lead.revision(), SerializeCard(&*slot.lead),
                                    slot.last_event_at, stall_at,
                                    lead.has_stalled_since() ? Micros(lead.stalled_since()) : 0,
                                    std::move(enrichment), slot.job_changed});
    if (slot.hour_before) {
      // What the batch changes in the steps replaces the stored rows in
      // the totals: they are what the totals were counted from. A run
      // that ends changes its steps (running -> never ended) but not the
      // log: either one rewrites the row.
      std::vector<StepRow> steps = StepRowsOf(board, slot.timeline, lead);
      const bool steps_changed = DiffStepRows(slot.stored_steps, steps, &rows.step_totals);
      if (slot.timeline_dirty || steps_changed) {
        const long long hour = LastAt(slot.timeline);
        rows.timelines.push_back(Rows::Timeline{&id, Encode(slot.timeline), EncodeSteps(steps),
                                                hour, hour != *slot.hour_before});
      }
    }
  }
  for (const auto& [id, slot] : jobs) {
    if (slot.dirty) {
      const bool running = slot.job->status() == v1::JOB_STATUS_RUNNING;
      const long long stall_at = running && !slot.job->has_stalled_since()
                                     ? Deadline(slot.last_event_at, board.job_stall_after())
                                     : 0;
      const long long started_at = Micros(slot.job->started_at());
      rows.jobs.push_back(Rows::Job{&id, &*slot.job, started_at, Encode(*slot.job),
                                    slot.last_event_at, stall_at,
                                    started_at != slot.stored_started_at});
    }
  }
  for (const Change& change : changes) {
    rows.change_revisions.push_back(change.revision);
  }
  return rows;
}

}  // namespace leadboard::store
