// The PostgreSQL batch writer: COPY into session-local staging tables, one
// query per table for the batch's leads and jobs, COPY or multi-row
// statements for what it writes.
#include <soci/soci.h>

#include <functional>
#include <stdexcept>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "store/soci/batch_writer.h"
#include "store/soci/pg_copy.h"
#include "store/soci/write_sql.h"

namespace leadboard::store {
namespace {

// From this many rows a table's rows go in with COPY; fewer are sent in
// the statement itself (COPY costs round trips of its own).
constexpr size_t kCopyFrom = 16;

// One write of a batch: `head` (ROW), (ROW), ... `tail`, where ROW is
// `columns` placeholders; `bind(i, st)` exchanges row i's values in order
// (they must outlive the call). With no rows, just head and tail.
struct RowsPart {
  std::string head;
  size_t columns = 0;
  size_t rows = 0;
  std::string tail;
  std::function<void(size_t, soci::statement&)> bind;
};

// The writes as one statement, one round trip: every write but the last
// becomes a data-modifying WITH (they touch different tables, so none
// needs to see another's rows), placeholders numbered across them. Sent as
// a one-time query: a SOCI statement is otherwise a named prepared
// statement (parse, execute, DEALLOCATE: three round trips, each a pair of
// context switches that on two busy cores costs more than the statement).
void ExecuteParts(soci::session& sql, const std::vector<RowsPart>& parts) {
  if (parts.empty()) return;
  std::string query;
  size_t next = 0;
  for (size_t p = 0; p < parts.size(); ++p) {
    const RowsPart& part = parts[p];
    const bool last = p + 1 == parts.size();
    if (!last) absl::StrAppend(&query, p == 0 ? "WITH " : ", ", "w", p, " AS (");
    if (last && p > 0) query += " ";
    query += part.head;
    for (size_t i = 0; i < part.rows; ++i) {
      query += i == 0 ? "(" : ", (";
      for (size_t c = 0; c < part.columns; ++c) absl::StrAppend(&query, c == 0 ? ":p" : ", :p", next++);
      query += ")";
    }
    query += part.tail;
    if (!last) query += " RETURNING 1)";
  }
  soci::statement st(sql);
  for (const RowsPart& part : parts) {
    for (size_t i = 0; i < part.rows; ++i) part.bind(i, st);
  }
  st.alloc();
  st.prepare(query, soci::details::st_one_time_query);
  st.define_and_bind();
  st.execute(true);
}

RowsPart VisitsPart(const std::vector<Rows::Visit>& visits) {
  return RowsPart{std::string(sql_text::kInsertVisit), 7, visits.size(), "",
                  [&visits](size_t i, soci::statement& st) {
                    const Rows::Visit& row = visits[i];
                    st.exchange(soci::use(row.lead_id));
                    st.exchange(soci::use(row.revision));
                    st.exchange(soci::use(row.stage));
                    st.exchange(soci::use(row.entered_at));
                    st.exchange(soci::use(row.actor_kind));
                    st.exchange(soci::use(row.actor));
                    st.exchange(soci::use(row.note));
                  }};
}

// PostgreSQL: every event goes into a session-local staging table, then
// into events in one statement that says which were new; the leads (with
// their timelines) and jobs the batch touches are read in one query each.
// A large batch is staged with COPY; a small one (a quiet stream: latency
// matters most) with an INSERT of literals. Everything after the COPY is
// one script, one round trip.
absl::Status StagePostgresBatch(soci::session& sql,
                                const std::vector<const v1::PipelineEvent*>& events,
                                long long now, absl::flat_hash_set<std::string>* inserted,
                                LeadSlots* leads, JobSlots* jobs) {
  constexpr absl::string_view kColumns =
      "event_id, lead_id, job_id, user_id, type, occurred_at, received_at, payload";
  std::string script;
  if (events.size() >= kCopyFrom) {
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
    CopyIn(sql, absl::StrCat("COPY incoming_events (", kColumns, ") FROM STDIN"), rows);
  } else {
    absl::StrAppend(&script, "INSERT INTO incoming_events (", kColumns, ") VALUES ");
    for (size_t i = 0; i < events.size(); ++i) {
      const v1::PipelineEvent& event = *events[i];
      absl::StrAppend(&script, i == 0 ? "(" : ", (", Literal(sql, event.event_id()), ", ",
                      Literal(sql, event.lead_id()), ", ", Literal(sql, event.job_id()), ", ",
                      Literal(sql, event.user_id()), ", ", static_cast<int>(event.type()), ", ",
                      Micros(event.occurred_at()), ", ", now, ", ",
                      Literal(sql, ByteaText(Encode(event))), ")");
    }
    script += "; ";
  }
  script +=
      "INSERT INTO events SELECT * FROM incoming_events ON CONFLICT (event_id) DO NOTHING "
      "RETURNING event_id; "
      // A lead without a row has no timeline either.
      "SELECT l.lead_id, l.state, l.last_event_at, COALESCE(t.log, '') FROM leads l "
      "LEFT JOIN lead_timelines t ON t.lead_id = l.lead_id WHERE l.lead_id IN "
      "(SELECT lead_id FROM incoming_events WHERE lead_id <> ''); "
      "SELECT job_id, state, last_event_at FROM jobs WHERE job_id IN "
      "(SELECT job_id FROM incoming_events)";
  const std::vector<ScriptRows> results = QueryScript(sql, script);
  if (results.size() < 3) throw std::runtime_error("staging a batch: results missing");
  const size_t first = results.size() - 3;  // the staging INSERT's, if any, comes before
  for (const auto& row : results[first]) inserted->insert(row[0]);
  for (const auto& row : results[first + 1]) {
    LeadSlot& slot = (*leads)[row[0]];
    if (!absl::SimpleAtoi(row[2], &slot.last_event_at)) return CorruptRow("lead");
    if (absl::Status s = Decode(row[1], &slot.lead.emplace(), "lead"); !s.ok()) return s;
    if (absl::Status s = Decode(row[3], &slot.timeline, "timeline"); !s.ok()) return s;
  }
  for (const v1::PipelineEvent* event : events) {
    if (!event->lead_id().empty()) (*leads)[event->lead_id()].timeline_loaded = true;
  }
  for (const auto& row : results[first + 2]) {
    JobSlot& slot = (*jobs)[row[0]];
    if (!absl::SimpleAtoi(row[2], &slot.last_event_at)) return CorruptRow("job");
    if (absl::Status s = Decode(row[1], &slot.job.emplace(), "job"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// PostgreSQL: leads and timelines through staging tables (COPY cannot
// upsert), change rows straight in with COPY; a small batch (a quiet
// stream) sends its rows as statement parameters instead (COPY costs round
// trips of its own). Every write then goes in one statement (ExecuteParts),
// the enrichment packages after it (they update rows it may insert).
void WritePostgresRows(soci::session& sql, const Rows& rows, const std::vector<Change>& changes,
                       const long long& now) {
  using sql_text::kUpsertLead;
  using sql_text::kUpsertTimeline;
  std::vector<RowsPart> parts;
  // Payloads as bytea text for the parameters, alive until the statement ran.
  std::vector<std::string> lead_states, job_states, timeline_texts, change_payloads;
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
    parts.push_back(RowsPart{absl::StrCat(kUpsertLead.substr(0, kUpsertLead.find(" VALUES")),
                                          " SELECT ", sql_text::kLeadColumns,
                                          " FROM incoming_leads", sql_text::kUpsertLeadTail)});
  } else if (!rows.leads.empty()) {
    for (const Rows::Lead& row : rows.leads) lead_states.push_back(ByteaText(row.state));
    parts.push_back(RowsPart{std::string(kUpsertLead), sql_text::kLeadColumnCount,
                             rows.leads.size(), std::string(sql_text::kUpsertLeadTail),
                             [&](size_t i, soci::statement& st) {
                               const Rows::Lead& row = rows.leads[i];
                               st.exchange(soci::use(*row.id));
                               st.exchange(soci::use(row.lead->user_id()));
                               st.exchange(soci::use(row.lead->job_id()));
                               st.exchange(soci::use(row.lead->stage()));
                               st.exchange(soci::use(row.lead->pipeline_stage()));
                               st.exchange(soci::use(row.revision));
                               st.exchange(soci::use(lead_states[i]));
                               st.exchange(soci::use(row.last_event_at));
                               st.exchange(soci::use(row.stall_at));
                               st.exchange(soci::use(row.stalled_since));
                             }});
  }
  if (!rows.jobs.empty()) {
    for (const Rows::Job& row : rows.jobs) job_states.push_back(ByteaText(row.state));
    parts.push_back(RowsPart{std::string(sql_text::kUpsertJob), 6, rows.jobs.size(),
                             std::string(sql_text::kUpsertJobTail),
                             [&](size_t i, soci::statement& st) {
                               const Rows::Job& row = rows.jobs[i];
                               st.exchange(soci::use(*row.id));
                               st.exchange(soci::use(row.job->user_id()));
                               st.exchange(soci::use(row.started_at));
                               st.exchange(soci::use(job_states[i]));
                               st.exchange(soci::use(row.last_event_at));
                               st.exchange(soci::use(row.stall_at));
                             }});
  }
  std::vector<std::pair<const std::tuple<std::string, int, int>*, const StepTotalsDelta*>> totals;
  for (const auto& [key, delta] : rows.step_totals) {
    if (delta.steps != 0 || delta.total_us != 0 || delta.retries != 0) {
      totals.emplace_back(&key, &delta);
    }
  }
  if (!totals.empty()) {
    parts.push_back(RowsPart{std::string(sql_text::kAddStepTotals), 7, totals.size(),
                             std::string(sql_text::kAddStepTotalsTail),
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
    parts.push_back(RowsPart{absl::StrCat(kUpsertTimeline.substr(0, kUpsertTimeline.find(" VALUES")),
                                          " SELECT lead_id, log, steps, last_at FROM "
                                          "incoming_timelines",
                                          sql_text::kUpsertTimelineTail)});
  } else if (!rows.timelines.empty()) {
    for (const Rows::Timeline& t : rows.timelines) {
      timeline_texts.push_back(ByteaText(t.log));
      timeline_texts.push_back(ByteaText(t.steps));
    }
    parts.push_back(RowsPart{std::string(kUpsertTimeline), 4, rows.timelines.size(),
                             std::string(sql_text::kUpsertTimelineTail),
                             [&](size_t i, soci::statement& st) {
                               const Rows::Timeline& t = rows.timelines[i];
                               st.exchange(soci::use(*t.id));
                               st.exchange(soci::use(timeline_texts[2 * i]));
                               st.exchange(soci::use(timeline_texts[2 * i + 1]));
                               st.exchange(soci::use(t.last_at));
                             }});
  }
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
    for (const Change& change : changes) change_payloads.push_back(ByteaText(*change.wire));
    parts.push_back(RowsPart{std::string(sql_text::kInsertChange), 6, changes.size(), "",
                             [&](size_t i, soci::statement& st) {
                               st.exchange(soci::use(rows.change_revisions[i]));
                               st.exchange(soci::use(changes[i].lead_id));
                               st.exchange(soci::use(changes[i].user_id));
                               st.exchange(soci::use(changes[i].job_id));
                               st.exchange(soci::use(now));
                               st.exchange(soci::use(change_payloads[i]));
                             }});
  }
  if (!rows.visits.empty()) parts.push_back(VisitsPart(rows.visits));
  ExecuteParts(sql, parts);
  for (const auto& [package, id] : rows.enrichments) {
    const std::string text = ByteaText(package);  // bound by reference: must outlive the call
    sql << "UPDATE leads SET enrichment = :e WHERE lead_id = :id", soci::use(text),
        soci::use(*id);
  }
}


class PostgresBatchWriter final : public BatchWriter {
 public:
  explicit PostgresBatchWriter(soci::session& sql) : sql_(sql) {}

  // BEGIN and the lock in one round trip.
  long long Begin() override {
    const std::string revision =
        ExecScript(sql_, "BEGIN; SELECT revision FROM revision_counter WHERE id = 1 FOR UPDATE");
    long long value = 0;
    if (!absl::SimpleAtoi(revision, &value)) {
      throw std::runtime_error("the revision counter row is missing");
    }
    return value;
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

  // The counter, the notification and COMMIT in one round trip (the
  // revision is a number the server made, safe to write into the text).
  void Commit(long long start, long long revision) override {
    if (revision == start) {
      ExecScript(sql_, "COMMIT");
      return;
    }
    // One notification per committed batch: "SCHEMA REVISION", so that
    // deployments sharing a database in different schemas ignore each other.
    ExecScript(sql_, absl::StrCat("UPDATE revision_counter SET revision = ", revision,
                                  " WHERE id = 1; SELECT pg_notify('leadboard_changes', "
                                  "current_schema() || ' ", revision, "'); COMMIT"));
  }

 private:
  soci::session& sql_;
};

}  // namespace

std::unique_ptr<BatchWriter> MakePostgresBatchWriter(soci::session& sql) {
  return std::make_unique<PostgresBatchWriter>(sql);
}

}  // namespace leadboard::store
