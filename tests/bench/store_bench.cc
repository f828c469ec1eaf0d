// Durable commit throughput through the repository (engine + SQL) against
// the storage ceiling: the same rows bulk-inserted straight through SOCI in
// one transaction per batch, with no reads and no engine. SQLite always;
// PostgreSQL when LEADBOARD_TEST_POSTGRES_URL is set.
#include <benchmark/benchmark.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "sample_run.h"
#include "store/soci/soci_lead_repository.h"
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

// The rows CommitBatch writes for a batch, precomputed: one event row and
// one change row per event, one row per lead.
struct Rows {
  std::vector<v1::PipelineEvent> events;
  std::vector<std::string> payloads;  // base64, as the repository stores them
  std::vector<std::string> leads;     // distinct lead ids
};

Rows RowsOf(int n) {
  Rows rows;
  rows.events = Batch(n);
  for (const auto& e : rows.events) {
    rows.payloads.push_back(absl::Base64Escape(e.SerializeAsString()));
    if (rows.leads.empty() || rows.leads.back() != e.lead_id()) rows.leads.push_back(e.lead_id());
  }
  return rows;
}

// SQLite's fastest bulk load: prepared inserts in one transaction.
void LoadSqlite(soci::session& sql, const Rows& rows, long long* revision) {
  sql << "BEGIN IMMEDIATE";
  std::string id, lead, payload;
  long long now = 0;
  soci::statement event = (sql.prepare << "INSERT INTO events (event_id, lead_id, job_id, user_id, "
                                          "type, occurred_at, received_at, payload) VALUES (:i, :l, "
                                          "'j', 'u', 1, :t, :t2, :p)",
                           soci::use(id), soci::use(lead), soci::use(now), soci::use(now),
                           soci::use(payload));
  soci::statement change = (sql.prepare << "INSERT INTO changes (revision, lead_id, user_id, "
                                           "job_id, committed_at, payload) VALUES (:r, :l, 'u', "
                                           "'j', :t, :p)",
                            soci::use(*revision), soci::use(lead), soci::use(now),
                            soci::use(payload));
  soci::statement insert_lead = (sql.prepare << "INSERT INTO leads (lead_id, user_id, job_id, "
                                                "stage, revision, state) VALUES (:l, 'u', 'j', "
                                                "'s', :r, :p)",
                                 soci::use(lead), soci::use(*revision), soci::use(payload));
  for (size_t i = 0; i < rows.events.size(); ++i) {
    id = rows.events[i].event_id();
    lead = rows.events[i].lead_id();
    payload = rows.payloads[i];
    ++*revision;
    event.execute(true);
    change.execute(true);
  }
  for (const std::string& l : rows.leads) {
    lead = l;
    insert_lead.execute(true);
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

void LoadPostgres(soci::session& sql, const Rows& rows, long long* revision) {
  PGconn* conn = static_cast<soci::postgresql_session_backend*>(sql.get_backend())->conn_;
  // Ids and base64 payloads hold no tab, newline or backslash: no escaping.
  std::string events, changes, leads;
  for (size_t i = 0; i < rows.events.size(); ++i) {
    const auto& e = rows.events[i];
    absl::StrAppend(&events, e.event_id(), "\t", e.lead_id(), "\tj\tu\t1\t0\t0\t", rows.payloads[i],
                    "\n");
    absl::StrAppend(&changes, ++*revision, "\t", e.lead_id(), "\tu\tj\t0\t", rows.payloads[i], "\n");
  }
  for (const std::string& l : rows.leads) {
    absl::StrAppend(&leads, l, "\tu\tj\ts\t", *revision, "\t", rows.payloads.back(), "\n");
  }
  sql << "BEGIN";
  Copy(conn, "COPY events (event_id, lead_id, job_id, user_id, type, occurred_at, received_at, "
             "payload) FROM STDIN", events);
  Copy(conn, "COPY changes (revision, lead_id, user_id, job_id, committed_at, payload) FROM STDIN",
       changes);
  Copy(conn, "COPY leads (lead_id, user_id, job_id, stage, revision, state) FROM STDIN", leads);
  sql << "COMMIT";
}

// The storage ceiling: the rows CommitBatch writes for the same batch, bulk
// loaded straight into the database the fastest way it offers, with no
// reads, no engine and no encoding in the timed part.
void BM_StorageCeiling(benchmark::State& state, testing::Backend backend) {
  auto db = DatabaseOrSkip(state, backend);
  if (db == nullptr) return;
  SystemClock clock;
  // Open once through the repository so the schema exists.
  auto url = *store::ParseDatabaseUrl(db->url());
  (void)store::SociLeadRepository::Open({url, 1}, &clock);
  soci::session sql;
  if (backend == testing::Backend::kSqlite) {
    sql.open(soci::sqlite3, absl::StrCat("db=\"", url.sqlite_path, "\""));
    sql << "PRAGMA journal_mode=WAL";
    sql << "PRAGMA synchronous=FULL";
    sql << "PRAGMA cache_size=-65536";
  } else {
    sql.open(soci::postgresql, url.postgres_conninfo);
    sql << "SET synchronous_commit = on";
  }
  const int n = static_cast<int>(state.range(0));
  long long revision = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Rows rows = RowsOf(n);
    state.ResumeTiming();
    try {
      if (backend == testing::Backend::kSqlite) {
        LoadSqlite(sql, rows, &revision);
      } else {
        LoadPostgres(sql, rows, &revision);
      }
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK_CAPTURE(BM_CommitBatch, sqlite, testing::Backend::kSqlite)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, sqlite, testing::Backend::kSqlite)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_CommitBatch, postgres, testing::Backend::kPostgres)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, postgres, testing::Backend::kPostgres)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();

}  // namespace
}  // namespace leadboard::bench

BENCHMARK_MAIN();
