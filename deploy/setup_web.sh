#!/usr/bin/env bash
# Sets up the board: grpcwebproxy (go install), Debian's Chromium and
# grpcurl (for the browser tests, which send events with it), the npm
# packages, the generated clients and the build.
# Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export GOBIN="$root/build/go-bin"
if [ ! -x "$GOBIN/grpcwebproxy" ]; then
  echo "setup_web: installing grpcwebproxy into $GOBIN"
  (cd /tmp && go install github.com/improbable-eng/grpc-web/go/grpcwebproxy@v0.15.0)
fi
if [ ! -x "$GOBIN/grpcurl" ]; then
  echo "setup_web: installing grpcurl into $GOBIN"
  (cd /tmp && go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.1)
fi
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
cd "$root/client/web"
# `npm ci`: exactly the committed lockfile (it lists every platform's
# optional @bufbuild/buf package, so npm neither rejects nor rewrites it).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
npm run --silent generate
npm run --silent build >/dev/null
echo "setup_web: board built in client/web/dist"
