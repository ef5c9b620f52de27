#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: a gateway and two virtual devices on the local Kafka, and what
# arrives in Kafka, decoded.  Kafka and the registry are started by the
# Makefile (make kafka-up registry-up); this script starts the rest and stops
# what it started when it ends.  `scripts/demo.sh stop` stops a leftover demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${ZEELOS_BIN:-$ROOT/build/zeelos}"
RUN="${ZEELOS_RUN_DIR:-$ROOT/.zeelos-run}/demo"
GW=demo
KAFKA="127.0.0.1:${KAFKA_PORT:-9092}"
SR="$(bash "$ROOT/scripts/registry.sh" url)"
COAP_PORT="${DEMO_COAP_PORT:-5683}"
HTTP_PORT="${DEMO_HTTP_PORT:-8080}"
SECONDS_TO_WATCH="${DEMO_SECONDS:-15}"
mkdir -p "$RUN"

stop_all() {
  for f in "$RUN"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}
if [ "${1:-}" = stop ]; then stop_all; exit 0; fi
stop_all
trap stop_all EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
common=(--kafka "$KAFKA" --schema-registry "$SR" --gw "$GW")

say "starting zeelos gateway '$GW' (CoAP udp/$COAP_PORT, HTTP $HTTP_PORT, Kafka $KAFKA, registry $SR)"
"$BIN" gateway "${common[@]}" --coap-port "$COAP_PORT" --http-port "$HTTP_PORT" \
  --data-dir "$RUN/data" >"$RUN/gateway.log" 2>&1 &
echo $! >"$RUN/gateway.pid"
for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null || { cat "$RUN/gateway.log"; exit 1; }
echo "gateway up (log: $RUN/gateway.log)"

say "starting two virtual devices (device object 3, temperature 3303/0 every 1 s, 3303/1 every 2 s)"
for n in 1 2; do
  "$BIN" device --server "coap://127.0.0.1:$COAP_PORT" --ep "demo-sensor-$n" >"$RUN/device-$n.log" 2>&1 &
  echo $! >"$RUN/device-$n.pid"
done
sleep 2

say "iot.$GW.registrations (Avro, decoded through the registry)"
"$BIN" tail "${common[@]}" registrations --from-beginning --max-messages 2 --timeout-ms 10000 || true

say "management request over Kafka: read /3/0 of demo-sensor-1"
"$BIN" request "${common[@]}" --ep demo-sensor-1 read /3/0 || true

say "observe /3303/0/5700 and /3303/1/5700 (the answers go to management.rep, notifications to observations)"
"$BIN" request "${common[@]}" --ep demo-sensor-1 observe /3303/0/5700 || true
"$BIN" request "${common[@]}" --ep demo-sensor-2 observe /3303/1/5700 || true

say "iot.$GW.observations for $SECONDS_TO_WATCH s"
"$BIN" tail "${common[@]}" observations --timeout-ms $((SECONDS_TO_WATCH * 1000)) --max-messages $((SECONDS_TO_WATCH * 3)) || true

say "gateway metrics (http://127.0.0.1:$HTTP_PORT/metrics)"
curl -fs "http://127.0.0.1:$HTTP_PORT/metrics" | grep -E '^zeelos_(registrations|notifications_total|mgmt_requests_total|kafka_delivered_total|kafka_delivery_failures_total)' || true

say "stopping the demo gateway and devices (Kafka keeps running: make kafka-down)"
