#!/usr/bin/env bash
# The board's tests: Vitest (the cache reducer, the Envoy config) and the
# browser end-to-end test against the real stack.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/deploy/setup_web.sh"
if [ ! -x "$root/build/py-venv/bin/leadboard-simulate" ]; then
  python3 -m venv "$root/build/py-venv"
  LEADBOARD_PROTO_DIR="$root/proto" "$root/build/py-venv/bin/pip" install --quiet "$root/client/python"
fi
(cd "$root/client/web" && npx vitest run)
node "$root/tests/e2e/board.e2e.mjs"
