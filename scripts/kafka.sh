#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Local single-node Apache Kafka (KRaft) for development, tests and the demo.
#
#   scripts/kafka.sh up       fetch Kafka from Maven Central (once), format storage (once), start, wait
#   scripts/kafka.sh down     stop the broker this script started (only that pid)
#   scripts/kafka.sh status   exit 0 when running, 1 otherwise
#   scripts/kafka.sh fetch    only resolve the jars into the cache
#   scripts/kafka.sh clean    down, then delete the broker's data (log dirs, config, logs)
#
# The broker is the stock `org.apache.kafka:kafka_2.13` jar and its runtime dependencies,
# resolved with Maven into $ZEELOS_CACHE/kafka-<version>/libs and run with the JDK on the
# machine (`java -cp 'libs/*' kafka.Kafka server.properties`). Nothing is downloaded except
# through Maven.
#
# Environment (all optional):
#   KAFKA_VERSION            Kafka version to fetch (default below)
#   ZEELOS_KAFKA_PORT / KAFKA_PORT                       client listener port (9092)
#   ZEELOS_KAFKA_CONTROLLER_PORT / KAFKA_CONTROLLER_PORT controller listener port (9093)
#   ZEELOS_KAFKA_HOST        address of the client listener, advertised as is (127.0.0.1;
#                            the fault suite's uplink test runs a broker in a network namespace)
#   ZEELOS_CACHE             cache root (default ~/.cache/zeelos)
#   ZEELOS_RUN_DIR           state root (default <repo>/.zeelos-run); the broker uses <root>/kafka
#   KAFKA_HEAP_OPTS          JVM heap (default -Xmx512m -Xms128m)
#   KAFKA_START_TIMEOUT      seconds to wait for the broker to accept clients (default 90)
#   ZEELOS_KAFKA_SSL_PORT    also an SSL listener on 127.0.0.1:<port> that requires a client
#                            certificate (ssl.client.auth=required); principals are User:<CN>
#   ZEELOS_KAFKA_CERTS       with the SSL port: the directory made by scripts/certs.sh
#                            (broker.keystore.p12, broker.truststore.p12, broker.pass)
#   ZEELOS_KAFKA_SCRAM_PORT  also a SASL_PLAINTEXT listener on 127.0.0.1:<port> with SCRAM-SHA-256
#                            (users are added with the Admin API: AlterUserScramCredentials)
#   ZEELOS_KAFKA_ACL=1       authorization (KRaft StandardAuthorizer, no ACL = denied); super users
#                            User:ANONYMOUS (the PLAINTEXT and controller listeners), User:admin,
#                            User:registry.  ACLs are added with the Admin API (kafka-acls).
# Without the last four the broker is exactly the plain one above.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
PORT="${ZEELOS_KAFKA_PORT:-${KAFKA_PORT:-9092}}"
CPORT="${ZEELOS_KAFKA_CONTROLLER_PORT:-${KAFKA_CONTROLLER_PORT:-9093}}"
HOST="${ZEELOS_KAFKA_HOST:-127.0.0.1}"
CACHE_ROOT="${ZEELOS_CACHE:-$HOME/.cache/zeelos}"
CACHE="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$CACHE/libs"
RUN_ROOT="${ZEELOS_RUN_DIR:-$ROOT/.zeelos-run}"
mkdir -p "$RUN_ROOT"
RUN_ROOT="$(cd "$RUN_ROOT" && pwd)"
STATE="$RUN_ROOT/kafka"
CONF="$STATE/server.properties"
LOG4J="$STATE/log4j2.properties"
PIDFILE="$STATE/kafka.pid"
LOGDIR="$STATE/logs"
DATADIR="$STATE/data"
HEAP="${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m}"
SSL_PORT="${ZEELOS_KAFKA_SSL_PORT:-}"
SCRAM_PORT="${ZEELOS_KAFKA_SCRAM_PORT:-}"
CERTS="${ZEELOS_KAFKA_CERTS:-}"
ACL="${ZEELOS_KAFKA_ACL:-0}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
# The log4j2 slf4j binding matching Kafka's slf4j-api 1.7 (Kafka's own distribution ships it).
LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-2.25.5}"

# shellcheck source=lib/maven.sh
. "$ROOT/scripts/lib/maven.sh"

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- fetch
fetch() {
  if [ -f "$CACHE/.complete" ] && [ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (Maven is needed to fetch Kafka from Maven Central)"
  command -v java >/dev/null || die "java not found"
  say "fetching Apache Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central into $LIBS ..."
  local t0=$SECONDS
  mkdir -p "$CACHE"
  maven_classpath "$CACHE" kafka-broker-classpath "org.apache.kafka:kafka_2.13:$KAFKA_VERSION" \
      "org.apache.logging.log4j:log4j-slf4j-impl:$LOG4J_VERSION" ||
    die "Maven could not resolve Kafka $KAFKA_VERSION (full log: $CACHE/mvn.log)"
  [ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka_2.13-$KAFKA_VERSION.jar missing after resolve"
  say "fetched $(ls "$LIBS" | wc -l) jars, $(du -sh "$LIBS" | cut -f1), in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- process helpers
# The pid in the pid file, if that process is alive and still is our broker.
our_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  local cmd
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *java* && "$cmd" == *kafka.Kafka* && "$cmd" == *"$CONF"* ]] || return 1
  echo "$pid"
}

port_busy() {  # true if something listens on ${2:-127.0.0.1}:$1
  (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

# True once the broker answers a metadata request.
broker_ready() {
  if command -v kcat >/dev/null; then
    kcat -b "$HOST:$PORT" -L -m 3 >/dev/null 2>&1
  else
    grep -q "Kafka Server started" "$LOGDIR/server.log" 2>/dev/null && port_busy "$PORT" "$HOST"
  fi
}

# ---------------------------------------------------------------- config
LISTENERS="PLAINTEXT://$HOST:$PORT,CONTROLLER://127.0.0.1:$CPORT"
ADVERTISED="PLAINTEXT://$HOST:$PORT"
PROTOMAP="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
if [ -n "$SSL_PORT" ]; then
  LISTENERS="$LISTENERS,SSL://127.0.0.1:$SSL_PORT"
  ADVERTISED="$ADVERTISED,SSL://127.0.0.1:$SSL_PORT"
  PROTOMAP="$PROTOMAP,SSL:SSL"
fi
if [ -n "$SCRAM_PORT" ]; then
  LISTENERS="$LISTENERS,SASL_PLAINTEXT://127.0.0.1:$SCRAM_PORT"
  ADVERTISED="$ADVERTISED,SASL_PLAINTEXT://127.0.0.1:$SCRAM_PORT"
  PROTOMAP="$PROTOMAP,SASL_PLAINTEXT:SASL_PLAINTEXT"
fi

# The SSL listener's and the authorizer's settings (appended to server.properties). The store
# password comes from certs.sh's broker.pass: server.properties is made mode 0600 for that.
write_security_config() {
  if [ -n "$SSL_PORT" ]; then
    [ -n "$CERTS" ] || die "ZEELOS_KAFKA_SSL_PORT needs ZEELOS_KAFKA_CERTS (a directory made by scripts/certs.sh)"
    CERTS="$(cd "$CERTS" && pwd)"
    local f
    for f in broker.keystore.p12 broker.truststore.p12 broker.pass; do
      [ -s "$CERTS/$f" ] || die "$CERTS/$f missing (run scripts/certs.sh $CERTS)"
    done
    local pass
    pass="$(cat "$CERTS/broker.pass")"
    chmod 600 "$CONF"
    cat >>"$CONF" <<EOF
# SSL listener (ZEELOS_KAFKA_SSL_PORT): client certificates signed by the certs.sh CA required
ssl.client.auth=required
ssl.keystore.type=PKCS12
ssl.keystore.location=$CERTS/broker.keystore.p12
ssl.keystore.password=$pass
ssl.key.password=$pass
ssl.truststore.type=PKCS12
ssl.truststore.location=$CERTS/broker.truststore.p12
ssl.truststore.password=$pass
ssl.principal.mapping.rules=RULE:^CN=([^,]+).*\$/\$1/,DEFAULT
EOF
  fi
  if [ -n "$SCRAM_PORT" ]; then
    cat >>"$CONF" <<EOF
# SASL/SCRAM listener (ZEELOS_KAFKA_SCRAM_PORT): principals are User:<SCRAM user name>
sasl.enabled.mechanisms=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
  fi
  if [ "$ACL" = 1 ]; then
    cat >>"$CONF" <<EOF
# authorization (ZEELOS_KAFKA_ACL=1): no ACL means denied, except for the super users
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS;User:admin;User:registry
EOF
  fi
}

write_config() {
  mkdir -p "$STATE" "$LOGDIR" "$DATADIR"
  cat >"$CONF" <<EOF
# generated by zeelos scripts/kafka.sh -- single-node KRaft broker+controller for local use
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=$LISTENERS
advertised.listeners=$ADVERTISED
listener.security.protocol.map=$PROTOMAP
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATADIR
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
EOF
  write_security_config
  cat >"$LOG4J" <<EOF
# generated by zeelos scripts/kafka.sh
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $LOGDIR/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

format_storage() {
  if [ -f "$DATADIR/meta.properties" ]; then
    return 0
  fi
  local cid
  cid="$(java -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  [ -n "$cid" ] || die "could not generate a cluster id (kafka.tools.StorageTool random-uuid)"
  say "formatting storage in $DATADIR (cluster id $cid) ..."
  if ! java -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*" kafka.tools.StorageTool \
        format -t "$cid" -c "$CONF" >"$LOGDIR/format.log" 2>&1; then
    cat "$LOGDIR/format.log" >&2
    die "storage format failed"
  fi
}

# ---------------------------------------------------------------- commands
cmd_up() {
  local pid
  if pid="$(our_pid)"; then
    say "already running pid $pid on $HOST:$PORT"
    return 0
  fi
  command -v java >/dev/null || die "java not found"
  fetch
  if port_busy "$PORT" "$HOST"; then
    die "$HOST:$PORT is already in use by another process (set ZEELOS_KAFKA_PORT to use another port)"
  fi
  if port_busy "$CPORT"; then
    die "controller port 127.0.0.1:$CPORT is already in use (set ZEELOS_KAFKA_CONTROLLER_PORT)"
  fi
  if [ -n "$SSL_PORT" ] && port_busy "$SSL_PORT"; then
    die "SSL port 127.0.0.1:$SSL_PORT is already in use (set ZEELOS_KAFKA_SSL_PORT)"
  fi
  if [ -n "$SCRAM_PORT" ] && port_busy "$SCRAM_PORT"; then
    die "SCRAM port 127.0.0.1:$SCRAM_PORT is already in use (set ZEELOS_KAFKA_SCRAM_PORT)"
  fi
  write_config
  format_storage
  say "starting Kafka $KAFKA_VERSION on $HOST:$PORT (controller $CPORT, data $DATADIR) ..."
  # setsid: the broker must outlive `make` and the shell that started it.
  # shellcheck disable=SC2086
  setsid java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$LOGDIR" \
      -cp "$LIBS/*" kafka.Kafka "$CONF" \
      >"$LOGDIR/kafka.out" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PIDFILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "---- $LOGDIR/kafka.out" >&2; tail -20 "$LOGDIR/kafka.out" >&2 || true
      echo "---- $LOGDIR/server.log" >&2; tail -40 "$LOGDIR/server.log" >&2 || true
      rm -f "$PIDFILE"
      die "broker exited during start-up"
    fi
    if broker_ready; then break; fi
    if [ $SECONDS -ge $deadline ]; then
      tail -40 "$LOGDIR/server.log" >&2 || true
      cmd_down >/dev/null 2>&1 || true
      die "broker did not accept clients within ${START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  say "started pid $pid on $HOST:$PORT (logs: $LOGDIR/server.log)"
}

cmd_down() {
  local pid
  if ! pid="$(our_pid)"; then
    say "not running"
    rm -f "$PIDFILE"
    return 0
  fi
  say "stopping pid $pid ..."
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      say "pid $pid still alive after 30 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
  rm -f "$PIDFILE"
  say "stopped"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    if broker_ready; then
      say "running pid $pid on 127.0.0.1:$PORT"
      return 0
    fi
    say "pid $pid is alive but 127.0.0.1:$PORT does not answer (yet)"
    return 1
  fi
  say "not running"
  return 1
}

case "${1:-}" in
  up|start) cmd_up ;;
  down|stop) cmd_down ;;
  status) cmd_status ;;
  fetch) fetch; say "Kafka $KAFKA_VERSION in $LIBS" ;;
  clean) cmd_down; rm -rf "$STATE"; say "removed $STATE" ;;
  *) echo "usage: $0 up|down|status|fetch|clean" >&2; exit 2 ;;
esac
