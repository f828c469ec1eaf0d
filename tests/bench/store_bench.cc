// Durable commit throughput through the repository (engine + SQL) against
// the storage ceiling: the same rows bulk-inserted straight through SOCI in
// one transaction per batch, with no reads and no engine. SQLite always;
// PostgreSQL when LEADBOARD_TEST_POSTGRES_URL is set.
#include <benchmark/benchmark.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>

#include "absl/strings/escaping.h"
#include "sample_events.h"
#include "store/soci_lead_repository.h"
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

// The storage ceiling: one event row and one change row per event, plus the
// lead rows, inserted in one transaction with per-row prepared statements
// (so on PostgreSQL, where CommitBatch now uses multi-row inserts, it is no
// longer a true ceiling; see the README).
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
  } else {
    sql.open(soci::postgresql, url.postgres_conninfo);
  }
  const int n = static_cast<int>(state.range(0));
  long long revision = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<v1::PipelineEvent> batch = Batch(n);
    std::vector<std::string> payloads;
    for (const auto& e : batch) payloads.push_back(absl::Base64Escape(e.SerializeAsString()));
    state.ResumeTiming();
    sql << (backend == testing::Backend::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
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
                              soci::use(revision), soci::use(lead), soci::use(now),
                              soci::use(payload));
    soci::statement upsert = (sql.prepare << "INSERT INTO leads (lead_id, user_id, job_id, stage, "
                                             "revision, state) VALUES (:l, 'u', 'j', 's', :r, :p) ON "
                                             "CONFLICT (lead_id) DO UPDATE SET revision = "
                                             "excluded.revision, state = excluded.state",
                              soci::use(lead), soci::use(revision), soci::use(payload));
    for (size_t i = 0; i < batch.size(); ++i) {
      id = batch[i].event_id();
      lead = batch[i].lead_id();
      payload = payloads[i];
      ++revision;
      event.execute(true);
      change.execute(true);
      upsert.execute(true);
    }
    sql << "COMMIT";
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
