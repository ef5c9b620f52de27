#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make fuzz`: builds every tests/fuzz/fuzz_*.c as a libFuzzer target with clang
# (ASan+UBSan; the zeelos libraries are compiled with -fsanitize=fuzzer-no-link,
# so libFuzzer sees the parsers' branches, not only the driver's) and runs each
# for N seconds (default 30) on a copy of its committed corpus.
#
#   scripts/fuzz.sh [SECS]            fuzz every target, print a coverage table
#   scripts/fuzz.sh --regrow [SECS]   fuzz, then merge what was found into
#                                     tests/fuzz/corpus/<name> (-merge=1 keeps
#                                     only inputs that add coverage)
#
# The table shows, per target, the coverage libFuzzer reports once the corpus is
# loaded (INITED cov) and at the end of the run (DONE cov): the second is larger
# when the run found new edges. New crashes are left in build-fuzz/crashes/<target>/;
# add them to tests/fuzz/corpus/<name>/ once fixed so ctest replays them forever.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REGROW=0
if [ "${1:-}" = "--regrow" ]; then REGROW=1; shift; fi
SECS="${1:-30}"
if ! command -v clang >/dev/null; then
  echo "fuzz.sh: installing clang"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang >/dev/null
fi
cd "$ROOT"
CC=clang cmake -S . -B build-fuzz -DZEELOS_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null

# "cov: N" of the first line of a libFuzzer log that matches $2.
cov_of() { grep -E "$2" "$1" | head -1 | sed -nE 's/.*cov: ([0-9]+).*/\1/p'; }

status=0
table=""
for src in tests/fuzz/fuzz_*.c; do
  t=$(basename "$src" .c); name=${t#fuzz_}
  work="build-fuzz/corpus/$name"; crashes="build-fuzz/crashes/$name"
  mkdir -p "$work" "$crashes"
  cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
  echo "fuzz.sh: $t for ${SECS}s"
  log="build-fuzz/$t.log"
  if ! "build-fuzz/$t" -max_total_time="$SECS" -artifact_prefix="$crashes/" -print_final_stats=1 \
        "$work" > "$log" 2>&1; then
    echo "fuzz.sh: $t FAILED, see $log and $crashes/"; status=1
    continue
  fi
  init=$(cov_of "$log" "INITED"); done_=$(grep -E "^#[0-9]+" "$log" | tail -1 | sed -nE 's/.*cov: ([0-9]+).*/\1/p')
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
  table+=$(printf '%-12s %10s %10s %12s' "$name" "${init:-?}" "${done_:-?}" "${runs:-?}")$'\n'
  if [ "$REGROW" = 1 ]; then
    mkdir -p tests/fuzz/corpus/"$name"
    "build-fuzz/$t" -merge=1 tests/fuzz/corpus/"$name" "$work" > "build-fuzz/$t.merge.log" 2>&1 ||
      { echo "fuzz.sh: merge of $t failed, see build-fuzz/$t.merge.log"; status=1; }
  fi
done
printf '\n%-12s %10s %10s %12s\n' target "cov@start" "cov@end" runs
printf '%s' "$table"
exit $status
