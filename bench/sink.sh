#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sink throughput: N records pre-produced to Kafka, then `zeelos sink` (release build) drains
# them into each store; records/s from start to the last write, the sink's CPU seconds per
# record.  Beside it, the store's own bulk path on the same rows: psql \copy of the rows the
# sink wrote (PostgreSQL) and one curl POST of the same points as line protocol (InfluxDB).
#   bench/sink.sh BUILD_DIR [N]     needs: scripts/kafka.sh up, scripts/registry.sh (SR), DB scripts
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/${1:-build}/zeelos"; N="${2:-300000}"
SR="${SR:-http://127.0.0.1:8481}"; PG="${PG_URL:-postgresql://zeelos@127.0.0.1:5542/zeelos}"
INFLUX="${INFLUX_URL:-http://127.0.0.1:8286}"; OUT="$ROOT/bench/out/sink"; mkdir -p "$OUT"
GW="bench$RANDOM"
SR="$SR" "$ROOT/.venv/bin/python" "$ROOT/bench/sink_produce.py" "$GW" "$N" >/dev/null
run() { # store extra-args...
  local store=$1; shift
  "$BIN" sink --store "$store" --topics "iot.$GW.observations" --group "bench-$store-$GW" --schema-registry "$SR" \
    -X sink.postgresql.url="$PG" -X sink.influxdb.url="$INFLUX" -X sink.influxdb.database="$GW" \
    -X sink.sqlite.path="$OUT/$GW.db" --port 9120 --log-level warn "$@" > "$OUT/$store.log" 2>&1 &
  local pid=$! t0 t1 n
  trap "kill $pid 2>/dev/null || true" EXIT
  t0=$(date +%s.%N)
  while :; do
    n=$({ curl -s localhost:9120/metrics || true; } | awk '/^zeelos_sink_records_total\{result="written"\}/{print $2}')
    [ "${n:-0}" -ge "$N" ] && break; sleep 0.05
  done
  t1=$(date +%s.%N)
  local cpu; cpu=$(awk '{print ($14+$15)/100}' /proc/$pid/stat)
  kill $pid; wait $pid || true
  awk -v s="$store" -v n="$N" -v t="$(echo "$t1-$t0" | bc)" -v c="$cpu" \
    'BEGIN{printf "%-11s %8d records in %6.2f s = %7.0f /s, sink CPU %5.2f s = %.1f us/record\n", s, n, t, n/t, c, c*1e6/n}'
}
run influxdb; run postgresql; run sqlite
# end-to-end lag at a steady rate (the default linger of 200 ms is most of it), per store
for store in influxdb postgresql; do
  "$BIN" sink --store "$store" --topics "iot.live$store$GW.observations" --group "live-$store-$GW" --schema-registry "$SR" \
    -X sink.postgresql.url="$PG" -X sink.influxdb.url="$INFLUX" -X sink.influxdb.database="live$GW" \
    -X kafka.topic.metadata.refresh.interval.ms=1000 --port 9120 --log-level warn > "$OUT/live-$store.log" 2>&1 &
  lpid=$!; trap "kill $lpid 2>/dev/null || true" EXIT
  until curl -fs localhost:9120/readyz >/dev/null 2>&1; do sleep 0.1; done
  printf '%-11s ' "$store"
  SR="$SR" "$ROOT/.venv/bin/python" "$ROOT/bench/sink_live.py" "live$store$GW" "${RATE:-10000}" 10 http://127.0.0.1:9120/metrics
  kill $lpid; wait $lpid || true
done
# the stores' own bulk paths on the same data
n_rows=$(psql "$PG" -Atq -c "SELECT count(*) FROM zeelos_readings WHERE gateway = '$GW'")
psql "$PG" -Atq -c "\\copy (SELECT * FROM zeelos_readings WHERE gateway = '$GW') TO '$OUT/rows.tsv'" \
  -c "DROP TABLE IF EXISTS bench_copy" -c "CREATE TABLE bench_copy (LIKE zeelos_readings INCLUDING INDEXES)"
t0=$(date +%s.%N); psql "$PG" -Atq -c "\\copy bench_copy FROM '$OUT/rows.tsv'"; t1=$(date +%s.%N)
echo "psql \\copy of the same $n_rows rows into a table of the same shape and index: $(echo "$n_rows/($t1-$t0)" | bc) rows/s"
psql "$PG" -Atq -c "DROP TABLE bench_copy"
curl -s -G "$INFLUX/query" --data-urlencode "db=$GW" --data-urlencode "epoch=ns" \
  --data-urlencode "q=SELECT * FROM resources" | "$ROOT/.venv/bin/python" "$ROOT/bench/sink_lines.py" > "$OUT/points.lp"
t0=$(date +%s.%N); curl -s -o /dev/null -w '' -XPOST "$INFLUX/write?db=$GW&precision=ns" --data-binary @"$OUT/points.lp"; t1=$(date +%s.%N)
echo "curl POST of the same points in one request: $(echo "$N/($t1-$t0)" | bc) points/s"
