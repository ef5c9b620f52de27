#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package the build, the tests and the demo need.
# Idempotent and non-interactive: packages already present are skipped, so a
# second run costs one dpkg query.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  librdkafka-dev libavro-dev libjansson-dev libcbor-dev libmicrohttpd-dev
  libsqlite3-dev libcurl4-openssl-dev libssl-dev libexpat1-dev zlib1g-dev
  libcoap3-bin kcat
  python3-venv curl ca-certificates
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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
