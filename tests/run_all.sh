#!/usr/bin/env bash
# The README's test command: sets up everything (Debian packages, the C++
# build, PostgreSQL, npm and Go tools, the Python venv) and runs every test
# suite: C++ unit + integration (SQLite and PostgreSQL) with ctest, the
# proto lint, Clang's thread-safety analysis, the grpcurl operator checks,
# the Python SDK, the board.
# Exits non-zero if any suite fails. Works with CI=true and no stdin.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Every build below (main, Clang, fuzz) shares the machine's ccache across
# checkouts (see deploy/setup.sh).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
out="$root/build/test-output"
mkdir -p "$out"
passed=0
failed=0
failed_names=()

suite() {  # suite NAME COMMAND...: runs one suite, records the outcome
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: passed"
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "=== $name: FAILED"
  fi
}

deploy/setup.sh || { echo "setup failed"; exit 1; }
if pg_url=$(deploy/start_postgres.sh | tail -1); then
  export LEADBOARD_TEST_POSTGRES_URL=$pg_url
else
  echo "PostgreSQL could not be started: its tests will be reported as skipped"
fi

suite "C++ unit and integration (ctest)" \
  ctest --test-dir build --output-on-failure -j2 --output-junit "$out/ctest.xml"

lint_proto() {
  local tools="$root/build/tools"
  [ -x "$tools/node_modules/.bin/buf" ] ||
    npm install --silent --prefix "$tools" @bufbuild/buf@1.75.0 >/dev/null 2>&1 || return 1
  "$tools/node_modules/.bin/buf" lint proto && echo "buf lint: clean"
}
suite "proto lint (buf)" lint_proto

suite "lock annotations checked by Clang (tests/threads/run.sh)" tests/threads/run.sh

suite "benchmarks (quick run, figures only)" tests/bench/run.sh --quick

suite "deploy files against the build (tests/deploy/check.py)" python3 tests/deploy/check.py

for script in tests/grpcurl/run.sh tests/fuzz/run.sh client/python/run_tests.sh tests/e2e/run.sh; do
  [ -x "$script" ] && suite "$script" "$script"
done

echo
if ((failed)); then
  printf 'failed suites: %s\n' "${failed_names[@]}"
fi
echo "suites: $passed passed, $failed failed"
((failed == 0))
