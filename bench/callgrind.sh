#!/usr/bin/env bash
# Instructions per request of the edge's hot paths, counted by valgrind's callgrind: unlike
# time, the count barely moves on a noisy machine, so a before/after pair of builds shows what
# a change saved (not in CI). A `seatgrab serve --demo` runs under callgrind; for each kind the
# counters are zeroed, exactly N requests are sent over 8 keep-alive connections
# (bench/http/fixed.py), and the server's instructions (all threads) are divided by N:
#   baseline  GET of an unknown route (404): server, router and problem+json, no actors
#   seatmap   GET /v1/events/cg/seatmap?section=101 (the bench event's map, which its set-up
#             read once, so the edge has a snapshot; refreshes run behind it and count too)
#   poll      GET /v1/events/cg-wait/queue/TICKET, a waiting fan's queue status
#   polladm   the same for an admitted fan of cg (the room answers, with an admission token)
#   hold      POST /v1/events/E/holds, a durable hold of another free seat each (fsync)
# Usage: bench/callgrind.sh [N]   (default 2000; SEATGRAB_BIN picks another build; installs
# valgrind if missing). Also writes the profiles to $CALLGRIND_OUT (default bench/callgrind.out)
# for callgrind_annotate.
# The seat-map phase reads the bench event's map, not the demo's: under valgrind a refresh of
# a 50,000-seat map outlasts the edge's 10 s call timeout, so a map never read before is never
# served (every GET waits out the timeout); the set-up's own read, retried, makes the first one.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SEATGRAB_BIN:-build/app/seatgrab}
n=${1:-2000}
out=${CALLGRIND_OUT:-bench/callgrind.out}
command -v valgrind >/dev/null || apt-get install -y -q valgrind >/dev/null
[ -x "$bin" ] || { echo "bench/callgrind.sh: build first (cmake --build build), or set SEATGRAB_BIN"; exit 2; }
dir=$(mktemp -d)
mkdir -p "$out"
port=18097
api=http://127.0.0.1:$port
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" "$bin" --log-level warn serve \
  --data-dir "$dir/data" --listen 127.0.0.1:$port --admin-token bench --demo --rate-limit 0 \
  --scrypt-cost 10 --http-threads 1 2>"$dir/valgrind.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 600); do curl -sf $api/healthz >/dev/null && break; sleep 0.5; done
curl -sf $api/healthz >/dev/null || { cat "$dir/valgrind.log"; exit 1; }
fans=40
# Under valgrind the node is ~50 times slower: creating the event can outlast the edge's 10 s
# (503); it goes on regardless, and a retry finds it (409).
for attempt in 1 2 3 4 5 6; do
  python3 bench/http/setup.py $api bench $fans "$dir/holds.txt" cg "$dir/fans.txt" \
    "$dir/waiting.txt" >/dev/null \
    2>"$dir/setup.log" && break
  [ $attempt = 6 ] && { cat "$dir/setup.log"; exit 1; }
  sleep 10
done
echo "bench/callgrind.sh: $n requests a kind over 8 connections, durability=fsync, $(basename "$bin") $(git rev-parse --short HEAD 2>/dev/null || true)"
printf "%-9s %14s %10s  %s\n" kind instructions "per req" answers
phase() { # name kind arg [event]
  callgrind_control -z $pid >/dev/null 2>&1
  local answers
  answers=$(python3 bench/http/fixed.py 127.0.0.1:$port "${4:-cg}" "$n" 8 "$2" "$3")
  callgrind_control -d "$1" $pid >/dev/null 2>&1
  local f
  f=$(ls -t "$dir"/cg.$pid.* | head -1)
  cp "$f" "$out/$1.callgrind"
  local ir
  ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$f")
  printf "%-9s %14s %10.0f  %s\n" "$1" "$ir" "$((ir / n))" "$answers"
}
phase baseline get /v1/bench-baseline-404
phase seatmap get "/v1/events/cg/seatmap?section=101"
phase poll poll "$dir/waiting.txt" cg-wait
phase polladm poll "$dir/fans.txt"
phase hold hold "$dir/holds.txt"
