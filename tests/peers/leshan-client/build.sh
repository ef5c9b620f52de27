#!/bin/sh
# Build the Leshan-based LwM2M test client once; print the path of the runnable jar.
# Skips Maven when target/leshan-client.jar is newer than pom.xml and every source file.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jar="$here/target/leshan-client.jar"
if [ -f "$jar" ] && [ -z "$(find "$here/pom.xml" "$here/src" -newer "$jar" -print 2>/dev/null | head -n 1)" ]; then
    echo "$jar"
    exit 0
fi
command -v mvn >/dev/null 2>&1 || { echo "build.sh: mvn not found" >&2; exit 1; }
log=$(mktemp)
if ! mvn -q -B -Dstyle.color=never -f "$here/pom.xml" -DskipTests package >"$log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" >&2   # Maven's jansi emits colour codes even with -q -B
    rm -f "$log"
    exit 1
fi
rm -f "$log"
[ -f "$jar" ] || { echo "build.sh: $jar was not produced" >&2; exit 1; }
echo "$jar"
