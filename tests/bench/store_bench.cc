// Durable commit throughput through the repository (engine + SQL) against
// the storage ceiling: the same rows bulk-inserted straight through SOCI in
// one transaction per batch, with no reads and no engine. SQLite always;
// PostgreSQL when LEADBOARD_TEST_POSTGRES_URL is set.
#include <benchmark/benchmark.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>
#include <map>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "sample_run.h"
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
    std::string lead_data, timeline_data;
    for (const LeadRows& row : leads) {
      absl::StrAppend(&lead_data, row.lead, "\t", row.user, "\t", row.job, "\tenriched\t1\t\n");
      absl::StrAppend(&timeline_data, row.lead, "\t\t", row.steps, "\t", row.last_at, "\n");
    }
    sql << "BEGIN";
    Copy(conn, "COPY leads (lead_id, user_id, job_id, stage, revision, state) FROM STDIN",
         lead_data);
    Copy(conn, "COPY lead_timelines (lead_id, log, steps, last_at) FROM STDIN", timeline_data);
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

BENCHMARK_CAPTURE(BM_CommitBatch, sqlite, testing::Backend::kSqlite)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, sqlite, testing::Backend::kSqlite)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_CommitBatch, postgres, testing::Backend::kPostgres)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_StorageCeiling, postgres, testing::Backend::kPostgres)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_AgentStats, sqlite, testing::Backend::kSqlite)
    ->ArgsProduct({{100000, 1000000}, {0, 1, 2, 3}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_AgentStats, postgres, testing::Backend::kPostgres)
    ->ArgsProduct({{100000, 1000000}, {0, 1, 2, 3}})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace leadboard::bench

BENCHMARK_MAIN();
