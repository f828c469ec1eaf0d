#!/usr/bin/env bash
# Builds the server's libraries and binary with Clang in build/clang, where
# -Wthread-safety -Werror=thread-safety checks every ABSL_GUARDED_BY and
# ABSL_EXCLUSIVE_LOCKS_REQUIRED annotation (GCC, the main build, ignores
# them). A lock annotation violated anywhere fails the build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/clang"
cmake -S "$root" -B "$out" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" --target leadboard-server leadboard
echo "thread-safety analysis: clean (server and CLI built with clang++ -Werror=thread-safety)"
