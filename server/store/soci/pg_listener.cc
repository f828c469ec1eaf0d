#include "store/soci/pg_listener.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"
#include "store/thread_name.h"

namespace leadboard::store {
namespace {

// Reads the current revision on `conn`; -1 on error.
int64_t CurrentRevision(PGconn* conn) {
  PGresult* result = PQexec(conn, "SELECT revision FROM revision_counter WHERE id = 1");
  int64_t revision = -1;
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
    if (!absl::SimpleAtoi(PQgetvalue(result, 0, 0), &revision)) revision = -1;
  }
  PQclear(result);
  return revision;
}

// The schema this connection's tables live in; empty on error.
std::string CurrentSchema(PGconn* conn) {
  PGresult* result = PQexec(conn, "SELECT current_schema()");
  std::string schema;
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1) {
    schema = PQgetvalue(result, 0, 0);
  }
  PQclear(result);
  return schema;
}

}  // namespace

PgListener::PgListener(std::string conninfo, RevisionFn on_revision, HealthFn on_health)
    : conninfo_(std::move(conninfo)),
      on_revision_(std::move(on_revision)),
      on_health_(std::move(on_health)) {
  if (pipe(wake_pipe_) != 0) wake_pipe_[0] = wake_pipe_[1] = -1;
  thread_ = std::thread([this] { Run(); });
}

PgListener::~PgListener() {
  stop_ = true;
  if (wake_pipe_[1] >= 0) (void)!write(wake_pipe_[1], "x", 1);
  thread_.join();
  if (wake_pipe_[0] >= 0) close(wake_pipe_[0]);
  if (wake_pipe_[1] >= 0) close(wake_pipe_[1]);
}

void PgListener::Run() {
  NameThisThread("lb-pg-listen");
  int backoff_ms = 100;
  bool healthy = true;
  std::string last_error;
  auto set_health = [&](bool connected) {
    if (connected != healthy) {
      healthy = connected;
      on_health_(connected);
    }
  };
  while (!stop_) {
    PGconn* conn = PQconnectdb(conninfo_.c_str());
    PGresult* listen = nullptr;
    if (PQstatus(conn) == CONNECTION_OK) listen = PQexec(conn, "LISTEN leadboard_changes");
    if (listen == nullptr || PQresultStatus(listen) != PGRES_COMMAND_OK) {
      // Say it once per distinct error, not every retry.
      std::string error = PQerrorMessage(conn);
      if (error != last_error) {
        spdlog::warn("listener: cannot LISTEN on PostgreSQL ({}); retrying with backoff", error);
        last_error = std::move(error);
      }
      if (listen != nullptr) PQclear(listen);
      PQfinish(conn);
      set_health(false);
      pollfd wake{wake_pipe_[0], POLLIN, 0};
      poll(&wake, 1, backoff_ms);
      backoff_ms = std::min(backoff_ms * 2, 5000);
      continue;
    }
    PQclear(listen);
    backoff_ms = 100;
    last_error.clear();
    const std::string prefix = CurrentSchema(conn) + " ";
    // Catch up with whatever was committed while we were not listening.
    if (int64_t revision = CurrentRevision(conn); revision >= 0) on_revision_(revision);
    set_health(true);
    spdlog::info("listener: listening for changes on PostgreSQL");
    while (!stop_) {
      pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
      // Wake at least every 5 s to notice a dead connection.
      const int ready = poll(fds, 2, 5000);
      if (stop_) break;
      if (ready == 0) {
        if (CurrentRevision(conn) < 0) break;  // connection is gone
        continue;
      }
      if (PQconsumeInput(conn) == 0) break;
      int64_t latest = -1;
      while (PGnotify* notify = PQnotifies(conn)) {
        // "SCHEMA REVISION": only our schema's commits concern us.
        absl::string_view payload(notify->extra);
        int64_t revision = 0;
        if (absl::ConsumePrefix(&payload, prefix) && absl::SimpleAtoi(payload, &revision)) {
          latest = std::max(latest, revision);
        }
        PQfreemem(notify);
      }
      if (latest >= 0) on_revision_(latest);
    }
    if (!stop_) {
      spdlog::warn("listener: lost the PostgreSQL connection; reconnecting");
      set_health(false);
    }
    PQfinish(conn);
  }
}

}  // namespace leadboard::store
