#!/usr/bin/env bash
# Self-test of the baseline (server.mjs + load.mjs): starts the webhook
# service on a fresh schema, sends 10 lead runs (470 events) from 2 workers
# to 3 watchers, and checks every request succeeded, every watcher got every
# event, and PostgreSQL holds 470 events and 10 leads. Drops the schema and
# stops the server whatever happens.
#
#   bash tests/bench/baseline/check.sh
#   (database: $LEADBOARD_TEST_POSTGRES_URL, default postgresql:///leadboard_test)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
database=${LEADBOARD_TEST_POSTGRES_URL:-postgresql:///leadboard_test}
schema="baseline_check_$$_$(date +%s)"
work=$(mktemp -d)
server_pid=""

fail() {
  echo "baseline check: FAIL: $*" >&2
  exit 1
}

sql() {
  PGCONNECT_TIMEOUT=10 timeout 30 psql "$database" -X -v ON_ERROR_STOP=1 -Atqc "$1"
}

# Stops the server with SIGTERM (SIGKILL after 10 s); its exit status.
stop_server() {
  local pid=$server_pid
  server_pid=""
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid"
}

cleanup() {
  local status=$?
  if [[ -n $server_pid ]]; then stop_server || true; fi
  if [[ -n $schema ]]; then sql "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; fi
  if [[ $status -ne 0 && -s $work/server.log ]]; then
    echo "--- server log:" >&2
    cat "$work/server.log" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

install_deps() {
  if [[ ! -f node_modules/.package-lock.json || node_modules/.package-lock.json -ot package-lock.json ]]; then
    echo "baseline check: installing dependencies" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2 || fail "npm ci failed"
  fi
}

# Starts server.mjs and waits (up to 10 s) for its port: sets server_pid and port.
start_server() {
  node server.mjs --database "$database" --schema "$schema" --port-file "$work/port" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    if [[ -s $work/port ]]; then
      port=$(<"$work/port")
      return
    fi
    kill -0 "$server_pid" 2>/dev/null || fail "server exited before listening"
    sleep 0.1
  done
  fail "server did not write its port file within 10 s"
}

# Fails unless the load's JSON reports 470 events, no error and every delivery.
check_figures() {
  node -e '
    const r = JSON.parse(process.argv[1]);
    const ok = r.events === 470 && r.errors === 0 && r.watchers === 3 &&
      r.deliveries_expected === 1410 && r.deliveries === r.deliveries_expected;
    process.exit(ok ? 0 : 1);' "$1" || fail "unexpected figures: $1"
}

install_deps
start_server
echo "baseline check: server on port $port, schema $schema" >&2

figures=$(timeout 120 node load.mjs --target "http://127.0.0.1:$port" --workers 2 --events 470 --watchers 3 \
  --server-pid "$server_pid") || fail "load.mjs failed (exit $?): ${figures:-no output}"
check_figures "$figures"

events=$(sql "SELECT count(*) FROM $schema.events") || fail "cannot count events"
leads=$(sql "SELECT count(*) FROM $schema.leads") || fail "cannot count leads"
[[ $events == 470 ]] || fail "events table holds $events rows, expected 470"
[[ $leads == 10 ]] || fail "leads table holds $leads rows, expected 10"

stop_server || fail "server did not exit cleanly on SIGTERM"
sql "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1 || fail "cannot drop schema $schema"
schema=""
echo "baseline check: OK $figures"
