#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Apache Kafka MirrorMaker 2 between an edge and a cloud cluster, as a dedicated MirrorMaker
# cluster (org.apache.kafka.connect.mirror.MirrorMaker) on the cloud side, as in the seed.
#
#   scripts/mirror.sh fetch    resolve connect-mirror and its dependencies from Maven Central (once;
#                              again when the cache holds a fallback version: see Version)
#   scripts/mirror.sh config   write the MM2 properties for ZEELOS_GATEWAYS and print the path
#   scripts/mirror.sh up       fetch, config, start in the background, wait until both flows run
#   scripts/mirror.sh down     stop the MirrorMaker this script started (only that pid)
#   scripts/mirror.sh status   print each flow's connector and task states; exit 0 when both run
#   scripts/mirror.sh metrics  print MM2's replication metrics (JMX) as
#                              `target topic partition name value` lines
#
# Flows (docs/DEPLOYMENT.md): edge -> cloud iot.<gw>.registrations, .observations,
# .management.rep and the edge registry's topic _schemas.<edge alias>; cloud -> edge
# iot.<gw>.management.req and _schemas.cloud.  Topic names are kept
# (IdentityReplicationPolicy); the two flows share no topic, so nothing cycles.
#
# Version: the broker's (KAFKA_VERSION of scripts/kafka.sh), resolved from Maven Central with the
# broker's resolver (scripts/lib/maven.sh).  When Central does not serve connect-mirror in that
# version (4.4.0: it serves kafka_2.13, kafka-clients and connect-runtime 4.4.0 but
# connect-mirror and connect-mirror-client only up to 4.3.1), the newest connect-mirror of the
# same major version below it is used, with its own matching Connect runtime and clients, and
# every `fetch`/`up` says so; `scripts/mirror.sh fetch` tries the exact version again (Maven
# itself asks Central again once its daily update interval has passed).
# MM2_FALLBACK=0 makes a missing version an error instead.
#
# Readiness (`up`): MirrorMaker's own status records.  Each flow's Connect herder writes the state
# of MirrorSourceConnector and of its task to mm2-status.<source>.internal on the target cluster
# (what Connect's REST API reports; a dedicated MirrorMaker does not serve that API);
# scripts/mirror/MirrorStatus.java reads both and `up` returns once, in both directions, the
# connector and its task are RUNNING (records written by this process only).
#
# Environment: EDGE_BOOTSTRAP (127.0.0.1:9592), CLOUD_BOOTSTRAP (127.0.0.1:9692),
# ZEELOS_GATEWAYS ("edge1", space-separated gateway ids), EDGE_ALIAS (edge: the edge registry's
# topic is _schemas.<alias>), MM2_VERSION (the broker's), MM2_FALLBACK (1), MM2_EXACTLY_ONCE (1),
# MM2_REST_PORT (8781), MM2_JMX_PORT (8791), ZEELOS_CACHE (~/.cache/zeelos), ZEELOS_RUN_DIR
# (<repo>/.zeelos-run; state in <run dir>/mirror), MM2_HEAP_OPTS (-Xmx384m -Xms64m),
# MM2_START_TIMEOUT (seconds, 120).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# the broker's version: KAFKA_VERSION as scripts/kafka.sh takes it (environment, else its default)
BROKER_VERSION="${KAFKA_VERSION:-$(sed -n 's/^KAFKA_VERSION="\${KAFKA_VERSION:-\([^}]*\)}".*/\1/p' "$ROOT/scripts/kafka.sh")}"
[ -n "$BROKER_VERSION" ] || { echo "mirror.sh: error: cannot read KAFKA_VERSION from scripts/kafka.sh" >&2; exit 1; }
WANT_VERSION="${MM2_VERSION:-$BROKER_VERSION}"
FALLBACK="${MM2_FALLBACK:-1}"
[ -n "${MM2_VERSION:-}" ] && FALLBACK=0   # an explicit version is that version or nothing
LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-2.25.5}"
EDGE="${EDGE_BOOTSTRAP:-127.0.0.1:9592}"
CLOUD="${CLOUD_BOOTSTRAP:-127.0.0.1:9692}"
GATEWAYS="${ZEELOS_GATEWAYS:-edge1}"
EDGE_ALIAS="${EDGE_ALIAS:-edge}"
EOS="${MM2_EXACTLY_ONCE:-1}"
REST_PORT="${MM2_REST_PORT:-8781}"
JMX_PORT="${MM2_JMX_PORT:-8791}"
CACHE="${ZEELOS_CACHE:-$HOME/.cache/zeelos}/mirror-$WANT_VERSION"
LIBS="$CACHE/libs"
RUN_ROOT="${ZEELOS_RUN_DIR:-$ROOT/.zeelos-run}"
mkdir -p "$RUN_ROOT"
RUN_ROOT="$(cd "$RUN_ROOT" && pwd)"
STATE="$RUN_ROOT/mirror"
CONF="$STATE/mm2.properties"
LOG4J="$STATE/log4j2.properties"
TOOLS_LOG4J="$STATE/tools-log4j2.properties"
LOG="$STATE/mirror.log"
PIDFILE="$STATE/mirror.pid"
HEAP="${MM2_HEAP_OPTS:--Xmx384m -Xms64m}"
START_TIMEOUT="${MM2_START_TIMEOUT:-120}"

# shellcheck source=lib/maven.sh
. "$ROOT/scripts/lib/maven.sh"

say() { echo "mirror.sh: $*"; }
die() { echo "mirror.sh: error: $*" >&2; exit 1; }

# The connect-mirror version in the cache ("" when none).
cached_version() {
  local v
  [ -f "$CACHE/.complete" ] && [ -f "$CACHE/.version" ] || return 0
  v="$(cat "$CACHE/.version")"
  [ -f "$LIBS/connect-mirror-$v.jar" ] && echo "$v"
  return 0
}

# fetch [force]: resolve into $LIBS unless the cache has them; `force` (the fetch command) tries
# the exact version again when the cache holds a fallback.
fetch() {
  local have
  have="$(cached_version)"
  if [ -n "$have" ] && { [ "$have" = "$WANT_VERSION" ] || [ "${1:-}" != force ]; }; then
    [ "$have" = "$WANT_VERSION" ] || say "note: MirrorMaker $have (connect-mirror $WANT_VERSION is not on Maven Central; \`scripts/mirror.sh fetch\` tries again)"
    return 0
  fi
  say "fetching connect-mirror $WANT_VERSION and its runtime dependencies from Maven Central ..."
  local t0=$SECONDS
  mkdir -p "$CACHE"
  if maven_classpath "$CACHE" mirror-maker-classpath "org.apache.kafka:connect-mirror:$WANT_VERSION" \
       "org.apache.logging.log4j:log4j-slf4j-impl:$LOG4J_VERSION" 2>"$CACHE.err"; then
    echo "$WANT_VERSION" >"$CACHE/.version"
  elif grep -Eq "Could not find artifact org\.apache\.kafka:connect-mirror:|org\.apache\.kafka:connect-mirror:(jar|pom):[^ ]* was not found" \
         "$CACHE/mvn.log" 2>/dev/null &&
       [ "$FALLBACK" = 1 ]; then
    # Not on Central in that version: the newest of the same major version below it, which
    # brings its own Connect runtime and clients (a consistent class path, not a mix).
    cp "$CACHE/mvn.log" "$CACHE/mvn-$WANT_VERSION.log"
    local range="[${WANT_VERSION%%.*}.0.0,$WANT_VERSION]"
    say "connect-mirror $WANT_VERSION is not on Maven Central (log: $CACHE/mvn-$WANT_VERSION.log); resolving the newest in $range ..."
    maven_classpath "$CACHE" mirror-maker-classpath "org.apache.kafka:connect-mirror:$range" \
        "org.apache.logging.log4j:log4j-slf4j-impl:$LOG4J_VERSION" ||
      die "Maven could not resolve connect-mirror $range either (log: $CACHE/mvn.log)"
    local jar
    jar="$(cd "$LIBS" && ls connect-mirror-[0-9]*.jar | head -1)"
    [ -n "$jar" ] || die "no connect-mirror jar in $LIBS after resolving $range"
    jar="${jar#connect-mirror-}"
    echo "${jar%.jar}" >"$CACHE/.version"
    say "WARNING: MirrorMaker runs connect-mirror $(cat "$CACHE/.version") (with its own Connect runtime and clients) against Kafka $BROKER_VERSION brokers: Maven Central has no connect-mirror $WANT_VERSION"
  else
    cat "$CACHE.err" >&2
    die "Maven could not resolve connect-mirror $WANT_VERSION (log: $CACHE/mvn.log)"
  fi
  rm -f "$CACHE.err"
  rm -rf "$CACHE/classes"   # the helpers compile against these jars
  say "fetched $(ls "$LIBS" | wc -l) jars (connect-mirror $(cat "$CACHE/.version")) into $LIBS in $((SECONDS - t0)) s"
}

# The Java helpers in scripts/mirror/, compiled with the JDK against MirrorMaker's jars (once).
helpers() {
  local src="$ROOT/scripts/mirror" out="$CACHE/classes" f stale=0
  for f in "$src"/*.java; do
    [ -f "$out/$(basename "${f%.java}").class" ] && [ ! "$f" -nt "$out/$(basename "${f%.java}").class" ] || stale=1
  done
  if [ $stale = 1 ]; then
    command -v javac >/dev/null || die "javac not found (the JDK compiles scripts/mirror/*.java)"
    rm -rf "$out.$$"
    mkdir -p "$out.$$"
    javac -nowarn -d "$out.$$" -cp "$LIBS/*" "$src"/*.java || { rm -rf "$out.$$"; die "cannot compile $src/*.java"; }
    rm -rf "$out"
    mv "$out.$$" "$out"
  fi
  echo "$out"
}

# The topic regex of one direction: kinds for every gateway, then extra; joined with |.
# Written to the properties file with doubled backslashes (a .properties file eats single ones).
topics() {
  local kinds="$1" extra="$2" out="" gw
  for gw in $GATEWAYS; do
    out="${out:+$out|}iot\\.${gw//./\\.}\\.$kinds"
  done
  out="${out:+$out|}$extra"
  printf '%s' "$out" | sed 's/\\/\\\\/g'
}

write_config() {
  mkdir -p "$STATE"
  local up down
  up="$(topics '(registrations|observations|management\.rep)' "_schemas\\.${EDGE_ALIAS//./\\.}")"
  down="$(topics '(management\.req|security)' '_schemas\.cloud')"
  cat >"$CONF" <<EOF
# generated by zeelos scripts/mirror.sh for gateways: $GATEWAYS
clusters = edge, cloud
edge.bootstrap.servers = $EDGE
cloud.bootstrap.servers = $CLOUD

edge->cloud.enabled = true
edge->cloud.topics = $up
cloud->edge.enabled = true
cloud->edge.topics = $down
# keep topic names: iot.<gw>.* is the same topic at both sites (the flows share no topic)
replication.policy.class = org.apache.kafka.connect.mirror.IdentityReplicationPolicy
# topic configs follow (the compacted registry topics stay compacted on the other side)
sync.topic.configs.enabled = true
sync.topic.configs.interval.seconds = 30
sync.topic.acls.enabled = false
# nothing consumes checkpoints or heartbeats here: fewer connectors on a small machine
# (MirrorMaker logs one harmless ERROR per flow: "MirrorCheckpointConnector can't run with
# emit.checkpoints.enabled set to false")
emit.heartbeats.enabled = false
emit.checkpoints.enabled = false
sync.group.offsets.enabled = false
refresh.groups.enabled = false
# a new gateway's topics are picked up within 5 s
refresh.topics.interval.seconds = 5
offset.flush.interval.ms = 1000
# records keep their partition (the gateway keys by endpoint: per-device order)
tasks.max = 1

# single-node clusters
replication.factor = 1
offset-syncs.topic.replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset.storage.replication.factor = 1
status.storage.replication.factor = 1
config.storage.replication.factor = 1
EOF
  if [ "$EOS" = 1 ]; then
    cat >>"$CONF" <<EOF

# exactly-once source (KIP-618, dedicated MirrorMaker since Kafka 3.5): each poll's records and
# source offsets are committed in one transaction on the target; the internal REST server
# (KIP-710) lets the leader fence zombie tasks
edge.exactly.once.source.support = enabled
cloud.exactly.once.source.support = enabled
dedicated.mode.enable.internal.rest = true
listeners = http://127.0.0.1:$REST_PORT
# a MirrorMaker killed mid-transaction leaves that transaction open, and its successor, which
# reads its source offsets read_committed, waits until the broker aborts it: after 10 s instead
# of the default 60 s (a transaction is one poll's records, committed within milliseconds)
edge.producer.transaction.timeout.ms = 10000
cloud.producer.transaction.timeout.ms = 10000
EOF
  fi
  cat >"$LOG4J" <<EOF
# generated by zeelos scripts/mirror.sh
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $LOG
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
EOF
  cat >"$TOOLS_LOG4J" <<EOF
# generated by zeelos scripts/mirror.sh: the status helper's Kafka clients, errors only
status = warn
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = ERROR
rootLogger.appenderRef.err.ref = ERR
EOF
}

our_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid cmd
  pid="$(cat "$PIDFILE" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *connect.mirror.MirrorMaker* && "$cmd" == *"$CONF"* ]] || return 1
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# flow_status [--wait S] [--pid PID]: MirrorStatus on this process's status records.
flow_status() {
  local classes since
  classes="$(helpers)"
  # status records count from the start of this process (written just before it was started)
  since="$(cat "$STATE/mirror.started" 2>/dev/null || echo $(( $(stat -c %Y "$PIDFILE") * 1000 )))"
  java -Xmx96m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$TOOLS_LOG4J" \
    -cp "$LIBS/*:$classes" MirrorStatus --since "$since" "$@" "$CONF"
}

cmd_up() {
  local pid
  if pid="$(our_pid)"; then say "already running pid $pid"; return 0; fi
  command -v java >/dev/null || die "java not found"
  fetch
  helpers >/dev/null
  write_config
  if [ "$EOS" = 1 ] && port_busy "$REST_PORT"; then die "127.0.0.1:$REST_PORT (MM2_REST_PORT) is in use"; fi
  if port_busy "$JMX_PORT"; then die "127.0.0.1:$JMX_PORT (MM2_JMX_PORT) is in use"; fi
  echo "[$(date '+%F %T')] ---- scripts/mirror.sh up (config $CONF)" >>"$LOG"
  say "starting MirrorMaker 2 (connect-mirror $(cat "$CACHE/.version"), exactly-once: $([ "$EOS" = 1 ] && echo on || echo off)):" \
      "edge $EDGE <-> cloud $CLOUD, gateways: $GATEWAYS"
  local t0=$SECONDS
  date +%s%3N >"$STATE/mirror.started"
  # setsid: MirrorMaker must outlive the shell that started it.
  # shellcheck disable=SC2086
  setsid java $HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.port="$JMX_PORT" \
    -Dcom.sun.management.jmxremote.rmi.port="$JMX_PORT" -Dcom.sun.management.jmxremote.host=127.0.0.1 \
    -Djava.rmi.server.hostname=127.0.0.1 \
    -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false \
    -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*" \
    org.apache.kafka.connect.mirror.MirrorMaker "$CONF" >"$STATE/stdout.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  local rc=0 out
  out="$(flow_status --wait "$START_TIMEOUT" --pid "$pid" 2>"$STATE/status.err")" || rc=$?
  if [ $rc != 0 ]; then
    echo "$out" >&2
    tail -5 "$STATE/status.err" >&2 || true
    echo "---- $LOG" >&2; grep -E ' (ERROR|WARN) ' "$LOG" | tail -20 >&2 || true
    tail -20 "$STATE/stdout.log" >&2 || true
    if [ $rc = 3 ]; then rm -f "$PIDFILE"; die "MirrorMaker exited during start-up (log: $LOG)"; fi
    cmd_down >/dev/null
    die "MirrorMaker's flows did not run within $START_TIMEOUT s (log: $LOG)"
  fi
  echo "$out" | grep ' flow ' | sed 's/^/mirror.sh:   /'
  say "started pid $pid in $((SECONDS - t0)) s (log: $LOG, config: $CONF, JMX 127.0.0.1:$JMX_PORT)"
}

cmd_down() {
  local pid
  if ! pid="$(our_pid)"; then say "not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid still alive after 30 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  say "stopped pid $pid"
}

cmd_status() {
  local pid
  if ! pid="$(our_pid)"; then say "not running"; return 1; fi
  say "running pid $pid"
  flow_status 2>/dev/null
}

cmd_metrics() {
  our_pid >/dev/null || die "not running"
  local classes
  classes="$(helpers)"
  java -Xmx64m -XX:TieredStopAtLevel=1 -cp "$classes" MirrorMetrics "127.0.0.1:$JMX_PORT"
}

case "${1:-}" in
  fetch) fetch force; say "connect-mirror $(cat "$CACHE/.version") in $LIBS" ;;
  config) write_config; echo "$CONF" ;;
  up|start) cmd_up ;;
  down|stop) cmd_down ;;
  status) cmd_status ;;
  metrics) cmd_metrics ;;
  *) echo "usage: $0 fetch|config|up|down|status|metrics" >&2; exit 2 ;;
esac
