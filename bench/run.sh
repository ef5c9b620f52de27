#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Reproduces the figures of bench/RESULTS.md on one host: for every run and every format, a fresh
# gateway (Kafka on 127.0.0.1:9092) and `zeelos bench` with the fleet it starts.  Avro, the
# gateway's default, goes through the project's own Schema Registry (`zeelos registry`, started
# and stopped here, state in the broker's _schemas topic); JSON needs none.
# Results: bench/out/<run>-<format>.json, tables on stdout, a summary by format at the end.
#   bench/run.sh [BUILD_DIR] [RUN...]    runs: small reg20k n10k n20k n10k-100ms n8k (half the n20k peak)
#                                        mgmt1k (1,000 reads/s), p1-10k and p1-100k (issue 16's P1:
#                                        100,000 notifications/s for 60 s; FLEET_ARGS adds fleet options)
#                                        consume (the bench's consumer alone, not in the default runs)
# Environment: FORMATS (default "avro json"), GATEWAY_ARGS (more gateway options), KAFKA_PORT (9092), ports of the gateway
# BENCH_COAP_PORT (16790) and BENCH_HTTP_PORT (16791), of the registry BENCH_SR_PORT (16781).
# The gateway runs without its DTLS port (--coaps-port -1: 5684 may be another gateway's) and
# the bench starts once the gateway answers /healthz (Kafka connected, topics read).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/zeelos
[ $# -gt 0 ] && shift
runs=${*:-small reg20k n10k n20k n8k}
formats=${FORMATS:-avro json}
out=$root/bench/out
mkdir -p "$out"
port=${BENCH_COAP_PORT:-16790}
http=${BENCH_HTTP_PORT:-16791}
srport=${BENCH_SR_PORT:-16781}
kafka=127.0.0.1:${KAFKA_PORT:-9092}
sr_url=http://127.0.0.1:$srport
py=$root/.venv/bin/python # confluent-kafka (scripts/pydeps.sh), for the consume run
[ -x "$py" ] || py=python3
[ -x "$bin" ] || { echo "run.sh: $bin not found (cmake --build $build)" >&2; exit 1; }

registry() { # up|down: scripts/registry.sh with this build, port and a run directory of its own
    ZEELOS_BIN=$bin ZEELOS_SR_PORT=$srport KAFKA_PORT=${KAFKA_PORT:-9092} ZEELOS_RUN_DIR=$out/run \
        bash "$root/scripts/registry.sh" "$1"
}
gw=
data=
cleanup() {
    if [ -n "$gw" ] && kill -0 "$gw" 2>/dev/null; then kill -INT "$gw"; wait "$gw" || true; fi
    [ -n "$data" ] && rm -rf "$data"
    case " $formats " in *" avro "*) registry down >/dev/null || true ;; esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM
case " $formats " in *" avro "*) registry up ;; esac

# Starts the gateway in format $1; returns once /healthz answers (60 s at most), 1 if it exits.
start_gateway() {
    id=bench$(date +%s)
    data=$(mktemp -d)
    # shellcheck disable=SC2046
    "$bin" gateway --id "$id" --kafka "$kafka" --coap-port "$port" --coaps-port -1 --http-port "$http" \
        --format "$1" $( [ "$1" = avro ] && echo --schema-registry "$sr_url" ) --data-dir "$data" \
        --log-level warn ${GATEWAY_ARGS:-} &
    gw=$!
    i=0
    until curl -fsS -m 1 "http://127.0.0.1:$http/healthz" >/dev/null 2>&1; do
        kill -0 "$gw" 2>/dev/null || { echo "run.sh: the gateway exited (ports $port/$http in use?)" >&2; gw=; return 1; }
        i=$((i + 1))
        [ $i -lt 300 ] || { echo "run.sh: the gateway did not answer /healthz within 60 s" >&2; return 1; }
        sleep 0.2
    done
}

stop_gateway() {
    kill -INT "$gw"
    i=0
    while kill -0 "$gw" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$gw" 2>/dev/null && { echo "run.sh: gateway $gw did not stop in 30 s: killed" >&2; kill -KILL "$gw"; }
    wait "$gw" || true
    gw=
    rm -rf "$data"
    data=
}

for run in $runs; do
    for fmt in $formats; do
        echo "=== $run, format $fmt"
        start_gateway "$fmt"
        set -- $(cat /proc/$gw/schedstat) # ns on a CPU, ns waiting for one, timeslices
        cpu0=$1 wait0=$2 t0=$(date +%s%N)
        sr=
        [ "$fmt" = avro ] && sr="--schema-registry $sr_url"
        common="--gw $id --kafka $kafka --format $fmt $sr --server coap://127.0.0.1:$port --gateway-pid $gw --out $out/$run-$fmt.json"
        case $run in
        small)      "$bin" bench $common --count 20 --duration 5 --mgmt-rate 100 --mgmt-duration 2 ;;
        reg20k)     "$bin" bench $common --count 20000 --duration 10 --mgmt-rate 10000 --mgmt-duration 10 ;;
        n10k)       "$bin" bench $common --count 10000 --duration 20 --device-notify-ms 1000 --mgmt-rate 0 ;;
        n20k)       "$bin" bench $common --count 20000 --duration 20 --device-notify-ms 1000 --mgmt-rate 0 ;;
        n10k-100ms) "$bin" bench $common --count 10000 --duration 60 --device-notify-ms 100 --mgmt-rate 0 ;;
        n8k)        "$bin" bench $common --count 8000 --duration 30 --device-notify-ms 1000 --mgmt-rate 0 ;;
        mgmt1k)     "$bin" bench $common --count 1000 --duration 5 --device-notify-ms 1000 --mgmt-rate 1000 --mgmt-duration ${MGMT_SECONDS:-20} ;;
        p1-10k)     "$bin" bench $common --count 10000 --duration ${P1_SECONDS:-60} --device-notify-ms 100 --mgmt-rate 0 ${FLEET_ARGS:-} ;;
        p1-100k)    "$bin" bench $common --count 100000 --duration ${P1_SECONDS:-60} --device-notify-ms 1000 --mgmt-rate 0 \
                        --device-lifetime 3600 ${FLEET_ARGS:-} ;;
        consume)    # the bench consumer alone: 2M records like the gateway's (10,000 devices x 200) in a topic
                    # of their own, read three times by `zeelos bench --consume-only`, then deleted
                    "$bin" bench $common --count 20 --duration 2 --mgmt-rate 0 >/dev/null
                    "$py" "$root/bench/consume_fill.py" "iot.$id.observations" "$id.consume" 10000 200 "$kafka"
                    for i in 1 2 3; do
                        "$bin" bench --kafka "$kafka" --format "$fmt" $sr --consume-only "$id.consume" \
                            --out "$out/consume-$fmt-$i.json"
                    done
                    "$py" "$root/bench/consume_fill.py" --delete "$id.consume" "$kafka" ;;
        *) echo "unknown run $run" >&2 ;;
        esac
        python3 "$root/bench/gwlatency.py" "http://127.0.0.1:$http/metrics" || true
        curl -fsS -m 5 "http://127.0.0.1:$http/metrics" 2>/dev/null |
            grep -E '^zeelos_(coap_socket_drops|coap_unmatched|notifications)_total ' || true
        set -- $(cat /proc/$gw/schedstat)
        echo "gateway scheduling: on a CPU $(( ($1 - cpu0) / 1000000 )) ms, runnable but waiting for a CPU" \
             "$(( ($2 - wait0) / 1000000 )) ms, of $(( ($(date +%s%N) - t0) / 1000000 )) ms (/proc/$gw/schedstat)"
        stop_gateway
    done
done

# One line per run and format, from bench/out/<run>-<format>.json.
python3 - "$out" $runs -- $formats <<'EOF'
import json, os, sys
out, rest = sys.argv[1], sys.argv[2:]
runs, formats = rest[:rest.index("--")], rest[rest.index("--") + 1:]
rows = []
for run in runs:
    for fmt in formats:
        p = os.path.join(out, f"{run}-{fmt}.json")
        if not os.path.exists(p):
            continue
        j = json.load(open(p))
        if "notifications" not in j:
            continue
        n, g = j["notifications"], j.get("gateway_process", {}).get("notifications", {})
        lat = n["latency_createtime_ms"]
        rss = max((v.get("rss_max_mib", 0) for v in j.get("gateway_process", {}).values() if isinstance(v, dict)), default=0)
        rows.append(f"| {run} | {fmt} | {n['per_s']:,.0f} ({n['expected_per_s']:,.0f}) | {n['missing']:,} / {n['duplicated']:,}"
              f" | {lat['p50']:.2f} / {lat['p99']:.1f} | {g.get('cpu_avg_pct', 0):.0f} % / {g.get('cpu_peak_pct', 0):.0f} %"
              f" | {rss:.1f} |")
if rows:
    print("\n| run | format | notifications/s delivered (expected) | missing / duplicated | CreateTime p50 / p99 ms"
          " | gateway CPU during notifications avg / peak | gateway RSS max MiB |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
EOF
