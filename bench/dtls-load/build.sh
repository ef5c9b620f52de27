#!/bin/sh
# Builds bench/dtls-load/dtls_load (needs libssl-dev: OpenSSL >= 1.1.1, tested with 3.0).
set -e
cd "$(dirname "$0")"
gcc -O2 -Wall -Wextra -o dtls_load dtls_load.c -lssl -lcrypto
echo "built $(pwd)/dtls_load"
