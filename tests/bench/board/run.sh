#!/usr/bin/env bash
# The board benchmark (see board_bench.mjs): builds the board if needed and
# prints figures for N = 10,000 and 100,000 leads (or the Ns given).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
"$root/deploy/setup_web.sh" >/dev/null
exec node "$root/tests/bench/board/board_bench.mjs" "$@"
