#!/usr/bin/env bash
# Benchmarks: see tests/bench/run.py (`--quick` proves they run; `--help`).
exec python3 "$(dirname "$0")/run.py" "$@"
