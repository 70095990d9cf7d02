#!/bin/sh
# Runs the browser tests (CTest calls this). Installs the pinned npm packages first when
# node_modules is missing or older than the lockfile or package.json. Env: SEATGRAB_BIN (the seatgrab to
# serve; default /work/main/build/app/seatgrab, CTest passes $<TARGET_FILE:seatgrab>),
# SEATGRAB_WEB_ARTEFACTS (screenshots; default tests/web/artefacts). Extra arguments name
# test files (default: every *.test.mjs here).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ] || [ package.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
  touch node_modules # npm ci may keep an old mtime: mark the install as newer than both
fi
if [ -z "${SEATGRAB_BIN:-}" ]; then
  SEATGRAB_BIN=$(cd "$here/../.." && pwd)/build/app/seatgrab
  export SEATGRAB_BIN
fi
if [ ! -x "$SEATGRAB_BIN" ]; then
  echo "run.sh: no seatgrab binary at $SEATGRAB_BIN (set SEATGRAB_BIN)" >&2
  exit 2
fi
if [ "$#" -eq 0 ]; then
  set -- ./*.test.mjs
fi
exec node --test --test-concurrency=1 --test-timeout=180000 "$@"
