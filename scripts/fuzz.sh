#!/usr/bin/env bash
# Builds the fuzz harnesses (tests/fuzz/) with clang, libFuzzer, ASan and UBSan in build-fuzz/
# and runs each for a bounded time, starting from its checked-in seed corpus; prints the
# executions per harness. A crash stops the run and leaves its input in
# build-fuzz/crashes/<name>/: fix it, then add the input to tests/fuzz/regressions/<name>/ so
# the normal builds replay it for good. Usage: scripts/fuzz.sh [seconds per harness, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-10}
jobs=${SEATGRAB_JOBS:-2}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE= \
  -DCMAKE_CXX_FLAGS="-O1 -g1 -fno-sanitize-recover=undefined" -DSEATGRAB_FUZZ=ON \
  -DSEATGRAB_SANITIZERS=fuzzer-no-link,address,undefined >/dev/null
cmake --build build-fuzz -j "$jobs" --target fuzz_all

export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/cmake/ubsan.supp"
export ASAN_OPTIONS="abort_on_error=1"
for seeds in tests/fuzz/corpus/*/; do
  name=$(basename "$seeds")
  work=build-fuzz/corpus/$name
  crashes=build-fuzz/crashes/$name
  mkdir -p "$work" "$crashes"
  log=build-fuzz/fuzz-$name.log
  if ! "build-fuzz/tests/fuzz/fuzz_$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "$seeds" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz_$name FAILED: the input is in $crashes/" >&2
    exit 1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz_$name: $execs executions in ${secs} s, no crash"
done
