// The SQLite batch writer: the writer's prepared statements
// (SqliteStatements), one row at a time.
#include <soci/soci.h>

#include <tuple>

#include "store/soci/batch_writer.h"
#include "store/soci/sqlite_statements.h"

namespace leadboard::store {
namespace {

class SqliteBatchWriter final : public BatchWriter {
 public:
  explicit SqliteBatchWriter(soci::session& sql) : lite_(sql) {}

  long long Begin() override {
    lite_.begin.execute(true);
    SqliteStatements::ReadOne(lite_.read_revision);
    return lite_.revision;
  }

  absl::StatusOr<long long> BeginBatch(const std::vector<const v1::PipelineEvent*>& events,
                                       long long now, std::vector<bool>* is_new, LeadSlots*,
                                       JobSlots*) override {
    const long long start = Begin();
    lite_.now = now;
    is_new->resize(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      const v1::PipelineEvent& event = *events[i];
      lite_.id = event.event_id();
      lite_.lead = event.lead_id();
      lite_.job = event.job_id();
      lite_.user = event.user_id();
      lite_.type = static_cast<int>(event.type());
      lite_.number = Micros(event.occurred_at());
      lite_.payload = Encode(event);
      lite_.insert_event.execute(true);
      (*is_new)[i] = lite_.insert_event.get_affected_rows() != 0;
    }
    return start;
  }

  absl::Status LoadLead(const std::string& id, LeadSlot* slot) override {
    return LoadRow(lite_.select_lead, id, slot, &LoadStoredLead);
  }
  absl::Status LoadJob(const std::string& id, JobSlot* slot) override {
    return LoadRow(lite_.select_job, id, slot, &LoadStoredJob);
  }
  absl::Status LoadTimeline(const std::string& id, LeadSlot* slot) override {
    std::optional<engine::stored::TimelineLog> log;
    absl::Status status = Load(lite_.select_timeline, id, &log, "timeline");
    slot->timeline_loaded = true;
    if (!status.ok() || !log) return status;
    slot->timeline = std::move(*log);
    return DecodeSteps(lite_.payload, &slot->stored_steps);
  }

  void DeleteEvent(const std::string& event_id) override {
    lite_.id = event_id;
    lite_.delete_event.execute(true);
  }

  void Commit(Rows* rows, const std::vector<Change>& changes, long long now, long long start,
              long long revision) override {
    WriteRows(rows, changes, now);
    if (revision != start) {
      lite_.revision = revision;
      lite_.update_revision.execute(true);
    }
    lite_.commit.execute(true);
  }

 private:
  void WriteRows(Rows* rows, const std::vector<Change>& changes, long long now) {
    lite_.now = now;  // the changes' committed_at
    for (Rows::Lead& row : rows->leads) {
      lite_.id = *row.id;
      lite_.user = row.lead->user_id();
      lite_.job = row.lead->job_id();
      lite_.stage = row.lead->stage();
      lite_.pipeline_stage = row.lead->pipeline_stage();
      lite_.number = row.revision;
      lite_.state.swap(row.state);
      lite_.last_event_at = row.last_event_at;
      lite_.stall_at = row.stall_at;
      lite_.stalled_since = row.stalled_since;
      lite_.payload_indicator = row.enrichment ? soci::i_ok : soci::i_null;
      if (row.enrichment) lite_.payload.swap(*row.enrichment);
      (row.job_changed ? lite_.upsert_lead_new_job : lite_.upsert_lead).execute(true);
    }
    for (Rows::Job& row : rows->jobs) {
      lite_.id = *row.id;
      lite_.user = row.job->user_id();
      lite_.number = row.started_at;
      lite_.state.swap(row.state);
      lite_.last_event_at = row.last_event_at;
      lite_.stall_at = row.stall_at;
      (row.new_start ? lite_.upsert_job_new_start : lite_.upsert_job).execute(true);
    }
    for (Rows::Timeline& t : rows->timelines) {
      lite_.id = *t.id;
      lite_.state.swap(t.log);
      lite_.payload.swap(t.steps);
      lite_.number = t.last_at;
      (t.new_hour ? lite_.upsert_timeline_new_hour : lite_.upsert_timeline).execute(true);
    }
    for (const auto& [key, delta] : rows->step_totals) {
      if (delta.steps == 0 && delta.total_us == 0 && delta.retries == 0) continue;
      std::tie(lite_.stage, lite_.status, lite_.bucket) = key;
      lite_.steps = delta.steps;
      lite_.total_us = delta.total_us;
      lite_.retries = delta.retries;
      lite_.max_us = delta.max_us;
      lite_.add_step_totals.execute(true);
    }
    for (const auto& [key, leads] : rows->stage_counts) {
      std::tie(lite_.job, lite_.stage) = key;
      lite_.number = leads;
      lite_.add_stage_count.execute(true);
    }
    for (size_t i = 0; i < changes.size(); ++i) {
      lite_.number = rows->change_revisions[i];
      lite_.lead = changes[i].lead_id;
      lite_.user = changes[i].user_id;
      lite_.job = changes[i].job_id;
      lite_.payload = *changes[i].wire;
      lite_.insert_change.execute(true);
    }
    for (Rows::Visit& visit : rows->visits) {
      lite_.lead.swap(visit.lead_id);
      lite_.number = visit.revision;
      lite_.stage.swap(visit.stage);
      lite_.visit_at = visit.entered_at;
      lite_.kind = visit.actor_kind;
      lite_.actor.swap(visit.actor);
      lite_.note.swap(visit.note);
      lite_.insert_visit.execute(true);
    }
  }

  // A lead's or job's row, if stored: its last event, and its state
  // through `load`.
  template <typename Slot>
  absl::Status LoadRow(soci::statement& select, const std::string& id, Slot* slot,
                       absl::Status (*load)(absl::string_view, Slot*)) {
    lite_.id = id;
    if (!SqliteStatements::ReadOne(select) || lite_.state_indicator != soci::i_ok) {
      return absl::OkStatus();
    }
    slot->last_event_at = lite_.last_event_at;
    return load(lite_.state, slot);
  }

  template <typename Message>
  absl::Status Load(soci::statement& select, const std::string& id,
                    std::optional<Message>* into, absl::string_view what) {
    lite_.id = id;
    if (SqliteStatements::ReadOne(select) && lite_.state_indicator == soci::i_ok) {
      return Decode(lite_.state, &into->emplace(), what);
    }
    return absl::OkStatus();
  }

  SqliteStatements lite_;
};

}  // namespace

std::unique_ptr<BatchWriter> MakeSqliteBatchWriter(soci::session& sql) {
  return std::make_unique<SqliteBatchWriter>(sql);
}

}  // namespace leadboard::store
