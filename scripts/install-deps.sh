#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package the build, the tests and the demo need.
# Idempotent and non-interactive: packages already present are skipped, so a
# second run costs one dpkg query.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  librdkafka-dev libavro-dev libjansson-dev libcbor-dev libmicrohttpd-dev
  libsqlite3-dev libcurl4-openssl-dev libssl-dev libgnutls28-dev libexpat1-dev zlib1g-dev
  libcoap3-bin kcat openssl
  autoconf automake libtool
  python3-venv curl ca-certificates
  influxdb influxdb-client postgresql-15 postgresql-client-15 libpq-dev
  chromium chromium-driver
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} Debian packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The influxdb and postgresql-15 postinsts start their system-wide service through invoke-rc.d
# (there is no systemd here); the tests start their own servers (scripts/influxdb.sh,
# scripts/postgres.sh), so forbid that with a policy-rc.d answering 101 for the install only.
# An existing policy-rc.d (Docker images ship one) is left alone.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# temporary, from zeelos scripts/install-deps.sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
