#!/usr/bin/env bash
# HTTP benchmark of the edge (not in CI): requests/s and p50/p99 with wrk at 100 and 1,000
# connections, on this machine, against a `seatgrab serve` with the 50,000-seat demo stadium.
#   baseline  GET of an unknown route (404): server, router and problem+json, no actors
#   seatmap   GET /v1/events/stadium-tour/seatmap?section=101 (cached per version, 24 KB)
#   seatmapgz the same with Accept-Encoding: gzip, as browsers send it (1.4 KB)
#   poll      GET /v1/events/benchN-wait/queue/TICKET, a waiting fan's queue status
#             (authenticated; the waiting fans of bench/http/setup.py in turn, bench/http/poll.lua)
#   polladm   the same for admitted fans of benchN (the room answers, with an admission token)
#   holds     POST /v1/events/benchN/holds, each a durable hold of another free seat (fsync);
#             3 s runs on 4 fresh events each (200,000 seats), so that the seats do not run out
#             (one event's 50,000 did: earlier figures of 16,200-16,300 2xx/s were the sell-out)
# Usage: bench/http.sh [DURATION_S]   (needs build/app/seatgrab; installs wrk if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
# SEATGRAB_BIN picks another build (e.g. the one before a change, for a before/after pair).
bin=${SEATGRAB_BIN:-build/app/seatgrab}
duration=${1:-10}
command -v wrk >/dev/null || sudo apt-get install -y wrk || apt-get install -y wrk
dir=$(mktemp -d)
port=18090
"$bin" --log-level warn serve --data-dir "$dir/data" --listen 127.0.0.1:$port \
  --admin-token bench --demo --rate-limit 0 --scrypt-cost 10 --http-threads 1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
echo "bench/http.sh: durability=fsync, 1 HTTP thread, 2 CAF workers, wrk -t2 on the same 2 cores, ${duration}s per run"
run() { # name connections url [script | "gzip"]
  local out
  if [ "${4:-}" = gzip ]; then
    out=$(wrk -t2 -c"$2" -d"${duration}s" --latency -H 'Accept-Encoding: gzip' "$3")
  elif [ "${4:-}" = poll ]; then # waiting fans
    out=$(FANS_FILE="$dir/waiting-$2.txt" EVENT="bench$2-wait" wrk -t2 -c"$2" -d"${duration}s" --latency -s bench/http/poll.lua "$3")
  elif [ "${4:-}" = polladm ]; then # admitted fans: the room answers, with a token
    out=$(FANS_FILE="$dir/fans-$2.txt" EVENT="bench$2" wrk -t2 -c"$2" -d"${duration}s" --latency -s bench/http/poll.lua "$3")
  elif [ -n "${4:-}" ]; then
    out=$(WRK_THREADS=2 HOLDS_FILE="$dir/holds-$2.txt" EVENT="bench$2" wrk -t2 -c"$2" -d"${duration}s" --latency -s "$4" "$3")
  else
    out=$(wrk -t2 -c"$2" -d"${duration}s" --latency "$3")
  fi
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  # Successful answers per second (a hold that meets a taken seat is not a durable hold).
  local ok
  ok=$(echo "$out" | awk -v bad="${non2xx:-0}" '/requests in/ {sub("s,", "", $4); printf "%.0f", ($1 - bad) / $4}')
  printf "%-9s c=%-5s %10s req/s  p50 %-9s p99 %-9s non-2xx %-8s 2xx/s %s\n" "$1" "$2" "$rps" "$p50" "$p99" "${non2xx:-0}" "$ok"
  if [ "$1" = holds ]; then echo "$ok" > "$dir/$1-$2.rps"; else echo "$rps" > "$dir/$1-$2.rps"; fi
}
for c in 100 1000; do
  run baseline $c "http://127.0.0.1:$port/v1/bench-baseline-404"
  run seatmap $c "http://127.0.0.1:$port/v1/events/stadium-tour/seatmap?section=101"
  run seatmapgz $c "http://127.0.0.1:$port/v1/events/stadium-tour/seatmap?section=101" gzip
done
# Fresh events per run, so every hold is for a free seat (4 events, 200,000 seats).
for c in 100 1000; do
  EVENTS_PER_RUN=4 python3 bench/http/setup.py "http://127.0.0.1:$port" bench 500 "$dir/holds-$c.txt" "bench$c" "$dir/fans-$c.txt" "$dir/waiting-$c.txt" >/dev/null
  run poll $c "http://127.0.0.1:$port" poll
  run polladm $c "http://127.0.0.1:$port" polladm
  duration=3 run holds $c "http://127.0.0.1:$port" bench/http/holds.lua
done
for c in 100 1000; do
  awk -v b="$(cat "$dir/baseline-$c.rps")" -v s="$(cat "$dir/seatmap-$c.rps")" -v g="$(cat "$dir/seatmapgz-$c.rps")" -v p="$(cat "$dir/poll-$c.rps")" -v a="$(cat "$dir/polladm-$c.rps")" -v h="$(cat "$dir/holds-$c.rps")" -v c=$c \
    'BEGIN { printf "ratios c=%s: seatmap/baseline %.2f, seatmap gzip/baseline %.2f, poll (waiting)/baseline %.2f, poll (admitted)/baseline %.2f, holds/baseline %.2f\n", c, s/b, g/b, p/b, a/b, h/b }'
done
