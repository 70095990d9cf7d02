#!/usr/bin/env bash
# The same hold workload against SeatGrab, PostgreSQL and Redis, side by side (not in CI; runs
# where the servers are installed: apt-get install postgresql redis-server redis-tools).
# A hold = "seat N is held by this buyer for 5 minutes, if nobody holds it", made durable:
#   seatgrab       POST /v1/events/E/holds over HTTP, each another free seat (fsync by group commit),
#                  the bot guard deciding every join and checkout of the setup
#   seatgrab-noguard  the same with --bot-guard off: the guard's cost is the ratio of the two
#   pg-update      UPDATE seats SET holder, held_until WHERE id = N AND (free or lapsed)
#   pg-for-update  BEGIN; SELECT … FOR UPDATE; UPDATE …; COMMIT
#                  (PostgreSQL: fsync = on, synchronous_commit = on, 1,000,000 seats)
#   redis          SET seat:N holder NX PX 300000 (appendonly, appendfsync always)
#   seatgrab-404   the bare-edge ceiling: a GET the same server answers 404 (HTTP, router and
#                  problem+json; no actor, no disk), so each hold figure can be read against what
#                  HTTP alone allows on this machine
# Each at 100 clients for DURATION seconds, on this machine; medians of RUNS runs; ratios are
# SeatGrab's rate over the other's. Usage: bench/compare.sh [DURATION_S] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
# SEATGRAB_BIN picks another build (e.g. the one before a change, for a before/after pair).
bin=${SEATGRAB_BIN:-build/app/seatgrab}
duration=${1:-5}
runs=${2:-3}
clients=100
dir=$(mktemp -d)
chmod 755 "$dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${pgbin:-}" ] && [ -d "$dir/pg" ] && as_pg "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
results=()
report() { # name rate
  results+=("$1 $2")
  printf "%-14s %10.0f holds/s (median of %s)\n" "$1" "$2" "$runs"
}

# -- SeatGrab --------------------------------------------------------------------------------
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
[ -x "$bin" ] || { echo "bench/compare.sh: build first (cmake --build build), or set SEATGRAB_BIN"; exit 2; }
port=18095
# The node with its bot guard deciding every join and checkout (counting only: the setup's
# fans are one Python script at one address), then without it (--bot-guard off), the same
# workload on each: the guard's cost on the hold path is their ratio.
hold_runs() { # name, then serve flags
  local name=$1
  shift
  "$bin" --log-level warn serve --data-dir "$dir/seatgrab-$name" --listen 127.0.0.1:$port \
    --admin-token bench --demo --rate-limit 0 --scrypt-cost 10 --pow-difficulty 0 "$@" &
  pids+=($!)
  for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
  rates=()
  for r in $(seq "$runs"); do
    # Fresh events per run: every hold is for a free seat.
    # Four of them (200,000 seats): one event's 50,000 could run out within a run.
    EVENTS_PER_RUN=4 python3 bench/http/setup.py "http://127.0.0.1:$port" bench 500 "$dir/holds-$name-$r.txt" "cmp$r" >/dev/null
    out=$(WRK_THREADS=2 HOLDS_FILE="$dir/holds-$name-$r.txt" EVENT="cmp$r" \
      wrk -t2 -c$clients -d"${duration}s" -s bench/http/holds.lua "http://127.0.0.1:$port")
    rates+=("$(echo "$out" | awk '/Non-2xx/ {bad=$5} /requests in/ {n=$1; sub("s,", "", $4); t=$4} END {printf "%.0f", (n - bad) / t}')")
  done
  report "$name" "$(printf '%s\n' "${rates[@]}" | median)"
}
echo "bench/compare.sh: $clients clients, ${duration}s per run, $runs runs, $(nproc) cores"
hold_runs seatgrab-noguard --bot-guard off
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
hold_runs seatgrab --bot-guard shadow
rates=()
for r in $(seq "$runs"); do
  out=$(wrk -t2 -c$clients -d"${duration}s" "http://127.0.0.1:$port/v1/bench-baseline-404")
  rates+=("$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')")
done
results+=("seatgrab-404 $(printf '%s\n' "${rates[@]}" | median)")
printf "%-14s %10.0f req/s   (median of %s; the ceiling of HTTP alone)\n" seatgrab-404 \
  "$(printf '%s\n' "${rates[@]}" | median)" "$runs"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

# -- PostgreSQL ------------------------------------------------------------------------------
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ -n "$pgbin" ] && [ -x "$pgbin/pgbench" ]; then
  mkdir -p "$dir/pg" && chown postgres "$dir/pg" 2>/dev/null || true
  as_pg "$pgbin/initdb" -D "$dir/pg" -A trust -U bench >/dev/null
  as_pg "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg/log" -w start \
    -o "-p 15432 -k $dir/pg -c fsync=on -c synchronous_commit=on -c max_connections=200" >/dev/null
  psql=("$pgbin/psql" -h "$dir/pg" -p 15432 -U bench -d postgres -q)
  as_pg "${psql[@]}" -c "CREATE TABLE seats (id int PRIMARY KEY, holder text, held_until timestamptz);
    INSERT INTO seats SELECT g, NULL, NULL FROM generate_series(1, 1000000) g;"
  as_pg "${psql[@]}" -c "VACUUM ANALYZE seats;"
  cat > "$dir/update.sql" <<'EOF'
\set id random(1, 1000000)
UPDATE seats SET holder = 'buyer' || :client_id, held_until = now() + interval '5 minutes'
  WHERE id = :id AND (holder IS NULL OR held_until < now());
EOF
  cat > "$dir/for-update.sql" <<'EOF'
\set id random(1, 1000000)
BEGIN;
SELECT holder, held_until FROM seats WHERE id = :id FOR UPDATE;
UPDATE seats SET holder = 'buyer' || :client_id, held_until = now() + interval '5 minutes'
  WHERE id = :id AND (holder IS NULL OR held_until < now());
COMMIT;
EOF
  chmod 644 "$dir"/*.sql
  for mode in update for-update; do
    rates=()
    for r in $(seq "$runs"); do
      out=$(as_pg "$pgbin/pgbench" -h "$dir/pg" -p 15432 -U bench -n -M prepared -c $clients -j 2 \
        -T "$duration" -f "$dir/$mode.sql" postgres 2>&1)
      rates+=("$(echo "$out" | awk '/^tps = / {printf "%.0f", $3}')")
      as_pg "${psql[@]}" -c "UPDATE seats SET holder = NULL, held_until = NULL WHERE holder IS NOT NULL;"
    done
    report "pg-$mode" "$(printf '%s\n' "${rates[@]}" | median)"
  done
else
  echo "pg-update      skipped: PostgreSQL is not installed (apt-get install postgresql)"
  echo "pg-for-update  skipped"
fi

# -- Redis -----------------------------------------------------------------------------------
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  redis-server --port 16379 --dir "$dir" --save "" --appendonly yes --appendfsync always \
    --daemonize no >"$dir/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p 16379 ping >/dev/null 2>&1 && break; sleep 0.1; done
  rates=()
  for r in $(seq "$runs"); do
    redis-cli -p 16379 flushall >/dev/null
    # -n sized for about DURATION seconds at the first run's pace is guesswork; a fixed count
    # and the rate it reports are enough.
    out=$(redis-benchmark -p 16379 -c $clients -n 200000 -r 1000000 -q \
      SET seat:__rand_int__ buyer NX PX 300000 2>&1 | tr '\r' '\n' | grep 'requests per second' | tail -1)
    rates+=("$(echo "$out" | awk -F': ' '{split($2, a, " "); printf "%.0f", a[1]}')")
  done
  report redis-aof-always "$(printf '%s\n' "${rates[@]}" | median)"
else
  echo "redis          skipped: Redis is not installed (apt-get install redis-server redis-tools)"
fi

seatgrab_rate=$(printf '%s\n' "${results[@]}" | awk '$1 == "seatgrab" {print $2}')
for line in "${results[@]}"; do
  set -- $line
  [ "$1" = seatgrab ] && continue
  awk -v s="$seatgrab_rate" -v o="$2" -v n="$1" 'BEGIN { printf "ratio seatgrab / %-16s %.2f\n", n, s / o }'
done
