// The repository conformance suite: every test runs on SQLite and on
// PostgreSQL (skipped, and reported as skipped, without a PostgreSQL URL).
#include "store/soci/soci_lead_repository.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <map>
#include <thread>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "event_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "engine/agent_timeline.h"
#include "store/soci/batch_rows.h"
#include "store/soci/schema.h"
#include "backend_test.h"
#include "test_database.h"

namespace leadboard::store {
namespace {

using testing::Backend;
using testing::MakeEvent;
using testing::TestDatabase;
using ::testing::HasSubstr;

v1::PipelineEvent AgentEnd(const std::string& id, int second, const std::string& agent, bool ok);

v1::WatchLeadsResponse Parsed(const Change& change) {
  v1::WatchLeadsResponse message;
  EXPECT_TRUE(change.wire != nullptr && message.ParseFromString(*change.wire));
  return message;
}

class FixedClock : public Clock {
 public:
  absl::Time Now() const override { return now; }
  absl::Time now = absl::FromUnixSeconds(1767225600);
};

class SociLeadRepositoryTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    repo_ = Open();
  }

  std::unique_ptr<SociLeadRepository> Open() {
    absl::StatusOr<DatabaseUrl> url = ParseDatabaseUrl(db_->url());
    EXPECT_TRUE(url.ok()) << url.status();
    auto repo = SociLeadRepository::Open({*url, 2}, &clock_);
    EXPECT_TRUE(repo.ok()) << repo.status();
    return repo.ok() ? *std::move(repo) : nullptr;
  }

  BatchResult Commit(std::vector<v1::PipelineEvent> events, SociLeadRepository* repo = nullptr) {
    std::vector<const v1::PipelineEvent*> batch;
    for (const auto& e : events) batch.push_back(&e);
    absl::StatusOr<BatchResult> result = (repo ? repo : repo_.get())->CommitBatch(batch, engine_);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : BatchResult();
  }

  static v1::PipelineEvent ForLead(v1::PipelineEvent event, const std::string& lead,
                                   const std::string& job = "J1", const std::string& user = "u1") {
    event.set_lead_id(lead);
    event.set_job_id(job);
    event.set_user_id(user);
    return event;
  }

  FixedClock clock_;
  engine::BoardConfig board_ = engine::BoardConfig::Default().WithStallAfter(absl::Minutes(10));
  engine::StageEngine engine_{board_};
  std::unique_ptr<SociLeadRepository> repo_;
};

engine::Move PersonMove(const std::string& stage, const std::string& who,
                        std::optional<int64_t> expected = std::nullopt) {
  engine::Move move;
  move.to_stage = stage;
  move.expected_revision = expected;
  move.actor.set_kind(v1::ACTOR_KIND_PERSON);
  move.actor.set_name(who);
  move.note = absl::StrCat(who, "'s note");
  move.at.set_seconds(1767225600 + 3600);
  return move;
}

TEST_P(SociLeadRepositoryTest, MovesAreConditionalDurableAndKeptInTheHistory) {
  v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true);
  BatchResult enriched = Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
                                 MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 2,
                                           "TavilyEnrichmentAgent"),
                                 end});
  const int64_t at = enriched.last_revision;  // 3

  absl::StatusOr<MoveResult> moved = repo_->MoveLead("L1", "", PersonMove("reviewing", "Ana", at), engine_);
  ASSERT_TRUE(moved.ok()) << moved.status();
  ASSERT_TRUE(moved->change.has_value());
  EXPECT_EQ(moved->change->revision, at + 1);
  v1::WatchLeadsResponse change = Parsed(*moved->change);
  EXPECT_EQ(change.lead_change().kind(), v1::CHANGE_KIND_MOVED);
  EXPECT_EQ(change.lead_change().actor().name(), "Ana");
  EXPECT_EQ(change.lead_change().note(), "Ana's note");
  EXPECT_EQ(*repo_->CurrentRevision(), at + 1);

  // A stale conditional move: Aborted, nothing written.
  absl::StatusOr<MoveResult> stale = repo_->MoveLead("L1", "", PersonMove("negotiating", "Bruno", at), engine_);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.status().message(), HasSubstr("moved there by Ana"));
  // The same move again: no change, no revision.
  absl::StatusOr<MoveResult> again = repo_->MoveLead("L1", "", PersonMove("reviewing", "Ana", at), engine_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->change.has_value());
  EXPECT_EQ(*repo_->CurrentRevision(), at + 1);
  // Scoped to another user, or unknown: NotFound.
  EXPECT_EQ(repo_->MoveLead("L1", "someone-else", PersonMove("negotiating", "Eve"), engine_)
                .status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repo_->MoveLead("ghost", "", PersonMove("negotiating", "Eve"), engine_)
                .status().code(), absl::StatusCode::kNotFound);

  // Durable: a new repository on the same database reads it all back, and
  // the change replays from the log.
  repo_.reset();
  repo_ = Open();
  ASSERT_NE(repo_, nullptr);
  absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1");
  ASSERT_TRUE(lead.ok() && lead->has_value());
  EXPECT_EQ((*lead)->stage(), "reviewing");
  EXPECT_EQ((*lead)->stage_entered_by().name(), "Ana");
  ASSERT_EQ((*lead)->history_size(), 4);  // harvested, research, enriched, reviewing
  EXPECT_EQ((*lead)->history(1).stage(), "research");
  EXPECT_EQ((*lead)->history(1).entered_by().name(), "TavilyEnrichmentAgent");
  EXPECT_EQ((*lead)->history(3).stage(), "reviewing");
  EXPECT_EQ((*lead)->history(3).entered_by().kind(), v1::ACTOR_KIND_PERSON);
  EXPECT_EQ((*lead)->history(3).note(), "Ana's note");
  EXPECT_EQ((*lead)->history(3).revision(), at + 1);
  EXPECT_EQ((*lead)->history(3).entered_at().seconds(), 1767225600 + 3600);
  absl::StatusOr<std::vector<Change>> log = repo_->ReadChanges(at, at + 1, LeadFilter{}, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(Parsed((*log)[0]).lead_change().kind(), v1::CHANGE_KIND_MOVED);
  // The job still counts the lead as enriched: the pipeline's stage, not
  // the person's column, says how its run ended.
  absl::StatusOr<JobPage> jobs = repo_->ListJobs("", "", 10, board_);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->jobs.size(), 1u);
  EXPECT_EQ(jobs->jobs[0].enriched_count(), 1);
  EXPECT_EQ(jobs->jobs[0].lead_count(), 1);
  // History outlives the change log's retention.
  ASSERT_TRUE(repo_->TrimChanges(absl::InfiniteFuture()).ok());
  EXPECT_EQ((*repo_->GetLead("L1"))->history_size(), 4);
}

// GetLead reads a page of visits with the card in one statement; a longer
// history is read again in one transaction, page by page.
TEST_P(SociLeadRepositoryTest, ALongHistoryIsReadWholeInOrderWithItsCardAndTimeline) {
  Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
          MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent"),
          MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true)});
  constexpr int kMoves = 600;  // many times what GetLead reads in one statement
  for (int i = 0; i < kMoves; ++i) {
    absl::StatusOr<MoveResult> moved = repo_->MoveLead(
        "L1", "", PersonMove(i % 2 == 0 ? "reviewing" : "negotiating", absl::StrCat("p", i)),
        engine_);
    ASSERT_TRUE(moved.ok() && moved->change.has_value()) << moved.status();
  }
  engine::stored::TimelineLog timeline;
  absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1", &timeline);
  ASSERT_TRUE(lead.ok() && lead->has_value()) << lead.status();
  ASSERT_EQ((*lead)->history_size(), 3 + kMoves);  // harvested, research, enriched, moves
  for (int i = 1; i < (*lead)->history_size(); ++i) {
    ASSERT_LT((*lead)->history(i - 1).revision(), (*lead)->history(i).revision()) << i;
  }
  EXPECT_EQ((*lead)->history(3).entered_by().name(), "p0");
  EXPECT_EQ((*lead)->history(2 + kMoves).entered_by().name(), absl::StrCat("p", kMoves - 1));
  EXPECT_EQ((*lead)->history(2 + kMoves).stage(), (*lead)->stage());
  EXPECT_EQ((*lead)->history(2 + kMoves).revision(), (*lead)->revision());
  EXPECT_GT(timeline.ByteSizeLong(), 0u);  // the timeline came with the first page
  // A lead with a short history (one statement), and an unknown lead.
  Commit({ForLead(MakeEvent("g2", v1::EVENT_TYPE_LEAD_GENERATED, 0), "L2")});
  absl::StatusOr<std::optional<v1::Lead>> short_one = repo_->GetLead("L2");
  ASSERT_TRUE(short_one.ok() && short_one->has_value());
  EXPECT_EQ((*short_one)->history_size(), 1);
  absl::StatusOr<std::optional<v1::Lead>> ghost = repo_->GetLead("ghost");
  ASSERT_TRUE(ghost.ok());
  EXPECT_FALSE(ghost->has_value());
}

TEST_P(SociLeadRepositoryTest, MigrationsAreIdempotent) {
  Commit({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  repo_.reset();
  repo_ = Open();  // migrates again: nothing to do, data intact
  ASSERT_NE(repo_, nullptr);
  EXPECT_EQ(*repo_->CurrentRevision(), 1);
}

// A direct connection to the test database, beside the repository.
class DirectSession {
 public:
  explicit DirectSession(const std::string& url_text, bool pg) : pg_(pg) {
    absl::StatusOr<DatabaseUrl> url = ParseDatabaseUrl(url_text);
    EXPECT_TRUE(url.ok());
    if (pg) {
      sql_.open(soci::postgresql, url->postgres_conninfo);
    } else {
      sql_.open(soci::sqlite3, absl::StrCat("db=\"", url->sqlite_path, "\""));
    }
  }
  soci::session& sql() { return sql_; }

  // Puts the payload columns back as a version 4 server left them: base64
  // text (standard alphabet, padded, one line), as absl::Base64Escape wrote it.
  void PayloadsBackToBase64(bool with_timelines) {
    struct Column {
      const char* table;
      const char* key;
      const char* column;
    };
    std::vector<Column> columns = {{"events", "event_id", "payload"},
                                   {"changes", "revision", "payload"},
                                   {"leads", "lead_id", "state"},
                                   {"leads", "lead_id", "enrichment"},
                                   {"jobs", "job_id", "state"}};
    if (with_timelines) {
      columns.push_back({"lead_timelines", "lead_id", "log"});
      columns.push_back({"lead_timelines", "lead_id", "steps"});
    }
    for (const Column& c : columns) {
      if (pg_) {
        sql_ << absl::StrCat("ALTER TABLE ", c.table, " ALTER COLUMN ", c.column,
                             " TYPE text USING translate(encode(", c.column,
                             ", 'base64'), E'\\n', '')");
        continue;
      }
      std::vector<std::pair<std::string, std::string>> rows;
      std::string key, value;
      soci::indicator ind = soci::i_null;
      soci::statement read = (sql_.prepare << absl::StrCat("SELECT CAST(", c.key, " AS TEXT), ",
                                                           c.column, " FROM ", c.table),
                              soci::into(key), soci::into(value, ind));
      read.execute();
      while (read.fetch()) {
        if (ind == soci::i_ok) rows.emplace_back(key, absl::Base64Escape(value));
      }
      for (const auto& [k, text] : rows) {
        sql_ << absl::StrCat("UPDATE ", c.table, " SET ", c.column, " = :v WHERE ", c.key,
                             " = :k"),
            soci::use(text), soci::use(k);
      }
    }
  }

  // Leaves the database as a server of `version` did: drops what later
  // versions made that a test does not take back itself (version 7's
  // job_stage_counts and jobs_user), and forgets the later versions.
  void BackToVersion(int version) {
    if (version < 7) {
      sql_ << "DROP TABLE job_stage_counts";
      sql_ << "DROP INDEX jobs_user";
    }
    sql_ << "DELETE FROM schema_version WHERE version > :v", soci::use(version);
  }

  // Each job's leads per pipeline column, as the writes keep them (rows at
  // 0 left out) or, with `recount`, counted from the leads' rows.
  std::map<std::pair<std::string, std::string>, long long> JobCounts(bool recount) {
    std::map<std::pair<std::string, std::string>, long long> counts;
    std::string job, stage;
    long long leads = 0;
    soci::statement st =
        (sql_.prepare << (recount ? "SELECT job_id, COALESCE(NULLIF(pipeline_stage, ''), "
                                    "stage), COUNT(*) FROM leads GROUP BY 1, 2"
                                  : "SELECT job_id, stage, leads FROM job_stage_counts "
                                    "WHERE leads <> 0"),
         soci::into(job), soci::into(stage), soci::into(leads));
    st.execute();
    while (st.fetch()) counts[{job, stage}] = leads;
    return counts;
  }

  // How a payload column is stored: its bytes' length and, on PostgreSQL,
  // its type.
  long long StoredLength(const std::string& table, const std::string& column,
                         const std::string& where) {
    long long length = -1;
    sql_ << absl::StrCat("SELECT ", pg_ ? "octet_length(" : "length(CAST(", column,
                         pg_ ? ")" : " AS BLOB))", " FROM ", table, " WHERE ", where),
        soci::into(length);
    return length;
  }
  std::string ColumnType(const std::string& table, const std::string& column) {
    std::string type;
    sql_ << "SELECT data_type FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = :t AND column_name = :c",
        soci::use(table), soci::use(column), soci::into(type);
    return type;
  }

 private:
  bool pg_;
  soci::session sql_;
};

TEST_P(SociLeadRepositoryTest, AVersionOneDatabaseIsUpgraded) {
  Commit({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  repo_.reset();
  const bool pg = GetParam() == Backend::kPostgres;
  auto index_count = [&](soci::session& sql) {
    int count = -1;
    if (pg) {
      sql << "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'events_lead' "
             "AND schemaname = current_schema()",
          soci::into(count);
    } else {
      sql << "SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_lead'", soci::into(count);
    }
    return count;
  };
  {
    // Back to version 1 as an older server left it.
    DirectSession direct(db_->url(), pg);
    soci::session& sql = direct.sql();
    direct.PayloadsBackToBase64(/*with_timelines=*/false);
    sql << "CREATE INDEX events_lead ON events (lead_id)";
    sql << "DROP TABLE stage_history";
    sql << "ALTER TABLE leads DROP COLUMN pipeline_stage";
    sql << "DROP TABLE lead_timelines";
    sql << "DROP TABLE agent_step_totals";
    for (const char* index : {"leads_stall_at", "leads_stalled", "jobs_stall_at"}) {
      sql << absl::StrCat("DROP INDEX ", index);
    }
    for (const char* column : {"last_event_at", "stall_at", "stalled_since"}) {
      sql << absl::StrCat("ALTER TABLE leads DROP COLUMN ", column);
    }
    for (const char* column : {"last_event_at", "stall_at"}) {
      sql << absl::StrCat("ALTER TABLE jobs DROP COLUMN ", column);
    }
    direct.BackToVersion(1);
    ASSERT_EQ(index_count(sql), 1);
  }
  repo_ = Open();
  ASSERT_NE(repo_, nullptr);
  DirectSession direct(db_->url(), pg);
  EXPECT_EQ(index_count(direct.sql()), 0);
  long long version = 0;
  direct.sql() << "SELECT MAX(version) FROM schema_version", soci::into(version);
  EXPECT_EQ(version, kSchemaVersion);
  // Data intact.
  EXPECT_EQ(*repo_->CurrentRevision(), 1);
  absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1");
  ASSERT_TRUE(lead.ok() && lead->has_value()) << lead.status();
  EXPECT_EQ((*lead)->revision(), 1);
  absl::StatusOr<std::vector<Change>> log = repo_->ReadChanges(0, 1, LeadFilter{}, 10);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(Parsed((*log)[0]).lead_change().lead().id(), "L1");
}

// Everything a version 4 server stored as base64 reads back the same from
// version 5's bytes: cards, packages (whose doubles hold zero bytes),
// timelines, steps, jobs and the change log; and the rows shrink to the
// payloads' own size.
TEST_P(SociLeadRepositoryTest, AVersionFourDatabaseKeepsItsPayloadsAsBytes) {
  const bool pg = GetParam() == Backend::kPostgres;
  v1::PipelineEvent end = MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 20, "", true);
  end.mutable_enrichment()->set_confidence_score(0.5);  // 00 00 00 00 00 00 e0 3f
  end.mutable_enrichment()->add_strategic_questions("Quem aprova a compra?");
  Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
          MakeEvent("q1", v1::EVENT_TYPE_AGENT_START, 1, "lead_qualification_agent"),
          AgentEnd("q2", 4, "lead_qualification_agent", true)});
  Commit({MakeEvent("p1", v1::EVENT_TYPE_AGENT_START, 6, "pain_point_deepening_agent"), end});
  auto read_all = [&] {
    engine::stored::TimelineLog timeline;
    absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1", &timeline);
    EXPECT_TRUE(lead.ok() && lead->has_value()) << lead.status();
    absl::StatusOr<std::vector<Change>> log = repo_->ReadChanges(0, 100, LeadFilter{}, 100);
    EXPECT_TRUE(log.ok()) << log.status();
    absl::StatusOr<JobPage> jobs = repo_->ListJobs("", "", 10, board_);
    EXPECT_TRUE(jobs.ok()) << jobs.status();
    absl::StatusOr<v1::GetAgentStatsResponse> stats =
        repo_->GetAgentStats({"u1", "", std::nullopt, std::nullopt});  // read from the steps
    EXPECT_TRUE(stats.ok()) << stats.status();
    std::string all;
    if (lead.ok() && lead->has_value()) absl::StrAppend(&all, (*lead)->SerializeAsString());
    absl::StrAppend(&all, "|", timeline.SerializeAsString());
    for (const Change& change : log.ok() ? *log : std::vector<Change>{}) {
      absl::StrAppend(&all, "|", *change.wire);
    }
    if (jobs.ok()) absl::StrAppend(&all, "|", jobs->jobs.at(0).SerializeAsString());
    if (stats.ok()) absl::StrAppend(&all, "|", stats->SerializeAsString());
    return all;
  };
  const std::string before = read_all();
  absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1");
  ASSERT_TRUE(lead.ok() && lead->has_value());
  const std::string package = (*lead)->enrichment().SerializeAsString();
  ASSERT_NE(package.find('\0'), std::string::npos);  // bytes a C string would cut
  EXPECT_EQ((*lead)->enrichment().strategic_questions(0), "Quem aprova a compra?");
  repo_.reset();
  {
    DirectSession direct(db_->url(), pg);
    direct.PayloadsBackToBase64(/*with_timelines=*/true);
    direct.BackToVersion(4);
    EXPECT_EQ(direct.StoredLength("leads", "enrichment", "lead_id = 'L1'"),
              static_cast<long long>(absl::Base64Escape(package).size()));
  }
  repo_ = Open();
  ASSERT_NE(repo_, nullptr);
  EXPECT_EQ(read_all(), before);
  DirectSession direct(db_->url(), pg);
  EXPECT_EQ(direct.StoredLength("leads", "enrichment", "lead_id = 'L1'"),
            static_cast<long long>(package.size()));
  if (pg) {
    for (const auto& [table, column] : std::vector<std::pair<std::string, std::string>>{
             {"events", "payload"}, {"changes", "payload"}, {"leads", "state"},
             {"leads", "enrichment"}, {"jobs", "state"}, {"lead_timelines", "log"},
             {"lead_timelines", "steps"}}) {
      EXPECT_EQ(direct.ColumnType(table, column), "bytea") << table << "." << column;
    }
  }
  // And it goes on writing: the next event reads and rewrites every row.
  Commit({MakeEvent("p2", v1::EVENT_TYPE_AGENT_END, 21, "pain_point_deepening_agent", true)});
  EXPECT_NE(read_all(), before);
}

// A lead's timeline is rewritten with each of its agent events. Kept
// WITHOUT ROWID (up to version 5) a timeline of one run with its steps
// (~1.4 KB) spilled to an overflow page, and every rewrite freed one and
// took another; from version 6 it is a rowid table whose leaf holds it.
// A version 5 database is converted with its timelines intact.
TEST_P(SociLeadRepositoryTest, ATimelineOfAWholeRunFitsItsPage) {
  if (GetParam() != Backend::kSqlite) GTEST_SKIP() << "SQLite's page layout only";
  const std::vector<std::string> agents = {
      "lead_qualification_agent",   "pain_point_deepening_agent",  "competitor_analysis_agent",
      "buying_trigger_agent",       "value_proposition_agent",     "strategic_question_agent",
      "objection_handling_agent",   "contact_discovery_agent",     "decision_maker_agent",
      "tech_stack_agent",           "funding_research_agent",      "news_monitoring_agent",
      "social_signal_agent",        "persona_mapping_agent",       "outreach_strategy_agent"};
  std::vector<v1::PipelineEvent> run = {MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0)};
  for (size_t i = 0; i < agents.size(); ++i) {
    const int at = 1 + 2 * static_cast<int>(i);
    run.push_back(MakeEvent(absl::StrCat("s", i), v1::EVENT_TYPE_AGENT_START, at, agents[i]));
    run.push_back(AgentEnd(absl::StrCat("e", i), at + 1, agents[i], true));
  }
  for (const v1::PipelineEvent& event : run) Commit({event});  // one rewrite per event
  DirectSession direct(db_->url(), false);
  auto overflow_pages = [&direct] {
    long long pages = -1;
    direct.sql() << "SELECT COUNT(*) FROM dbstat WHERE name = 'lead_timelines' "
                    "AND pagetype = 'overflow'",
        soci::into(pages);
    return pages;
  };
  auto timeline = [this] {
    engine::stored::TimelineLog log;
    absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1", &log);
    EXPECT_TRUE(lead.ok() && lead->has_value()) << lead.status();
    return log.SerializeAsString();
  };
  ASSERT_GT(direct.StoredLength("lead_timelines", "log", "lead_id = 'L1'") +
                direct.StoredLength("lead_timelines", "steps", "lead_id = 'L1'"),
            1100);  // over what a WITHOUT ROWID row keeps in its page
  EXPECT_EQ(overflow_pages(), 0);
  const std::string before = timeline();
  ASSERT_FALSE(before.empty());

  // Back to version 5's table, as an older server left it.
  repo_.reset();
  direct.sql() << "CREATE TABLE old_timelines (lead_id TEXT PRIMARY KEY, log TEXT NOT NULL, "
                  "steps TEXT NOT NULL, last_at BIGINT NOT NULL) WITHOUT ROWID";
  direct.sql() << "INSERT INTO old_timelines SELECT * FROM lead_timelines";
  direct.sql() << "DROP TABLE lead_timelines";
  direct.sql() << "ALTER TABLE old_timelines RENAME TO lead_timelines";
  direct.sql() << "CREATE INDEX lead_timelines_last ON lead_timelines (last_at)";
  direct.BackToVersion(5);
  ASSERT_GT(overflow_pages(), 0);
  repo_ = Open();
  ASSERT_NE(repo_, nullptr);
  EXPECT_EQ(overflow_pages(), 0);
  EXPECT_EQ(timeline(), before);
  long long indexes = 0;
  direct.sql() << "SELECT COUNT(*) FROM sqlite_master WHERE name = 'lead_timelines_last'",
      soci::into(indexes);
  EXPECT_EQ(indexes, 1);
}

// A payload that is neither its bytes nor bytea's text form is a corrupt
// row, said so, not a crash or an empty card.
TEST_P(SociLeadRepositoryTest, ACorruptPayloadIsReportedAsSuch) {
  const bool pg = GetParam() == Backend::kPostgres;
  Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  {
    DirectSession direct(db_->url(), pg);
    // 0xFF 0xFF: a tag with a varint that never ends.
    direct.sql() << (pg ? "UPDATE leads SET state = '\\xffff'"
                        : "UPDATE leads SET state = CAST(X'FFFF' AS TEXT)");
  }
  absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1");
  EXPECT_EQ(lead.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(lead.status().message(), HasSubstr("corrupt lead row"));
}

TEST_P(SociLeadRepositoryTest, TheWriterHoldsNoReadBetweenBatches) {
  // The SQLite writer reuses its prepared statements; a read left pending
  // between batches would pin its snapshot, and the write-ahead log could
  // never be reset (it grew past 1 GB in a benchmark before this test).
  if (GetParam() != Backend::kSqlite) GTEST_SKIP() << "SQLite's log only";
  for (int i = 0; i < 3; ++i) {
    Commit({ForLead(MakeEvent(absl::StrCat("e", i), v1::EVENT_TYPE_LEAD_GENERATED, i), "L1"),
            ForLead(MakeEvent(absl::StrCat("f", i), v1::EVENT_TYPE_STATUS_UPDATE, i), "L1")});
  }
  absl::StatusOr<DatabaseUrl> url = ParseDatabaseUrl(db_->url());
  ASSERT_TRUE(url.ok());
  soci::session other(soci::sqlite3, absl::StrCat("db=\"", url->sqlite_path, "\""));
  other << "PRAGMA busy_timeout=0";
  int busy = -1;
  long long log = 0, copied = 0;
  // TRUNCATE needs every reader gone: busy = 1 if one is still there.
  other << "PRAGMA wal_checkpoint(TRUNCATE)", soci::into(busy), soci::into(log),
      soci::into(copied);
  EXPECT_EQ(busy, 0);
  EXPECT_EQ(log, 0);  // the log was emptied
  // And the writer carries on.
  const int64_t before = *repo_->CurrentRevision();
  Commit({ForLead(MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 9), "L2")});
  EXPECT_EQ(*repo_->CurrentRevision(), before + 1);
}

TEST_P(SociLeadRepositoryTest, CommitsEventsWithDenseRevisions) {
  BatchResult result = Commit({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0),
                               MakeEvent("2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1),
                               MakeEvent("3", v1::EVENT_TYPE_AGENT_START, 2, "TavilyEnrichmentAgent")});
  ASSERT_EQ(result.outcomes.size(), 3u);
  for (const auto& outcome : result.outcomes) EXPECT_EQ(outcome.kind, EventOutcome::Kind::kAccepted);
  ASSERT_EQ(result.changes.size(), 3u);
  EXPECT_EQ(result.changes[0].revision, 1);
  EXPECT_EQ(result.changes[2].revision, 3);
  EXPECT_EQ(Parsed(result.changes[0]).lead_change().kind(), v1::CHANGE_KIND_CREATED);
  EXPECT_EQ(Parsed(result.changes[2]).lead_change().lead().stage(), "research");
  EXPECT_EQ(result.last_revision, 3);
  EXPECT_EQ(*repo_->CurrentRevision(), 3);
  auto lead = repo_->GetLead("L1");
  ASSERT_TRUE(lead.ok() && lead->has_value());
  EXPECT_EQ((*lead)->stage(), "research");
  EXPECT_EQ((*lead)->revision(), 3);
}

TEST_P(SociLeadRepositoryTest, DuplicatesAreCountedAndChangeNothing) {
  Commit({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  BatchResult again = Commit({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0),
                              MakeEvent("2", v1::EVENT_TYPE_AGENT_START, 1, "TavilyEnrichmentAgent"),
                              MakeEvent("2", v1::EVENT_TYPE_AGENT_START, 1, "TavilyEnrichmentAgent")});
  EXPECT_EQ(again.outcomes[0].kind, EventOutcome::Kind::kDuplicate);
  EXPECT_EQ(again.outcomes[1].kind, EventOutcome::Kind::kAccepted);
  EXPECT_EQ(again.outcomes[2].kind, EventOutcome::Kind::kDuplicate);
  EXPECT_EQ(again.changes.size(), 1u);
  EXPECT_EQ(*repo_->CurrentRevision(), 2);
}

TEST_P(SociLeadRepositoryTest, ARejectedEventIsNotStoredSoItCanBeResentFixed) {
  Commit({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  v1::PipelineEvent intruder = MakeEvent("2", v1::EVENT_TYPE_AGENT_START, 1, "TavilyEnrichmentAgent");
  intruder.set_user_id("mallory");
  BatchResult result = Commit({intruder});
  ASSERT_EQ(result.outcomes[0].kind, EventOutcome::Kind::kRejected);
  EXPECT_EQ(result.outcomes[0].rejection.field, "user_id");
  intruder.set_user_id("u1");
  EXPECT_EQ(Commit({intruder}).outcomes[0].kind, EventOutcome::Kind::kAccepted);
}

// Ids reach the database as values, whatever they hold: a small batch on
// PostgreSQL is staged with literals, a large one with COPY.
TEST_P(SociLeadRepositoryTest, IdsWithQuotesAndBackslashesAreStoredAsSent) {
  const std::string lead = "o'brien\\lead\ttab";
  const std::string user = "user 'x'";
  for (int count : {1, 20}) {
    std::vector<v1::PipelineEvent> events;
    for (int i = 0; i < count; ++i) {
      events.push_back(ForLead(MakeEvent(absl::StrCat("it's\\", count, "-", i),
                                         v1::EVENT_TYPE_STATUS_UPDATE, i),
                               absl::StrCat(lead, count), "J'1", user));
    }
    BatchResult result = Commit(events);
    ASSERT_EQ(result.outcomes.size(), static_cast<size_t>(count));
    EXPECT_EQ(result.outcomes[0].kind, EventOutcome::Kind::kAccepted);
    // Sent again: every one is a duplicate (the ids matched as stored).
    BatchResult again = Commit(events);
    for (const EventOutcome& outcome : again.outcomes) {
      EXPECT_EQ(outcome.kind, EventOutcome::Kind::kDuplicate);
    }
    absl::StatusOr<std::optional<v1::Lead>> stored = repo_->GetLead(absl::StrCat(lead, count));
    ASSERT_TRUE(stored.ok() && stored->has_value()) << stored.status();
    EXPECT_EQ((*stored)->user_id(), user);
    EXPECT_EQ((*stored)->job_id(), "J'1");
    // Each event's row holds the event itself.
    DirectSession direct(db_->url(), GetParam() == Backend::kPostgres);
    for (const v1::PipelineEvent& event : events) {
      std::string payload;
      direct.sql() << "SELECT payload FROM events WHERE event_id = :id", soci::use(event.event_id()),
          soci::into(payload);
      v1::PipelineEvent read;
      ASSERT_TRUE(Decode(payload, &read, "event").ok()) << event.event_id();
      EXPECT_EQ(read.SerializeAsString(), event.SerializeAsString());
    }
  }
}

TEST_P(SociLeadRepositoryTest, StoresTheEnrichmentApartFromTheCard) {
  v1::PipelineEvent end = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_END, 5, "", true);
  auto* pain = end.mutable_enrichment()->mutable_pain_point_analysis();
  pain->set_primary_pain_category("Processos manuais excessivos");
  pain->set_urgency_level(v1::URGENCY_LEVEL_HIGH);
  BatchResult result = Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0), end});
  ASSERT_EQ(result.changes.size(), 2u);
  // The ENRICHED change carries the full lead.
  EXPECT_EQ(Parsed(result.changes[1]).lead_change().kind(), v1::CHANGE_KIND_ENRICHED);
  EXPECT_EQ(Parsed(result.changes[1]).lead_change().lead().enrichment().pain_point_analysis()
                .primary_pain_category(),
            "Processos manuais excessivos");
  auto lead = repo_->GetLead("L1");
  ASSERT_TRUE(lead.ok() && lead->has_value());
  EXPECT_EQ((*lead)->enrichment().pain_point_analysis().urgency_level(), v1::URGENCY_LEVEL_HIGH);
  // Cards (snapshot, lists) come without it.
  auto snapshot = repo_->ReadSnapshot({});
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(snapshot->cards.size(), 1u);
  EXPECT_FALSE(snapshot->cards[0].has_enrichment());
  EXPECT_TRUE(snapshot->cards[0].enrichment_stored());
  auto full = repo_->ListLeads({}, "", 10, /*full=*/true);
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(full->leads[0].has_enrichment());
}

TEST_P(SociLeadRepositoryTest, APackageOutlivesItsLeadsLaterWritesSmallBatchesAndLarge) {
  v1::PipelineEvent end = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_END, 5, "", true);
  end.mutable_enrichment()->add_strategic_questions("Quem aprova a compra?");
  Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0), end});
  // A later event of the lead alone (a small batch: its row as literals),
  // then with 30 other leads (a large one: PostgreSQL stages the rows with
  // COPY): neither carries a package, and neither may drop the stored one.
  v1::PipelineEvent note = MakeEvent("n1", v1::EVENT_TYPE_STATUS_UPDATE, 6);
  note.set_message("follow-up scheduled");
  Commit({note});
  std::vector<v1::PipelineEvent> many;
  for (int i = 0; i < 30; ++i) {
    many.push_back(ForLead(MakeEvent(absl::StrCat("g", i), v1::EVENT_TYPE_LEAD_GENERATED, 7),
                           absl::StrCat("other-", i)));
  }
  v1::PipelineEvent again = MakeEvent("n2", v1::EVENT_TYPE_STATUS_UPDATE, 8);
  again.set_message("called back");
  many.push_back(again);
  Commit(many);
  absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1");
  ASSERT_TRUE(lead.ok() && lead->has_value()) << lead.status();
  ASSERT_EQ((*lead)->enrichment().strategic_questions_size(), 1);
  EXPECT_EQ((*lead)->enrichment().strategic_questions(0), "Quem aprova a compra?");
  EXPECT_EQ((*lead)->activity(), "called back");
}

TEST_P(SociLeadRepositoryTest, LargeValuesAreCompressedWithLz4WhereTheServerHasIt) {
  if (GetParam() != Backend::kPostgres) GTEST_SKIP() << "PostgreSQL's compression only";
  DirectSession direct(db_->url(), /*pg=*/true);
  try {
    direct.sql() << "SET default_toast_compression = lz4";
  } catch (const soci::soci_error&) {
    GTEST_SKIP() << "this PostgreSQL has no lz4: the repository keeps pglz";
  }
  // A package of ~20 KB of repetitive text: over the 2 KB past which
  // PostgreSQL compresses a row's values.
  v1::PipelineEvent end = MakeEvent("e", v1::EVENT_TYPE_PIPELINE_END, 5, "", true);
  for (int i = 0; i < 200; ++i) {
    end.mutable_enrichment()->add_strategic_questions(
        absl::StrCat("Quem aprova a compra de ferramentas de automação? (", i, ")"));
  }
  Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0), end});
  std::string events, leads;
  direct.sql() << "SELECT pg_column_compression(payload) FROM events WHERE event_id = 'e'",
      soci::into(events);
  direct.sql() << "SELECT pg_column_compression(enrichment) FROM leads WHERE lead_id = 'L1'",
      soci::into(leads);
  EXPECT_EQ(events, "lz4");
  EXPECT_EQ(leads, "lz4");
  absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead("L1");
  ASSERT_TRUE(lead.ok() && lead->has_value());
  ASSERT_EQ((*lead)->enrichment().strategic_questions_size(), 200);
  EXPECT_EQ((*lead)->enrichment().strategic_questions(199),
            "Quem aprova a compra de ferramentas de automação? (199)");
}

TEST_P(SociLeadRepositoryTest, ConcurrentWritersGetDenseInOrderRevisions) {
  // Two repositories on one database stand for two replicas.
  std::unique_ptr<SociLeadRepository> other = Open();
  ASSERT_NE(other, nullptr);
  constexpr int kBatches = 20;
  auto write = [&](SociLeadRepository* repo, const std::string& prefix) {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<v1::PipelineEvent> events;
      for (int i = 0; i < 5; ++i) {
        events.push_back(ForLead(MakeEvent(absl::StrCat(prefix, b, "-", i),
                                           v1::EVENT_TYPE_LEAD_GENERATED, b),
                                 absl::StrCat(prefix, b, "-", i)));
      }
      Commit(events, repo);
    }
  };
  std::thread a(write, repo_.get(), "a");
  std::thread b(write, other.get(), "b");
  a.join();
  b.join();
  const int64_t total = 2 * kBatches * 5;
  EXPECT_EQ(*repo_->CurrentRevision(), total);
  auto changes = repo_->ReadChanges(0, total, {}, 10000);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) EXPECT_EQ((*changes)[i].revision, i + 1);
  // Both added to J1's count, neither over the other.
  absl::StatusOr<JobPage> jobs = repo_->ListJobs("", "", 10, board_);
  ASSERT_TRUE(jobs.ok() && jobs->jobs.size() == 1) << jobs.status();
  EXPECT_EQ(jobs->jobs[0].lead_count(), total);
}

TEST_P(SociLeadRepositoryTest, FiltersByUserJobAndStage) {
  Commit({ForLead(MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0), "A", "J1", "u1"),
          ForLead(MakeEvent("2", v1::EVENT_TYPE_LEAD_GENERATED, 0), "B", "J2", "u1"),
          ForLead(MakeEvent("3", v1::EVENT_TYPE_LEAD_GENERATED, 0), "C", "J3", "u2"),
          ForLead(MakeEvent("4", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1), "B", "J2", "u1")});
  EXPECT_EQ(repo_->ReadSnapshot({"u1", "", ""})->cards.size(), 2u);
  EXPECT_EQ(repo_->ReadSnapshot({"", "J3", ""})->cards.size(), 1u);
  EXPECT_EQ(repo_->ReadChanges(0, 100, {"u2", "", ""}, 100)->size(), 1u);
  auto counts = repo_->CountByStage({"u1", "", ""});
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)["harvested"].leads, 1);
  EXPECT_EQ((*counts)["intake"].leads, 1);
  auto intake = repo_->ListLeads({"", "", "intake"}, "", 10, false);
  ASSERT_EQ(intake->leads.size(), 1u);
  EXPECT_EQ(intake->leads[0].id(), "B");
}

TEST_P(SociLeadRepositoryTest, PagesThroughLeadsAndJobs) {
  std::vector<v1::PipelineEvent> events;
  for (int i = 0; i < 7; ++i) {
    events.push_back(ForLead(MakeEvent(absl::StrCat("e", i), v1::EVENT_TYPE_LEAD_GENERATED, i),
                             absl::StrCat("L", i), absl::StrCat("J", i % 3)));
  }
  Commit(events);
  std::vector<std::string> seen;
  std::string after;
  do {
    auto page = repo_->ListLeads({}, after, 3, false);
    ASSERT_TRUE(page.ok());
    for (const auto& lead : page->leads) seen.push_back(lead.id());
    after = page->next_after;
  } while (!after.empty());
  EXPECT_THAT(seen, ::testing::ElementsAre("L0", "L1", "L2", "L3", "L4", "L5", "L6"));

  auto jobs = repo_->ListJobs("", "", 2, board_);
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->jobs.size(), 2u);
  EXPECT_EQ(jobs->jobs[0].id(), "J2");  // newest first (started latest)
  EXPECT_EQ(jobs->jobs[0].lead_count(), 2);  // L2, L5: each job of a page its own counts
  EXPECT_EQ(jobs->jobs[1].id(), "J1");
  EXPECT_EQ(jobs->jobs[1].lead_count(), 2);  // L1, L4
  auto rest = repo_->ListJobs("", jobs->next_token, 2, board_);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->jobs.size(), 1u);
  EXPECT_EQ(rest->jobs[0].id(), "J0");
  EXPECT_EQ(rest->jobs[0].lead_count(), 3);  // L0, L3, L6
  EXPECT_TRUE(rest->next_token.empty());
  EXPECT_EQ(repo_->ListJobs("", "garbage!", 2, board_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// One user's jobs page by their start like everybody's, newest first; a
// job an earlier event reaches moves back in both orders.
TEST_P(SociLeadRepositoryTest, PagesThroughOneUsersJobsByTheirStart) {
  auto harvest = [](const std::string& job, int second, const std::string& user) {
    return ForLead(MakeEvent(absl::StrCat(job, "-", second), v1::EVENT_TYPE_LEAD_GENERATED,
                             second),
                   absl::StrCat(job, "-lead"), job, user);
  };
  Commit({harvest("A1", 100, "u1"), harvest("B1", 200, "u2"), harvest("A2", 300, "u1"),
          harvest("B2", 400, "u2"), harvest("A3", 500, "u1"), harvest("B3", 600, "u2")});
  // Every page of `user`'s jobs (everybody's: ""), `size` a page.
  auto pages = [this](const std::string& user, int size) {
    std::vector<std::string> out;
    std::string token;
    do {
      absl::StatusOr<JobPage> page = repo_->ListJobs(user, token, size, board_);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      std::string ids;
      for (const v1::Job& job : page->jobs) absl::StrAppend(&ids, job.id(), " ");
      out.push_back(ids);
      token = page->next_token;
    } while (!token.empty());
    return out;
  };
  EXPECT_THAT(pages("u1", 2), ::testing::ElementsAre("A3 A2 ", "A1 "));
  EXPECT_THAT(pages("u2", 3), ::testing::ElementsAre("B3 B2 B1 "));
  EXPECT_THAT(pages("", 4), ::testing::ElementsAre("B3 A3 B2 A2 ", "B1 A1 "));
  EXPECT_THAT(pages("nobody", 4), ::testing::ElementsAre(""));

  // An event of A3 from before every other job: A3 started first.
  Commit({harvest("A3", 10, "u1")});
  EXPECT_THAT(pages("u1", 2), ::testing::ElementsAre("A2 A1 ", "A3 "));
  EXPECT_THAT(pages("", 4), ::testing::ElementsAre("B3 B2 A2 B1 ", "A1 A3 "));
}

// A job's counts are kept by the writes: a new lead counts in its job, a
// finished run as enriched or failed, a person's move changes nothing (the
// pipeline's column counts), a run in another job takes the lead's count
// there; resent and rejected events count nothing; a large batch (COPY
// on PostgreSQL) counts like a small one. After each step the kept counts
// are what counting the leads' rows gives.
TEST_P(SociLeadRepositoryTest, JobCountsFollowLeadsThroughRunsMovesAndNewJobs) {
  const bool pg = GetParam() == Backend::kPostgres;
  // (leads, enriched, failed) of a job; -1s: not listed.
  auto counts = [this, pg](const std::string& job) {
    DirectSession direct(db_->url(), pg);
    EXPECT_EQ(direct.JobCounts(false), direct.JobCounts(true));
    absl::StatusOr<JobPage> page = repo_->ListJobs("", "", 100, board_);
    EXPECT_TRUE(page.ok()) << page.status();
    for (const v1::Job& j : page.ok() ? page->jobs : std::vector<v1::Job>{}) {
      if (j.id() == job) return std::make_tuple(j.lead_count(), j.enriched_count(), j.failed_count());
    }
    return std::make_tuple(int64_t{-1}, int64_t{-1}, int64_t{-1});
  };
  using C = std::tuple<int64_t, int64_t, int64_t>;
  std::vector<v1::PipelineEvent> first = {MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
                                          ForLead(MakeEvent("g2", v1::EVENT_TYPE_LEAD_GENERATED,
                                                            0), "L2")};
  Commit(first);
  EXPECT_EQ(counts("J1"), C(2, 0, 0));
  Commit({MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true),
          ForLead(MakeEvent("f", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 3, "", false), "L2")});
  EXPECT_EQ(counts("J1"), C(2, 1, 1));
  for (const EventOutcome& outcome : Commit(first).outcomes) {
    EXPECT_EQ(outcome.kind, EventOutcome::Kind::kDuplicate);
  }
  EXPECT_EQ(counts("J1"), C(2, 1, 1));

  // A person's move: the pipeline still has the lead enriched.
  absl::StatusOr<MoveResult> moved =
      repo_->MoveLead("L1", "", PersonMove("reviewing", "Ana"), engine_);
  ASSERT_TRUE(moved.ok() && moved->change) << moved.status();
  EXPECT_EQ(counts("J1"), C(2, 1, 1));

  // L1 runs again in J2: it leaves J1's enriched leads.
  Commit({ForLead(MakeEvent("s2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 100), "L1", "J2")});
  EXPECT_EQ(counts("J1"), C(1, 0, 1));
  EXPECT_EQ(counts("J2"), C(1, 0, 0));
  // Stalled mid-run: still counted where it is.
  clock_.now += absl::Minutes(11);
  absl::StatusOr<SweepResult> swept = repo_->SweepStalls(engine_);
  ASSERT_TRUE(swept.ok()) << swept.status();
  ASSERT_EQ(swept->changes.size(), 1u);
  EXPECT_EQ(counts("J2"), C(1, 0, 0));

  // A rejected event (another user's, for L2 in a new job) moves nothing.
  v1::PipelineEvent intruder = ForLead(
      MakeEvent("x", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 200), "L2", "J9", "mallory");
  EXPECT_EQ(Commit({intruder}).outcomes.at(0).kind, EventOutcome::Kind::kRejected);
  EXPECT_EQ(counts("J1"), C(1, 0, 1));
  EXPECT_EQ(counts("J9"), C(-1, -1, -1));

  // 40 leads in one batch, half of them enriched in it.
  std::vector<v1::PipelineEvent> many;
  for (int i = 0; i < 40; ++i) {
    const std::string lead = absl::StrCat("M", i);
    many.push_back(ForLead(MakeEvent(absl::StrCat("m", i), v1::EVENT_TYPE_LEAD_GENERATED, 0),
                           lead, "J3"));
    if (i % 2 == 0) {
      many.push_back(ForLead(MakeEvent(absl::StrCat("n", i), v1::EVENT_TYPE_PIPELINE_END, 9, "",
                                       true), lead, "J3"));
    }
  }
  Commit(many);
  EXPECT_EQ(counts("J3"), C(40, 20, 0));
  EXPECT_EQ(counts("J1"), C(1, 0, 1));
}

// A version 6 database (no kept counts) gets its jobs' counts from its
// leads' rows when it is upgraded, and the writes go on from there.
TEST_P(SociLeadRepositoryTest, AVersionSixDatabaseCountsItsJobsLeadsOnUpgrade) {
  const bool pg = GetParam() == Backend::kPostgres;
  Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
          ForLead(MakeEvent("g2", v1::EVENT_TYPE_LEAD_GENERATED, 0), "L2"),
          ForLead(MakeEvent("g3", v1::EVENT_TYPE_LEAD_GENERATED, 0), "L3", "J2"),
          MakeEvent("end", v1::EVENT_TYPE_PIPELINE_END, 9, "", true)});
  ASSERT_TRUE(repo_->MoveLead("L1", "", PersonMove("reviewing", "Ana"), engine_).ok());
  auto page = [this] {
    absl::StatusOr<JobPage> jobs = repo_->ListJobs("", "", 10, board_);
    EXPECT_TRUE(jobs.ok()) << jobs.status();
    std::string all;
    for (const v1::Job& job : jobs.ok() ? jobs->jobs : std::vector<v1::Job>{}) {
      absl::StrAppend(&all, job.id(), ":", job.lead_count(), "/", job.enriched_count(), " ");
    }
    return all;
  };
  const std::string before = page();
  EXPECT_EQ(before, "J1:2/1 J2:1/0 ");
  repo_.reset();
  {
    DirectSession direct(db_->url(), pg);
    direct.BackToVersion(6);
  }
  repo_ = Open();
  ASSERT_NE(repo_, nullptr);
  EXPECT_EQ(page(), before);
  Commit({ForLead(MakeEvent("end3", v1::EVENT_TYPE_PIPELINE_END, 9, "", true), "L3", "J2")});
  EXPECT_EQ(page(), "J1:2/1 J2:1/1 ");
  DirectSession direct(db_->url(), pg);
  EXPECT_EQ(direct.JobCounts(false), direct.JobCounts(true));
}

TEST_P(SociLeadRepositoryTest, TrimsTheChangeLogByAge) {
  Commit({MakeEvent("1", v1::EVENT_TYPE_LEAD_GENERATED, 0)});
  clock_.now += absl::Hours(2);
  Commit({MakeEvent("2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});
  EXPECT_EQ(repo_->ChangeLogRange()->oldest, 1);
  EXPECT_EQ(repo_->ChangeLogRange()->current, 2);
  auto trimmed = repo_->TrimChanges(clock_.now - absl::Hours(1));
  ASSERT_TRUE(trimmed.ok());
  EXPECT_EQ(*trimmed, 1);
  EXPECT_EQ(repo_->ChangeLogRange()->oldest, 2);
  EXPECT_EQ(*repo_->TrimChanges(clock_.now + absl::Hours(1)), 1);
  EXPECT_EQ(repo_->ChangeLogRange()->oldest, 3);  // empty log: current + 1
}

v1::PipelineEvent AgentEnd(const std::string& id, int second, const std::string& agent, bool ok) {
  return MakeEvent(id, v1::EVENT_TYPE_AGENT_END, second, agent, ok);
}

const v1::AgentStats* StatsOf(const v1::GetAgentStatsResponse& stats, const std::string& agent) {
  for (const v1::AgentStats& a : stats.agents()) {
    if (a.agent() == agent) return &a;
  }
  return nullptr;
}

// The unfiltered answer comes from running totals, a filtered one from the
// rows: the two must agree.
void ExpectTotalsMatchRows(SociLeadRepository* repo) {
  auto totals = repo->GetAgentStats({});
  auto rows = repo->GetAgentStats({"", "", absl::UnixEpoch(), std::nullopt});
  ASSERT_TRUE(totals.ok() && rows.ok());
  EXPECT_EQ(totals->DebugString(), rows->DebugString());
}

// Steps are paired whatever batches and order their events come in, kept
// with the lead (GetLead's timeline) and counted per agent.
TEST_P(SociLeadRepositoryTest, KeepsAgentStepsAndCountsThemPerAgent) {
  // A run whose events arrive in three batches, ends before starts.
  Commit({AgentEnd("q2", 4, "lead_qualification_agent", true),
          MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0),
          AgentEnd("p2", 9, "pain_point_deepening_agent", false)});
  Commit({MakeEvent("p3", v1::EVENT_TYPE_AGENT_START, 10, "pain_point_deepening_agent"),
          MakeEvent("q1", v1::EVENT_TYPE_AGENT_START, 1, "LeadQualificationAgent")});
  Commit({MakeEvent("p1", v1::EVENT_TYPE_AGENT_START, 6, "pain_point_deepening_agent"),
          MakeEvent("q1-again", v1::EVENT_TYPE_AGENT_START, 1, "lead_qualification_agent")});
  // Another lead of another job: one step, failed.
  Commit({ForLead(MakeEvent("o1", v1::EVENT_TYPE_AGENT_START, 2, "lead_qualification_agent"),
                  "L2", "J2"),
          ForLead(AgentEnd("o2", 7, "lead_qualification_agent", false), "L2", "J2")});

  engine::stored::TimelineLog log;
  auto lead = repo_->GetLead("L1", &log);
  ASSERT_TRUE(lead.ok() && lead->has_value()) << lead.status();
  std::vector<v1::AgentRun> runs = engine::BuildRuns(board_, log, **lead);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].steps_size(), 3);
  EXPECT_EQ(runs[0].steps(0).status(), v1::STEP_STATUS_SUCCEEDED);
  EXPECT_EQ(runs[0].steps(1).status(), v1::STEP_STATUS_FAILED);
  EXPECT_EQ(runs[0].steps(2).status(), v1::STEP_STATUS_RUNNING);  // p3: no end yet
  EXPECT_EQ(runs[0].steps(2).attempt(), 2);

  auto stats = repo_->GetAgentStats({});
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->steps(), 4);
  ExpectTotalsMatchRows(repo_.get());
  const v1::AgentStats* q = StatsOf(*stats, "leadqualification");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->steps(), 2);
  EXPECT_EQ(q->succeeded(), 1);
  EXPECT_EQ(q->failed(), 1);
  EXPECT_DOUBLE_EQ(q->failure_rate(), 0.5);
  EXPECT_EQ(q->max().seconds(), 5);  // L2's 2 -> 7
  const v1::AgentStats* p = StatsOf(*stats, "painpointdeepening");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->steps(), 2);
  EXPECT_EQ(p->running(), 1);
  EXPECT_EQ(p->retries(), 1);
  EXPECT_NEAR(p->p50().seconds() + p->p50().nanos() / 1e9, 3.0, 0.03);

  // Filters: by job, and by when steps started.
  auto j2 = repo_->GetAgentStats({"", "J2", std::nullopt, std::nullopt});
  ASSERT_TRUE(j2.ok());
  EXPECT_EQ(j2->steps(), 1);
  auto late = repo_->GetAgentStats(
      {"", "", absl::FromUnixSeconds(1767225600 + 5), std::nullopt});
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->steps(), 2);  // p1 (6) and p3 (10)
  auto other_user = repo_->GetAgentStats({"u2", "", std::nullopt, std::nullopt});
  ASSERT_TRUE(other_user.ok());
  EXPECT_EQ(other_user->steps(), 0);

  // The run ends without p3's end: it never will, and is counted so.
  Commit({MakeEvent("end", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 20, "", false)});
  stats = repo_->GetAgentStats({});
  p = StatsOf(*stats, "painpointdeepening");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->running(), 0);
  EXPECT_EQ(p->unfinished(), 1);
  EXPECT_EQ(stats->steps(), 4);  // re-paired rows replace, never add
  ExpectTotalsMatchRows(repo_.get());
}

// Keys with the characters that quoting must get right (quotes,
// backslashes, commas, braces, the word NULL, spaces, non-ASCII) go in and
// come back as given: in a small batch (PostgreSQL: quoted literals), a
// large one (COPY), and a resend (duplicates recognised by those keys).
TEST_P(SociLeadRepositoryTest, KeysWithQuotesBracesAndBackslashesRoundTrip) {
  const std::vector<std::string> keys = {"q\"uote", "back\\slash", "com,ma {brace}",
                                         "NULL", "\u00fcn\u00efc\u00f8de", " spaced "};
  std::vector<v1::PipelineEvent> small, large;
  for (const std::string& key : keys) {
    small.push_back(ForLead(MakeEvent(key + "-g", v1::EVENT_TYPE_LEAD_GENERATED, 0), key,
                            "J" + key));
    for (int i = 0; i < 3; ++i) {
      large.push_back(ForLead(MakeEvent(absl::StrCat(key, "-s", i), v1::EVENT_TYPE_STATUS_UPDATE,
                                        1 + i),
                              key, "J" + key));
    }
  }
  ASSERT_GE(large.size(), 16u);  // PostgreSQL's COPY path
  BatchResult first = Commit(small);
  for (const EventOutcome& outcome : first.outcomes) {
    EXPECT_EQ(outcome.kind, EventOutcome::Kind::kAccepted);
  }
  Commit(large);
  BatchResult again = Commit(small);
  for (const EventOutcome& outcome : again.outcomes) {
    EXPECT_EQ(outcome.kind, EventOutcome::Kind::kDuplicate);
  }
  for (const std::string& key : keys) {
    absl::StatusOr<std::optional<v1::Lead>> lead = repo_->GetLead(key);
    ASSERT_TRUE(lead.ok() && lead->has_value()) << key << ": " << lead.status();
    EXPECT_EQ((*lead)->id(), key);
    EXPECT_EQ((*lead)->job_id(), "J" + key);
    auto by_job = repo_->ListLeads({"", "J" + key, ""}, "", 10, false);
    ASSERT_TRUE(by_job.ok()) << by_job.status();
    ASSERT_EQ(by_job->leads.size(), 1u) << key;
    EXPECT_EQ(by_job->leads[0].id(), key);
  }
}

// A stored lead that runs again in a new job is found under that job, and
// its timeline under the hour of its latest event: SQLite's writer rewrites
// those indexed columns only for a row where they changed.
TEST_P(SociLeadRepositoryTest, ALeadRunAgainIsFoundUnderItsNewJobAndHour) {
  Commit({MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0),
          MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 1)});
  Commit({MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 2, "lead_qualification_agent")});
  Commit({AgentEnd("b", 3, "lead_qualification_agent", true)});
  Commit({MakeEvent("end", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 5, "", true)});
  const int hours = 2 * 3600;
  for (const v1::PipelineEvent& event :
       {MakeEvent("s2", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, hours),
        MakeEvent("a2", v1::EVENT_TYPE_AGENT_START, hours + 1, "lead_qualification_agent"),
        AgentEnd("b2", hours + 3, "lead_qualification_agent", true)}) {
    v1::PipelineEvent in_j2 = event;
    in_j2.set_job_id("J2");
    Commit({in_j2});  // one event a batch: each an update of a stored row
  }
  auto j2 = repo_->ListLeads({"", "J2", ""}, "", 10, false);
  ASSERT_TRUE(j2.ok()) << j2.status();
  ASSERT_EQ(j2->leads.size(), 1u);
  EXPECT_EQ(j2->leads[0].job_id(), "J2");
  auto j1 = repo_->ListLeads({"", "J1", ""}, "", 10, false);
  ASSERT_TRUE(j1.ok()) << j1.status();
  EXPECT_TRUE(j1->leads.empty());
  // Steps that started in the later hour: found through the timeline's hour.
  auto later = repo_->GetAgentStats(
      {"", "", absl::FromUnixSeconds(1767225600 + hours), std::nullopt});
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->steps(), 1);
  ExpectTotalsMatchRows(repo_.get());
}

// A lead mid-run with no event for the limit is flagged once, with a
// change; its next event clears the flag; leads done with their run never
// stall; a running job stalls too.
TEST_P(SociLeadRepositoryTest, FlagsStallsOnceAndClearsThemOnTheNextEvent) {
  const absl::Time t0 = clock_.now;
  Commit({MakeEvent("s", v1::EVENT_TYPE_LEAD_ENRICHMENT_START, 0),
          MakeEvent("a", v1::EVENT_TYPE_AGENT_START, 1, "lead_qualification_agent"),
          ForLead(MakeEvent("g", v1::EVENT_TYPE_LEAD_GENERATED, 0), "waiting"),
          ForLead(MakeEvent("d", v1::EVENT_TYPE_LEAD_ENRICHMENT_END, 0, "", true), "done")});
  clock_.now = t0 + absl::Minutes(9);
  auto early = repo_->SweepStalls(engine_);
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_TRUE(early->changes.empty());

  clock_.now = t0 + absl::Minutes(11);
  auto swept = repo_->SweepStalls(engine_);
  ASSERT_TRUE(swept.ok()) << swept.status();
  ASSERT_EQ(swept->changes.size(), 1u);
  EXPECT_EQ(swept->stalled_jobs, 1);
  const v1::WatchLeadsResponse change = Parsed(swept->changes[0]);
  EXPECT_EQ(change.lead_change().kind(), v1::CHANGE_KIND_STALLED);
  EXPECT_EQ(change.lead_change().lead().id(), "L1");
  EXPECT_EQ(change.lead_change().lead().stalled_since().seconds(), absl::ToUnixSeconds(t0));
  EXPECT_EQ(change.revision(), *repo_->CurrentRevision());
  EXPECT_EQ((*repo_->GetLead("L1"))->stalled_since().seconds(), absl::ToUnixSeconds(t0));
  auto stalled = repo_->ListLeads({"", "", "", /*stalled=*/true}, "", 10, false);
  ASSERT_TRUE(stalled.ok());
  ASSERT_EQ(stalled->leads.size(), 1u);
  EXPECT_EQ(stalled->leads[0].id(), "L1");
  auto counts = repo_->CountByStage({});
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ((*counts)[(*repo_->GetLead("L1"))->stage()].stalled, 1);
  auto jobs = repo_->ListJobs("", "", 10, board_);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->jobs.size(), 1u);
  EXPECT_TRUE(jobs->jobs[0].has_stalled_since());

  // Flagged once.
  clock_.now = t0 + absl::Minutes(30);
  EXPECT_TRUE(repo_->SweepStalls(engine_)->changes.empty());

  // Any event clears it, as a change of its own.
  BatchResult next = Commit({MakeEvent("t", v1::EVENT_TYPE_TOOL_CALL_OUTPUT, 2)});
  ASSERT_EQ(next.changes.size(), 1u);
  EXPECT_FALSE(Parsed(next.changes[0]).lead_change().lead().has_stalled_since());
  EXPECT_TRUE(repo_->ListLeads({"", "", "", true}, "", 10, false)->leads.empty());
  EXPECT_FALSE(repo_->ListJobs("", "", 10, board_)->jobs[0].has_stalled_since());
  // ... and the clock starts again from that event.
  clock_.now = t0 + absl::Minutes(39);
  EXPECT_TRUE(repo_->SweepStalls(engine_)->changes.empty());
  clock_.now = t0 + absl::Minutes(41);
  EXPECT_EQ(repo_->SweepStalls(engine_)->changes.size(), 1u);
}

// Two replicas sweeping at the same moment flag each stall exactly once.
TEST_P(SociLeadRepositoryTest, ReplicasSweepingAtOnceFlagEachStallOnce) {
  std::unique_ptr<SociLeadRepository> other = Open();
  ASSERT_NE(other, nullptr);
  std::vector<v1::PipelineEvent> events;
  for (int i = 0; i < 50; ++i) {
    events.push_back(ForLead(MakeEvent(absl::StrCat("s", i), v1::EVENT_TYPE_LEAD_ENRICHMENT_START,
                                       0),
                             absl::StrCat("lead-", i)));
  }
  Commit(events);
  clock_.now += absl::Minutes(11);
  for (int round = 0; round < 5; ++round) {
    std::vector<Change> a, b;
    std::thread first([&] { a = repo_->SweepStalls(engine_)->changes; });
    std::thread second([&] { b = other->SweepStalls(engine_)->changes; });
    first.join();
    second.join();
    EXPECT_EQ(a.size() + b.size(), round == 0 ? 50u : 0u) << "round " << round;
  }
  auto changes = repo_->ReadChanges(50, 1000, {}, 1000);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), 50u);
}

LEADBOARD_INSTANTIATE_BACKENDS(SociLeadRepositoryTest);

TEST(SociLeadRepositoryOpenTest, UnreachableDatabasesAreUnavailableWithTheReason) {
  FixedClock clock;
  auto pg = SociLeadRepository::Open({*ParseDatabaseUrl("postgresql://nobody@127.0.0.1:1/x"), 1},
                                     &clock);
  EXPECT_EQ(pg.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(pg.status().message(), HasSubstr("127.0.0.1"));
  auto sqlite = SociLeadRepository::Open({*ParseDatabaseUrl("sqlite:/nonexistent/dir/x.db"), 1},
                                         &clock);
  EXPECT_EQ(sqlite.status().code(), absl::StatusCode::kUnavailable);
}

TEST(DatabaseUrlTest, ParsesBothBackendsAndHidesPasswords) {
  auto sqlite = ParseDatabaseUrl("sqlite:/var/lib/leadboard/leadboard.db");
  ASSERT_TRUE(sqlite.ok());
  EXPECT_EQ(sqlite->sqlite_path, "/var/lib/leadboard/leadboard.db");
  auto pg = ParseDatabaseUrl("postgresql://lead:s3cret@db.internal:6432/board?sslmode=require");
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(pg->postgres_conninfo,
            "user='lead' password='s3cret' host='db.internal' port='6432' dbname='board' "
            "sslmode='require'");
  EXPECT_THAT(pg->Describe(), ::testing::Not(HasSubstr("s3cret")));
  EXPECT_EQ(ParseDatabaseUrl("mysql://x").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace leadboard::store
