#!/usr/bin/env bash
# The board's tests: Vitest (the board state: snapshot build, batched
# changes, optimistic moves and conflicts, filters and totals, stalled
# leads, the timeline's layout, agent statistics; the Envoy config), then
# the browser suites against real stacks (tests/e2e/run.mjs: the live board,
# people's moves in two browsers, sign-in, agents and stalls). Ends with
# "N passed, M failed" over both (", K skipped" when browser checks could
# not run against this server); exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/deploy/setup_web.sh" || { echo "setup_web failed"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -x "$root/build/py-venv/bin/leadboard-simulate" ]; then
  python3 -m venv "$root/build/py-venv"
  LEADBOARD_PROTO_DIR="$root/proto" "$root/build/py-venv/bin/pip" install --quiet "$root/client/python"
fi
out="$root/build/test-output/e2e"
mkdir -p "$out"

(cd "$root/client/web" && npx vitest run --reporter=default --reporter=json --outputFile="$out/vitest.json")
vitest_status=$?
read -r unit_passed unit_failed < <(python3 -c '
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    print(r["numPassedTests"], r["numFailedTests"] + (0 if r["success"] or r["numFailedTests"] else 1))
except Exception:
    print(0, 1)' "$out/vitest.json")

node "$root/tests/e2e/run.mjs" | tee "$out/browser.log"
browser_status=${PIPESTATUS[0]}
read -r e2e_passed e2e_failed e2e_skipped < <(tail -1 "$out/browser.log" | awk '/passed, .* failed/ { print $1, $3, ($5 == "" ? 0 : $5); found=1 } END { if (!found) print 0, 1, 0 }')

skipped=""
((e2e_skipped > 0)) && skipped=", $e2e_skipped skipped"
echo "vitest: $unit_passed passed, $unit_failed failed; browser: $e2e_passed passed, $e2e_failed failed$skipped"
echo "$((unit_passed + e2e_passed)) passed, $((unit_failed + e2e_failed)) failed$skipped"
((vitest_status == 0 && browser_status == 0))
