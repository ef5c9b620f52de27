#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the pinned librdkafka the gateway links (Debian 12's 2.0.2 stalls ~1 s on the first
# records to each topic, spins a broker thread while the broker is frozen, and cannot bring a
# fenced static member back; see docs/RELIABILITY.md and bench/RESULTS.md).
#
# The source is Debian 13's source package, fetched with apt from a private source list (a
# deb-src line for trixie in $CACHE/apt, nothing added to the system's sources, no binary
# package from trixie ever installed); apt checks the files against the signed Sources index.
# Built with librdkafka's own configure (SSL and zlib from Debian 12; no SASL/GSSAPI, curl or
# zstd) into $PREFIX; CMake prefers it when it is there and falls back to Debian's
# librdkafka-dev otherwise (it says which it uses).
#
#   scripts/librdkafka.sh          build once (a second run costs one file check)
#   scripts/librdkafka.sh prefix   print the install prefix
#
# Environment: ZEELOS_CACHE (default ~/.cache/zeelos); ZEELOS_RDKAFKA=system skips the build.
set -euo pipefail

VERSION=2.8.0
DEBREV=2.8.0-1
CACHE="${ZEELOS_CACHE:-$HOME/.cache/zeelos}"
PREFIX="$CACHE/librdkafka-$VERSION"
if [ "${1:-}" = "prefix" ]; then echo "$PREFIX"; exit 0; fi
if [ "${ZEELOS_RDKAFKA:-}" = "system" ]; then echo "librdkafka.sh: ZEELOS_RDKAFKA=system: skipped"; exit 0; fi
if [ -f "$PREFIX/.zeelos-built" ]; then echo "librdkafka.sh: $VERSION in $PREFIX"; exit 0; fi

APT="$CACHE/apt"
SRC="$CACHE/src/librdkafka-$DEBREV"
mkdir -p "$APT/lists/partial" "$SRC"
cat >"$APT/trixie-src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
aptopts=(-o "Dir::Etc::sourcelist=$APT/trixie-src.sources" -o "Dir::Etc::sourceparts=-"
         -o "Dir::State::Lists=$APT/lists" -o "APT::Sandbox::User=root")
fail() { echo "librdkafka.sh: WARN: $*; the build falls back to Debian's librdkafka-dev" >&2; exit 0; }

echo "librdkafka.sh: fetching librdkafka $DEBREV (Debian 13 source package)"
apt-get -qq "${aptopts[@]}" update >/dev/null 2>&1 || fail "cannot read the trixie source index"
(cd "$SRC" && apt-get -qq "${aptopts[@]}" source --download-only "librdkafka=$DEBREV" >/dev/null 2>&1) ||
  fail "cannot fetch librdkafka $DEBREV"
rm -rf "$SRC/librdkafka-$VERSION"
tar -C "$SRC" -xzf "$SRC/librdkafka_$VERSION.orig.tar.gz"

echo "librdkafka.sh: building into $PREFIX"
t0=$(date +%s)
(
  cd "$SRC/librdkafka-$VERSION"
  ./configure --prefix="$PREFIX" --enable-ssl --enable-zlib --disable-gssapi --disable-curl --disable-zstd \
    --disable-lz4-ext >"$SRC/configure.log" 2>&1
  make -j"$(nproc)" libs >"$SRC/make.log" 2>&1
  make -C src install >"$SRC/install.log" 2>&1
) || fail "build failed (logs in $SRC)"
touch "$PREFIX/.zeelos-built"
echo "librdkafka.sh: librdkafka $VERSION built in $(( $(date +%s) - t0 )) s"
