// Durable commit throughput through the repository (engine + SQL) against
// the storage ceiling: the same rows bulk-inserted straight into the
// database in one transaction per batch, with no reads and no engine. SQLite always;
// PostgreSQL when LEADBOARD_TEST_POSTGRES_URL is set.
#include <benchmark/benchmark.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <stdexcept>
#include <variant>

#include "absl/strings/str_join.h"
#include "sample_run.h"
#include "absl/strings/escaping.h"
#include "store/soci/pg_copy.h"
#include "store/soci/soci_lead_repository.h"
#include "store/soci/step_rows.h"
#include "test_database.h"

namespace leadboard::bench {
namespace {

std::atomic<int> run_counter{0};

// A batch of `n` realistic events from fresh leads (unique ids).
std::vector<v1::PipelineEvent> Batch(int n) {
  std::vector<v1::PipelineEvent> batch;
  const std::string run = absl::StrCat("b", run_counter++);
  for (int lead = 0; static_cast<int>(batch.size()) < n; ++lead) {
    for (auto& e : LeadRun(run, lead)) {
      if (static_cast<int>(batch.size()) == n) break;
      batch.push_back(std::move(e));
    }
  }
  return batch;
}

// A fresh database, or nullptr with the benchmark marked skipped and why.
std::unique_ptr<testing::TestDatabase> DatabaseOrSkip(benchmark::State& state,
                                                      testing::Backend backend) {
  std::string skip;
  auto db = testing::TestDatabase::Create(backend, &skip);
  if (db == nullptr) state.SkipWithError(skip.c_str());
  return db;
}

void BM_CommitBatch(benchmark::State& state, testing::Backend backend) {
  auto db = DatabaseOrSkip(state, backend);
  if (db == nullptr) return;
  SystemClock clock;
  auto repo = store::SociLeadRepository::Open({*store::ParseDatabaseUrl(db->url()), 1}, &clock);
  const engine::BoardConfig board = engine::BoardConfig::Default();
  const engine::StageEngine engine(board);
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<v1::PipelineEvent> batch = Batch(n);
    std::vector<const v1::PipelineEvent*> pointers;
    for (const auto& e : batch) pointers.push_back(&e);
    state.ResumeTiming();
    auto result = (*repo)->CommitBatch(pointers, engine);
    if (!result.ok()) state.SkipWithError(result.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// The storage ceiling: every row CommitBatch writes for a batch (its events,
// changes, leads, stage history, timelines, job, agent-step totals and the
// revision counter), taken from a scratch database the same batch was
// committed to, then bulk loaded the fastest way each database offers:
// prepared inserts in one transaction on SQLite, binary COPY on PostgreSQL
// (synchronous commit on). No reads, no engine and no encoding in the timed
// part: what the rows themselves cost.
using Value = std::variant<std::monostate, long long, std::string>;
struct Table {
  std::string name;
  std::vector<std::string> columns;
  std::vector<bool> int32;  // per column: an integer (not a bigint) column
  std::vector<bool> bytea;  // per column (PostgreSQL): bytes, held raw
  std::vector<std::vector<Value>> rows;
};

// The rows of `table` that `where` selects, as stored.
Table ReadTable(soci::session& sql, const std::string& table, const std::string& where) {
  Table out{table, {}, {}, {}, {}};
  std::vector<std::string> bytea_columns;
  if (sql.get_backend_name() == "postgresql") {
    std::string column;
    soci::statement names = (sql.prepare << "SELECT column_name FROM information_schema.columns "
                                            "WHERE table_schema = current_schema() AND "
                                            "table_name = :t AND data_type = 'bytea'",
                             soci::use(table), soci::into(column));
    names.execute();
    while (names.fetch()) bytea_columns.push_back(column);
  }
  soci::rowset<soci::row> rows = (sql.prepare << "SELECT * FROM " << table << " WHERE " << where);
  for (const soci::row& row : rows) {
    if (out.columns.empty()) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        out.columns.push_back(row.get_properties(i).get_name());
        out.int32.push_back(row.get_properties(i).get_data_type() == soci::dt_integer);
        out.bytea.push_back(std::find(bytea_columns.begin(), bytea_columns.end(),
                                      out.columns.back()) != bytea_columns.end());
      }
    }
    std::vector<Value>& values = out.rows.emplace_back();
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (row.get_indicator(i) == soci::i_null) {
        values.emplace_back();
        continue;
      }
      switch (row.get_properties(i).get_data_type()) {
        case soci::dt_string:
          // PostgreSQL reads bytea as "\\x" and hex: keep the bytes.
          values.emplace_back(out.bytea[i]
                                  ? absl::HexStringToBytes(row.get<std::string>(i).substr(2))
                                  : row.get<std::string>(i));
          break;
        case soci::dt_integer:
          values.emplace_back(static_cast<long long>(row.get<int>(i)));
          break;
        case soci::dt_long_long:
          values.emplace_back(row.get<long long>(i));
          break;
        case soci::dt_unsigned_long_long:
          values.emplace_back(static_cast<long long>(row.get<unsigned long long>(i)));
          break;
        default:
          throw std::runtime_error(absl::StrCat(table, ".", out.columns[i], ": unexpected type"));
      }
    }
  }
  return out;
}

struct CeilingBatch {
  long long revision = 0;  // the counter after the batch
  std::vector<Table> tables;
};

// Commits a fresh batch of `n` events to the scratch repository and reads
// back every row it wrote.
CeilingBatch CommittedRows(store::SociLeadRepository& scratch, soci::session& sql, int n,
                           long long* last_revision) {
  const std::string run = absl::StrCat("b", run_counter.load());
  std::vector<v1::PipelineEvent> batch = Batch(n);
  std::vector<const v1::PipelineEvent*> pointers;
  for (const auto& e : batch) pointers.push_back(&e);
  // The engine keeps a reference to its board: both live for the process.
  static const auto* board = new engine::BoardConfig(engine::BoardConfig::Default());
  static const auto* engine = new engine::StageEngine(*board);
  absl::StatusOr<store::BatchResult> committed = scratch.CommitBatch(pointers, *engine);
  if (!committed.ok()) throw std::runtime_error(committed.status().ToString());
  CeilingBatch out;
  sql << "SELECT revision FROM revision_counter WHERE id = 1", soci::into(out.revision);
  // By primary key (ids hold no quotes): the tables grow with every batch.
  std::vector<std::string> event_ids, lead_ids;
  for (const auto& e : batch) {
    event_ids.push_back(absl::StrCat("'", e.event_id(), "'"));
    if (lead_ids.empty() || lead_ids.back() != absl::StrCat("'", e.lead_id(), "'")) {
      lead_ids.push_back(absl::StrCat("'", e.lead_id(), "'"));
    }
  }
  const std::string leads = absl::StrCat("lead_id IN (", absl::StrJoin(lead_ids, ","), ")");
  out.tables.push_back(
      ReadTable(sql, "events", absl::StrCat("event_id IN (", absl::StrJoin(event_ids, ","), ")")));
  out.tables.push_back(ReadTable(sql, "changes", absl::StrCat("revision > ", *last_revision)));
  out.tables.push_back(ReadTable(sql, "leads", leads));
  out.tables.push_back(ReadTable(sql, "stage_history", leads));
  out.tables.push_back(ReadTable(sql, "lead_timelines", leads));
  out.tables.push_back(ReadTable(sql, "jobs", absl::StrCat("job_id = '", run, "'")));
  out.tables.push_back(ReadTable(sql, "agent_step_totals", "1 = 1"));
  *last_revision = out.revision;
  return out;
}

// SQLite's fastest bulk load: prepared inserts in one transaction.
void LoadSqlite(soci::session& sql, const CeilingBatch& batch) {
  sql << "BEGIN IMMEDIATE";
  sql << "UPDATE revision_counter SET revision = :r WHERE id = 1", soci::use(batch.revision);
  for (const Table& table : batch.tables) {
    if (table.rows.empty()) continue;
    const std::size_t width = table.columns.size();
    std::vector<long long> numbers(width);
    std::vector<std::string> texts(width);
    std::vector<soci::indicator> nulls(width, soci::i_ok);
    std::string placeholders;
    for (std::size_t i = 0; i < width; ++i) absl::StrAppend(&placeholders, i ? ", " : "", ":v", i);
    soci::statement insert(sql);
    insert.alloc();
    for (std::size_t i = 0; i < width; ++i) {
      if (std::holds_alternative<long long>(table.rows[0][i])) {
        insert.exchange(soci::use(numbers[i], nulls[i]));
      } else {
        insert.exchange(soci::use(texts[i], nulls[i]));
      }
    }
    // The running totals are upserted, as the repository does.
    insert.prepare(absl::StrCat(table.name == "agent_step_totals" ? "INSERT OR REPLACE" : "INSERT",
                                " INTO ", table.name, " (", absl::StrJoin(table.columns, ", "),
                                ") VALUES (", placeholders, ")"));
    insert.define_and_bind();
    for (const auto& row : table.rows) {
      for (std::size_t i = 0; i < width; ++i) {
        nulls[i] = std::holds_alternative<std::monostate>(row[i]) ? soci::i_null : soci::i_ok;
        if (const auto* number = std::get_if<long long>(&row[i])) numbers[i] = *number;
        if (const auto* text = std::get_if<std::string>(&row[i])) texts[i] = *text;
      }
      insert.execute(true);
    }
  }
  sql << "COMMIT";
}

// PostgreSQL's fastest bulk load: COPY ... FROM STDIN, one per table, in
// one transaction (synchronous commit on, as the service runs).
void Copy(PGconn* conn, const std::string& command, const std::string& data) {
  PGresult* started = PQexec(conn, command.c_str());
  const bool ok = PQresultStatus(started) == PGRES_COPY_IN;
  PQclear(started);
  if (!ok) throw std::runtime_error(PQerrorMessage(conn));
  if (PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyEnd(conn, nullptr) != 1) {
    throw std::runtime_error(PQerrorMessage(conn));
  }
  while (PGresult* result = PQgetResult(conn)) {
    const bool failed = PQresultStatus(result) != PGRES_COMMAND_OK;
    PQclear(result);
    if (failed) throw std::runtime_error(PQerrorMessage(conn));
  }
}

// A table's rows for a binary COPY, each field as its column's type.
store::CopyRows CopyData(const Table& table) {
  store::CopyRows out;
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (std::holds_alternative<std::monostate>(row[i])) {
        out.AddNull();
      } else if (const auto* number = std::get_if<long long>(&row[i])) {
        if (table.int32[i]) {
          out.AddInt32(static_cast<int32_t>(*number));
        } else {
          out.Add(static_cast<int64_t>(*number));
        }
      } else if (table.bytea[i]) {
        out.AddBytes(std::get<std::string>(row[i]));
      } else {
        out.Add(std::get<std::string>(row[i]));
      }
    }
    out.EndRow();
  }
  return out;
}

void LoadPostgres(soci::session& sql, const CeilingBatch& batch) {
  std::vector<std::pair<const Table*, store::CopyRows>> data;
  for (const Table& table : batch.tables) {
    if (!table.rows.empty()) data.emplace_back(&table, CopyData(table));
  }
  sql << "BEGIN";
  sql << "UPDATE revision_counter SET revision = :r WHERE id = 1", soci::use(batch.revision);
  for (const auto& [table, rows] : data) {
    const std::string columns = absl::StrJoin(table->columns, ", ");
    if (table->name != "agent_step_totals") {
      store::CopyIn(sql, absl::StrCat("COPY ", table->name, " (", columns, ") FROM STDIN"), rows);
      continue;
    }
    // The running totals are upserted, as the repository does.
    store::CopyIn(sql, absl::StrCat("COPY ceiling_totals (", columns, ") FROM STDIN"), rows);
    sql << "INSERT INTO agent_step_totals SELECT * FROM ceiling_totals ON CONFLICT (agent, "
           "status, bucket) DO UPDATE SET steps = excluded.steps, total_us = excluded.total_us, "
           "retries = excluded.retries, max_us = excluded.max_us";
  }
  sql << "COMMIT";
}

void BM_StorageCeiling(benchmark::State& state, testing::Backend backend) {
  auto db = DatabaseOrSkip(state, backend);
  if (db == nullptr) return;
  auto scratch_db = DatabaseOrSkip(state, backend);
  if (scratch_db == nullptr) return;
  SystemClock clock;
  // Open both through the repository so the schema exists.
  auto url = *store::ParseDatabaseUrl(db->url());
  (void)store::SociLeadRepository::Open({url, 1}, &clock);
  auto scratch_url = *store::ParseDatabaseUrl(scratch_db->url());
  auto scratch = store::SociLeadRepository::Open({scratch_url, 1}, &clock);
  if (!scratch.ok()) {
    state.SkipWithError(scratch.status().ToString().c_str());
    return;
  }
  soci::session sql, scratch_sql;
  if (backend == testing::Backend::kSqlite) {
    sql.open(soci::sqlite3, absl::StrCat("db=\"", url.sqlite_path, "\""));
    sql << "PRAGMA journal_mode=WAL";
    sql << "PRAGMA synchronous=FULL";
    sql << "PRAGMA cache_size=-65536";
    scratch_sql.open(soci::sqlite3, absl::StrCat("db=\"", scratch_url.sqlite_path, "\""));
  } else {
    sql.open(soci::postgresql, url.postgres_conninfo);
    sql << "SET synchronous_commit = on";
    try {
      sql << "SET default_toast_compression = lz4";  // as the repository's sessions
    } catch (const soci::soci_error&) {
    }
    sql << "CREATE TEMP TABLE ceiling_totals (LIKE agent_step_totals) ON COMMIT DELETE ROWS";
    scratch_sql.open(soci::postgresql, scratch_url.postgres_conninfo);
  }
  const int n = static_cast<int>(state.range(0));
  long long scratch_revision = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    CeilingBatch batch;
    try {
      batch = CommittedRows(**scratch, scratch_sql, n, &scratch_revision);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
    for (const Table& table : batch.tables) {
      for (const auto& row : table.rows) {
        for (const Value& v : row) {
          const auto* text = std::get_if<std::string>(&v);
          if (text != nullptr) bytes += text->size();
        }
      }
    }
    state.ResumeTiming();
    try {
      if (backend == testing::Backend::kSqlite) {
        LoadSqlite(sql, batch);
      } else {
        LoadPostgres(sql, batch);
      }
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
  // Text and payload bytes the rows hold, per event (integers not counted).
  if (state.iterations() > 0) {
    state.counters["row_bytes_per_event"] = double(bytes) / double(state.iterations() * n);
  }
}

// GetAgentStats over many stored steps: a database of `n` agent steps of
// n/6 leads (6 agents, 200 jobs, 20 users, starts spread over
// 30 days, durations
// 0.5-10.5 s, 2 % failed), filled once per size, then one query per
// iteration: range(1) picks the filter (0 none, 1 a job, 2 a user's last
// day, 3 everybody's last day).
struct StepsDatabase {
  std::unique_ptr<testing::TestDatabase> db;
  std::unique_ptr<store::SociLeadRepository> repo;
  long long newest = 0;  // the latest step start (micros)
};

StepsDatabase* StepsOrSkip(benchmark::State& state, testing::Backend backend, int n) {
  static auto* cache = new std::map<std::pair<int, int>, std::unique_ptr<StepsDatabase>>();
  auto& slot = (*cache)[{static_cast<int>(backend), n}];
  if (slot != nullptr) return slot.get();
  auto db = DatabaseOrSkip(state, backend);
  if (db == nullptr) return nullptr;
  static SystemClock clock;
  auto url = *store::ParseDatabaseUrl(db->url());
  auto repo = store::SociLeadRepository::Open({url, 1}, &clock);
  if (!repo.ok()) {
    state.SkipWithError(repo.status().ToString().c_str());
    return nullptr;
  }
  static const char* kAgents[] = {"leadqualification", "companyresearch", "painpointdeepening",
                                  "competitoranalysis", "buyingtriggers", "valueproposition"};
  const long long start = absl::ToUnixMicros(absl::Now() - absl::Hours(24 * 30));
  const long long spread = absl::ToInt64Microseconds(absl::Hours(24 * 30)) / n;
  // Lead l has steps 6l .. 6l+5, stored as the writer stores them: one
  // timeline row per lead with its steps' summary, and the running totals.
  struct LeadRows {
    std::string lead, user, job, steps;
    long long last_at = 0;
  };
  store::StepTotals totals;
  std::vector<LeadRows> leads;
  for (int l = 0; l * 6 < n; ++l) {
    LeadRows& rows = leads.emplace_back();
    rows.lead = absl::StrCat("lead-", l);
    rows.user = absl::StrCat("user-", l % 20);
    rows.job = absl::StrCat("job-", l % 200);
    std::vector<store::StepRow> steps;
    for (int i = 6 * l; i < std::min(n, 6 * l + 6); ++i) {
      store::StepRow& step = steps.emplace_back();
      step.agent = kAgents[i % 6];
      step.job_id = rows.job;
      step.status = i % 997 == 0 ? v1::STEP_STATUS_RUNNING
                    : i % 50 == 0 ? v1::STEP_STATUS_FAILED
                                  : v1::STEP_STATUS_SUCCEEDED;
      step.started_at = start + static_cast<long long>(i) * spread;
      step.duration_us = step.status == v1::STEP_STATUS_RUNNING
                             ? -1
                             : 500000 + static_cast<long long>((i * 2654435761u) % 10000) * 1000;
      step.bucket = step.duration_us < 0 ? -1 : store::DurationBucket(step.duration_us);
      rows.last_at = std::max(rows.last_at, step.started_at + std::max(step.duration_us, 0LL));
    }
    rows.last_at = store::LastAtHour(rows.last_at);
    store::DiffStepRows({}, steps, &totals);
    rows.steps = store::EncodeSteps(steps);
  }
  soci::session sql;
  const bool sqlite = backend == testing::Backend::kSqlite;
  if (sqlite) {
    sql.open(soci::sqlite3, absl::StrCat("db=\"", url.sqlite_path, "\""));
    sql << "BEGIN IMMEDIATE";
    LeadRows row;
    soci::statement insert_lead =
        (sql.prepare << "INSERT INTO leads (lead_id, user_id, job_id, stage, revision, state) "
                        "VALUES (:l, :u, :j, 'enriched', 1, '')",
         soci::use(row.lead), soci::use(row.user), soci::use(row.job));
    soci::statement insert_timeline =
        (sql.prepare << "INSERT INTO lead_timelines (lead_id, log, steps, last_at) VALUES "
                        "(:l, '', :s, :t)",
         soci::use(row.lead), soci::use(row.steps), soci::use(row.last_at));
    for (LeadRows& lead : leads) {
      row = std::move(lead);
      insert_lead.execute(true);
      insert_timeline.execute(true);
    }
  } else {
    sql.open(soci::postgresql, url.postgres_conninfo);
    PGconn* conn = static_cast<soci::postgresql_session_backend*>(sql.get_backend())->conn_;
    std::string lead_data;
    store::CopyRows timeline_data;
    for (const LeadRows& row : leads) {
      absl::StrAppend(&lead_data, row.lead, "\t", row.user, "\t", row.job, "\tenriched\t1\t\n");
      timeline_data.Add(row.lead).AddBytes("").AddBytes(row.steps).Add(row.last_at).EndRow();
    }
    sql << "BEGIN";
    Copy(conn, "COPY leads (lead_id, user_id, job_id, stage, revision, state) FROM STDIN",
         lead_data);
    store::CopyIn(sql, "COPY lead_timelines (lead_id, log, steps, last_at) FROM STDIN",
                  timeline_data);
  }
  for (const auto& [key, delta] : totals) {
    std::string agent = std::get<0>(key);
    int status = std::get<1>(key), bucket = std::get<2>(key);
    long long steps = delta.steps, total_us = delta.total_us, retries = delta.retries,
              max_us = delta.max_us;
    sql << "INSERT INTO agent_step_totals (agent, status, bucket, steps, total_us, retries, "
           "max_us) VALUES (:a, :s, :b, :n, :t, :r, :m)",
        soci::use(agent), soci::use(status), soci::use(bucket), soci::use(steps),
        soci::use(total_us), soci::use(retries), soci::use(max_us);
  }
  sql << "COMMIT";
  sql << "ANALYZE";
  slot = std::make_unique<StepsDatabase>();
  slot->db = std::move(db);
  slot->repo = *std::move(repo);
  slot->newest = start + static_cast<long long>(n - 1) * spread;
  return slot.get();
}

void BM_AgentStats(benchmark::State& state, testing::Backend backend) {
  const int n = static_cast<int>(state.range(0));
  StepsDatabase* steps = StepsOrSkip(state, backend, n);
  if (steps == nullptr) return;
  store::StepFilter filter;
  const absl::Time day_ago = absl::FromUnixMicros(steps->newest) - absl::Hours(24);
  switch (state.range(1)) {
    case 1:
      filter.job_id = "job-7";
      break;
    case 2:
      filter.user_id = "user-3";
      filter.since = day_ago;
      break;
    case 3:
      filter.since = day_ago;
      break;
    default:
      break;
  }
  int64_t counted = 0;
  for (auto _ : state) {
    auto stats = steps->repo->GetAgentStats(filter);
    if (!stats.ok()) {
      state.SkipWithError(stats.status().ToString().c_str());
      break;
    }
    counted = stats->steps();
  }
  state.counters["steps_matched"] = static_cast<double>(counted);
  state.SetLabel(state.range(1) == 0   ? "all steps"
                 : state.range(1) == 1 ? "one job"
                 : state.range(1) == 2 ? "one user, last 24 h"
                                       : "everybody, last 24 h");
}

// What a board's reads cost: 10 jobs of range(1) enriched leads each, of
// 10 users, stored, then (0) GetLead of an enriched lead with its
// timeline, as a click on its card; (1) ListLeads, a page of 50 of one
// user's leads (cards); (2) CountByStage of one user (the column totals);
// (3) ListJobs, a page holding all 10 jobs with their lead counts (what
// every open board asks for every 30 s); (4) the same for one user, with
// 5,000 newer jobs of other users stored.
void BM_Reads(benchmark::State& state, testing::Backend backend) {
  auto db = DatabaseOrSkip(state, backend);
  if (db == nullptr) return;
  SystemClock clock;
  auto repo = store::SociLeadRepository::Open({*store::ParseDatabaseUrl(db->url()), 1}, &clock);
  if (!repo.ok()) {
    state.SkipWithError(repo.status().ToString().c_str());
    return;
  }
  const engine::BoardConfig board = engine::BoardConfig::Default();
  const engine::StageEngine engine(board);
  const int per_job = static_cast<int>(state.range(1));
  for (int job = 0; job < 10; ++job) {
    std::vector<v1::PipelineEvent> events;
    for (int lead = 0; lead < per_job; ++lead) {
      for (auto& e : LeadRun(absl::StrCat("job", job), lead, absl::StrCat("user-", lead % 10))) {
        events.push_back(std::move(e));
      }
    }
    std::vector<const v1::PipelineEvent*> pointers;
    for (const auto& e : events) pointers.push_back(&e);
    if (auto result = (*repo)->CommitBatch(pointers, engine); !result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      return;
    }
  }
  if (state.range(0) == 4) {
    // 5,000 newer jobs of 100 other users, one lead each.
    std::vector<v1::PipelineEvent> events;
    for (int job = 0; job < 5000; ++job) {
      v1::PipelineEvent& e = events.emplace_back(
          HarvestEvent(absl::StrCat("other-job", job), 0, absl::StrCat("other-", job % 100)));
      e.mutable_occurred_at()->set_seconds(e.occurred_at().seconds() + 3600 + job);
    }
    std::vector<const v1::PipelineEvent*> pointers;
    for (const auto& e : events) pointers.push_back(&e);
    if (auto result = (*repo)->CommitBatch(pointers, engine); !result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      return;
    }
  }
  store::LeadFilter user{"user-3", "", ""};
  size_t found = 0;
  for (auto _ : state) {
    absl::Status status;
    switch (state.range(0)) {
      case 0: {
        engine::stored::TimelineLog timeline;
        auto lead = (*repo)->GetLead("job4-lead-42", &timeline);
        status = lead.status();
        found = lead.ok() && *lead ? (*lead)->history_size() : 0;
        break;
      }
      case 1: {
        auto page = (*repo)->ListLeads(user, "", 50, false);
        status = page.status();
        found = page.ok() ? page->leads.size() : 0;
        break;
      }
      case 2: {
        auto counts = (*repo)->CountByStage(user);
        status = counts.status();
        found = counts.ok() ? counts->size() : 0;
        break;
      }
      case 3:
      case 4: {
        // The jobs of every user (3), or one user's among 5,000 newer
        // jobs of others (4): what a board with a user's token asks for.
        auto page = (*repo)->ListJobs(state.range(0) == 3 ? "" : "user-0", "", 20, board);
        status = page.status();
        found = page.ok() ? page->jobs.size() : 0;
        break;
      }
    }
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.counters["rows"] = static_cast<double>(found);
  state.SetLabel(state.range(0) == 0   ? "GetLead with its timeline"
                 : state.range(0) == 1 ? "ListLeads, 50 cards"
                 : state.range(0) == 2 ? "CountByStage, one user"
                 : state.range(0) == 3 ? "ListJobs, 10 jobs"
                                       : "ListJobs of one user, 10 jobs among 5,010");
}

BENCHMARK_CAPTURE(BM_CommitBatch, sqlite, testing::Backend::kSqlite)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
// A ceiling iteration first commits its batch to a scratch database
// (untimed): fixed iteration counts keep the run short.
BENCHMARK_CAPTURE(BM_StorageCeiling, sqlite, testing::Backend::kSqlite)->Arg(1)->Iterations(300)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, sqlite, testing::Backend::kSqlite)->Arg(100)->Iterations(100)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, sqlite, testing::Backend::kSqlite)->Arg(1000)->Iterations(30)->UseRealTime();
BENCHMARK_CAPTURE(BM_CommitBatch, postgres, testing::Backend::kPostgres)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, postgres, testing::Backend::kPostgres)->Arg(1)->Iterations(300)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, postgres, testing::Backend::kPostgres)->Arg(100)->Iterations(100)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, postgres, testing::Backend::kPostgres)->Arg(1000)->Iterations(30)->UseRealTime();
// Every read over 1,000 leads; the counts over 10,000 too (not in a
// quick run: the fill takes a while).
BENCHMARK_CAPTURE(BM_Reads, sqlite, testing::Backend::kSqlite)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {100}})->Args({2, 1000})->Args({3, 1000})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Reads, postgres, testing::Backend::kPostgres)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {100}})->Args({2, 1000})->Args({3, 1000})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_AgentStats, sqlite, testing::Backend::kSqlite)
    ->ArgsProduct({{100000, 1000000}, {0, 1, 2, 3}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_AgentStats, postgres, testing::Backend::kPostgres)
    ->ArgsProduct({{100000, 1000000}, {0, 1, 2, 3}})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace leadboard::bench

BENCHMARK_MAIN();
