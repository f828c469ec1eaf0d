// The PostgreSQL batch writer: COPY into session-local staging tables, one
// query per table for the batch's leads and jobs, COPY or multi-row
// statements for what it writes.
#include <soci/soci.h>

#include <functional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "store/soci/batch_writer.h"
#include "store/soci/pg_copy.h"
#include "store/soci/write_sql.h"

namespace leadboard::store {
namespace {

// Part of a statement: `head` (ROW), (ROW), ... `tail`, where ROW is
// `columns` placeholders; `bind(i, st)` exchanges row i's values in order
// (they must outlive the call). With no rows, just head and tail.
struct RowsPart {
  std::string head;
  size_t columns = 0;
  size_t rows = 0;
  std::string tail;
  std::function<void(size_t, soci::statement&)> bind;
};

// The parts as one statement, one round trip, placeholders numbered across
// them (a data-modifying WITH puts two writes in one statement).
void ExecuteParts(soci::session& sql, const std::vector<RowsPart>& parts) {
  std::string query;
  size_t next = 0;
  for (const RowsPart& part : parts) {
    query += part.head;
    for (size_t i = 0; i < part.rows; ++i) {
      query += i == 0 ? "(" : ", (";
      for (size_t c = 0; c < part.columns; ++c) absl::StrAppend(&query, c == 0 ? ":p" : ", :p", next++);
      query += ")";
    }
    query += part.tail;
  }
  soci::statement st(sql);
  for (const RowsPart& part : parts) {
    for (size_t i = 0; i < part.rows; ++i) part.bind(i, st);
  }
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute(true);
}

// One statement for many rows, one round trip instead of one per row.
void ExecuteRows(soci::session& sql, absl::string_view head, size_t columns, size_t rows,
                 absl::string_view tail,
                 const std::function<void(size_t, soci::statement&)>& bind) {
  ExecuteParts(sql, {RowsPart{std::string(head), columns, rows, std::string(tail), bind}});
}

void WriteVisits(soci::session& sql, const std::vector<Rows::Visit>& visits) {
  if (visits.empty()) return;
  ExecuteRows(sql, sql_text::kInsertVisit, 7, visits.size(), "",
              [&](size_t i, soci::statement& st) {
                const Rows::Visit& row = visits[i];
                st.exchange(soci::use(row.lead_id));
                st.exchange(soci::use(row.revision));
                st.exchange(soci::use(row.stage));
                st.exchange(soci::use(row.entered_at));
                st.exchange(soci::use(row.actor_kind));
                st.exchange(soci::use(row.actor));
                st.exchange(soci::use(row.note));
              });
}


// PostgreSQL: every event goes into a session-local staging table with
// COPY, then into events in one statement that says which were new; the
// leads and jobs the batch touches are read in one query each.
absl::Status StagePostgresBatch(soci::session& sql,
                                const std::vector<const v1::PipelineEvent*>& events,
                                long long now, absl::flat_hash_set<std::string>* inserted,
                                LeadSlots* leads, JobSlots* jobs) {
  CopyRows rows;
  for (const v1::PipelineEvent* event : events) {
    rows.Add(event->event_id())
        .Add(event->lead_id())
        .Add(event->job_id())
        .Add(event->user_id())
        .Add(static_cast<int64_t>(event->type()))
        .Add(Micros(event->occurred_at()))
        .Add(now)
        .AddBytes(Encode(*event))
        .EndRow();
  }
  CopyIn(sql,
         "COPY incoming_events (event_id, lead_id, job_id, user_id, type, occurred_at, "
         "received_at, payload) FROM STDIN",
         rows);
  std::vector<std::string> returned(events.size());
  soci::statement insert_events =
      (sql.prepare << "INSERT INTO events SELECT * FROM incoming_events "
                      "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
       soci::into(returned));
  if (!insert_events.execute(true)) returned.clear();
  inserted->insert(returned.begin(), returned.end());
  auto prefetch = [&](const char* query, auto&& store) -> absl::Status {
    std::vector<std::string> ids(events.size()), states(events.size());
    std::vector<long long> last(events.size());
    soci::statement select =
        (sql.prepare << query, soci::into(ids), soci::into(states), soci::into(last));
    if (!select.execute(true)) return absl::OkStatus();
    for (size_t i = 0; i < ids.size(); ++i) {
      absl::Status status = store(ids[i], states[i], last[i]);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  };
  // The batch's leads with their timelines, in one round trip: a lead
  // without a row has no timeline either.
  {
    std::vector<std::string> ids(events.size()), states(events.size()), logs(events.size());
    std::vector<long long> last(events.size());
    soci::statement select =
        (sql.prepare << "SELECT l.lead_id, l.state, l.last_event_at, COALESCE(t.log, '') FROM "
                        "leads l LEFT JOIN lead_timelines t ON t.lead_id = l.lead_id WHERE "
                        "l.lead_id IN (SELECT lead_id FROM incoming_events WHERE lead_id <> '')",
         soci::into(ids), soci::into(states), soci::into(last), soci::into(logs));
    if (!select.execute(true)) ids.clear();
    for (size_t i = 0; i < ids.size(); ++i) {
      LeadSlot& slot = (*leads)[ids[i]];
      slot.last_event_at = last[i];
      if (absl::Status s = Decode(states[i], &slot.lead.emplace(), "lead"); !s.ok()) return s;
      if (absl::Status s = Decode(logs[i], &slot.timeline, "timeline"); !s.ok()) return s;
    }
    for (const v1::PipelineEvent* event : events) {
      if (!event->lead_id().empty()) (*leads)[event->lead_id()].timeline_loaded = true;
    }
  }
  return prefetch(
      "SELECT job_id, state, last_event_at FROM jobs WHERE job_id IN "
      "(SELECT job_id FROM incoming_events)",
      [&](const std::string& id, const std::string& text, long long last) {
        JobSlot& slot = (*jobs)[id];
        slot.last_event_at = last;
        return Decode(text, &slot.job.emplace(), "job");
      });
}

// PostgreSQL: leads through a staging table (COPY cannot upsert), change
// rows straight in with COPY; jobs, a few per batch, in one statement. A
// small batch (a quiet stream) uses multi-row statements instead: fewer
// round trips, lower latency.
void WritePostgresRows(soci::session& sql, const Rows& rows, const std::vector<Change>& changes,
                       const long long& now) {
  using sql_text::kInsertChange;
  using sql_text::kUpsertJob;
  using sql_text::kUpsertJobTail;
  using sql_text::kUpsertLead;
  using sql_text::kUpsertLeadTail;
  constexpr size_t kCopyFrom = 16;
  if (rows.leads.size() >= kCopyFrom) {
    CopyRows copy;
    for (const Rows::Lead& row : rows.leads) {
      copy.Add(*row.id)
          .Add(row.lead->user_id())
          .Add(row.lead->job_id())
          .Add(row.lead->stage())
          .Add(row.lead->pipeline_stage())
          .Add(row.revision)
          .AddBytes(row.state)
          .Add(row.last_event_at)
          .Add(row.stall_at)
          .Add(row.stalled_since)
          .EndRow();
    }
    CopyIn(sql, absl::StrCat("COPY incoming_leads (", sql_text::kLeadColumns, ") FROM STDIN"),
           copy);
    sql << absl::StrCat(kUpsertLead.substr(0, kUpsertLead.find(" VALUES")), " SELECT ",
                        sql_text::kLeadColumns, " FROM incoming_leads", kUpsertLeadTail);
  } else if (!rows.leads.empty()) {
    std::vector<std::string> states;
    for (const Rows::Lead& row : rows.leads) states.push_back(ByteaText(row.state));
    ExecuteRows(sql, kUpsertLead, sql_text::kLeadColumnCount, rows.leads.size(),
                kUpsertLeadTail, [&](size_t i, soci::statement& st) {
                  const Rows::Lead& row = rows.leads[i];
                  st.exchange(soci::use(*row.id));
                  st.exchange(soci::use(row.lead->user_id()));
                  st.exchange(soci::use(row.lead->job_id()));
                  st.exchange(soci::use(row.lead->stage()));
                  st.exchange(soci::use(row.lead->pipeline_stage()));
                  st.exchange(soci::use(row.revision));
                  st.exchange(soci::use(states[i]));
                  st.exchange(soci::use(row.last_event_at));
                  st.exchange(soci::use(row.stall_at));
                  st.exchange(soci::use(row.stalled_since));
                });
  }
  if (!rows.jobs.empty()) {
    std::vector<std::string> states;
    for (const Rows::Job& row : rows.jobs) states.push_back(ByteaText(row.state));
    ExecuteRows(sql, kUpsertJob, 6, rows.jobs.size(), kUpsertJobTail,
                [&](size_t i, soci::statement& st) {
                  const Rows::Job& row = rows.jobs[i];
                  st.exchange(soci::use(*row.id));
                  st.exchange(soci::use(row.job->user_id()));
                  st.exchange(soci::use(row.started_at));
                  st.exchange(soci::use(states[i]));
                  st.exchange(soci::use(row.last_event_at));
                  st.exchange(soci::use(row.stall_at));
                });
  }
  // Timelines, and the step totals they change, in one statement: the
  // totals ride in a data-modifying WITH (a round trip saved per batch).
  std::vector<std::pair<const std::tuple<std::string, int, int>*, const StepTotalsDelta*>> totals;
  for (const auto& [key, delta] : rows.step_totals) {
    if (delta.steps != 0 || delta.total_us != 0 || delta.retries != 0) {
      totals.emplace_back(&key, &delta);
    }
  }
  std::vector<RowsPart> parts;
  std::vector<std::string> timeline_texts;  // each timeline's log and steps as bytea text
  if (!totals.empty()) {
    parts.push_back(RowsPart{
        absl::StrCat("WITH totals AS (", sql_text::kAddStepTotals), 7, totals.size(),
        absl::StrCat(sql_text::kAddStepTotalsTail, " RETURNING 1) "),
        [&](size_t i, soci::statement& st) {
          st.exchange(soci::use(std::get<0>(*totals[i].first)));
          st.exchange(soci::use(std::get<1>(*totals[i].first)));
          st.exchange(soci::use(std::get<2>(*totals[i].first)));
          st.exchange(soci::use(totals[i].second->steps));
          st.exchange(soci::use(totals[i].second->total_us));
          st.exchange(soci::use(totals[i].second->retries));
          st.exchange(soci::use(totals[i].second->max_us));
        }});
  }
  if (rows.timelines.size() >= kCopyFrom) {
    CopyRows copy;
    for (const Rows::Timeline& t : rows.timelines) {
      copy.Add(*t.id).AddBytes(t.log).AddBytes(t.steps).Add(t.last_at).EndRow();
    }
    CopyIn(sql, "COPY incoming_timelines (lead_id, log, steps, last_at) FROM STDIN", copy);
    parts.push_back(RowsPart{
        absl::StrCat(sql_text::kUpsertTimeline.substr(0, sql_text::kUpsertTimeline.find(" VALUES")),
                     " SELECT lead_id, log, steps, last_at FROM incoming_timelines",
                     sql_text::kUpsertTimelineTail)});
  } else if (!rows.timelines.empty()) {
    for (const Rows::Timeline& t : rows.timelines) {
      timeline_texts.push_back(ByteaText(t.log));
      timeline_texts.push_back(ByteaText(t.steps));
    }
    parts.push_back(RowsPart{std::string(sql_text::kUpsertTimeline), 4, rows.timelines.size(),
                             std::string(sql_text::kUpsertTimelineTail),
                             [&](size_t i, soci::statement& st) {
                               const Rows::Timeline& t = rows.timelines[i];
                               st.exchange(soci::use(*t.id));
                               st.exchange(soci::use(timeline_texts[2 * i]));
                               st.exchange(soci::use(timeline_texts[2 * i + 1]));
                               st.exchange(soci::use(t.last_at));
                             }});
  } else if (!parts.empty()) {
    parts.push_back(RowsPart{"SELECT 1"});  // totals alone (not expected: they come with steps)
  }
  if (!parts.empty()) ExecuteParts(sql, parts);
  if (changes.size() >= kCopyFrom) {
    CopyRows copy;
    for (size_t i = 0; i < changes.size(); ++i) {
      copy.Add(changes[i].revision)
          .Add(changes[i].lead_id)
          .Add(changes[i].user_id)
          .Add(changes[i].job_id)
          .Add(now)
          .AddBytes(*changes[i].wire)
          .EndRow();
    }
    CopyIn(sql,
           "COPY changes (revision, lead_id, user_id, job_id, committed_at, payload) FROM STDIN",
           copy);
  } else if (!changes.empty()) {
    std::vector<std::string> payloads;
    for (const Change& change : changes) payloads.push_back(ByteaText(*change.wire));
    ExecuteRows(sql, kInsertChange, 6, changes.size(), "", [&](size_t i, soci::statement& st) {
      st.exchange(soci::use(rows.change_revisions[i]));
      st.exchange(soci::use(changes[i].lead_id));
      st.exchange(soci::use(changes[i].user_id));
      st.exchange(soci::use(changes[i].job_id));
      st.exchange(soci::use(now));
      st.exchange(soci::use(payloads[i]));
    });
  }
  WriteVisits(sql, rows.visits);
  // Enrichment packages: one per enriched lead, after its row exists.
  for (const auto& [package, id] : rows.enrichments) {
    const std::string text = ByteaText(package);  // bound by reference: must outlive the call
    sql << "UPDATE leads SET enrichment = :e WHERE lead_id = :id", soci::use(text),
        soci::use(*id);
  }
}


class PostgresBatchWriter final : public BatchWriter {
 public:
  explicit PostgresBatchWriter(soci::session& sql) : sql_(sql) {}

  long long Begin() override {
    long long revision = 0;
    sql_ << "BEGIN";
    sql_ << "SELECT revision FROM revision_counter WHERE id = 1 FOR UPDATE", soci::into(revision);
    return revision;
  }

  absl::Status StoreEvents(const std::vector<const v1::PipelineEvent*>& events, long long now,
                           std::vector<bool>* is_new, LeadSlots* leads, JobSlots* jobs) override {
    absl::flat_hash_set<std::string> inserted;
    absl::Status staged = StagePostgresBatch(sql_, events, now, &inserted, leads, jobs);
    if (!staged.ok()) return staged;
    is_new->resize(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      (*is_new)[i] = inserted.erase(events[i]->event_id()) == 1;  // a repeat in the batch: gone
    }
    return absl::OkStatus();
  }

  // Every lead and job of the batch was read up front: a fresh slot is new.
  absl::Status LoadLead(const std::string&, LeadSlot*) override { return absl::OkStatus(); }
  absl::Status LoadJob(const std::string&, JobSlot*) override { return absl::OkStatus(); }
  // Read up front too, with the batch's leads.
  absl::Status LoadTimeline(const std::string& id, LeadSlot* slot) override {
    if (slot->timeline_loaded) return absl::OkStatus();
    std::string text;
    soci::indicator ind = soci::i_null;
    sql_ << "SELECT log FROM lead_timelines WHERE lead_id = :id", soci::use(id),
        soci::into(text, ind);
    slot->timeline_loaded = true;
    if (!sql_.got_data() || ind != soci::i_ok) return absl::OkStatus();
    return Decode(text, &slot->timeline, "timeline");
  }

  void DeleteEvent(const std::string& event_id) override {
    sql_ << "DELETE FROM events WHERE event_id = :id", soci::use(event_id);
  }

  void WriteRows(Rows* rows, const std::vector<Change>& changes, long long now) override {
    WritePostgresRows(sql_, *rows, changes, now);
  }

  void Commit(long long start, long long revision) override {
    if (revision != start) {
      sql_ << "UPDATE revision_counter SET revision = :r WHERE id = 1", soci::use(revision);
      // One notification per committed batch: "SCHEMA REVISION", so that
      // deployments sharing a database in different schemas ignore each other.
      std::string payload = absl::StrCat(" ", revision);
      sql_ << "SELECT pg_notify('leadboard_changes', current_schema() || :p)", soci::use(payload);
    }
    sql_ << "COMMIT";
  }

 private:
  soci::session& sql_;
};

}  // namespace

std::unique_ptr<BatchWriter> MakePostgresBatchWriter(soci::session& sql) {
  return std::make_unique<PostgresBatchWriter>(sql);
}

}  // namespace leadboard::store
