# SPDX-License-Identifier: Apache-2.0
"""The two-site suite: scripts/sites.sh starts an edge and a cloud Kafka cluster, a zeelos
registry at each site and MirrorMaker 2 between them (docs/DEPLOYMENT.md), in a state directory
of its own (.zeelos-run-sites, emptied first); the session stops them at the end.  The e2e
helpers (tests/e2e) drive the gateway, the devices and Kafka."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"
ROOT = E2E.parents[1]
sys.path.insert(0, str(E2E))

from gateway_proc import zeelos_bin  # noqa: E402

GW = "site1"
EDGE, CLOUD = "127.0.0.1:9592", "127.0.0.1:9692"
EDGE_SR, CLOUD_SR = "http://127.0.0.1:8581", "http://127.0.0.1:8681"
RUN = ROOT / ".zeelos-run-sites"


def sites(cmd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ZEELOS_GATEWAYS=GW, ZEELOS_RUN_DIR=str(RUN), ZEELOS_BIN=str(zeelos_bin()))
    return subprocess.run(["bash", str(ROOT / "scripts" / "sites.sh"), cmd], env=env, capture_output=True,
                          text=True, timeout=400)


def mirror(cmd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ZEELOS_GATEWAYS=GW, ZEELOS_RUN_DIR=str(RUN))
    return subprocess.run(["bash", str(ROOT / "scripts" / "mirror.sh"), cmd], env=env, capture_output=True,
                          text=True, timeout=200)


@pytest.fixture(scope="session")
def two_sites():
    exe = zeelos_bin()
    assert exe.is_file(), f"{exe} is missing (make asan, or set ZEELOS_BIN)"
    sites("down")
    shutil.rmtree(RUN, ignore_errors=True)
    up = sites("up")
    assert up.returncode == 0, up.stdout + up.stderr
    yield
    down = sites("down")
    assert down.returncode == 0, down.stdout + down.stderr
