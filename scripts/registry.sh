#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The local Schema Registry for the demo and manual testing: `zeelos registry`, its state in the
# compacted topic _schemas of the local broker (scripts/kafka.sh), so schemas survive restarts.
#
#   scripts/registry.sh up       start (background) and print the URL to use
#   scripts/registry.sh down     stop the registry this script started (only that pid)
#   scripts/registry.sh status   exit 0 when running
#   scripts/registry.sh url      print the URL
#
# Environment: ZEELOS_SR_PORT (default 8081), KAFKA_PORT (default 9092), ZEELOS_SR_TOPIC (default
# _schemas), ZEELOS_SR_ARGS (more flags, e.g. "-X registry.id.first=1000001"), ZEELOS_BIN (default
# <repo>/build/zeelos), ZEELOS_RUN_DIR (default <repo>/.zeelos-run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${ZEELOS_SR_PORT:-8081}"
KAFKA="127.0.0.1:${KAFKA_PORT:-9092}"
TOPIC="${ZEELOS_SR_TOPIC:-_schemas}"
BIN="${ZEELOS_BIN:-$ROOT/build/zeelos}"
RUN_ROOT="${ZEELOS_RUN_DIR:-$ROOT/.zeelos-run}"
mkdir -p "$RUN_ROOT"
RUN_ROOT="$(cd "$RUN_ROOT" && pwd)"
STATE="$RUN_ROOT/registry"
PIDFILE="$STATE/registry.pid"
LOG="$STATE/registry.log"
URL="http://127.0.0.1:$PORT"

say() { echo "registry.sh: $*"; }
die() { echo "registry.sh: error: $*" >&2; exit 1; }

our_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid cmd
  pid="$(cat "$PIDFILE" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *" registry "* && "$cmd" == *"--port $PORT"* ]] || return 1
  echo "$pid"
}

answers() { curl -fsS -m 2 "$URL/subjects" >/dev/null 2>&1; }

cmd_up() {
  local pid
  if pid="$(our_pid)"; then say "already running pid $pid: $URL"; return 0; fi
  [ -x "$BIN" ] || die "$BIN not found (make build)"
  command -v curl >/dev/null || die "curl not found"
  if answers; then die "$URL already answers (another registry?); set ZEELOS_SR_PORT"; fi
  mkdir -p "$STATE"
  say "starting zeelos registry on 127.0.0.1:$PORT (state: topic $TOPIC on $KAFKA) ..."
  # shellcheck disable=SC2086  # ZEELOS_SR_ARGS: more flags, split on spaces
  # the zeelos binary reads ZEELOS_* variables as its configuration: not this script's
  setsid env $(env | sed -n 's/^\(ZEELOS_[A-Za-z0-9_]*\)=.*/-u \1/p') "$BIN" registry --port "$PORT" -X registry.host=127.0.0.1 --kafka "$KAFKA" --topic "$TOPIC" \
    ${ZEELOS_SR_ARGS:-} >"$LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  local deadline=$((SECONDS + 60))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then cat "$LOG" >&2; rm -f "$PIDFILE"; die "registry exited"; fi
    [ $SECONDS -lt $deadline ] || { cmd_down >/dev/null; die "registry did not answer within 60 s (log: $LOG)"; }
    sleep 0.2
  done
  say "started pid $pid; schema registry URL: $URL"
}

cmd_down() {
  local pid
  if ! pid="$(our_pid)"; then say "not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  say "stopped pid $pid"
}

cmd_status() {
  local pid
  if pid="$(our_pid)" && answers; then say "running pid $pid: $URL"; return 0; fi
  say "not running"; return 1
}

case "${1:-}" in
  up|start) cmd_up ;;
  down|stop) cmd_down ;;
  status) cmd_status ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 up|down|status|url" >&2; exit 2 ;;
esac
