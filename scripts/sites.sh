#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seed's two-site topology on one machine (docs/DEPLOYMENT.md): an edge and a cloud Kafka
# cluster (single-node KRaft each, scripts/kafka.sh), a `zeelos registry` at each site with its
# own id range and the other site's registry topic imported, and MirrorMaker 2 between them
# (scripts/mirror.sh).
#
#   scripts/sites.sh up | down | status
#
# Ports: edge Kafka 9592/9593, cloud Kafka 9692/9693, edge registry 8581, cloud registry 8681,
# MirrorMaker REST 8781 / JMX 8791.  State: <run dir>/edge, <run dir>/cloud, <run dir>/mirror.
# Environment: ZEELOS_GATEWAYS (gateway ids whose topics are mirrored, default "edge1"),
# ZEELOS_RUN_DIR (default <repo>/.zeelos-run), ZEELOS_BIN (default <repo>/build/zeelos).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_ROOT="${ZEELOS_RUN_DIR:-$ROOT/.zeelos-run}"
mkdir -p "$RUN_ROOT"
RUN_ROOT="$(cd "$RUN_ROOT" && pwd)"
export ZEELOS_GATEWAYS="${ZEELOS_GATEWAYS:-edge1}"
export EDGE_BOOTSTRAP=127.0.0.1:9592 CLOUD_BOOTSTRAP=127.0.0.1:9692 EDGE_ALIAS=edge

say() { echo "sites.sh: $*"; }

edge_kafka() { KAFKA_PORT=9592 KAFKA_CONTROLLER_PORT=9593 ZEELOS_KAFKA_PORT=9592 ZEELOS_KAFKA_CONTROLLER_PORT=9593 \
  ZEELOS_RUN_DIR="$RUN_ROOT/edge" bash "$ROOT/scripts/kafka.sh" "$@"; }
cloud_kafka() { KAFKA_PORT=9692 KAFKA_CONTROLLER_PORT=9693 ZEELOS_KAFKA_PORT=9692 ZEELOS_KAFKA_CONTROLLER_PORT=9693 \
  ZEELOS_RUN_DIR="$RUN_ROOT/cloud" bash "$ROOT/scripts/kafka.sh" "$@"; }
edge_registry() { KAFKA_PORT=9592 ZEELOS_SR_PORT=8581 ZEELOS_SR_TOPIC=_schemas.edge ZEELOS_RUN_DIR="$RUN_ROOT/edge" \
  ZEELOS_SR_ARGS="-X registry.id.first=1000001 -X registry.id.last=1999999 -X registry.import.topics=_schemas.cloud" \
  bash "$ROOT/scripts/registry.sh" "$@"; }
cloud_registry() { KAFKA_PORT=9692 ZEELOS_SR_PORT=8681 ZEELOS_SR_TOPIC=_schemas.cloud ZEELOS_RUN_DIR="$RUN_ROOT/cloud" \
  ZEELOS_SR_ARGS="-X registry.id.first=1 -X registry.id.last=999999 -X registry.import.topics=_schemas.edge" \
  bash "$ROOT/scripts/registry.sh" "$@"; }
mirror() { ZEELOS_RUN_DIR="$RUN_ROOT" bash "$ROOT/scripts/mirror.sh" "$@"; }

case "${1:-}" in
  up)
    t0=$SECONDS
    edge_kafka up
    cloud_kafka up
    edge_registry up
    cloud_registry up
    mirror up
    say "edge Kafka $EDGE_BOOTSTRAP + registry http://127.0.0.1:8581, cloud Kafka $CLOUD_BOOTSTRAP + registry" \
        "http://127.0.0.1:8681, MirrorMaker 2 for gateways: $ZEELOS_GATEWAYS ($((SECONDS - t0)) s)"
    ;;
  down)
    mirror down || true
    cloud_registry down || true
    edge_registry down || true
    cloud_kafka down || true
    edge_kafka down || true
    ;;
  status)
    rc=0
    for f in edge_kafka cloud_kafka edge_registry cloud_registry mirror; do $f status || rc=1; done
    exit $rc
    ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
