#include "test_database.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "store/database_url.h"

namespace leadboard::testing {

std::string BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::string MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/leadboard-test-XXXXXX");
  char* made = mkdtemp(pattern.data());
  return made != nullptr ? std::string(made) : std::string();
}

std::unique_ptr<TestDatabase> TestDatabase::Create(Backend backend, std::string* skip_reason) {
  std::unique_ptr<TestDatabase> db(new TestDatabase());
  db->dir_ = MakeTempDir();
  if (backend == Backend::kSqlite) {
    db->url_ = absl::StrCat("sqlite:", db->dir_, "/leadboard.db");
    return db;
  }
  const char* admin = std::getenv("LEADBOARD_TEST_POSTGRES_URL");
  if (admin == nullptr || *admin == '\0') {
    *skip_reason = "LEADBOARD_TEST_POSTGRES_URL is not set (PostgreSQL tests need it)";
    return nullptr;
  }
  static std::atomic<int> counter{0};
  std::random_device random;
  db->schema_ = absl::StrCat("lbtest_", getpid(), "_", counter++, "_", random() % 100000);
  db->admin_url_ = admin;
  absl::StatusOr<store::DatabaseUrl> parsed = store::ParseDatabaseUrl(admin);
  if (!parsed.ok()) {
    *skip_reason = absl::StrCat("bad LEADBOARD_TEST_POSTGRES_URL: ", parsed.status().message());
    return nullptr;
  }
  soci::session sql(soci::postgresql, parsed->postgres_conninfo);
  sql << "CREATE SCHEMA " + db->schema_;
  const std::string separator = db->admin_url_.find('?') == std::string::npos ? "?" : "&";
  db->url_ = absl::StrCat(db->admin_url_, separator, "options=-csearch_path%3D", db->schema_);
  return db;
}

TestDatabase::~TestDatabase() {
  if (!schema_.empty()) {
    try {
      soci::session sql(soci::postgresql, store::ParseDatabaseUrl(admin_url_)->postgres_conninfo);
      sql << "SET client_min_messages TO WARNING";
      sql << "DROP SCHEMA " + schema_ + " CASCADE";
    } catch (const std::exception&) {
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace leadboard::testing
