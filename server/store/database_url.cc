#include "store/database_url.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace leadboard::store {
namespace {

std::string PercentDecode(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    int value = 0;
    if (in[i] == '%' && i + 2 < in.size() &&
        absl::SimpleHexAtoi(in.substr(i + 1, 2), &value)) {
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

void AddKeyword(std::string* conninfo, absl::string_view key, absl::string_view value) {
  if (value.empty()) return;
  std::string quoted;
  for (char c : value) {
    if (c == '\\' || c == '\'') quoted.push_back('\\');
    quoted.push_back(c);
  }
  absl::StrAppend(conninfo, conninfo->empty() ? "" : " ", key, "='", quoted, "'");
}

// postgresql://[user[:password]@][host][:port][/dbname][?key=value&...] to
// libpq keyword/value form (SOCI tokenizes the string, so it cannot pass a
// URI through).
absl::StatusOr<std::string> UriToConninfo(absl::string_view uri) {
  absl::string_view rest = uri.substr(uri.find("://") + 3);
  absl::string_view query;
  if (size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  absl::string_view dbname;
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    dbname = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string conninfo;
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    absl::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    AddKeyword(&conninfo, "user", PercentDecode(userinfo.substr(0, colon)));
    if (colon != absl::string_view::npos) {
      AddKeyword(&conninfo, "password", PercentDecode(userinfo.substr(colon + 1)));
    }
  }
  absl::string_view host = rest;
  absl::string_view port;
  if (!host.empty() && host.front() == '[') {  // [IPv6]:port
    size_t close = host.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("--database: unterminated [IPv6] host");
    }
    if (close + 1 < host.size() && host[close + 1] == ':') port = host.substr(close + 2);
    host = host.substr(1, close - 1);
  } else if (size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  AddKeyword(&conninfo, "host", PercentDecode(host));
  AddKeyword(&conninfo, "port", port);
  AddKeyword(&conninfo, "dbname", PercentDecode(dbname));
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--database: bad parameter \"", pair, "\""));
    }
    AddKeyword(&conninfo, PercentDecode(pair.substr(0, eq)), PercentDecode(pair.substr(eq + 1)));
  }
  return conninfo;
}

}  // namespace

std::string DatabaseUrl::Describe() const {
  if (backend == Backend::kSqlite) return absl::StrCat("sqlite:", sqlite_path);
  // Hide any password: postgresql://user:secret@host -> postgresql://user:***@host
  std::string safe = postgres_conninfo;
  if (size_t pos = safe.find("password='"); pos != std::string::npos) {
    size_t end = pos + 10;
    while (end < safe.size() && safe[end] != '\'') end += safe[end] == '\\' ? 2 : 1;
    safe.replace(pos + 10, std::min(end, safe.size()) - pos - 10, "***");
  }
  return absl::StrCat("postgresql (", safe, ")");
}

absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view url) {
  DatabaseUrl out;
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    out.backend = DatabaseUrl::Backend::kPostgres;
    absl::StatusOr<std::string> conninfo = UriToConninfo(url);
    if (!conninfo.ok()) return conninfo.status();
    out.postgres_conninfo = *std::move(conninfo);
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
