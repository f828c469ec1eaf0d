#include "store/soci/pg_copy.h"

#include <libpq-fe.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace leadboard::store {

namespace {

void AppendBigEndian(uint64_t value, int bytes, std::string* out) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

// COPY's binary format: a signature, 32-bit flags (none), and a 32-bit
// header extension length (none); a 16-bit -1 ends the data.
constexpr char kBinaryHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
constexpr size_t kBinaryHeaderSize = sizeof(kBinaryHeader) - 1;
constexpr char kBinaryTrailer[] = "\377\377";

}  // namespace

void CopyRows::StartRow() {
  row_start_ = data_.size();
  data_.append(2, '\0');  // the field count, filled in by EndRow
}

void CopyRows::StartField(uint32_t length) {
  if (row_start_ == std::string::npos) StartRow();
  ++fields_;
  AppendBigEndian(length, 4, &data_);
}

CopyRows& CopyRows::Add(absl::string_view text) {
  StartField(static_cast<uint32_t>(text.size()));
  data_.append(text.data(), text.size());
  return *this;
}

CopyRows& CopyRows::Add(int64_t number) {
  StartField(8);
  AppendBigEndian(static_cast<uint64_t>(number), 8, &data_);
  return *this;
}

CopyRows& CopyRows::AddInt32(int32_t number) {
  StartField(4);
  AppendBigEndian(static_cast<uint32_t>(number), 4, &data_);
  return *this;
}

CopyRows& CopyRows::AddBytes(absl::string_view bytes) { return Add(bytes); }

CopyRows& CopyRows::AddNull() {
  StartField(0xFFFFFFFF);  // a length of -1
  return *this;
}

void CopyRows::EndRow() {
  if (row_start_ == std::string::npos) StartRow();
  data_[row_start_] = static_cast<char>((fields_ >> 8) & 0xFF);
  data_[row_start_ + 1] = static_cast<char>(fields_ & 0xFF);
  row_start_ = std::string::npos;
  fields_ = 0;
  ++rows_;
}

namespace {

PGconn* Connection(soci::session& sql) {
  return static_cast<soci::postgresql_session_backend*>(sql.get_backend())->conn_;
}

void AppendHex(absl::string_view bytes, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  size_t at = out->size();
  out->resize(at + 2 * bytes.size());
  for (unsigned char c : bytes) {
    (*out)[at++] = kDigits[c >> 4];
    (*out)[at++] = kDigits[c & 0xF];
  }
}

}  // namespace

std::string ByteaText(absl::string_view bytes) {
  std::string text = "\\x";
  AppendHex(bytes, &text);
  return text;
}

std::vector<ScriptRows> QueryScript(soci::session& sql, const std::string& script) {
  PGconn* conn = Connection(sql);
  if (PQsendQuery(conn, script.c_str()) != 1) {
    throw std::runtime_error(absl::StrCat("statement failed: ", PQerrorMessage(conn)));
  }
  std::vector<ScriptRows> out;
  std::string error;
  std::string sqlstate;
  // Every result is read, even after a failure, so the connection is left
  // ready for the next statement (or its ROLLBACK).
  while (PGresult* result = PQgetResult(conn)) {
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_TUPLES_OK) {
      ScriptRows& rows = out.emplace_back(PQntuples(result));
      const int fields = PQnfields(result);
      for (int r = 0; r < PQntuples(result); ++r) {
        rows[r].reserve(fields);
        for (int f = 0; f < fields; ++f) {
          rows[r].emplace_back(PQgetvalue(result, r, f), PQgetlength(result, r, f));
        }
      }
    } else if (status == PGRES_COMMAND_OK) {
      out.emplace_back();
    } else if (error.empty()) {
      error = PQresultErrorMessage(result);
      const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
      sqlstate = state != nullptr ? state : "08006";  // no state: the connection failed
    }
    PQclear(result);
  }
  // As SOCI's own errors, so callers classify them alike (a constraint
  // violation, a lost connection).
  if (!error.empty()) {
    throw soci::postgresql_soci_error(absl::StrCat("statement failed: ", error), sqlstate.c_str());
  }
  return out;
}

std::string ExecScript(soci::session& sql, const std::string& script) {
  const std::vector<ScriptRows> results = QueryScript(sql, script);
  if (results.empty() || results.back().empty() || results.back()[0].empty()) return "";
  return results.back()[0][0];
}

std::string Literal(soci::session& sql, absl::string_view text) {
  PGconn* conn = Connection(sql);
  char* quoted = PQescapeLiteral(conn, text.data(), text.size());
  if (quoted == nullptr) {
    throw std::runtime_error(absl::StrCat("cannot quote a value: ", PQerrorMessage(conn)));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

void CopyIn(soci::session& sql, const std::string& copy_command, const CopyRows& rows) {
  PGconn* conn = Connection(sql);
  auto fail = [&](absl::string_view what) {
    throw std::runtime_error(absl::StrCat(what, ": ", PQerrorMessage(conn)));
  };
  PGresult* started = PQexec(conn, absl::StrCat(copy_command, " WITH (FORMAT binary)").c_str());
  const bool copying = PQresultStatus(started) == PGRES_COPY_IN;
  PQclear(started);
  if (!copying) fail("COPY did not start");
  const std::string& data = rows.data();
  if (PQputCopyData(conn, kBinaryHeader, kBinaryHeaderSize) != 1 ||
      PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1 ||
      PQputCopyData(conn, kBinaryTrailer, 2) != 1 || PQputCopyEnd(conn, nullptr) != 1) {
    fail("COPY failed");
  }
  bool failed = false;
  std::string message;
  std::string sqlstate;
  while (PGresult* result = PQgetResult(conn)) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK && !failed) {
      failed = true;
      message = PQresultErrorMessage(result);
      const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
      sqlstate = state != nullptr ? state : "08006";  // no state: the connection failed
    }
    PQclear(result);
  }
  // As SOCI's own errors, as QueryScript's (a unique violation, a lost
  // connection).
  if (failed) {
    throw soci::postgresql_soci_error(absl::StrCat("COPY failed: ", message), sqlstate.c_str());
  }
}

}  // namespace leadboard::store
