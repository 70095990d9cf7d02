#!/usr/bin/env bash
# Before/after of two builds on this noisy machine (not in CI): the builds take turns, ROUNDS
# times, each on a fresh `seatgrab serve --demo` (fsync, 1 HTTP thread), so that drift of the
# machine hits both alike; medians per build at the end.
#   holds   POST /v1/events/E/holds at 100 connections, 5 runs of 3 s on a fresh event each
#           (2xx/s and p50; the rate falls run by run as the node fills, in both builds)
#   seatmap GET /v1/events/stadium-tour/seatmap?section=101 at 100 connections, 3 runs of 5 s,
#           plain and with Accept-Encoding: gzip
# Usage: bench/ab.sh BIN_BEFORE BIN_AFTER [ROUNDS]   (default 2; installs wrk if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bench/ab.sh BIN_BEFORE BIN_AFTER [ROUNDS]"; exit 2; }
rounds=${3:-2}
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
dir=$(mktemp -d)
port=18096
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
one() { # tag bin
  rm -rf "$dir/data"
  "$2" --log-level warn serve --data-dir "$dir/data" --listen 127.0.0.1:$port --admin-token bench \
    --demo --rate-limit 0 --scrypt-cost 10 --http-threads 1 &
  pid=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
  local api=http://127.0.0.1:$port u out bad
  u="$api/v1/events/stadium-tour/seatmap?section=101"
  curl -sf "$u" >/dev/null
  for _ in 1 2 3; do
    wrk -t2 -c100 -d5s "$u" | awk '/Requests\/sec/ {print $2}' >> "$dir/$1.seatmap"
    wrk -t2 -c100 -d5s -H 'Accept-Encoding: gzip' "$u" | awk '/Requests\/sec/ {print $2}' >> "$dir/$1.gzip"
  done
  for r in 1 2 3 4 5; do
    EVENTS_PER_RUN=4 python3 bench/http/setup.py $api bench 500 "$dir/holds.txt" "ab$r" >/dev/null
    out=$(WRK_THREADS=2 HOLDS_FILE="$dir/holds.txt" EVENT="ab$r" wrk -t2 -c100 -d3s --latency -s bench/http/holds.lua $api)
    bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    echo "$out" | awk -v bad="${bad:-0}" '/requests in/ {sub("s,", "", $4); printf "%.0f\n", ($1 - bad) / $4}' >> "$dir/$1.holds"
    echo "$out" | awk '$1=="50%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) sub("ms","",v); else {sub("s","",v); v*=1000}; print v}' >> "$dir/$1.p50"
  done
  kill $pid; wait $pid 2>/dev/null || true; pid=
}
echo "bench/ab.sh: $rounds rounds, before $1, after $2, fsync, 100 connections, $(nproc) cores"
for r in $(seq "$rounds"); do
  one before "$1"
  one after "$2"
done
printf "%-8s %12s %12s %12s %12s\n" build "holds 2xx/s" "hold p50 ms" "seatmap/s" "gzip/s"
for b in before after; do
  printf "%-8s %12.0f %12.2f %12.0f %12.0f\n" $b "$(median < "$dir/$b.holds")" "$(median < "$dir/$b.p50")" \
    "$(median < "$dir/$b.seatmap")" "$(median < "$dir/$b.gzip")"
done
