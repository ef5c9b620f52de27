#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make fuzz`: builds every tests/fuzz/fuzz_*.c as a libFuzzer target with clang
# (ASan+UBSan) and runs each for N seconds (default 30) on a copy of its corpus.
# New crashes are left in build-fuzz/crashes/<target>/; add them to
# tests/fuzz/corpus/<name>/ once fixed so ctest replays them forever.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${1:-30}"
if ! command -v clang >/dev/null; then
  echo "fuzz.sh: installing clang"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang >/dev/null
fi
cd "$ROOT"
CC=clang cmake -S . -B build-fuzz -DZEELOS_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
status=0
for src in tests/fuzz/fuzz_*.c; do
  t=$(basename "$src" .c); name=${t#fuzz_}
  work="build-fuzz/corpus/$name"; crashes="build-fuzz/crashes/$name"
  mkdir -p "$work" "$crashes"
  cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null || true
  echo "fuzz.sh: $t for ${SECS}s"
  if ! "build-fuzz/$t" -max_total_time="$SECS" -artifact_prefix="$crashes/" -print_final_stats=0 \
        "$work" > "build-fuzz/$t.log" 2>&1; then
    echo "fuzz.sh: $t FAILED, see build-fuzz/$t.log and $crashes/"; status=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "build-fuzz/$t.log" | tail -1 || true
  fi
done
exit $status
