#!/usr/bin/env bash
# Sets up this machine to build and run leadboard's server: installs the
# Debian packages it needs (only the missing ones), then builds with CMake +
# Ninja (+ ccache) into build/. Idempotent; safe to run again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  g++ cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libspdlog-dev libsoci-dev libboost-dev libpq-dev libsqlite3-dev
  libcli11-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  postgresql python3-venv sqlite3 curl openssl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ccache: paths relative to the checkout, and the working directory left out
# of the hash, so a fresh clone (CI's) reuses what another checkout compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
build_type=${LEADBOARD_BUILD_TYPE:-RelWithDebInfo}
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build "$root/build" -j "$(nproc)"
echo "setup: built $root/build/server/leadboard-server"
