#!/usr/bin/env bash
# The README's first command: sets up this machine and runs the product.
# Starts the server on the embedded SQLite default, the grpc-web proxy and
# the board (when the board is present), and a simulated prospecting
# pipeline feeding it; prints where to look. Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

deploy/setup.sh
venv="$root/build/py-venv"
stamp="$venv/.sdk-installed"
# (Re)install the SDK when it, or the contract, changed since the last install.
if [ ! -x "$venv/bin/leadboard-simulate" ] || [ ! -e "$stamp" ] ||
   [ -n "$(find client/python/leadboard client/python/setup.py proto -newer "$stamp" -print -quit)" ]; then
  echo "demo: installing the Python SDK and simulator into $venv"
  python3 -m venv "$venv"
  export LEADBOARD_PROTO_DIR="$root/proto"
  "$venv/bin/pip" install --quiet "$root/client/python"  # with its dependencies
  # The same version number after a change: rebuild this package itself.
  "$venv/bin/pip" install --quiet --force-reinstall --no-deps "$root/client/python"
  touch "$stamp"
fi
board=0
if [ -x deploy/setup_web.sh ]; then
  deploy/setup_web.sh && board=1
fi

port=${LEADBOARD_PORT:-50051}
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "demo: stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# A demo stalls sooner than production (10 min): a hung agent shows within
# half a minute.
build/server/leadboard-server --listen="127.0.0.1:$port" --metrics_listen=127.0.0.1:9464 \
  --stall_after=30s &
pids+=($!)
for _ in $(seq 50); do
  build/client/cpp/leadboard --target "127.0.0.1:$port" board >/dev/null 2>&1 && break
  sleep 0.2
done

if ((board)); then
  build/go-bin/grpcwebproxy --backend_addr="127.0.0.1:$port" --run_tls_server=false \
    --allow_all_origins --server_http_max_write_timeout=0 --server_http_debug_port=8080 \
    >"$root/build/grpcwebproxy.log" 2>&1 &
  pids+=($!)
  (cd client/web && npx --no-install vite preview --host 127.0.0.1 --port 5173 --strictPort \
    >"$root/build/board.log" 2>&1) &
  pids+=($!)
fi

# Agents enrich leads; two salespeople move the enriched ones through the
# sales columns (sometimes both at once on one card: one wins, one is told);
# now and then an agent hangs, and its lead is flagged stalled.
"$venv/bin/leadboard-simulate" --target "127.0.0.1:$port" --loop --speed 5 --leads 6 \
  --salespeople 2 --hang-rate 0.05 &
pids+=($!)

echo
echo "leadboard is running:"
if ((board)); then
  echo "  board:   http://127.0.0.1:5173/?api=http://127.0.0.1:8080"
fi
echo "  gRPC:    127.0.0.1:$port   (grpcurl -plaintext 127.0.0.1:$port list)"
echo "  watch:   build/client/cpp/leadboard --target 127.0.0.1:$port watch"
echo "  metrics: http://127.0.0.1:9464/metrics"
echo "Ctrl-C stops everything."
wait "${pids[0]}"
