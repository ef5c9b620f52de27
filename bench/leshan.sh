#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Eclipse Leshan's server demo as a peer for bench/side_by_side.sh.
#
#   bench/leshan.sh fetch      resolve the demo jar from Maven Central into the cache (idempotent)
#   bench/leshan.sh run        fetch, start the demo on loopback, wait until its REST API answers,
#                              write its PID to $LESHAN_HOME/run/leshan.pid, then stay in the
#                              foreground until SIGINT/SIGTERM or LESHAN_MAX_S seconds; on exit it
#                              stops the Java process it started (and nothing else).
#
# Environment (defaults in brackets):
#   LESHAN_VERSION   [2.0.0-M4: the only leshan-server-demo version Maven Central's metadata lists]
#   LESHAN_HOME      [~/.cache/zeelos/leshan]     jar, Californium.properties, log, pid file
#   LESHAN_COAP_PORT [15691]  CoAP, bound to 127.0.0.1 (no DTLS: nothing is configured for it)
#   LESHAN_COAPS_PORT [15692] the demo always opens its DTLS endpoint; it is moved here, unused
#   LESHAN_WEB_PORT  [18691]  web UI + REST API + event stream, bound to 127.0.0.1
#   LESHAN_HEAP      [1g]     -Xmx of the JVM (initial heap: the JVM's default)
#   LESHAN_SOCKBUF   [4194304] Californium UDP_CONNECTOR_RECEIVE/SEND_BUFFER in bytes: the same
#                    SO_RCVBUF/SO_SNDBUF the zeelos gateway asks for (src/coap/endpoint.c);
#                    0 = Californium's default (the kernel's default buffer)
#   LESHAN_MAX_S     [900]    the run stops by itself after this many seconds
set -eu
version=${LESHAN_VERSION:-2.0.0-M4}
home=${LESHAN_HOME:-$HOME/.cache/zeelos/leshan}
coap_port=${LESHAN_COAP_PORT:-15691}
coaps_port=${LESHAN_COAPS_PORT:-15692}
web_port=${LESHAN_WEB_PORT:-18691}
heap=${LESHAN_HEAP:-1g}
sockbuf=${LESHAN_SOCKBUF:-4194304}
max_s=${LESHAN_MAX_S:-900}
artifact=org.eclipse.leshan:leshan-server-demo:$version:jar:jar-with-dependencies
jar=$home/leshan-server-demo-$version-jar-with-dependencies.jar
rundir=$home/run
pidfile=$rundir/leshan.pid

say() { echo "leshan.sh: $*" >&2; }

fetch() {
    [ -s "$jar" ] && return 0
    command -v mvn >/dev/null || { say "mvn is not installed (scripts/install-deps.sh installs it)"; exit 1; }
    mkdir -p "$home"
    say "resolving $artifact from Maven Central"
    timeout 600 mvn -q -B dependency:get -Dartifact="$artifact" -Dtransitive=false >&2
    local_repo=${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}
    src=$local_repo/org/eclipse/leshan/leshan-server-demo/$version/$(basename "$jar")
    [ -s "$src" ] || { say "mvn succeeded but $src is missing (set MAVEN_REPO_LOCAL?)"; exit 1; }
    cp "$src" "$jar.tmp" && mv "$jar.tmp" "$jar"
    say "cached $jar"
}

port_busy() { # $1 = udp|tcp, $2 = port
    ss -Hln"$(printf %.1s "$1")" "sport = :$2" 2>/dev/null | grep -q .
}

java_pid=
stop_java() {
    trap - EXIT INT TERM HUP
    if [ -n "$java_pid" ] && kill -0 "$java_pid" 2>/dev/null; then
        kill -TERM "$java_pid" 2>/dev/null || true
        i=0
        while kill -0 "$java_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -0 "$java_pid" 2>/dev/null && { say "pid $java_pid ignored SIGTERM for 10 s: SIGKILL"; kill -KILL "$java_pid" 2>/dev/null || true; }
        wait "$timeout_pid" 2>/dev/null || true
        say "stopped pid $java_pid"
    fi
    rm -f "$pidfile"
}

arm_traps() {
    trap stop_java EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

# Starts the demo in the background (java_pid), waits up to 60 s for its REST API.
start_java() {
    for p in udp:$coap_port udp:$coaps_port tcp:$web_port; do
        if port_busy "${p%%:*}" "${p#*:}"; then say "port ${p#*:}/${p%%:*} is in use"; exit 1; fi
    done
    # --add-opens: the demo (built for Java 8) serialises registrations for its event stream with
    # Gson by reflection, which Java 17 refuses for java.util (and java.net / java.lang) classes
    # ("InaccessibleObjectException ... does not opens java.util"): no REGISTRATION events without.
    # timeout: the JVM ends by itself even if this script is killed without running its trap.
    (cd "$rundir" && exec timeout -k 10 $((max_s + 120)) java -Xmx"$heap" \
        --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.net=ALL-UNNAMED \
        --add-opens java.base/java.lang=ALL-UNNAMED -jar "$jar" -lh 127.0.0.1 -lp "$coap_port" \
        -slh 127.0.0.1 -slp "$coaps_port" -wh 127.0.0.1 -wp "$web_port") >>"$rundir/leshan.log" 2>&1 &
    timeout_pid=$!
    java_pid=
    i=0
    while [ -z "$java_pid" ] && [ $i -lt 50 ]; do
        java_pid=$(pgrep -P "$timeout_pid" java || true)
        [ -n "$java_pid" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$java_pid" ] || { say "java did not start; see $rundir/leshan.log"; exit 1; }
    i=0
    until curl -sf -o /dev/null "http://127.0.0.1:$web_port/api/clients"; do
        kill -0 "$java_pid" 2>/dev/null || { say "the demo exited; see $rundir/leshan.log"; java_pid=; exit 1; }
        i=$((i + 1))
        [ $i -lt 300 ] || { say "no answer on port $web_port after 60 s"; exit 1; }
        sleep 0.2
    done
}

run() {
    fetch
    mkdir -p "$rundir"
    : >"$rundir/leshan.log"
    arm_traps
    # The demo writes its CoAP configuration (Leshan's defaults) to ./Californium.properties on
    # its first start and reads it on the next ones: create it once, then set the socket buffers.
    if [ ! -s "$rundir/Californium.properties" ]; then
        say "first start: letting the demo write its default Californium.properties"
        start_java
        stop_java
        arm_traps
    fi
    sed -i -e "s/^UDP_CONNECTOR_RECEIVE_BUFFER=.*/UDP_CONNECTOR_RECEIVE_BUFFER=$sockbuf/" \
        -e "s/^UDP_CONNECTOR_SEND_BUFFER=.*/UDP_CONNECTOR_SEND_BUFFER=$sockbuf/" "$rundir/Californium.properties"
    start_java
    echo "$java_pid" >"$pidfile"
    say "ready: pid $java_pid, Leshan $version, coap://127.0.0.1:$coap_port, http://127.0.0.1:$web_port, -Xmx$heap, UDP buffers $sockbuf, stops after ${max_s}s"
    end=$(($(date +%s) + max_s))
    while kill -0 "$java_pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 1; done
    kill -0 "$java_pid" 2>/dev/null && say "LESHAN_MAX_S=$max_s reached"
}

case ${1:-run} in
fetch) fetch ;;
run) run ;;
*) echo "usage: $0 [fetch|run]" >&2; exit 2 ;;
esac
