#!/usr/bin/env bash
# Log-ins over HTTP (not in CI): POST /v1/sessions with wrk at 20 connections against a
# `seatgrab serve` hashing with its default scrypt (N = 2^15, r = 8, p = 1), and the machine's
# ceiling for them: cores ÷ the time of one such hash (Python's hashlib.scrypt, which is
# OpenSSL's, median of 5, in one process). Issue 14's goal: log-ins/s >= 0.8 x the ceiling.
# Answers other than 201 (a 503 when the hashers' queue is full) do not count as log-ins.
# Usage: bench/logins.sh [DURATION_S]   (default 10; SEATGRAB_BIN picks another build; installs
# wrk if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SEATGRAB_BIN:-build/app/seatgrab}
duration=${1:-10}
accounts=20
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
[ -x "$bin" ] || { echo "bench/logins.sh: build first (cmake --build build), or set SEATGRAB_BIN"; exit 2; }
dir=$(mktemp -d)
port=18094
api=http://127.0.0.1:$port
"$bin" --log-level warn serve --data-dir "$dir/data" --listen 127.0.0.1:$port \
  --admin-token bench --rate-limit 0 --http-threads 1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf $api/healthz >/dev/null && break; sleep 0.1; done
for i in $(seq $accounts); do
  curl -sf -XPOST $api/v1/accounts -H 'Content-Type: application/json' \
    -d "{\"email\":\"login$i@example.com\",\"password\":\"correct horse\"}" >/dev/null
done
hash_s=$(python3 -c '
import hashlib, statistics, time
times = []
for _ in range(5):
    t = time.perf_counter()
    hashlib.scrypt(b"correct horse", salt=b"0123456789abcdef", n=1 << 15, r=8, p=1,
                   maxmem=64 << 20, dklen=32)
    times.append(time.perf_counter() - t)
print(statistics.median(times))')
out=$(ACCOUNTS=$accounts wrk -t2 -c$accounts -d"${duration}s" --latency -s bench/http/logins.lua $api)
ok=$(echo "$out" | awk '/Non-2xx/ {bad=$5} /requests in/ {n=$1; sub("s,", "", $4); t=$4} END {printf "%.1f", (n - bad) / t}')
p50=$(echo "$out" | awk '$1=="50%" {print $2}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
cores=$(nproc)
echo "bench/logins.sh: scrypt N=2^15 r=8 p=1, $accounts connections, ${duration}s, $cores cores"
awk -v ok="$ok" -v h="$hash_s" -v c="$cores" -v p50="$p50" -v bad="${non2xx:-0}" 'BEGIN {
  ceiling = c / h
  printf "one hash: %.1f ms; ceiling: %d cores / hash time = %.1f log-ins/s\n", h * 1000, c, ceiling
  printf "log-ins: %.1f/s (p50 %s, non-201 %d): %.2f of the ceiling (goal >= 0.8)\n", ok, p50, bad, ok / ceiling
}'
