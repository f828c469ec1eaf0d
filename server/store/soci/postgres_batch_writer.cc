// The PostgreSQL batch writer: BEGIN with the reads of the batch's leads
// and jobs in one script; binary COPY for a large batch's events and
// changes (and, through session-local staging tables, the leads and
// timelines it upserts), multi-row statements of literals for the rest; a
// small batch in two round trips.
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <stdexcept>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "store/soci/batch_writer.h"
#include "store/soci/pg_copy.h"
#include "store/soci/write_sql.h"

namespace leadboard::store {
namespace {

// From this many rows a table's rows go in with COPY; fewer are sent in
// the statement itself (COPY costs round trips of its own).
constexpr size_t kCopyFrom = 16;

// One write of a batch: `head`, then `rows` (each "(v1, v2, ...)" of
// literals) separated by commas, then `tail`; with no rows, head and tail.
struct RowsPart {
  std::string head;
  std::vector<std::string> rows;
  std::string tail;
};

// The writes as one statement: every write but the last becomes a
// data-modifying WITH (they touch different tables, so none needs to see
// another's rows). With its values as literals it can share a script, and
// so a round trip, with the rest of the commit: on two busy cores each
// round trip is a pair of context switches that costs more than the
// statement.
std::string WritesStatement(const std::vector<RowsPart>& parts) {
  std::string query;
  for (size_t p = 0; p < parts.size(); ++p) {
    const RowsPart& part = parts[p];
    const bool last = p + 1 == parts.size();
    if (!last) absl::StrAppend(&query, p == 0 ? "WITH " : ", ", "w", p, " AS (");
    if (last && p > 0) query += " ";
    absl::StrAppend(&query, part.head, absl::StrJoin(part.rows, ", "), part.tail);
    if (!last) query += " RETURNING 1)";
  }
  return query;
}

// A row of literals for a script: strings quoted by libpq, numbers as they
// are. Bytes go in as their bytea text (ByteaText), quoted.
class LiteralRow {
 public:
  explicit LiteralRow(soci::session& sql) : sql_(sql) {}
  LiteralRow& Add(absl::string_view text) { return Append(Literal(sql_, text)); }
  LiteralRow& Add(long long number) { return Append(absl::StrCat(number)); }
  LiteralRow& AddInt32(int number) { return Append(absl::StrCat(number)); }
  LiteralRow& AddBytes(absl::string_view bytes) { return Add(ByteaText(bytes)); }
  LiteralRow& AddBytesOrNull(const std::optional<std::string>& bytes) {
    return bytes ? AddBytes(*bytes) : Append("NULL");
  }
  std::string Done() { return absl::StrCat(text_, ")"); }

 private:
  LiteralRow& Append(absl::string_view value) {
    absl::StrAppend(&text_, text_.empty() ? "(" : ", ", value);
    return *this;
  }
  soci::session& sql_;
  std::string text_;
};

// A row's fields in column order, for COPY (CopyRows) or for a statement
// (LiteralRow): one list per table, whichever way the rows go in.
template <typename Row>
Row& EventFields(Row& out, const v1::PipelineEvent& event, long long now) {
  return out.Add(event.event_id())
      .Add(event.lead_id())
      .Add(event.job_id())
      .Add(event.user_id())
      .AddInt32(event.type())
      .Add(Micros(event.occurred_at()))
      .Add(now)
      .AddBytes(Encode(event));
}
template <typename Row>
Row& LeadFields(Row& out, const Rows::Lead& row) {
  return out.Add(*row.id)
      .Add(row.lead->user_id())
      .Add(row.lead->job_id())
      .Add(row.lead->stage())
      .Add(row.lead->pipeline_stage())
      .Add(row.revision)
      .AddBytes(row.state)
      .Add(row.last_event_at)
      .Add(row.stall_at)
      .Add(row.stalled_since)
      .AddBytesOrNull(row.enrichment);
}
template <typename Row>
Row& TimelineFields(Row& out, const Rows::Timeline& t) {
  return out.Add(*t.id).AddBytes(t.log).AddBytes(t.steps).Add(t.last_at);
}
template <typename Row>
Row& ChangeFields(Row& out, const Change& change, long long now) {
  return out.Add(change.revision)
      .Add(change.lead_id)
      .Add(change.user_id)
      .Add(change.job_id)
      .Add(now)
      .AddBytes(*change.wire);
}

RowsPart VisitsPart(soci::session& sql, const std::vector<Rows::Visit>& visits) {
  RowsPart part{std::string(sql_text::kInsertVisit), {}, ""};
  for (const Rows::Visit& row : visits) {
    part.rows.push_back(LiteralRow(sql)
                            .Add(row.lead_id)
                            .Add(row.revision)
                            .Add(row.stage)
                            .Add(row.entered_at)
                            .Add(row.actor_kind)
                            .Add(row.actor)
                            .Add(row.note)
                            .Done());
  }
  return part;
}

// BEGIN and the revision counter's lock: the revision is the script's
// second result.
constexpr absl::string_view kBegin =
    "BEGIN; SELECT revision FROM revision_counter WHERE id = 1 FOR UPDATE";

long long ParseRevision(const std::string& text) {
  long long value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    throw std::runtime_error("the revision counter row is missing");
  }
  return value;
}

// kBegin on its own, one round trip: the last revision.
long long BeginAlone(soci::session& sql) {
  return ParseRevision(ExecScript(sql, std::string(kBegin)));
}

// PostgreSQL: the transaction begins with the counter's lock, in the same
// script as the reads of the leads (with their timelines) and jobs the
// batch touches, each one query naming its keys as literals. With `copy`
// (a large batch) the events then go straight into events with COPY, all
// taken as new: a resend's events are rare, and one already stored fails
// the COPY (the caller starts over without `copy`). Without it (a quiet
// stream: latency matters most) the script inserts them itself, one
// statement saying which were new: one round trip in all. No staging table
// is touched: at commit PostgreSQL empties every ON COMMIT DELETE ROWS
// table of a transaction that used one (a truncation and an index rebuild
// each, ~25 % of its CPU at 1,000 events/s, perf), and a staged copy of
// each event was written twice. Sets `*start` to the last revision.
absl::Status StageBatch(soci::session& sql, const std::vector<const v1::PipelineEvent*>& events,
                        long long now, bool copy, long long* start,
                        absl::flat_hash_set<std::string>* inserted, LeadSlots* leads,
                        JobSlots* jobs) {
  constexpr absl::string_view kColumns =
      "event_id, lead_id, job_id, user_id, type, occurred_at, received_at, payload";
  std::string script(kBegin), lead_list, job_list;
  if (!copy) absl::StrAppend(&script, "; INSERT INTO events (", kColumns, ") VALUES ");
  absl::flat_hash_set<absl::string_view> lead_ids, job_ids;
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::PipelineEvent& event = *events[i];
    if (!copy) {
      LiteralRow row(sql);
      absl::StrAppend(&script, i == 0 ? "" : ", ", EventFields(row, event, now).Done());
    }
    if (!event.lead_id().empty() && lead_ids.insert(event.lead_id()).second) {
      absl::StrAppend(&lead_list, lead_list.empty() ? "" : ", ", Literal(sql, event.lead_id()));
    }
    if (job_ids.insert(event.job_id()).second) {
      absl::StrAppend(&job_list, job_list.empty() ? "" : ", ", Literal(sql, event.job_id()));
    }
  }
  if (!copy) script += " ON CONFLICT (event_id) DO NOTHING RETURNING event_id";
  absl::StrAppend(&script,
                  // A lead without a row has no timeline either; no lead
                  // named: a list that matches none.
                  "; SELECT l.lead_id, l.state, l.last_event_at, t.log, t.steps FROM leads l "
                  "LEFT JOIN lead_timelines t ON t.lead_id = l.lead_id WHERE l.lead_id IN (",
                  lead_list.empty() ? "NULL" : lead_list,
                  "); SELECT job_id, state, last_event_at FROM jobs WHERE job_id IN (", job_list,
                  ")");
  const std::vector<ScriptRows> results = QueryScript(sql, script);
  // BEGIN's, the counter's, the INSERT's (without `copy`), then two.
  if (results.size() != (copy ? 4 : 5)) {
    throw std::runtime_error("staging a batch: results missing");
  }
  const size_t first = copy ? 1 : 2;
  *start = ParseRevision(results[1].empty() ? "" : results[1][0][0]);
  if (copy) {
    CopyRows rows;
    for (const v1::PipelineEvent* event : events) {
      // A repeat within the batch is not new.
      if (inserted->insert(event->event_id()).second) EventFields(rows, *event, now).EndRow();
    }
    CopyIn(sql, absl::StrCat("COPY events (", kColumns, ") FROM STDIN"), rows);
  } else {
    for (const auto& row : results[2]) inserted->insert(row[0]);
  }
  for (const auto& row : results[first + 1]) {
    LeadSlot& slot = (*leads)[row[0]];
    if (!absl::SimpleAtoi(row[2], &slot.last_event_at)) return CorruptRow("lead");
    if (absl::Status s = LoadStoredLead(row[1], &slot); !s.ok()) return s;
    if (row[3].empty()) continue;  // no timeline row (NULL)
    if (absl::Status s = Decode(row[3], &slot.timeline, "timeline"); !s.ok()) return s;
    if (absl::Status s = DecodeSteps(row[4], &slot.stored_steps); !s.ok()) return s;
  }
  for (const v1::PipelineEvent* event : events) {
    if (!event->lead_id().empty()) (*leads)[event->lead_id()].timeline_loaded = true;
  }
  for (const auto& row : results[first + 2]) {
    JobSlot& slot = (*jobs)[row[0]];
    if (!absl::SimpleAtoi(row[2], &slot.last_event_at)) return CorruptRow("job");
    if (absl::Status s = LoadStoredJob(row[1], &slot); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// StageBatch, with COPY from kCopyFrom events; if one of them was stored
// already (a unique violation), the batch starts over, event by event.
absl::Status StagePostgresBatch(soci::session& sql,
                                const std::vector<const v1::PipelineEvent*>& events,
                                long long now, long long* start,
                                absl::flat_hash_set<std::string>* inserted, LeadSlots* leads,
                                JobSlots* jobs) {
  if (events.size() < kCopyFrom) {
    return StageBatch(sql, events, now, /*copy=*/false, start, inserted, leads, jobs);
  }
  try {
    return StageBatch(sql, events, now, /*copy=*/true, start, inserted, leads, jobs);
  } catch (const soci::postgresql_soci_error& e) {
    if (e.sqlstate() != "23505") throw;
  }
  ExecScript(sql, "ROLLBACK");
  inserted->clear();
  leads->clear();
  jobs->clear();
  return StageBatch(sql, events, now, /*copy=*/false, start, inserted, leads, jobs);
}

// A table's rows: from kCopyFrom of them with COPY (`copy_command`, a
// round trip of its own; into a staging table, `from_staging` is the write
// that moves them on), fewer as the literal rows of `literals`.
template <typename Item, typename Fields>
void AddRows(soci::session& sql, const std::vector<Item>& items, const Fields& fields,
             const std::string& copy_command, std::string from_staging, RowsPart literals,
             std::vector<RowsPart>* parts) {
  if (items.size() >= kCopyFrom) {
    CopyRows copy;
    for (const Item& item : items) fields(copy, item).EndRow();
    CopyIn(sql, copy_command, copy);
    if (!from_staging.empty()) parts->push_back(RowsPart{std::move(from_staging), {}, ""});
  } else if (!items.empty()) {
    for (const Item& item : items) {
      LiteralRow literal(sql);
      literals.rows.push_back(fields(literal, item).Done());
    }
    parts->push_back(std::move(literals));
  }
}

// `upsert` (INSERT INTO t (columns) VALUES ... `tail`) reading its rows
// from `staging` instead.
std::string UpsertFromStaging(absl::string_view upsert, absl::string_view columns,
                              absl::string_view staging, absl::string_view tail) {
  return absl::StrCat(upsert.substr(0, upsert.find(" VALUES")), " SELECT ", columns, " FROM ",
                      staging, tail);
}

// AddRows for an upsert (`upsert`'s VALUES, then `tail`) of `columns`:
// many rows through the staging table `staging` (COPY cannot upsert),
// few as literals.
template <typename Item, typename Fields>
void AddUpserts(soci::session& sql, const std::vector<Item>& items, const Fields& fields,
                absl::string_view upsert, absl::string_view columns, absl::string_view staging,
                absl::string_view tail, std::vector<RowsPart>* parts) {
  AddRows(sql, items, fields, absl::StrCat("COPY ", staging, " (", columns, ") FROM STDIN"),
          UpsertFromStaging(upsert, columns, staging, tail),
          RowsPart{std::string(upsert), {}, std::string(tail)}, parts);
}

// PostgreSQL: leads and timelines through staging tables (COPY cannot
// upsert), change rows straight in with COPY; a small batch (a quiet
// stream) sends its rows as literals instead (COPY costs round trips of its
// own). Returns the script for the rest: every write as one statement
// (WritesStatement); an enrichment package goes with its lead's row.
std::string PostgresWritesScript(soci::session& sql, const Rows& rows,
                                 const std::vector<Change>& changes, long long now) {
  // PostgreSQL compares an indexed column's old and new values itself:
  // its upserts always set them.
  static const std::string* const lead_tail =
      new std::string(absl::StrCat(sql_text::kUpsertLeadTail, sql_text::kAndNewJob));
  static const std::string* const timeline_tail =
      new std::string(absl::StrCat(sql_text::kUpsertTimelineTail, sql_text::kAndNewHour));
  static const std::string* const job_tail =
      new std::string(absl::StrCat(sql_text::kUpsertJobTail, sql_text::kAndNewStart));
  std::vector<RowsPart> parts;
  AddUpserts(
      sql, rows.leads,
      [](auto& out, const Rows::Lead& row) -> auto& { return LeadFields(out, row); },
      sql_text::kUpsertLead, sql_text::kLeadColumns, "incoming_leads", *lead_tail, &parts);
  if (!rows.jobs.empty()) {
    RowsPart& part =
        parts.emplace_back(RowsPart{std::string(sql_text::kUpsertJob), {}, *job_tail});
    for (const Rows::Job& row : rows.jobs) {
      part.rows.push_back(LiteralRow(sql)
                              .Add(*row.id)
                              .Add(row.job->user_id())
                              .Add(row.started_at)
                              .AddBytes(row.state)
                              .Add(row.last_event_at)
                              .Add(row.stall_at)
                              .Done());
    }
  }
  RowsPart totals{std::string(sql_text::kAddStepTotals), {},
                  std::string(sql_text::kAddStepTotalsTail)};
  for (const auto& [key, delta] : rows.step_totals) {
    if (delta.steps == 0 && delta.total_us == 0 && delta.retries == 0) continue;
    totals.rows.push_back(LiteralRow(sql)
                              .Add(std::get<0>(key))
                              .Add(std::get<1>(key))
                              .Add(std::get<2>(key))
                              .Add(delta.steps)
                              .Add(delta.total_us)
                              .Add(delta.retries)
                              .Add(delta.max_us)
                              .Done());
  }
  if (!totals.rows.empty()) parts.push_back(std::move(totals));
  RowsPart counts{std::string(sql_text::kAddStageCounts), {},
                  std::string(sql_text::kAddStageCountsTail)};
  for (const auto& [key, leads] : rows.stage_counts) {
    counts.rows.push_back(LiteralRow(sql).Add(key.first).Add(key.second).Add(leads).Done());
  }
  if (!counts.rows.empty()) parts.push_back(std::move(counts));
  AddUpserts(
      sql, rows.timelines,
      [](auto& out, const Rows::Timeline& t) -> auto& { return TimelineFields(out, t); },
      sql_text::kUpsertTimeline, "lead_id, log, steps, last_at", "incoming_timelines",
      *timeline_tail, &parts);
  AddRows(
      sql, changes,
      [now](auto& out, const Change& change) -> auto& { return ChangeFields(out, change, now); },
      "COPY changes (revision, lead_id, user_id, job_id, committed_at, payload) FROM STDIN",
      /*from_staging=*/"", RowsPart{std::string(sql_text::kInsertChange), {}, ""}, &parts);
  if (!rows.visits.empty()) parts.push_back(VisitsPart(sql, rows.visits));
  return WritesStatement(parts);
}

class PostgresBatchWriter final : public BatchWriter {
 public:
  explicit PostgresBatchWriter(soci::session& sql) : sql_(sql) {}

  // BEGIN and the lock in one round trip.
  long long Begin() override { return BeginAlone(sql_); }

  absl::StatusOr<long long> BeginBatch(const std::vector<const v1::PipelineEvent*>& events,
                                       long long now, std::vector<bool>* is_new,
                                       LeadSlots* leads, JobSlots* jobs) override {
    long long start = 0;
    absl::flat_hash_set<std::string> inserted;
    absl::Status staged = StagePostgresBatch(sql_, events, now, &start, &inserted, leads, jobs);
    if (!staged.ok()) return staged;
    is_new->resize(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      (*is_new)[i] = inserted.erase(events[i]->event_id()) == 1;  // a repeat in the batch: gone
    }
    return start;
  }

  // Every lead and job of the batch was read up front: a fresh slot is new.
  absl::Status LoadLead(const std::string&, LeadSlot*) override { return absl::OkStatus(); }
  absl::Status LoadJob(const std::string&, JobSlot*) override { return absl::OkStatus(); }
  // Read up front too, with the batch's leads.
  absl::Status LoadTimeline(const std::string& id, LeadSlot* slot) override {
    if (slot->timeline_loaded) return absl::OkStatus();
    std::string text, steps;
    soci::indicator ind = soci::i_null;
    sql_ << "SELECT log, steps FROM lead_timelines WHERE lead_id = :id", soci::use(id),
        soci::into(text, ind), soci::into(steps);
    slot->timeline_loaded = true;
    if (!sql_.got_data() || ind != soci::i_ok) return absl::OkStatus();
    if (absl::Status s = Decode(text, &slot->timeline, "timeline"); !s.ok()) return s;
    return DecodeSteps(steps, &slot->stored_steps);
  }

  void DeleteEvent(const std::string& event_id) override {
    sql_ << "DELETE FROM events WHERE event_id = :id", soci::use(event_id);
  }

  // The writes, the counter, the notification and COMMIT in one script (a
  // large batch's COPYs go first). The revision is a number the server
  // made, safe to write into the text.
  void Commit(Rows* rows, const std::vector<Change>& changes, long long now, long long start,
              long long revision) override {
    std::string script = PostgresWritesScript(sql_, *rows, changes, now);
    if (!script.empty()) script += "; ";
    if (revision != start) {
      // One notification per committed batch: "SCHEMA REVISION", so that
      // deployments sharing a database in different schemas ignore each
      // other.
      absl::StrAppend(&script, "UPDATE revision_counter SET revision = ", revision,
                      " WHERE id = 1; SELECT pg_notify('leadboard_changes', "
                      "current_schema() || ' ",
                      revision, "'); ");
    }
    script += "COMMIT";
    QueryScript(sql_, script);
  }

 private:
  soci::session& sql_;
};

}  // namespace

std::unique_ptr<BatchWriter> MakePostgresBatchWriter(soci::session& sql) {
  return std::make_unique<PostgresBatchWriter>(sql);
}

}  // namespace leadboard::store
