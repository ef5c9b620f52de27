#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Backpressure under 10x overload (issue 4 item 5): Kafka is made to accept ~1/10 of what the
# fleet offers with a producer byte-rate quota on the gateway's client.id (KIP-546, set through
# the Admin API by bench/Quota.java), the producer queue is capped at CAP_KB, and `zeelos bench`
# drives 10,000 devices notifying every second.  Reported: the gateway's RSS over the run (must
# stay under the cap plus its baseline), what Kafka took, what the gateway pushed back and
# counted in /metrics, and the recovery once the quota is lifted (LIFT_S after the start).
# Devices notify with CON (--device-notify-con), so what is pushed back is retransmitted.
#   bench/overload.sh [BUILD_DIR]      (needs `make kafka-up`; ~3 minutes; stops by itself)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build-bench}/zeelos
libs=${KAFKA_LIBS:-$HOME/.cache/zeelos/kafka-4.4.0/libs}
boot=127.0.0.1:${KAFKA_PORT:-9092}
out=$root/bench/out
mkdir -p "$out"
COUNT=${COUNT:-10000}
DURATION=${DURATION:-90}
LIFT_S=${LIFT_S:-75}
QUOTA=${QUOTA:-832000}    # bytes/s Kafka takes from the gateway: ~1,000 records of ~832 B, 1/10 of the offered load
CAP_KB=${CAP_KB:-16384}   # producer queue cap (kafka.queue.buffering.max.kbytes)
port=15993 http=15994 client=zeelos-overload id=overload$(date +%s)
data=$(mktemp -d)

quota() { java -cp "$libs/*" "$root/bench/Quota.java" "$boot" "$client" "$1" >/dev/null; }
metric() { curl -s "http://127.0.0.1:$http/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

quota "$QUOTA"
trap 'quota remove; kill -INT $gw 2>/dev/null || true; rm -rf "$data"' EXIT
"$bin" gateway --id "$id" --coap-port $port --http-port $http --format json --data-dir "$data" \
    --log-level warn -X kafka.client.id=$client -X kafka.queue.buffering.max.kbytes=$CAP_KB &
gw=$!
sleep 2
base=$(rss_kb $gw)
echo "overload: gateway pid $gw, idle RSS $base KiB, queue cap $CAP_KB KiB, quota $QUOTA B/s, $COUNT devices"
# the quota holds for LIFT_S seconds (registrations, observe setup and the first part of the
# notification window), then Kafka is let through again and the rest of the window shows recovery
(sleep "$LIFT_S"; quota remove; echo "overload: quota lifted at +${LIFT_S} s") &
lifter=$!
"$bin" bench --gw "$id" --format json --server coap://127.0.0.1:$port --gateway-pid $gw \
    --count "$COUNT" --duration "$DURATION" --device-notify-ms 1000 --device-notify-con --mgmt-rate 0 \
    --bench-drain-ms 15000 --out "$out/overload.json" || true
wait $lifter || true
peak=$(python3 -c "import json;print(max(s['rss_mib'] for s in json.load(open('$out/overload.json'))['gateway_process']['samples']))" 2>/dev/null || echo "?")
echo "overload: after the run: backpressure_total=$(metric zeelos_backpressure_total)" \
     "shed_total=$(metric zeelos_coap_notifications_shed_total)" \
     "produce_errors_total=$(metric zeelos_kafka_produce_errors_total)" \
     "produced_total=$(metric zeelos_kafka_produced_total) delivered_total=$(metric zeelos_kafka_delivered_total)" \
     "inflight_bytes=$(metric zeelos_kafka_inflight_bytes) rss_now=$(rss_kb $gw)KiB"
t0=$(date +%s)
while [ "$(metric zeelos_kafka_inflight_bytes)" != "0" ] && [ $(( $(date +%s) - t0 )) -lt 120 ]; do sleep 1; done
echo "overload: producer queue drained in $(( $(date +%s) - t0 )) s;" \
     "delivered_total=$(metric zeelos_kafka_delivered_total) failures=$(metric zeelos_kafka_delivery_failures_total)" \
     "rss_now=$(rss_kb $gw)KiB (idle baseline $base KiB, max during the run ${peak} MiB)"
