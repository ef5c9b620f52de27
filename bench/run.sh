#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Reproduces the figures of bench/RESULTS.md on one host: a fresh gateway per
# run (format json, Kafka on 127.0.0.1:9092), then `zeelos bench` with the
# fleet it starts.  Results: bench/out/<run>.json, table on stdout.
#   bench/run.sh [BUILD_DIR] [RUN...]    runs: small reg20k n10k n20k n10k-100ms n8k (half the n20k peak)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build-bench}/zeelos
[ $# -gt 0 ] && shift
runs=${*:-small reg20k n10k n20k n8k}
out=$root/bench/out
mkdir -p "$out"
port=15990
http=15991
for run in $runs; do
    id=bench$(date +%s)
    data=$(mktemp -d)
    "$bin" gateway --id "$id" --coap-port $port --http-port $http --format json --data-dir "$data" \
        --log-level warn &
    gw=$!
    sleep 2
    set -- $(cat /proc/$gw/schedstat) # ns on a CPU, ns waiting for one, timeslices
    cpu0=$1 wait0=$2 t0=$(date +%s%N)
    common="--gw $id --format json --server coap://127.0.0.1:$port --gateway-pid $gw --out $out/$run.json"
    case $run in
    small)      "$bin" bench $common --count 20 --duration 5 --mgmt-rate 100 --mgmt-duration 2 ;;
    reg20k)     "$bin" bench $common --count 20000 --duration 10 --mgmt-rate 10000 --mgmt-duration 10 ;;
    n10k)       "$bin" bench $common --count 10000 --duration 20 --device-notify-ms 1000 --mgmt-rate 0 ;;
    n20k)       "$bin" bench $common --count 20000 --duration 20 --device-notify-ms 1000 --mgmt-rate 0 ;;
    n10k-100ms) "$bin" bench $common --count 10000 --duration 60 --device-notify-ms 100 --mgmt-rate 0 ;;
    n8k)        "$bin" bench $common --count 8000 --duration 30 --device-notify-ms 1000 --mgmt-rate 0 ;;
    *) echo "unknown run $run" >&2 ;;
    esac
    python3 "$root/bench/gwlatency.py" "http://127.0.0.1:$http/metrics" || true
    set -- $(cat /proc/$gw/schedstat)
    echo "gateway scheduling: on a CPU $(( ($1 - cpu0) / 1000000 )) ms, runnable but waiting for a CPU" \
         "$(( ($2 - wait0) / 1000000 )) ms, of $(( ($(date +%s%N) - t0) / 1000000 )) ms (/proc/$gw/schedstat)"
    kill -INT $gw
    wait $gw || true
    rm -rf "$data"
done
