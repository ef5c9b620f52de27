#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Scale of the gateway's state (issue 16 item 7): N devices (default 100,000) register, each is
# observed once (/3303/0 through Kafka, by `zeelos bench`), then the gateway is killed (SIGKILL,
# no clean shutdown) and started again on the same data dir while the fleet goes on:
#   - RSS idle, after the registration storm and with every observation (KiB per device);
#   - the storm: registrations/s and time from fleet start until all are registered (bench);
#   - restart: time from exec until /healthz answers, with N registrations and N observations
#     restored from SQLite (the gateway's own "restored" log lines), and RSS after it.
#   bench/state.sh [BUILD_DIR] [N]       needs: scripts/kafka.sh up; starts its own registry
# Avro mode, the project's registry (zeelos registry on 127.0.0.1:16881).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$root/build}" && pwd)/zeelos
n=${2:-100000}
out=$root/bench/out
mkdir -p "$out"
port=16611 http=16612 srport=16881
sr=http://127.0.0.1:$srport
ZEELOS_SR_PORT=$srport ZEELOS_RUN_DIR=$out/run-state ZEELOS_BIN=$bin "$root/scripts/registry.sh" up >/dev/null
data=$(mktemp -d)
gw= bp=
cleanup() {
    [ -n "$bp" ] && kill -INT "$bp" 2>/dev/null && wait "$bp" 2>/dev/null
    [ -n "$gw" ] && kill -INT "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
    ZEELOS_SR_PORT=$srport ZEELOS_RUN_DIR=$out/run-state "$root/scripts/registry.sh" down >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT
id=state$(date +%s)
# addresses for the fleet: 25,000 source ports each at most
addrs=127.0.0.1
k=2
while [ $(( (k - 1) * 25000 )) -lt "$n" ]; do addrs="$addrs,127.0.0.$k"; k=$((k + 1)); done

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
healthy() { curl -sf "http://127.0.0.1:$http/healthz" >/dev/null 2>&1; }
start_gw() {
    "$bin" gateway --id "$id" --coap-port $port --coaps-port -1 --http-port $http --data-dir "$data" \
        --schema-registry "$sr" --log-level info >>"$out/state-gw.log" 2>&1 &
    gw=$!
}
: >"$out/state-gw.log"
start_gw
until healthy; do sleep 0.1; done
idle=$(rss $gw)
echo "gateway idle RSS: $idle KiB"
"$bin" bench --gw "$id" --schema-registry "$sr" --server "coap://127.0.0.1:$port" --count "$n" \
    --device-bind "$addrs" --device-lifetime 3600 --device-notify-ms 3600000 --duration 120 --mgmt-rate 0 \
    --fleet --gateway-pid $gw --out "$out/state-$n.json" >"$out/state-bench.txt" 2>"$out/state-bench.err" &
bp=$!
# wait until every device is observed (bench's progress line: "obs N")
until grep -q "obs $n " "$out/state-bench.err" 2>/dev/null; do
    kill -0 $bp 2>/dev/null || { echo "bench ended early" >&2; tail -5 "$out/state-bench.err" >&2; exit 1; }
    sleep 1
done
sleep 2
full=$(rss $gw)
echo "gateway RSS with $n registrations and $n observations: $full KiB" \
     "($(( (full - idle) * 1024 / n )) bytes per device over idle)"
grep -E "registrations|observe" "$out/state-bench.err" | tail -2 || true
kill -KILL $gw
wait $gw 2>/dev/null || true
t0=$(date +%s%N)
start_gw
until healthy; do sleep 0.02; done
t1=$(date +%s%N)
echo "restart (SIGKILL, then exec until /healthz answers): $(( (t1 - t0) / 1000000 )) ms; RSS $(rss $gw) KiB"
grep -E "restored [0-9]+ (registration|observation)" "$out/state-gw.log" | tail -2
kill -INT $bp 2>/dev/null || true
wait $bp 2>/dev/null || true
bp=
sed -n '/^|/p' "$out/state-bench.txt" | grep -E "registrations|observe|RSS" || true
