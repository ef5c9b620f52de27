#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 10's "an idle gateway answers after an hour", by hand (too long for CI): a gateway with
# default consumer settings and one device, a read, IDLE_S seconds of nothing, a read again,
# then the consumer metrics and /readyz. JSON format, so no schema registry is needed.
# Usage: scripts/idle-hour.sh [BUILD_DIR] (broker on $KAFKA_PORT, default 9092)
set -euo pipefail
Z="$(cd "${1:-build}" && pwd)/zeelos"
KAFKA="127.0.0.1:${KAFKA_PORT:-9092}"
IDLE_S="${IDLE_S:-3600}"
DIR="$(mktemp -d /tmp/zeelos-idle.XXXXXX)"
cd "$DIR"
"$Z" gateway --id idlehour --format json --coap-port 15683 --http-port 18080 --data-dir "$DIR/data" \
    --kafka "$KAFKA" > gw.log 2>&1 &
GW=$!
"$Z" device --ep idle-dev --server coap://127.0.0.1:15683 --device-lifetime 7200 > dev.log 2>&1 &
DEV=$!
trap 'kill $GW $DEV 2>/dev/null || true' EXIT
until curl -sf localhost:18080/readyz >/dev/null; do sleep 1; done
read_once() {
    echo "$(date -u +%FT%TZ) $1:"
    "$Z" request --gw idlehour --format json --kafka "$KAFKA" --ep idle-dev read /3/0/0 \
        --timeout-ms 30000 2>&1 | tail -2
    curl -s localhost:18080/metrics | grep -E "^zeelos_mgmt_consumer|^zeelos_mgmt_requests_total"
}
for _ in $(seq 30); do "$Z" request --gw idlehour --format json --kafka "$KAFKA" --ep idle-dev \
    read /3/0/0 --timeout-ms 2000 >/dev/null 2>&1 && break; done  # the device has registered
read_once "first read"
echo "$(date -u +%FT%TZ) idle ${IDLE_S} s"
sleep "$IDLE_S"
read_once "read after ${IDLE_S} s idle"
curl -s localhost:18080/readyz; echo
echo "logs in $DIR"
