#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Creates/updates the Python venv used by the black-box tests (tests/e2e) and the demo helpers.
#   scripts/pydeps.sh            -> .venv with tests/e2e/requirements.txt installed
# Idempotent: a stamp file holds the hash of the requirements and of the interpreter; when both
# are unchanged nothing runs. Override the venv location with ZEELOS_VENV, the interpreter with
# PYTHON (default python3; Debian's needs python3-venv, see scripts/install-deps.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ZEELOS_VENV:-$ROOT/.venv}"
REQ="$ROOT/tests/e2e/requirements.txt"
PY="${PYTHON:-python3}"
STAMP="$VENV/.zeelos-requirements.sha256"

command -v "$PY" >/dev/null || { echo "pydeps.sh: error: $PY not found" >&2; exit 1; }
want="$( { sha256sum "$REQ" | cut -d' ' -f1; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "pydeps.sh: $VENV up to date"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "pydeps.sh: creating venv $VENV"
  "$PY" -m venv "$VENV" || {
    echo "pydeps.sh: error: '$PY -m venv' failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi
echo "pydeps.sh: installing $(grep -cvE '^\s*(#|$)' "$REQ") packages from tests/e2e/requirements.txt"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
echo "$want" >"$STAMP"
echo "pydeps.sh: done ($("$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
  | grep -iE '^(pytest|confluent-kafka|fastavro|aiocoap|requests) ' | tr -s ' ' | paste -sd, -))"
