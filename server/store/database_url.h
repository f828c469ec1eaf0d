// DatabaseUrl: which backend and how to reach it, from the --database flag.
#ifndef LEADBOARD_SERVER_STORE_DATABASE_URL_H_
#define LEADBOARD_SERVER_STORE_DATABASE_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace leadboard::store {

struct DatabaseUrl {
  enum class Backend { kSqlite, kPostgres };
  Backend backend = Backend::kSqlite;
  std::string sqlite_path;      // kSqlite: the database file
  std::string postgres_conninfo;  // kPostgres: a libpq connection string

  // What to log: the backend and the file or host, never a password.
  std::string Describe() const;
};

// Parses "sqlite:PATH", "sqlite://PATH" or "sqlite:///ABS/PATH", and
// "postgresql://..." / "postgres://..." (libpq URIs). InvalidArgument names
// the accepted forms.
absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view url);

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_DATABASE_URL_H_
