#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite twice: a warnings-as-errors
# build (g++), then an AddressSanitizer + UBSan build (clang, which compiles CAF's templates at
# -O0 in about half g++'s time; line tables only); then every fuzz harness for a few seconds
# (scripts/fuzz.sh). The stress tests run in both builds: 50 kill cycles each in the first,
# 10 under the sanitizers. Usage: scripts/test.sh [--no-sanitizers]
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

jobs=${SEATGRAB_JOBS:-2}
run_suite() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DSEATGRAB_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  # The stress targets (label "stress") run too: they are seeded and print the seed. The
  # minutes-long stadium scenario (label "full-scale") does not: `ctest -L full-scale`; nor
  # does work in progress (label "wip": the cluster's mutual TLS), `ctest -L wip`.
  ctest --test-dir "$dir" --output-on-failure -j 1 -LE 'full-scale|wip'
}

echo "== build + tests (RelWithDebInfo, -Werror)"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ "${1:-}" != "--no-sanitizers" ]; then
  echo "== build + tests (AddressSanitizer + UBSan)"
  run_suite build-asan-clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DSEATGRAB_SANITIZERS=address,undefined -DSEATGRAB_STRESS_CYCLES=10 \
    -DSEATGRAB_BENCH=OFF
  echo "== fuzzing (clang, libFuzzer + ASan/UBSan, 8 s per harness)"
  ./scripts/fuzz.sh 8
fi
