#!/usr/bin/env bash
# Builds the fuzzers with clang (libFuzzer + ASan + UBSan) in build/fuzz and
# runs each for FUZZ_SECONDS (default 30): event_fuzzer (an IngestEvents
# message through decoding, validation and the stage engine) and
# watch_fuzzer (a WatchLeadsRequest and a script of hub and stream
# operations against a model of the watch semantics). A crash fails the run
# and leaves the input in build/fuzz/artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build/fuzz"
cmake -S "$root" -B "$out" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLEADBOARD_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" --target event_fuzzer watch_fuzzer
for fuzzer in event_fuzzer watch_fuzzer; do
  mkdir -p "$out/corpus/$fuzzer" "$out/artifacts"
  echo "== $fuzzer"
  "$out/tests/fuzz/$fuzzer" -max_total_time="${FUZZ_SECONDS:-30}" -max_len=65536 \
    -artifact_prefix="$out/artifacts/$fuzzer-" -print_final_stats=1 "$out/corpus/$fuzzer" 2>&1 |
    tail -15
done
