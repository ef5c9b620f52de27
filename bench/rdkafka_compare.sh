#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 10 item 3: the same gateway linked against two librdkafka builds, three figures each:
#   1. management round trip in a fresh run (200 reads at ~100/s, bench/latency/mgmt_latency.py)
#   2. CPU the gateway burns while the broker is frozen (SIGSTOP) for 20 s
#   3. a broker outage longer than the consumer's session timeout (60 s down): consumer restarts
#      and how long until the next read is answered
# Usage: bench/rdkafka_compare.sh BUILD_DIR... (each with its zeelos; broker of scripts/kafka.sh
# on 127.0.0.1:9092, which this script freezes and restarts).  Prints one block per build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
PIDFILE="$ROOT/.zeelos-run/kafka/kafka.pid"
TICK=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() {
    local z="$1/zeelos" dir gid gw dev
    dir="$(mktemp -d /tmp/zeelos-rkcmp.XXXXXX)"
    gid="rk$(date +%s)$RANDOM"
    "$z" gateway --id "$gid" --format json --coap-port 15900 --http-port 18090 --data-dir "$dir/data" \
        > "$dir/gw.log" 2>&1 &
    gw=$!
    "$z" device --ep rk-dev --server coap://127.0.0.1:15900 > "$dir/dev.log" 2>&1 &
    dev=$!
    until curl -sf localhost:18090/readyz >/dev/null; do sleep 0.2; done
    until grep -q "registered 'rk-dev'" "$dir/gw.log"; do sleep 0.2; done
    sleep 1  # nothing else was asked of the gateway: its first management answers are measured
    echo "== $z: $(grep -o "librdkafka [0-9.]*" "$dir/gw.log" | head -1) ($(ldd "$z" | awk '/librdkafka/ {print $3}'))"
    echo "-- 1. fresh run, 200 management reads:"
    "$PY" "$ROOT/bench/latency/mgmt_latency.py" "$gid" rk-dev | sed 's/^/   /'
    echo "-- 2. broker frozen 20 s:"
    local kpid t0 t1
    kpid=$(cat "$PIDFILE")
    t0=$(cpu_ticks $gw)
    kill -STOP "$kpid"
    sleep 20  # time passing is the measurement
    t1=$(cpu_ticks $gw)
    kill -CONT "$kpid"
    echo "   gateway CPU while frozen: $(awk -v d=$((t1 - t0)) -v t="$TICK" 'BEGIN {printf "%.2f s of 20 s (%.0f %% of a core)", d / t, d / t * 5}')"
    sleep 5
    echo "-- 3. broker down 60 s, then up:"
    bash "$ROOT/scripts/kafka.sh" down >/dev/null
    sleep 60  # longer than session.timeout.ms (45 s)
    bash "$ROOT/scripts/kafka.sh" up >/dev/null
    local s=$SECONDS
    if "$z" request --gw "$gid" --format json --ep rk-dev read /3/0/0 --timeout-ms 120000 >"$dir/req.out" 2>&1; then
        echo "   next read answered $((SECONDS - s)) s after the broker was back"
    else
        echo "   next read failed after $((SECONDS - s)) s: $(grep -v '^%' "$dir/req.out" | tail -1)"
    fi
    curl -s localhost:18090/metrics | grep -E '^zeelos_mgmt_consumer_restarts_total' | sed 's/^/   /'
    grep -ciE "fenced|fatal" "$dir/gw.log" | sed 's/^/   log lines mentioning fenced or fatal: /'
    kill $dev $gw; wait $gw 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "   logs: $dir" || rm -rf "$dir"
}

for b in "$@"; do run_one "$b"; done
