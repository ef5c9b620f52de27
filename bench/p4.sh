#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# P4 (issue 16 item 5): gateway-added latency (datagram read -> record handed to the producer,
# the gateway's own zeelos_notification_gateway_seconds histogram) at a fixed notification rate,
# with the gateway's scheduling from /proc/<pid>/schedstat (time on a CPU, time runnable but
# waiting for one). Variants a user could try without code:
#   plain    the gateway as started
#   pinned   taskset -c 1 (the loop thread and librdkafka's threads on CPU 1)
#   fifo     chrt -f 10 on the loop thread only (SCHED_FIFO: it preempts the broker, fleet, bench)
#   bench/p4.sh [BUILD_DIR] [VARIANT...]     env: DEVICES (10000), NOTIFY_MS (200), SECONDS_RUN (30),
#                                            FLEET_ARGS (extra `zeelos bench` fleet options)
# Avro mode with the project's registry (started here on 127.0.0.1:16882); Kafka on 127.0.0.1:9092.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$root/build}" && pwd)/zeelos
[ $# -gt 0 ] && shift
variants=${*:-plain pinned fifo}
devices=${DEVICES:-10000}
notify=${NOTIFY_MS:-200}
secs=${SECONDS_RUN:-30}
out=$root/bench/out
mkdir -p "$out"
port=16621 http=16622 srport=16882
sr=http://127.0.0.1:$srport
ZEELOS_SR_PORT=$srport ZEELOS_RUN_DIR=$out/run-p4 ZEELOS_BIN=$bin "$root/scripts/registry.sh" up >/dev/null
gw=
cleanup() {
    [ -n "$gw" ] && kill -INT "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
    ZEELOS_SR_PORT=$srport ZEELOS_RUN_DIR=$out/run-p4 "$root/scripts/registry.sh" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
for v in $variants; do
    data=$(mktemp -d)
    id=p4$v$(date +%s)
    pre=
    [ "$v" = pinned ] && pre="taskset -c 1"
    $pre "$bin" gateway --id "$id" --coap-port $port --coaps-port -1 --http-port $http --data-dir "$data" \
        --schema-registry "$sr" --log-level warn &
    gw=$!
    until curl -sf "http://127.0.0.1:$http/healthz" >/dev/null 2>&1; do sleep 0.1; done
    [ "$v" = fifo ] && chrt -f -p 10 $gw
    set -- $(cat /proc/$gw/task/$gw/schedstat)
    cpu0=$1 wait0=$2 slices0=$3 t0=$(date +%s%N)
    # shellcheck disable=SC2086
    "$bin" bench --gw "$id" --schema-registry "$sr" --server "coap://127.0.0.1:$port" --count "$devices" \
        --device-notify-ms "$notify" --duration "$secs" --mgmt-rate 0 --fleet --gateway-pid $gw \
        --out "$out/p4-$v.json" ${FLEET_ARGS:-} 2>/dev/null | grep -E "delivered \(|sequence|CreateTime|during notif" || true
    python3 "$root/bench/gwlatency.py" "http://127.0.0.1:$http/metrics" || true
    set -- $(cat /proc/$gw/task/$gw/schedstat)
    echo "[$v] loop thread: on a CPU $(( ($1 - cpu0) / 1000000 )) ms, runnable but waiting" \
         "$(( ($2 - wait0) / 1000000 )) ms, of $(( ($(date +%s%N) - t0) / 1000000 )) ms wall;" \
         "$(( $3 - slices0 )) timeslices (wake-ups)"
    curl -s "http://127.0.0.1:$http/metrics" | grep -E "^zeelos_coap_socket_drops_total" || true
    kill -INT $gw
    wait $gw 2>/dev/null || true
    gw=
    rm -rf "$data"
done
