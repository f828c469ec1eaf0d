#!/usr/bin/env bash
# Operator docs, checked: every relative link in README.md and docs/ resolves
# (check_links.py), and every grpcurl and CLI recipe of docs/operating.md and
# the README is run for real against a real server (SQLite, ephemeral ports)
# with the real grpcurl (check_recipes.py). Fails if either check fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0
python3 "$root/tests/grpcurl/check_links.py" || status=1

export GOBIN="$root/build/go-bin"
if [ ! -x "$GOBIN/grpcurl" ]; then
  echo "installing grpcurl into $GOBIN"
  (cd /tmp && go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.1)
fi
dir=$(mktemp -d)
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$root/build/server/leadboard-server" --listen=127.0.0.1:0 --data_dir="$dir" \
  --port_file="$dir/port" --metrics_listen="127.0.0.1:$metrics_port" --stall_after=30s >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
[ -s "$dir/port" ] || { cat "$dir/server.log"; exit 1; }
python3 "$root/tests/grpcurl/check_recipes.py" "127.0.0.1:$(cat "$dir/port")" \
  "127.0.0.1:$metrics_port" "$dir" || status=1
exit $status
