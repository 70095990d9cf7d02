#!/usr/bin/env bash
# Installs dependencies, builds `seatgrab`, and runs a local cluster: one node per [[node]] of
# the cluster file (default scripts/cluster-local.toml: a, b, c on 127.0.0.1), each with its own
# data dir under ./data-cluster and the demo event, all with the same operator token. Ctrl-C
# stops them all. Usage: scripts/run-cluster.sh [CLUSTER_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-scripts/cluster-local.toml}

./scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${SEATGRAB_JOBS:-2}" --target seatgrab

token=${SEATGRAB_ADMIN_TOKEN:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
echo "operator token: $token"
names=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$file")
# The members' shared secret (admission tokens issued on one member are checked on another).
mkdir -p data-cluster && chmod 700 data-cluster
secret=data-cluster/cluster-secret
[ -s "$secret" ] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for n in $names; do
  SEATGRAB_ADMIN_TOKEN=$token ./build/app/seatgrab serve --cluster "$file" --node "$n" \
    --cluster-secret-file "$secret" --data-dir "data-cluster/$n" --demo \
    > >(sed "s/^/[$n] /") 2>&1 &
  pids+=($!)
done
for n in $names; do
  http=$(awk -v n="$n" '/^name/ {cur=$3; gsub(/"/, "", cur)} /^http/ && cur==n {gsub(/"/, "", $3); print $3}' "$file")
  echo "node $n: http://$http/v1/events"
done
first=$(sed -n 's/^cluster *= *"\(.*\)"/\1/p' "$file" | head -1)
echo "admin shell: SEATGRAB_ADMIN_TOKEN=$token ./build/app/seatgrab admin --connect $first"
wait
