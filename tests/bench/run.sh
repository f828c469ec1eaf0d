#!/usr/bin/env bash
# Benchmarks: in-process (Google Benchmark) and the whole service
# (`leadboard bench` against a real server on SQLite and PostgreSQL).
# Prints figures and writes build/bench/results.md; asserts nothing about
# speed. `--quick` runs everything briefly (CI proves the benchmarks run).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/bench"
mkdir -p "$out"
quick=0
[ "${1:-}" = "--quick" ] && quick=1
if ((quick)); then
  min_time=0.05; events=2000; stream_counts="1 4"; watcher_counts="1 10"
else
  min_time=1; events=20000; stream_counts="1 4 16"; watcher_counts="0 100 1000"
fi
results="$out/results.md"
{
  echo "# leadboard benchmarks"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
} >"$results"

echo "== in-process"
for b in engine_bench transport_bench store_bench; do
  "$root/build/tests/bench/$b" --benchmark_min_time=$min_time 2>/dev/null | tee "$out/$b.txt" | grep -E "^BM_"
done
{
  echo '## In-process (Google Benchmark)'
  echo
  echo '```'
  cat "$out"/engine_bench.txt "$out"/transport_bench.txt "$out"/store_bench.txt | grep -E "^BM_"
  echo '```'
  echo
  echo '## The service (`leadboard bench`, durable commits)'
  echo
  echo '| database | streams | watchers | events/s committed | deliveries/s | p50 ms | p99 ms | p99.9 ms |'
  echo '|---|---|---|---|---|---|---|---|'
} >>"$results"

run_service() {  # run_service NAME DATABASE_URL
  local name=$1 url=$2 dir
  dir=$(mktemp -d)
  "$root/build/server/leadboard-server" --listen=127.0.0.1:0 --database="$url" \
    --port_file="$dir/port" --watch_queue_limit=100000 >"$dir/log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
  local target="127.0.0.1:$(cat "$dir/port")"
  for streams in $stream_counts; do
    for watchers in $watcher_counts; do
      echo "== $name: $streams streams, $watchers watchers"
      # Keep deliveries per run near events x 100 so that large fan-outs end.
      n=$events
      ((watchers > 100)) && n=$((events * 100 / watchers))
      json=$("$root/build/client/cpp/leadboard" --target "$target" bench --json \
        --events "$n" --streams "$streams" --watchers "$watchers" --batch 500) || true
      echo "$json"
      python3 - "$name" "$json" >>"$results" <<'PY'
import json, sys
name, raw = sys.argv[1], sys.argv[2]
try:
    r = json.loads(raw)
except ValueError:
    print(f"| {name} | ? | ? | failed | | | | |"); sys.exit()
print(f"| {name} | {r['streams']} | {r['watchers']} | {r['events_per_second']:.0f} | "
      f"{r['deliveries_per_second']:.0f} | {r['latency_ms_p50']:.1f} | {r['latency_ms_p99']:.1f} | "
      f"{r['latency_ms_p999']:.1f} |")
PY
    done
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

run_service sqlite "sqlite:$(mktemp -d)/bench.db"
if [ -n "${LEADBOARD_TEST_POSTGRES_URL:-}" ]; then
  run_service postgres "$LEADBOARD_TEST_POSTGRES_URL"
fi
echo
echo "results: $results"
