#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Same load, one server after the other: the zeelos gateway (measured by `zeelos bench`, as in
# bench/run.sh) and Eclipse Leshan's server demo (bench/leshan.sh, measured by
# bench/leshan_load.py with the same fleet command), then a table with the ratios.
#   bench/side_by_side.sh [BUILD_DIR] [RUN...]     runs: n10k (default), n2k, n5k, n10k-500ms,
#                                                   n10k-200ms, n10k-100ms, tiny
# zeelos runs as users run it: Avro, its own registry (`zeelos registry`, started here).
# Needs the Kafka broker on 127.0.0.1:9092 (make kafka-up), Java 17 + Maven (for Leshan), curl.
# Raw results: bench/out/sbs-<run>[SBS_TAG]-{zeelos,leshan}.json and sbs-<run>[SBS_TAG].md (not
# committed). LESHAN_HEAP etc. are passed on to bench/leshan.sh.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$root/build-bench}" && pwd)/zeelos
[ $# -gt 0 ] && shift
runs=${*:-n10k}
out=$root/bench/out
mkdir -p "$out"
[ -x "$bin" ] || { echo "side_by_side.sh: $bin not built" >&2; exit 1; }
tag=${SBS_TAG:-}
gw_port=15993        # zeelos gateway CoAP
gw_http=15994        # its /healthz and /metrics
srport=16883         # the project's registry, started here
sr=http://127.0.0.1:$srport
leshan_coap=15691    # Leshan CoAP (bench/leshan.sh's defaults)
leshan_web=18691
lhome=${LESHAN_HOME:-$HOME/.cache/zeelos/leshan}

"$root/bench/leshan.sh" fetch

gw=
leshan=
cleanup() {
    [ -n "$gw" ] && kill -INT "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
    [ -n "$leshan" ] && kill -TERM "$leshan" 2>/dev/null && wait "$leshan" 2>/dev/null
    gw= leshan=
}
trap cleanup EXIT
ZEELOS_SR_PORT=$srport ZEELOS_RUN_DIR=$out/run-sbs ZEELOS_BIN=$bin "$root/scripts/registry.sh" up >/dev/null
trap 'cleanup; ZEELOS_SR_PORT=$srport ZEELOS_RUN_DIR=$out/run-sbs "$root/scripts/registry.sh" down >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# UDP receive-buffer drops (all sockets of the host; the servers' sockets are the ones that
# receive in bulk) and the busy share of all CPUs, as "drops busy_jiffies total_jiffies".
sys_counters() {
    awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 } else d = $(col["RcvbufErrors"]) }
         /^cpu / { b = $2 + $3 + $4 + $7 + $8; t = b + $5 + $6 }
         END { print d, b, t }' /proc/net/snmp /proc/stat
}
sys_delta() { # $1 = name, $2 = counters before: appends "name drops busy%" to $sysf
    set -- "$1" $2 $(sys_counters)
    echo "$1 $(($5 - $2)) $(( ($6 - $3) * 100 / ($7 - $4 + 1) ))" >>"$sysf"
}

snapshot() { # what else runs on the box: load average, busiest processes (%CPU over their life)
    echo "## $1 ($(date -u +%FT%TZ)), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
    ps -eo pid,pcpu,rss,etime,comm --sort=-pcpu | head -8
}

for run in $runs; do
    case $run in
    n2k)        count=2000 notify=1000 duration=20 ;;
    n5k)        count=5000 notify=1000 duration=20 ;;
    n10k)       count=10000 notify=1000 duration=20 ;;
    n10k-500ms) count=10000 notify=500 duration=20 ;;
    n10k-200ms) count=10000 notify=200 duration=20 ;;
    n10k-100ms) count=10000 notify=100 duration=20 ;;
    tiny)       count=50 notify=1000 duration=5 ;;   # a smoke test of the script
    *) echo "unknown run $run" >&2; continue ;;
    esac
    drain=10             # s after the window for the consumers to catch up (bench's default: 3)
    ctx=$out/sbs-$run$tag.context.txt
    sysf=$out/sbs-$run$tag.sys.txt
    : >"$sysf"
    {
        echo "date: $(date)"
        echo "host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -m | awk '/Mem:/ {print $2}') MiB RAM, $(uname -sr)"
        src=$(sed -n 's/^zeelos_SOURCE_DIR:STATIC=//p' "$(dirname "$bin")/CMakeCache.txt" 2>/dev/null || true)
        echo "zeelos: $bin, built from ${src:-?} ($(git -C "${src:-/nonexistent}" describe --always --dirty 2>/dev/null || echo 'not a git checkout'))"
        echo "leshan: leshan-server-demo ${LESHAN_VERSION:-2.0.0-M4}, $(java -version 2>&1 | head -1), -Xmx${LESHAN_HEAP:-1g}, UDP buffers ${LESHAN_SOCKBUF:-4194304} B"
        echo "load: $count devices x ${notify} ms, ${duration} s window"
    } >"$ctx"

    # --- zeelos: fresh gateway (the default: Avro with the project's registry, acks=all,
    # idempotence), zeelos bench drives the fleet
    id=sbs$(date +%s)
    data=$(mktemp -d)
    snapshot "before zeelos" >>"$ctx"
    "$bin" gateway --id "$id" --coap-port $gw_port --coaps-port -1 --http-port $gw_http --data-dir "$data" \
        --schema-registry "$sr" --log-level warn &
    gw=$!
    until curl -sf "http://127.0.0.1:$gw_http/healthz" >/dev/null 2>&1; do
        kill -0 $gw 2>/dev/null || { echo "side_by_side.sh: the gateway exited" >&2; exit 1; }
        sleep 0.1
    done
    c0=$(sys_counters)
    "$bin" bench --gw "$id" --schema-registry "$sr" --server coap://127.0.0.1:$gw_port --gateway-pid $gw \
        --count $count --duration $duration --device-notify-ms $notify --mgmt-rate 0 \
        -X bench.drain.ms=$((drain * 1000)) --out "$out/sbs-$run$tag-zeelos.json" >"$out/sbs-$run$tag-zeelos.txt"
    sys_delta zeelos "$c0"
    kill -INT $gw
    wait $gw || true
    gw=
    rm -rf "$data"
    sleep 5

    # --- Leshan: the demo on loopback, the same fleet command, counted on its event stream
    snapshot "before leshan" >>"$ctx"
    rm -f "$lhome/run/leshan.pid"
    LESHAN_COAP_PORT=$leshan_coap LESHAN_WEB_PORT=$leshan_web LESHAN_MAX_S=900 "$root/bench/leshan.sh" run &
    leshan=$!
    i=0
    until [ -s "$lhome/run/leshan.pid" ]; do
        kill -0 $leshan 2>/dev/null || { echo "side_by_side.sh: leshan.sh failed" >&2; exit 1; }
        i=$((i + 1)); [ $i -lt 900 ] || { echo "side_by_side.sh: Leshan not ready" >&2; exit 1; }
        sleep 0.2
    done
    jpid=$(cat "$lhome/run/leshan.pid")
    c0=$(sys_counters)
    python3 "$root/bench/leshan_load.py" --zeelos "$bin" --server coap://127.0.0.1:$leshan_coap \
        --web 127.0.0.1:$leshan_web --pid "$jpid" --count $count --notify-ms $notify \
        --duration $duration --drain-ms $((drain * 1000)) --out "$out/sbs-$run$tag-leshan.json" \
        --fleet-log "$out/sbs-$run$tag-leshan.fleet.log" || echo "side_by_side.sh: leshan_load.py exited $?" >&2
    sys_delta leshan "$c0"
    kill -TERM $leshan 2>/dev/null || true
    wait $leshan || true
    leshan=
    snapshot "after" >>"$ctx"

    python3 "$root/bench/sbs_table.py" "$out/sbs-$run$tag-zeelos.json" "$out/sbs-$run$tag-leshan.json" "$ctx" "$run" \
        "$sysf" >"$out/sbs-$run$tag.md"
    cat "$out/sbs-$run$tag.md"
done
