#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `zeelos analytics` against its Kafka Streams 4.4 peer (bench/kstreams/), same input, same jobs.
#
#   bench/analytics.sh [N]
#
# Produces N observation records (default 2,000,000; ENDPOINTS=10000 endpoints) once into
# iot.<GW>.observations (bench/kstreams/gen_input.py; kept for later runs: a topic that already
# holds N records is reused), then for every preset in PRESETS runs each side in SIDES alone on it,
# from the beginning, with a fresh application id:
#   kstreams  bench/kstreams.sh run --preset P --expect N   (it reports its own counters)
#   zeelos    $ZEELOS_BIN analytics --preset P ...          (its /metrics polled until
#             zeelos_analytics_records_total = N, then until the group's offsets are committed;
#             CPU = utime+stime of /proc/<pid>/stat, peak RSS = VmHWM of /proc/<pid>/status)
# and prints a table: records/s per core (N / CPU seconds between the first and the last record),
# wall records/s (N / seconds between them), peak RSS, and the zeelos/kstreams ratio. Startup
# (JVM, group join, restore) is outside both measures. Raw results: bench/out/analytics-<tag>.*
#
# Environment:
#   KAFKA_PORT (9092)          broker on 127.0.0.1 (scripts/kafka.sh up)
#   REGISTRY (http://127.0.0.1:${ZEELOS_SR_PORT:-8081})   Schema Registry (scripts/registry.sh up)
#   ZEELOS_BIN (build/zeelos)  N, ENDPOINTS (10000), PARTITIONS (1), GW (anb<N>p<P>)
#   PRESETS ("max-temp-30s per-minute"), SIDES ("kstreams zeelos"), TIMEOUT_S (3600 per run)
#   ANALYTICS_HTTP_PORT (19110: zeelos's /metrics), GEN_WORKERS (2), PYTHON (.venv/bin/python)
#   KSPEER_JAVA_OPTS (JVM options of the peer, e.g. -Xmx2g), TAG (a name for the raw results)
#   KS_ARGS (more peer flags; default "--emit-interval-ms 1000", see below)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-${N:-2000000}}"
ENDPOINTS="${ENDPOINTS:-10000}"
PARTITIONS="${PARTITIONS:-1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
REGISTRY="${REGISTRY:-http://127.0.0.1:${ZEELOS_SR_PORT:-8081}}"
ZEELOS_BIN="${ZEELOS_BIN:-$root/build/zeelos}"
PRESETS="${PRESETS:-max-temp-30s per-minute}"
SIDES="${SIDES:-kstreams zeelos}"
GW="${GW:-anb${N}p${PARTITIONS}}"
TOPIC="iot.$GW.observations"
HTTP_PORT="${ANALYTICS_HTTP_PORT:-19110}"
TIMEOUT_S="${TIMEOUT_S:-3600}"
# The peer as Kafka Streams ships, but for two settings that only make it faster or exact: its
# window store retention is size + grace + 1 day (with the default size + grace, the first
# emission of a fresh application walks the record cache in 60 s segments from the epoch, several
# CPU seconds), and here Kafka Streams' own 1 s throttle of window-close emission (the peer's
# default of 0 is exact for the oracle and costs ~7% CPU). At 1M records the record cache (on,
# 10 MB) makes no CPU difference and a third less wall time, but doubles the peak RSS: compare
# with KS_ARGS="--emit-interval-ms 1000 --cache-bytes 0".
# Both sides commit their transactions every second (zeelos analytics' default; the seed's
# TemperatureStreamsApp set 10 s; Kafka Streams' exactly-once default is 100 ms: COMMIT_MS=100
# measures both there).
COMMIT_MS="${COMMIT_MS:-1000}"
KS_ARGS="${KS_ARGS---emit-interval-ms 1000} --commit-interval-ms $COMMIT_MS"
PY="${PYTHON:-$root/.venv/bin/python}"
TAG="${TAG:-$(date +%Y%m%d-%H%M%S)}"
OUT="$root/bench/out"
HZ="$(getconf CLK_TCK)"
mkdir -p "$OUT"
results="$OUT/analytics-$TAG.jsonl"
: >"$results"

say() { echo "analytics.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

child=
workdir="$(mktemp -d)"
cleanup() {
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -x "$PY" ] || die "$PY not found (scripts/pydeps.sh)"
"$PY" -c 'import confluent_kafka, fastavro' || die "$PY lacks confluent-kafka or fastavro"
curl -fsS -m 5 "$REGISTRY/subjects" >/dev/null || die "no Schema Registry at $REGISTRY"

# ------------------------------------------------------------------ kafka helpers (python)

# end_offsets TOPIC -> total records (sum of high watermarks), -1 when the topic is missing
end_offsets() {
  "$PY" - "$BOOTSTRAP" "$1" <<'EOF'
import sys
from confluent_kafka import Consumer, TopicPartition
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "analytics-bench-probe"})
md = c.list_topics(sys.argv[2], timeout=10).topics.get(sys.argv[2])
if md is None or md.error is not None:
    print(-1)
else:
    print(sum(c.get_watermark_offsets(TopicPartition(sys.argv[2], p), timeout=10)[1] for p in md.partitions))
c.close()
EOF
}

# committed GROUP TOPIC -> 0 when the group's committed offsets reach the topic's end
committed() {
  "$PY" - "$BOOTSTRAP" "$1" "$2" <<'EOF'
import sys
from confluent_kafka import Consumer, TopicPartition
b, group, topic = sys.argv[1:]
c = Consumer({"bootstrap.servers": b, "group.id": group, "enable.auto.commit": False})
parts = [TopicPartition(topic, p) for p in c.list_topics(topic, timeout=10).topics[topic].partitions]
ok = all(t.offset >= c.get_watermark_offsets(t, timeout=10)[1] for t in c.committed(parts, timeout=10))
c.close()
sys.exit(0 if ok else 1)
EOF
}

# ------------------------------------------------------------------ input, once

have="$(end_offsets "$TOPIC")"
if [ "$have" = "$N" ]; then
  say "reusing $TOPIC ($N records)"
elif [ "$have" = "-1" ]; then
  say "producing $N records for $ENDPOINTS endpoints into $TOPIC ($PARTITIONS partition(s)) ..."
  "$PY" "$root/bench/kstreams/gen_input.py" --bootstrap "$BOOTSTRAP" --registry "$REGISTRY" --topic "$TOPIC" \
    --records "$N" --endpoints "$ENDPOINTS" --partitions "$PARTITIONS" --gw "$GW" --workers "${GEN_WORKERS:-2}"
  have="$(end_offsets "$TOPIC")"
  [ "$have" = "$N" ] || die "$TOPIC holds $have records after producing, not $N"
else
  die "$TOPIC holds $have records, not $N: delete it or set GW"
fi

# ------------------------------------------------------------------ the two sides

run_kstreams() { # preset
  local p="$1" app="ks-$1-$TAG" js="$workdir/ks.json"
  "$root/bench/kstreams.sh" build
  say "kstreams $p ..."
  "$root/bench/kstreams.sh" run --bootstrap "$BOOTSTRAP" --registry "$REGISTRY" --preset "$p" --gw "$GW" \
    --output-prefix ks. --app-id "$app" --expect "$N" --timeout-s "$TIMEOUT_S" $KS_ARGS \
    >"$js" 2>"$OUT/analytics-$TAG-ks-$p.log" &  # KS_ARGS unquoted on purpose: several flags
  child=$!
  wait "$child" || die "the Kafka Streams peer failed (log: $OUT/analytics-$TAG-ks-$p.log)"
  child=
  "$PY" - "$js" "$p" >>"$results" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(json.dumps({"side": "kstreams", "preset": sys.argv[2], "records": s["records"], "outputs": s["outputs"],
                  "cpu_s": (s["cpu_ns"] - s["cpu_ns_at_first"]) / 1e9,
                  "wall_s": (s["last_record_wall_ms"] - s["first_record_wall_ms"]) / 1000,
                  "hwm_kb": s["vm_hwm_kb"]}))
EOF
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # after "(comm)": no spaces in "zeelos"
metric() { curl -fsS -m 2 "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null | awk -v m="$1" '$1 == m { print $2; exit }'; }
now_ms() { date +%s%3N; }

run_zeelos() { # preset
  local p="$1" app="zl-$1-$TAG" log="$OUT/analytics-$TAG-zeelos-$p.log"
  [ -x "$ZEELOS_BIN" ] || die "$ZEELOS_BIN not found"
  say "zeelos $p ..."
  env -u ZEELOS_BIN "$ZEELOS_BIN" analytics --preset "$p" --gw "$GW" --application-id "$app" --state-dir "$workdir/zl-$p" \
    --http-port "$HTTP_PORT" --kafka "$BOOTSTRAP" --schema-registry "$REGISTRY" --log-level warn \
    -X analytics.commit.interval.ms="$COMMIT_MS" >"$log" 2>&1 &
  child=$!
  local n=0 first_cpu= first_ms= last_cpu= last_ms= deadline=$(( $(date +%s) + TIMEOUT_S ))
  while :; do
    kill -0 "$child" 2>/dev/null || die "zeelos analytics exited (log: $log)"
    [ "$(date +%s)" -lt "$deadline" ] || die "zeelos analytics: timeout at $n records"
    n="$(metric zeelos_analytics_records_total || true)"; n="${n:-0}"; n="${n%.*}"
    if [ -z "$first_cpu" ] && [ "$n" -gt 0 ]; then first_cpu="$(cpu_ticks "$child")"; first_ms="$(now_ms)"; fi
    if [ "$n" -ge "$N" ]; then last_cpu="$(cpu_ticks "$child")"; last_ms="$(now_ms)"; break; fi
    sleep 0.01
  done
  # the run ends with the transaction that holds the last record committed
  until committed "$app" "$TOPIC"; do
    kill -0 "$child" 2>/dev/null || die "zeelos analytics exited (log: $log)"
    sleep 0.05
  done
  local hwm
  hwm="$(awk '/^VmHWM:/ { print $2 }' "/proc/$child/status")"
  kill -TERM "$child"
  wait "$child" || say "zeelos analytics exited with $? on SIGTERM"
  child=
  "$PY" - "$p" "$n" "$first_cpu" "$last_cpu" "$HZ" "$first_ms" "$last_ms" "$hwm" >>"$results" <<'EOF'
import json, sys
p, n, c0, c1, hz, w0, w1, hwm = sys.argv[1:]
print(json.dumps({"side": "zeelos", "preset": p, "records": int(n), "cpu_s": (int(c1) - int(c0)) / int(hz),
                  "wall_s": (int(w1) - int(w0)) / 1000, "hwm_kb": int(hwm)}))
EOF
}

for p in $PRESETS; do
  for side in $SIDES; do
    case "$side" in
      kstreams) run_kstreams "$p" ;;
      zeelos) run_zeelos "$p" ;;
      *) die "unknown side $side" ;;
    esac
  done
done

# ------------------------------------------------------------------ table

"$PY" - "$results" "$N" "$ENDPOINTS" "$PARTITIONS" <<'EOF' | tee "$OUT/analytics-$TAG.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n, eps, parts = sys.argv[2:]
print("`zeelos analytics` vs Kafka Streams 4.4: %s records, %s endpoints, %s partition(s)\n" % (n, eps, parts))
print("| preset | side | records/s per core | wall records/s | peak RSS MiB | CPU s | wall s |")
print("|---|---|---:|---:|---:|---:|---:|")
by = {}
for r in rows:
    per_core = r["records"] / r["cpu_s"] if r["cpu_s"] > 0 else float("inf")
    wall = r["records"] / r["wall_s"] if r["wall_s"] > 0 else float("inf")
    by[(r["preset"], r["side"])] = (per_core, wall, r["hwm_kb"])
    print("| %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f |" % (r["preset"], r["side"], per_core, wall,
                                                           r["hwm_kb"] / 1024, r["cpu_s"], r["wall_s"]))
print()
for p in dict.fromkeys(r["preset"] for r in rows):
    z, k = by.get((p, "zeelos")), by.get((p, "kstreams"))
    if z and k:
        print("%s: zeelos/kstreams records/s per core %.1fx, wall %.1fx, peak RSS %.2fx" %
              (p, z[0] / k[0], z[1] / k[1], z[2] / k[2]))
EOF
