#!/bin/sh
# Regenerates docs/CONFIGURATION.md from the property table in src/common/conf.c.
# Builds a throwaway generator with the system C compiler (no CMake build
# needed), so it works even while the rest of the tree is mid-change.
#   scripts/gen-config-doc.sh           rewrite docs/CONFIGURATION.md
#   scripts/gen-config-doc.sh --check   exit 1 if the committed file is stale
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/gen.c" <<'C'
#include "common/conf.h"
int main(int argc, char **argv, char **envp) { return zl_conf_cmd_doc(argc, argv, envp); }
C
"$cc" -std=c11 -D_GNU_SOURCE -I"$root/src" -o "$tmp/gen" "$tmp/gen.c" \
    "$root/src/common/conf.c" "$root/src/common/conf_props.c" "$root/src/common/log.c" "$root/src/common/err.c"
"$tmp/gen" "$tmp/CONFIGURATION.md"
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
