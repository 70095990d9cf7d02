#!/usr/bin/env bash
# Installs dependencies, builds `seatgrab`, and runs a node with the demo venue and an event
# on sale. Data lives in ./data. Extra arguments go to `seatgrab serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${SEATGRAB_JOBS:-2}" --target seatgrab

token=${SEATGRAB_ADMIN_TOKEN:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
echo "operator token: $token"
echo "API: http://${SEATGRAB_LISTEN:-127.0.0.1:8080}/v1/events  (OpenAPI: /v1/openapi.json)"
# curl is a script to the bot guard: on the demo node it counts (shadow mode) instead of asking
# for proofs of work and step-ups. SEATGRAB_BOT_GUARD=enforce SEATGRAB_POW=16 as in production.
echo "bot guard: ${SEATGRAB_BOT_GUARD:-shadow}, proof of work ${SEATGRAB_POW:-0} bits"
exec ./build/app/seatgrab serve --data-dir ./data --listen "${SEATGRAB_LISTEN:-127.0.0.1:8080}" \
  --admin-token "$token" --demo --bot-guard "${SEATGRAB_BOT_GUARD:-shadow}" \
  --pow-difficulty "${SEATGRAB_POW:-0}" "$@"
