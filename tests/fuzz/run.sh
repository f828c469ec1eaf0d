#!/usr/bin/env bash
# Builds the event fuzzer with clang (libFuzzer + ASan + UBSan) in
# build/fuzz and runs it for FUZZ_SECONDS (default 30). A crash fails the
# run and leaves the input in build/fuzz/artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/fuzz"
cmake -S "$root" -B "$out" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLEADBOARD_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" --target event_fuzzer
mkdir -p "$out/corpus" "$out/artifacts"
"$out/tests/fuzz/event_fuzzer" -max_total_time="${FUZZ_SECONDS:-30}" -max_len=65536 \
  -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus" 2>&1 | tail -15
