#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: the seed's topology on one machine.  An edge site (Kafka, zeelos registry, the
# gateway, two virtual devices) and a cloud site (Kafka, zeelos registry) with MirrorMaker 2
# between them (scripts/sites.sh); then a reading taken at the edge is shown arriving in the
# cloud, and requests made in the cloud are answered by an edge device; `zeelos analytics` computes
# the seed's maximum temperature per 30 s at the edge; `zeelos console` serves the admin UI in the
# cloud and prints its URL with a one-time login.  The gateway, devices and console keep running
# for the UI; `make demo-stop` (or `scripts/demo.sh stop`) stops all of it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${ZEELOS_BIN:-$ROOT/build/zeelos}"
RUN="${ZEELOS_RUN_DIR:-$ROOT/.zeelos-run}/demo"
GW=demo
EDGE=127.0.0.1:9592 CLOUD=127.0.0.1:9692
EDGE_SR=http://127.0.0.1:8581 CLOUD_SR=http://127.0.0.1:8681
COAP_PORT="${DEMO_COAP_PORT:-5683}"
HTTP_PORT="${DEMO_HTTP_PORT:-8080}"
CONSOLE_PORT="${DEMO_CONSOLE_PORT:-8088}"
SECONDS_TO_WATCH="${DEMO_SECONDS:-15}"
export PG_PORT="${DEMO_PG_PORT:-5642}" PG_DIR="${ZEELOS_RUN_DIR:-$ROOT/.zeelos-run}/demo-postgres"
mkdir -p "$RUN"

stop_all() {
  for f in "$RUN"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}
if [ "${1:-}" = stop ]; then
  stop_all; ZEELOS_GATEWAYS="$GW" bash "$ROOT/scripts/sites.sh" down; bash "$ROOT/scripts/postgres.sh" down; exit 0
fi
stop_all
trap stop_all EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
edge=(--kafka "$EDGE" --schema-registry "$EDGE_SR" --gw "$GW")
cloud=(--kafka "$CLOUD" --schema-registry "$CLOUD_SR" --gw "$GW")

say "starting the edge and the cloud site, MirrorMaker 2 between them (scripts/sites.sh)"
ZEELOS_GATEWAYS="$GW" bash "$ROOT/scripts/sites.sh" up

say "edge: zeelos gateway '$GW' (CoAP udp/$COAP_PORT, HTTP $HTTP_PORT, Kafka $EDGE, registry $EDGE_SR)"
"$BIN" gateway "${edge[@]}" \
  --coap-port "$COAP_PORT" --http-port "$HTTP_PORT" --data-dir "$RUN/data" >"$RUN/gateway.log" 2>&1 &
echo $! >"$RUN/gateway.pid"
for _ in $(seq 1 50); do
  curl -fs "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null || { cat "$RUN/gateway.log"; exit 1; }
echo "gateway up (log: $RUN/gateway.log)"

say "edge: two virtual devices (device object 3, temperature 3303/0 every 1 s, 3303/1 every 2 s)"
for n in 1 2; do
  "$BIN" device --server "coap://127.0.0.1:$COAP_PORT" --ep "demo-sensor-$n" >"$RUN/device-$n.log" 2>&1 &
  echo $! >"$RUN/device-$n.pid"
done

say "edge: zeelos analytics --preset max-temp-30s (the seed's TemperatureStreamsApp, exactly once)"
"$BIN" analytics --preset max-temp-30s "${edge[@]}" --state-dir "$RUN/analytics" --http-port 9110 --print \
  >"$RUN/analytics.out" 2>"$RUN/analytics.log" &
echo $! >"$RUN/analytics.pid"
echo "analytics up (log: $RUN/analytics.log, metrics: http://127.0.0.1:9110/metrics)"

say "cloud: waiting for the cloud registry to import the edge's schemas (_schemas.edge, replicated)"
for _ in $(seq 1 120); do
  curl -fs "$CLOUD_SR/subjects" | grep -q "iot.$GW.management.req-value" && break
  sleep 0.5
done
curl -fs "$CLOUD_SR/subjects"; echo

say "cloud: iot.$GW.registrations, replicated from the edge, decoded with the cloud's registry"
for _ in $(seq 1 30); do  # MirrorMaker creates the topic in the cloud within refresh.topics.interval.seconds
  "$BIN" tail "${cloud[@]}" registrations --from-beginning --max-messages 2 --timeout-ms 30000 2>/dev/null && break
  sleep 1
done

say "cloud: PostgreSQL (scripts/postgres.sh, port $PG_PORT) and zeelos sink writing the replicated topics into it"
PG_URL=$(bash "$ROOT/scripts/postgres.sh" up)
"$BIN" sink --store postgresql -X sink.postgresql.url="$PG_URL" --kafka "$CLOUD" --schema-registry "$CLOUD_SR" \
  --topics "iot.$GW.observations,iot.$GW.registrations" --group demo-sink --port 9108 -X sink.batch.linger.ms=100 \
  >"$RUN/sink.log" 2>&1 &
echo $! >"$RUN/sink.pid"
echo "sink up (log: $RUN/sink.log, metrics: http://127.0.0.1:9108/metrics)"

say "cloud: zeelos console (web UI + REST/SSE API over the cloud's Kafka) on port $CONSOLE_PORT"
"$BIN" console --kafka "$CLOUD" --schema-registry "$CLOUD_SR" --port "$CONSOLE_PORT" --state-dir "$RUN/console" \
  --one-time-login >"$RUN/console.out" 2>"$RUN/console.log" &
echo $! >"$RUN/console.pid"
for _ in $(seq 1 100); do
  grep -q "one-time login" "$RUN/console.out" 2>/dev/null && break
  sleep 0.1
done
grep -q "one-time login" "$RUN/console.out" || { cat "$RUN/console.log"; exit 1; }
echo "console up (log: $RUN/console.log)"

say "cloud -> edge: a management request made in the cloud, answered by demo-sensor-1 at the edge"
"$BIN" request "${cloud[@]}" --ep demo-sensor-1 read /3/0 || true

say "cloud -> edge: observe /3303/0/5700 and /3303/1/5700"
"$BIN" request "${cloud[@]}" --ep demo-sensor-1 observe /3303/0/5700 || true
"$BIN" request "${cloud[@]}" --ep demo-sensor-2 observe /3303/1/5700 || true

say "cloud: readings taken at the edge, iot.$GW.observations, for $SECONDS_TO_WATCH s"
"$BIN" tail "${cloud[@]}" observations --timeout-ms $((SECONDS_TO_WATCH * 1000)) --max-messages $((SECONDS_TO_WATCH * 3)) || true

say "cloud: what the sink stored in PostgreSQL (psql $PG_URL)"
psql "$PG_URL" -c "SELECT gateway, endpoint, status, last_seen FROM zeelos_endpoint_status ORDER BY endpoint" \
  -c "SELECT l.endpoint, l.path, r.name, l.value_float AS value, l.time FROM zeelos_latest l
      JOIN zeelos_resources r USING (object_id, resource_id) WHERE l.object_id = 3303 ORDER BY 1, 2" \
  -c "SELECT endpoint, path, count(*) AS readings, min(time) AS first, max(time) AS last FROM zeelos_readings
      GROUP BY 1, 2 ORDER BY 1, 2" || true

say "edge: maximum temperature per device and 30 s window, analytics.$GW.observations.maxper30sec (waits for the first window to close)"
"$BIN" tail "${edge[@]}" "analytics.$GW.observations.maxper30sec" --from-beginning --timeout-ms 50000 --max-messages 2 || true
curl -fs http://127.0.0.1:9110/metrics | grep -E '^zeelos_analytics_(records_total|results_total|late_total|commits_total)' || true

say "edge gateway metrics (http://127.0.0.1:$HTTP_PORT/metrics) and MirrorMaker's replication latency"
curl -fs "http://127.0.0.1:$HTTP_PORT/metrics" | grep -E '^zeelos_(registrations|notifications_total|mgmt_requests_total|kafka_delivered_total|kafka_delivery_failures_total)' || true
ZEELOS_GATEWAYS="$GW" bash "$ROOT/scripts/mirror.sh" metrics 2>/dev/null | awk '$4 == "replication-latency-ms-avg" && $5 != "NaN"' || true

trap - EXIT
say "the console: open the URL below (the login works once; add users with: $BIN console-user add NAME --file $RUN/console/users)"
grep "one-time login" "$RUN/console.out"
echo "gateway, devices, analytics, sink and console keep running; make demo-stop stops everything"
