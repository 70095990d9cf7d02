#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite twice: a warnings-as-errors
# build, then an AddressSanitizer + UBSan build; then every fuzz harness for a few seconds
# (scripts/fuzz.sh). Usage: scripts/test.sh [--no-sanitizers]
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
  # minutes-long stadium scenario (label "full-scale") does not: `ctest -L full-scale`.
  ctest --test-dir "$dir" --output-on-failure -j 1 -LE full-scale
}

echo "== build + tests (RelWithDebInfo, -Werror)"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ "${1:-}" != "--no-sanitizers" ]; then
  echo "== build + tests (AddressSanitizer + UBSan)"
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DSEATGRAB_SANITIZERS=address,undefined
  echo "== fuzzing (clang, libFuzzer + ASan/UBSan, 8 s per harness)"
  ./scripts/fuzz.sh 8
fi
