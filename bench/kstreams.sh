#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Kafka Streams 4.4 peer of `zeelos analytics` (bench/kstreams/, docs/ANALYTICS.md): the
# correctness oracle of the analytics tests and the other side of bench/analytics.sh.
#
#   bench/kstreams.sh build          mvn package + dependencies into bench/kstreams/target/lib
#                                    (skipped when built and no source changed since)
#   bench/kstreams.sh run ARGS...    run io.zeelos.bench.StreamsPeer (builds first if needed)
#   bench/kstreams.sh classpath      print the class path
#
# Run `bench/kstreams.sh run --help` for the peer's flags. Examples:
#   bench/kstreams.sh run --bootstrap 127.0.0.1:9092 --registry http://127.0.0.1:8081 \
#       --preset max-temp-30s --gw edge1 --output-prefix ks. --app-id ks-test-1 --expect 10000
#   bench/kstreams.sh run --name hot --input iot.edge1.observations --filter '/3303/*/5700' \
#       --group-by endpoint --window hopping --size-ms 60000 --advance-ms 10000 --grace-ms 5000
#
# Needs Java 17+ and Maven; dependencies come from Maven Central only. Environment: JAVA (java),
# MVN (mvn), KSPEER_JAVA_OPTS (JVM options for run, e.g. -Xmx1g).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proj="$here/kstreams"
target="$proj/target"
stamp="$target/.built"
JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"

die() { echo "kstreams.sh: error: $*" >&2; exit 1; }

# A digest of everything the build reads: the pom and the sources.
src_digest() {
  (cd "$proj" && find pom.xml src -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

built() {
  [ -f "$stamp" ] && [ -d "$target/classes/io/zeelos/bench" ] && [ -d "$target/lib" ] &&
    [ "$(cat "$stamp")" = "$(src_digest)" ]
}

cmd_build() {
  if built; then return 0; fi
  command -v "$MVN" >/dev/null || die "mvn not found (apt-get install maven)"
  command -v "$JAVA" >/dev/null || die "java not found (Java 17+)"
  echo "kstreams.sh: building the Kafka Streams peer (Maven) ..." >&2
  rm -rf "$target/lib" "$stamp"
  if ! (cd "$proj" && "$MVN" -q -B package >"$proj/mvn.log" 2>&1); then
    tail -40 "$proj/mvn.log" >&2
    die "maven build failed (log: $proj/mvn.log)"
  fi
  rm -f "$proj/mvn.log"
  src_digest >"$stamp"
}

classpath() { echo "$target/classes:$target/lib/*"; }

case "${1:-}" in
  build) cmd_build ;;
  classpath) cmd_build; classpath ;;
  run)
    shift
    cmd_build
    # shellcheck disable=SC2086
    exec "$JAVA" ${KSPEER_JAVA_OPTS:-} -cp "$(classpath)" io.zeelos.bench.StreamsPeer "$@"
    ;;
  *)
    sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
