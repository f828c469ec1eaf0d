// TestDatabase: a fresh, empty database for one test: a SQLite file in a
// temporary directory, or a PostgreSQL schema of its own in the database
// named by LEADBOARD_TEST_POSTGRES_URL (dropped afterwards).
#ifndef LEADBOARD_TESTS_SUPPORT_TEST_DATABASE_H_
#define LEADBOARD_TESTS_SUPPORT_TEST_DATABASE_H_

#include <memory>
#include <string>

namespace leadboard::testing {

enum class Backend { kSqlite, kPostgres };

std::string BackendName(Backend backend);

class TestDatabase {
 public:
  // Creates the database, or returns nullptr and sets *skip_reason when the
  // backend is not available here (PostgreSQL without its URL).
  static std::unique_ptr<TestDatabase> Create(Backend backend, std::string* skip_reason);
  ~TestDatabase();

  // The --database URL of this database.
  const std::string& url() const { return url_; }
  // A directory the test may use for anything else.
  const std::string& dir() const { return dir_; }

 private:
  TestDatabase() = default;
  std::string url_;
  std::string dir_;
  std::string admin_url_;  // PostgreSQL: the base database
  std::string schema_;     // PostgreSQL: our schema
};

// A new empty temporary directory.
std::string MakeTempDir();

}  // namespace leadboard::testing

#endif  // LEADBOARD_TESTS_SUPPORT_TEST_DATABASE_H_
