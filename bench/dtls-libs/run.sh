#!/bin/sh
# Why: each figure must be a median of 3 runs with its spread, because the
# 2-core build box is shared; this builds, runs both benches 3x and prints
# the markdown table (library | metric | median | min-max | unit | command).
set -e
cd "$(dirname "$0")"
SECS=${SECS:-1.0}
make -s all
: > results.txt
for i in 1 2 3; do
  for b in openssl mbedtls; do ./bench_$b "$SECS" >> results.txt; done
done
python3 - "$SECS" <<'PY'
import sys, statistics, collections
secs = sys.argv[1]
d = collections.OrderedDict()
for line in open("results.txt"):
    if not line.startswith("RESULT "): continue
    _, lib, metric, val, unit = line.split()
    d.setdefault((metric, lib), [unit, []])[1].append(float(val))
print("| library | metric | median | min–max | unit | command |")
print("|---|---|---|---|---|---|")
for (metric, lib), (unit, v) in sorted(d.items(), key=lambda kv: (kv[0][0].split('.')[0], kv[0][0], kv[0][1])):
    f = (lambda x: f"{x:.3f}") if max(v) < 10 else (lambda x: f"{x:,.0f}")
    cmd = f"`./bench_{lib.split('-')[0]} {secs}` (×{len(v)}, run.sh)"
    print(f"| {lib} | {metric} | {f(statistics.median(v))} | {f(min(v))}–{f(max(v))} | {unit} | {cmd} |")
PY
