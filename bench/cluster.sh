#!/usr/bin/env bash
# A durable hold through a member that owns everything it touches (the fan's session, the
# event actor, the section) against the same holds through another member's edge (one hop to
# the owner), in one run on three local members (not in CI). Each run holds seats of two fresh
# events homed on the owner, 1 s at 50 connections (fewer holds than seats); the two edges
# take turns ROUNDS times, in the order ABBA so that drift hits both alike.
# Medians of 2xx/s and p50 per edge, and their ratio (issue 15's goal: >= 0.7).
# Usage: bench/cluster.sh [ROUNDS]   (default 3; needs ./build/app/seatgrab; installs wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
bin=./build/app/seatgrab
command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
declare -A http
for i in 1 2 3; do
  n=$(printf "\\x$(printf %x $((96 + i)))") # a, b, c
  http[$n]=127.0.0.1:$((18200 + i))
  printf '[[node]]\nname = "%s"\ncluster = "127.0.0.1:%d"\nhttp = "%s"\n' "$n" $((17200 + i)) "${http[$n]}" >>"$dir/cluster.toml"
done
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/secret")
for n in a b c; do
  "$bin" --log-level warn serve --cluster "$dir/cluster.toml" --node "$n" --cluster-secret-file "$dir/secret" \
    --data-dir "$dir/$n" --admin-token bench --demo --rate-limit 0 --scrypt-cost 10 --http-threads 1 &
  pids+=($!)
done
for n in a b c; do
  for _ in $(seq 300); do curl -sf "http://${http[$n]}/healthz" >/dev/null && break; sleep 0.1; done
done
admin() { "$bin" admin --connect 127.0.0.1:17201 --admin-token bench --json -c "$1"; }
# 30 events; the member that is home to most of them is the owner.
ACCOUNTS_OUT="$dir/accounts.txt" EVENTS_PER_RUN=30 \
  python3 bench/http/setup.py "http://${http[a]}" bench 600 "$dir/holds.txt" cb >/dev/null
declare -A home
for e in cb $(seq -f 'cb-%g' 2 30); do home[$e]=$(admin "inspect event $e" | python3 -c 'import json,sys; print(json.load(sys.stdin)["node"])'); done
owner=$(printf '%s\n' "${home[@]}" | sort | uniq -c | sort -rn | awk 'NR==1 {print $2}')
other=$( [ "$owner" = a ] && echo b || echo a)
mine=(); for e in "${!home[@]}"; do [ "${home[$e]}" = "$owner" ] && mine+=("$e"); done
[ ${#mine[@]} -ge $((4 * rounds)) ] || { echo "only ${#mine[@]} events on $owner; lower ROUNDS"; exit 1; }
admin "actors session --node $owner" | python3 -c 'import json,sys; [print(a["id"]) for a in json.load(sys.stdin)["actors"]]' >"$dir/sessions"
admin "actors section --node $owner" | python3 -c 'import json,sys; [print(a["id"]) for a in json.load(sys.stdin)["actors"]]' >"$dir/sections"
echo "owner $owner (${#mine[@]} of 30 events), other edge $other; $(wc -l <"$dir/sessions") sessions on $owner"
# Every seat of the owner's sections, each held by a fan whose session lives on the owner
# (round robin: at most 100 seats a fan), one file per event.
python3 - "$dir" "${mine[@]}" <<'PY'
import sys
d, events = sys.argv[1], sys.argv[2:]
sessions = set(open(f"{d}/sessions").read().split())
sections = set(open(f"{d}/sections").read().split())
fans = [t for t, a in (l.split() for l in open(f"{d}/accounts.txt")) if a in sessions]
admission, seats = {}, {e: [] for e in events}
for line in open(f"{d}/holds.txt"):
    token, adm, seat, ev = line.split()
    admission[(token, ev)] = adm
    if ev in seats and f"{ev}/{seat.split('-')[0]}" in sections:
        seats[ev].append(seat)
fans = [t for t in fans if all((t, ev) in admission for ev in events)]
for ev in events:
    with open(f"{d}/holds-{ev}.txt", "w") as f:
        for i, seat in enumerate(seats[ev][: 100 * len(fans)]):
            t = fans[i % len(fans)]
            f.write(f"{t} {admission[(t, ev)]} {seat} {ev}\n")
print(f"{len(fans)} fans with their session on the owner, {2 * len(seats[events[0]])} seats a run")
PY
run() { # tag edge event1 event2
  local out bad
  paste -d '\n' "$dir/holds-$3.txt" "$dir/holds-$4.txt" | grep -v '^$' >"$dir/run.txt"
  out=$(WRK_THREADS=2 HOLDS_FILE="$dir/run.txt" EVENT="$3" wrk -t2 -c50 -d1s --latency -s bench/http/holds.lua "http://${http[$2]}")
  bad=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  echo "$out" | awk -v bad="${bad:-0}" '/requests in/ {sub("s,", "", $4); printf "%.0f\n", ($1 - bad) / $4}' >>"$dir/$1.rate"
  echo "$out" | awk '$1=="50%" {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) sub("ms","",v); else {sub("s","",v); v*=1000}; print v}' >>"$dir/$1.p50"
  echo "  $1 via $2 on $3 and $4: $(tail -1 "$dir/$1.rate") holds/s, p50 $(tail -1 "$dir/$1.p50") ms, non-2xx ${bad:-0}"
}
for r in $(seq "$rounds"); do
  k=$((4 * r - 4))
  if [ $((r % 2)) -eq 1 ]; then
    run owner "$owner" "${mine[$k]}" "${mine[$((k + 1))]}"
    run other "$other" "${mine[$((k + 2))]}" "${mine[$((k + 3))]}"
  else
    run other "$other" "${mine[$k]}" "${mine[$((k + 1))]}"
    run owner "$owner" "${mine[$((k + 2))]}" "${mine[$((k + 3))]}"
  fi
done
o=$(median <"$dir/owner.rate"); x=$(median <"$dir/other.rate")
op=$(median <"$dir/owner.p50"); xp=$(median <"$dir/other.p50")
echo "medians: owner edge $o holds/s (p50 $op ms), other edge $x holds/s (p50 $xp ms)"
awk -v o="$o" -v x="$x" -v op="$op" -v xp="$xp" 'BEGIN {printf "ratio other/owner: %.2f; the hop adds %.2f ms at p50\n", x / o, xp - op}'
admin nodes | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["rtt_us"] >= 0:
        print("  ping of", r["name"], "from a:", r["rtt_us"], "us")'
