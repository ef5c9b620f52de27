#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerates docs/CONFIGURATION.md from the property tables the commands bind
# (the command list in src/cmd/commands.c; each module's table next to its
# config struct).  The tables are spread over the layers and the roles, so
# this builds the zeelos binary (CMake, in build-doc/ or $ZEELOS_DOC_BUILD)
# and runs `zeelos config-doc`, the same code `make docs` and test_conf use.
#   scripts/gen-config-doc.sh           rewrite docs/CONFIGURATION.md
#   scripts/gen-config-doc.sh --check   exit 1 if the committed file is stale
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ZEELOS_DOC_BUILD:-$root/build-doc}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target zeelos -j"${JOBS:-2}" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/zeelos" config-doc "$tmp/CONFIGURATION.md"
if [ "${1:-}" = "--check" ]; then
    if cmp -s "$tmp/CONFIGURATION.md" "$root/docs/CONFIGURATION.md"; then
        echo "docs/CONFIGURATION.md is up to date"
    else
        echo "docs/CONFIGURATION.md is stale: run scripts/gen-config-doc.sh" >&2
        exit 1
    fi
else
    mkdir -p "$root/docs"
    cp "$tmp/CONFIGURATION.md" "$root/docs/CONFIGURATION.md"
    echo "wrote docs/CONFIGURATION.md"
fi
