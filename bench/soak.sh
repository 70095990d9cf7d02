#!/usr/bin/env bash
# Soak test over HTTP (not in CI): the mixed load of an on-sale (bench/http/soak.lua: seat-map
# reads plain and gzip over several sections, queue polls, holds each released at once, event
# details, /healthz, log-ins) with wrk against `seatgrab serve --demo` on a fresh data dir, in
# 60-second slices. After each minute it prints the server's RSS (VmRSS) and open files
# (/proc/PID/fd; RocksDB's table files among them), and that minute's requests/s and p99; at the
# end the growth after warm-up, with PASS/FAIL: RSS and the open files other than table files
# grow at most 5 %, and the table files stay within the store's bound (SOAK_MAX_TABLES,
# persistence/store.hpp's max_table_files). Table files are judged by their bound, not their
# growth: their number follows the data written (the journal and a day of idempotency records
# only grow during a sale) and the compactions under way.
# Growth compares the mean of the last 3 minutes with the mean of the 3 minutes after warm-up
# (SOAK_WARMUP_MIN), not one sample with another: a memtable's fill and flush and the
# allocator's purging swing RSS by about 5 % between neighbouring minutes. A run needs 6
# minutes after warm-up to be judged, so that the two windows do not overlap. The single samples
# (end of warm-up, last minute) are printed as well.
# Fans are admitted in cohorts (bench/http/soak_setup.py); an admission lasts 10 minutes, so
# a new cohort is admitted in the background every 5 minutes and used from the next minute.
# Usage: bench/soak.sh [DURATION_S]   (default 600; needs build/app/seatgrab; installs wrk if
# missing). Environment: SEATGRAB_BIN (another build), SOAK_SEED (default: random, printed),
# SOAK_CONNECTIONS (100), SOAK_FANS (200 a cohort), SOAK_SECTIONS (12), SOAK_LIMIT_PCT (5),
# SOAK_WARMUP_MIN (2: the minutes of warm-up);
# to find what grows: SOAK_MIX ("kind=weight,...", see soak.lua), SOAK_HOLD_KEYS=0 (holds
# without an Idempotency-Key).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SEATGRAB_BIN:-build/app/seatgrab}
duration=${1:-600}
slice=60
minutes=$(((duration + slice - 1) / slice))
seed=${SOAK_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
connections=${SOAK_CONNECTIONS:-100}
fans=${SOAK_FANS:-200}
sections=${SOAK_SECTIONS:-12}
limit=${SOAK_LIMIT_PCT:-5}
max_tables=${SOAK_MAX_TABLES:-128}
warmup=${SOAK_WARMUP_MIN:-2}
export MIX=${SOAK_MIX:-} HOLD_KEYS=${SOAK_HOLD_KEYS:-1}
event=stadium-tour
# Debian's python3, standard library only.
py=/usr/bin/python3
[ -x $py ] || py=python3
command -v wrk >/dev/null || sudo apt-get install -y wrk || apt-get install -y wrk
dir=$(mktemp -d)
port=18091
api=http://127.0.0.1:$port
"$bin" --log-level warn serve --data-dir "$dir/data" --listen 127.0.0.1:$port \
  --admin-token bench --demo --rate-limit 0 --scrypt-cost 10 --http-threads 1 \
  2>"$dir/server.log" &
pid=$!
cohort_pid=
cleanup() {
  [ -n "$cohort_pid" ] && kill "$cohort_pid" 2>/dev/null
  kill $pid 2>/dev/null
  wait $pid 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf $api/healthz >/dev/null && break; sleep 0.1; done
curl -sf $api/healthz >/dev/null || {
  cat "$dir/server.log"
  exit 1
}
echo "bench/soak.sh: seed $seed, ${duration}s in ${slice}s slices, durability=fsync, 1 HTTP thread,"
echo "  wrk -t2 -c$connections on the same $(nproc) cores, $fans fans a cohort, $sections sections"
echo "  mix ${MIX:-default, see bench/http/soak.lua}, idempotency keys on holds: $HOLD_KEYS"
cohort() { # number
  $py bench/http/soak_setup.py $api $event "$fans" "$sections" "$seed" "c$1-" \
    "$dir/fans-$1.txt" >"$dir/cohort-$1.log" 2>&1
}
cohort 0 || {
  cat "$dir/cohort-0.log"
  exit 1
}
sed 's/^/  /' "$dir/cohort-0.log"
current=0
rss() { awk '/^VmRSS/ {print $2}' /proc/$pid/status; }
fds() { find /proc/$pid/fd -mindepth 1 -maxdepth 1 | wc -l; }
# Of those, RocksDB's table files (their number follows flushes and compactions).
tables() { find /proc/$pid/fd -mindepth 1 -maxdepth 1 -lname '*.sst' | wc -l; }
printf "%-6s %10s %10s %9s %10s %6s %7s %8s %9s\n" minute req/s p99 non-2xx "RSS KiB" fds tables threads \
  "store KiB"
for m in $(seq "$minutes"); do
  # A new cohort while this minute runs, for the next ones (admissions last 10 minutes).
  if [ $((m % 5)) -eq 0 ] && [ "$m" -lt "$minutes" ]; then
    cohort "$m" &
    cohort_pid=$!
  fi
  len=$((m * slice <= duration ? slice : duration - (m - 1) * slice))
  out=$(FANS_FILE="$dir/fans-$current.txt" EVENT=$event SEED=$seed SLICE=$m WRK_THREADS=2 \
    wrk -t2 -c"$connections" -d"${len}s" --latency -s bench/http/soak.lua $api)
  if [ -n "$cohort_pid" ]; then
    wait "$cohort_pid" || {
      cat "$dir/cohort-$m.log"
      exit 1
    }
    cohort_pid=
    sed 's/^/  /' "$dir/cohort-$m.log"
    current=$m
  fi
  kill -0 $pid 2>/dev/null || {
    echo "the server died"
    cat "$dir/server.log"
    exit 1
  }
  # wrk has closed its connections; count once the server has closed its ends too (5 s at most).
  for _ in $(seq 50); do
    c=$(curl -sf $api/metrics | awk '/^seatgrab_http_connections / {print $2}' || true)
    [ "${c:-9}" -le 1 ] && break
    sleep 0.1
  done
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  r=$(rss)
  f=$(fds)
  tf=$(tables)
  t=$(awk '/^Threads/ {print $2}' /proc/$pid/status)
  # RocksDB's memtables, block cache and table readers, from /metrics.
  sm=$(curl -sf $api/metrics | awk '/^seatgrab_store_memory_bytes/ {s += $2} END {print int(s / 1024)}')
  echo "$m $r $f $tf" >>"$dir/samples"
  printf "%-6s %10s %10s %9s %10s %6s %7s %8s %9s\n" "$m" "$rps" "$p99" "${non2xx:-0}" "$r" "$f" \
    "$tf" "$t" "$sm"
  echo "$out" | grep -E '^(mix|statuses):' | sed 's/^/         /'
done
echo "server's own figures over the whole run (/metrics): mean latency and answers per route"
curl -sf $api/metrics | awk '
  /^seatgrab_http_request_seconds_sum/ { split($0, a, "\""); sum[a[2]] = $NF }
  /^seatgrab_http_request_seconds_count/ { split($0, a, "\""); n[a[2]] = $NF }
  END { for (r in n) if (n[r] > 0) printf "  %-40s %9d  mean %7.2f ms\n", r, n[r], 1000 * sum[r] / n[r] }' |
  sort
if [ -s "$dir/server.log" ]; then
  echo "server warnings/errors (last 5 of $(wc -l <"$dir/server.log")):"
  tail -n 5 "$dir/server.log" | cut -c1-200 | sed 's/^/  /'
fi
awk -v limit="$limit" -v max_tables="$max_tables" -v warmup="$warmup" '
  function mean(a, from, to,   i, t) { t = 0; for (i = from; i <= to; i++) t += a[i]; return t / (to - from + 1) }
  { rss[$1] = $2; other[$1] = $3 - $4; if ($4 > most) most = $4; last = $1 }
  END {
    base = warmup
    judged = last - base >= 6
    if (!judged) { base = last < base ? last : base }
    printf "single samples, minute %d to %d: RSS %+.1f %% (%d -> %d KiB), open files other than tables %+.1f %% (%d -> %d)\n",
      base, last, 100 * (rss[last] - rss[base]) / rss[base], rss[base], rss[last],
      100 * (other[last] - other[base]) / other[base], other[base], other[last]
    if (!judged) {
      printf "FAIL: too short to judge (6 minutes after warm-up needed)\n"
      exit 3
    }
    r0 = mean(rss, base + 1, base + 3); r1 = mean(rss, last - 2, last)
    o0 = mean(other, base + 1, base + 3); o1 = mean(other, last - 2, last)
    gr = 100 * (r1 - r0) / r0; go = 100 * (o1 - o0) / o0
    printf "means, minutes %d-%d against %d-%d: RSS %+.1f %% (%d -> %d KiB), open files other than tables %+.1f %% (%.0f -> %.0f)\n",
      base + 1, base + 3, last - 2, last, gr, r0, r1, go, o0, o1
    printf "table files at most %d (bound %d)\n", most, max_tables
    ok = gr <= limit && go <= limit && most <= max_tables
    printf "%s: RSS and open files other than tables grew at most %s %% after warm-up; tables within bound\n",
      ok ? "PASS" : "FAIL", limit
    exit ok ? 0 : 3
  }' "$dir/samples"
