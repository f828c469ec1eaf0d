#include "store/database_url.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace leadboard::store {

std::string DatabaseUrl::Describe() const {
  if (backend == Backend::kSqlite) return absl::StrCat("sqlite:", sqlite_path);
  // Hide any password: postgresql://user:secret@host -> postgresql://user:***@host
  std::string safe = postgres_conninfo;
  const size_t scheme = safe.find("://");
  const size_t at = safe.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    const size_t colon = safe.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) safe.replace(colon + 1, at - colon - 1, "***");
  }
  for (size_t pos = safe.find("password="); pos != std::string::npos;
       pos = safe.find("password=", pos + 1)) {
    const size_t end = safe.find_first_of(" &", pos);
    safe.replace(pos + 9, (end == std::string::npos ? safe.size() : end) - pos - 9, "***");
  }
  return safe;
}

absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view url) {
  DatabaseUrl out;
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    out.backend = DatabaseUrl::Backend::kPostgres;
    out.postgres_conninfo = std::string(url);
    return out;
  }
  absl::string_view path = url;
  if (absl::ConsumePrefix(&path, "sqlite://") || absl::ConsumePrefix(&path, "sqlite:")) {
    if (path.empty()) return absl::InvalidArgumentError("--database: sqlite URL has no path");
    out.backend = DatabaseUrl::Backend::kSqlite;
    out.sqlite_path = std::string(path);
    return out;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--database: unsupported URL \"", url,
      "\"; use sqlite:PATH or postgresql://user@host:port/dbname"));
}

}  // namespace leadboard::store
