#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CPU per notification of each gateway thread, over SECONDS of the notification phase of a
# bench/run.sh run that is going on (utime+stime from /proc/<gw>/task/*/stat, 10 ms ticks;
# notifications from the gateway's zeelos_notifications_total).  The figures of bench/RESULTS.md's
# "At low rates" table and P1 thread split come from it:
#   FORMATS=avro bench/run.sh build n10k > /tmp/n10k.log 2>&1 & bench/threadcpu.sh /tmp/n10k.log
# Usage: bench/threadcpu.sh RUN_LOG [SECONDS (10)]; BENCH_HTTP_PORT as for run.sh (16791).
set -eu
log=$1
secs=${2:-10}
http=${BENCH_HTTP_PORT:-16791}
gw=
for _ in $(seq 1 600); do gw=$(pgrep -f "zeelos gateway" | head -1 || true); [ -n "$gw" ] && break; sleep 0.2; done
[ -n "$gw" ] || { echo "threadcpu.sh: no zeelos gateway running" >&2; exit 1; }
for _ in $(seq 1 1200); do grep -q "bench notifications" "$log" 2>/dev/null && break; sleep 0.5; done
sleep 3 # past the phase's first second
snap() { for t in /proc/"$gw"/task/*; do echo "$(tr ' ' '_' < "$t"/comm) $(awk '{print $14 + $15}' "$t"/stat)"; done; }
count() { curl -fsS -m 5 "http://127.0.0.1:$http/metrics" | awk '/^zeelos_notifications_total /{print $2}'; }
a=$(mktemp) b=$(mktemp)
snap > "$a"; n0=$(count)
sleep "$secs"
snap > "$b"; n1=$(count)
n=$(awk -v a="$n0" -v b="$n1" 'BEGIN{printf "%d", b - a}')
echo "notifications in ${secs} s: $n"
paste "$a" "$b" | awk -v n="$n" -v hz="$(getconf CLK_TCK)" '
    { d = $4 - $2; tot += d; if (d > 0) printf "%-16s %5d ticks %6.2f us/notification\n", $1, d, d * 1e6 / hz / n }
    END { printf "%-16s %5d ticks %6.2f us/notification\n", "process", tot, tot * 1e6 / hz / n }'
rm -f "$a" "$b"
