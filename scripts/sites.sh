#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed's two-site topology on one machine (docs/DEPLOYMENT.md): an edge and a cloud Kafka
# cluster (single-node KRaft each, scripts/kafka.sh), a `zeelos registry` at each site with its
# own schema id range and the other site's registry topic imported, and MirrorMaker 2 between
# them (scripts/mirror.sh).
#
#   scripts/sites.sh up       start all five (each step waits until its process answers)
#   scripts/sites.sh down     stop what up started, in reverse order (only those pids)
#   scripts/sites.sh status   the state of each; exit 0 when all run
#
# Ports (defaults; each can be moved, e.g. to run a second copy beside the first):
#   edge Kafka client/controller 9592/9593   SITES_EDGE_KAFKA_PORT, SITES_EDGE_CONTROLLER_PORT
#   cloud Kafka client/controller 9692/9693  SITES_CLOUD_KAFKA_PORT, SITES_CLOUD_CONTROLLER_PORT
#   edge registry 8581, cloud registry 8681  SITES_EDGE_SR_PORT, SITES_CLOUD_SR_PORT
#   MirrorMaker internal REST 8781, JMX 8791 MM2_REST_PORT, MM2_JMX_PORT (scripts/mirror.sh)
# State: <run dir>/edge, <run dir>/cloud (broker and registry of each site), <run dir>/mirror.
# Environment: ZEELOS_GATEWAYS (gateway ids whose topics are mirrored, default "edge1"),
# ZEELOS_RUN_DIR (default <repo>/.zeelos-run), ZEELOS_BIN (default <repo>/build/zeelos),
# EDGE_ALIAS (default edge: the edge registry's topic is _schemas.<alias>), SITES_KAFKA_HEAP_OPTS
# (each broker's heap, default -Xmx384m -Xms128m), and scripts/mirror.sh's MM2_* variables.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_ROOT="${ZEELOS_RUN_DIR:-$ROOT/.zeelos-run}"
mkdir -p "$RUN_ROOT"
RUN_ROOT="$(cd "$RUN_ROOT" && pwd)"
BIN="${ZEELOS_BIN:-$ROOT/build/zeelos}"
EDGE_PORT="${SITES_EDGE_KAFKA_PORT:-9592}"
EDGE_CPORT="${SITES_EDGE_CONTROLLER_PORT:-9593}"
CLOUD_PORT="${SITES_CLOUD_KAFKA_PORT:-9692}"
CLOUD_CPORT="${SITES_CLOUD_CONTROLLER_PORT:-9693}"
EDGE_SR_PORT="${SITES_EDGE_SR_PORT:-8581}"
CLOUD_SR_PORT="${SITES_CLOUD_SR_PORT:-8681}"
HEAP="${SITES_KAFKA_HEAP_OPTS:--Xmx384m -Xms128m}"
export ZEELOS_GATEWAYS="${ZEELOS_GATEWAYS:-edge1}"
export EDGE_ALIAS="${EDGE_ALIAS:-edge}"
export EDGE_BOOTSTRAP="127.0.0.1:$EDGE_PORT" CLOUD_BOOTSTRAP="127.0.0.1:$CLOUD_PORT"
export ZEELOS_BIN="$BIN"

say() { echo "sites.sh: $*"; }

# kafka.sh takes ZEELOS_KAFKA_* before KAFKA_*: both are set, so neither leaks in from outside.
site_kafka() {  # site port controller-port command
  KAFKA_PORT="$2" KAFKA_CONTROLLER_PORT="$3" ZEELOS_KAFKA_PORT="$2" ZEELOS_KAFKA_CONTROLLER_PORT="$3" \
    ZEELOS_KAFKA_HOST=127.0.0.1 KAFKA_HEAP_OPTS="$HEAP" ZEELOS_RUN_DIR="$RUN_ROOT/$1" \
    bash "$ROOT/scripts/kafka.sh" "$4"
}
edge_kafka() { site_kafka edge "$EDGE_PORT" "$EDGE_CPORT" "$1"; }
cloud_kafka() { site_kafka cloud "$CLOUD_PORT" "$CLOUD_CPORT" "$1"; }

# registry.import.topics is recent: passed only to a zeelos that knows it (its --help lists it
# as --registry-import-topics); without it each registry serves its own site's schemas only.
import_flag() {
  if "$BIN" registry --help 2>&1 | grep -q 'registry[.-]import[.-]topics'; then
    echo "-X registry.import.topics=$1"
  fi
}
edge_registry() {
  KAFKA_PORT="$EDGE_PORT" ZEELOS_SR_PORT="$EDGE_SR_PORT" ZEELOS_SR_TOPIC="_schemas.$EDGE_ALIAS" \
    ZEELOS_RUN_DIR="$RUN_ROOT/edge" \
    ZEELOS_SR_ARGS="-X registry.id.first=1000001 -X registry.id.last=1999999 $(import_flag _schemas.cloud)" \
    bash "$ROOT/scripts/registry.sh" "$1"
}
cloud_registry() {
  KAFKA_PORT="$CLOUD_PORT" ZEELOS_SR_PORT="$CLOUD_SR_PORT" ZEELOS_SR_TOPIC=_schemas.cloud \
    ZEELOS_RUN_DIR="$RUN_ROOT/cloud" \
    ZEELOS_SR_ARGS="-X registry.id.first=1 -X registry.id.last=999999 $(import_flag "_schemas.$EDGE_ALIAS")" \
    bash "$ROOT/scripts/registry.sh" "$1"
}
mirror() { ZEELOS_RUN_DIR="$RUN_ROOT" bash "$ROOT/scripts/mirror.sh" "$1"; }

case "${1:-}" in
  up)
    t0=$SECONDS
    [ -x "$BIN" ] || { echo "sites.sh: error: $BIN not found (make build, or set ZEELOS_BIN)" >&2; exit 1; }
    trap 'echo "sites.sh: error: start-up failed; \`scripts/sites.sh down\` stops what did start" >&2' ERR
    edge_kafka up
    cloud_kafka up
    edge_registry up
    cloud_registry up
    mirror up
    trap - ERR
    say "up in $((SECONDS - t0)) s: edge Kafka $EDGE_BOOTSTRAP + registry http://127.0.0.1:$EDGE_SR_PORT," \
        "cloud Kafka $CLOUD_BOOTSTRAP + registry http://127.0.0.1:$CLOUD_SR_PORT, MirrorMaker 2 for gateways: $ZEELOS_GATEWAYS"
    ;;
  down)
    rc=0
    mirror down || rc=1
    cloud_registry down || rc=1
    edge_registry down || rc=1
    cloud_kafka down || rc=1
    edge_kafka down || rc=1
    exit $rc
    ;;
  status)
    rc=0
    for f in edge_kafka cloud_kafka edge_registry cloud_registry mirror; do $f status || rc=1; done
    exit $rc
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
