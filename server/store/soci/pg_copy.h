// libpq directly, where SOCI cannot: bulk writes with COPY ... FROM STDIN
// (cheaper for the server than multi-row INSERTs, which it must parse and
// plan each time: 1,000-event batches 33k -> 50k events/s measured), and
// several statements in one round trip.
#ifndef LEADBOARD_SERVER_STORE_SOCI_PG_COPY_H_
#define LEADBOARD_SERVER_STORE_SOCI_PG_COPY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace soci {
class session;
}  // namespace soci

namespace leadboard::store {

// Rows in COPY's binary format (each field its length and its bytes), the
// cheapest form for the server to take in: the text format made it scan
// every character of a row for delimiters and decode bytea from hex
// (about a quarter of its CPU during full-speed ingest, perf). Each Add is
// the next column and must match its type: text, bigint, integer, bytea.
class CopyRows {
 public:
  CopyRows& Add(absl::string_view text);  // a text column
  CopyRows& Add(int64_t number);          // a bigint column
  CopyRows& AddInt32(int32_t number);     // an integer column
  CopyRows& AddBytes(absl::string_view bytes);  // a bytea column
  CopyRows& AddNull();
  CopyRows& AddBytesOrNull(const std::optional<std::string>& bytes) {
    return bytes ? AddBytes(*bytes) : AddNull();
  }
  void EndRow();

  // The rows, without the format's header and trailer (CopyIn sends them).
  const std::string& data() const { return data_; }
  size_t rows() const { return rows_; }

 private:
  void StartRow();
  void StartField(uint32_t length);

  std::string data_;
  size_t rows_ = 0;
  size_t row_start_ = std::string::npos;  // where this row's field count goes
  int16_t fields_ = 0;
};

// `bytes` as bytea's text input: "\x" and two hex digits a byte (what a
// text parameter bound to a bytea column must hold).
std::string ByteaText(absl::string_view bytes);

// What each statement of a script returned, in order: rows of fields in
// text form (a NULL is "").
using ScriptRows = std::vector<std::vector<std::string>>;

// Runs `script`, statements without parameters separated by ';', in one
// round trip on the session's PostgreSQL connection (the first failing
// statement ends it), and returns every statement's rows. Throws
// soci::postgresql_soci_error with the server's message and SQLSTATE on
// failure.
std::vector<ScriptRows> QueryScript(soci::session& sql, const std::string& script);

// QueryScript, returning the first field of the last statement's first
// row ("" when it returns none).
std::string ExecScript(soci::session& sql, const std::string& script);

// `text` as an SQL string literal for a script (quoted and escaped by
// libpq for the connection's settings).
std::string Literal(soci::session& sql, absl::string_view text);

// Runs `copy_command` (COPY ... FROM STDIN, to which it adds the binary
// format) on the session's PostgreSQL connection with `rows`. Throws
// soci::postgresql_soci_error with the server's message and SQLSTATE if
// the server refuses the rows (std::runtime_error if the COPY cannot
// start or be sent).
void CopyIn(soci::session& sql, const std::string& copy_command, const CopyRows& rows);

}  // namespace leadboard::store

#endif  // LEADBOARD_SERVER_STORE_SOCI_PG_COPY_H_
