#!/usr/bin/env bash
# Installs the leadboard Python SDK (non-editable) into a venv and runs its tests.
#
#   client/python/run_tests.sh [pytest args...]
#
# Env: LEADBOARD_SERVER_BIN (default: build/server/leadboard-server; server
# tests are SKIPPED when it is missing), LEADBOARD_PY_VENV (default:
# build/py-venv). Exits non-zero when a test fails or when no test ran.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${LEADBOARD_PY_VENV:-$REPO/build/py-venv}"
export LEADBOARD_SERVER_BIN="${LEADBOARD_SERVER_BIN:-$REPO/build/server/leadboard-server}"
export LEADBOARD_PROTO_DIR="${LEADBOARD_PROTO_DIR:-$REPO/proto}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

if [ ! -x "$VENV/bin/python" ]; then
  echo "run_tests.sh: creating $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --upgrade pip
# setuptools builds in-tree: drop its leftovers so no stale module reaches the wheel.
rm -rf "$HERE/build" "$HERE"/*.egg-info
# Non-editable on purpose: tests import the installed package, with the stubs
# the build generated, not the source tree.
"$PY" -m pip install --quiet "$HERE" "pytest>=7" "pytest-asyncio>=0.23" "build>=1"

if [ ! -x "$LEADBOARD_SERVER_BIN" ]; then
  echo "run_tests.sh: $LEADBOARD_SERVER_BIN not found: server tests will be SKIPPED"
fi

# The pytest script (not `python -m pytest`) keeps the source tree off sys.path.
cd "$HERE"
set +e
"$VENV/bin/pytest" -rs "$@" </dev/null
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "run_tests.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
