# SPDX-License-Identifier: Apache-2.0
"""The two-site suite: scripts/sites.sh starts an edge and a cloud Kafka cluster, a zeelos
registry at each site and MirrorMaker 2 between them (docs/DEPLOYMENT.md), in a state directory
of its own (.zeelos-run-sites, emptied first), once for the session; the session stops them at
the end.  The e2e helpers (tests/e2e) drive the gateway, the devices and Kafka.

Ports are scripts/sites.sh's (edge Kafka 9592, cloud Kafka 9692, registries 8581/8681,
MirrorMaker REST/JMX 8781/8791); the same SITES_* / MM2_*_PORT variables that move them for
sites.sh move them here, and SITES_TEST_RUN_DIR moves the state directory (to run the suite
beside a `make demo`, say)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"
ROOT = E2E.parents[1]
sys.path.insert(0, str(E2E))

from gateway_proc import zeelos_bin  # noqa: E402

GW = "site1"  # the gateway of test_sites.py (a real zeelos gateway at the edge)
# test_replication.py's own gateway ids, so that its raw records never meet a real gateway:
GW_FLOW = "site2"        # records produced by hand in both directions
GW_EDGE_ONLY = "site3"   # topics written at the edge, for the no-cycle checks
GW_CLOUD_ONLY = "site4"  # topics written in the cloud, for the no-cycle checks
GATEWAYS = f"{GW} {GW_FLOW} {GW_EDGE_ONLY} {GW_CLOUD_ONLY}"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


EDGE = f"127.0.0.1:{_port('SITES_EDGE_KAFKA_PORT', 9592)}"
CLOUD = f"127.0.0.1:{_port('SITES_CLOUD_KAFKA_PORT', 9692)}"
EDGE_SR = f"http://127.0.0.1:{_port('SITES_EDGE_SR_PORT', 8581)}"
CLOUD_SR = f"http://127.0.0.1:{_port('SITES_CLOUD_SR_PORT', 8681)}"
RUN = Path(os.environ.get("SITES_TEST_RUN_DIR", ROOT / ".zeelos-run-sites"))
# refresh.topics.interval.seconds of scripts/mirror.sh's configuration: MirrorMaker looks for new
# topics that often (the no-cycle checks wait several of these)
REFRESH_TOPICS_S = 5


def site_env() -> dict[str, str]:
    """The environment of scripts/sites.sh and scripts/mirror.sh: the same gateways, run
    directory, bootstraps and ports for both (mirror.sh restarted by a test must find what
    sites.sh started)."""
    return dict(os.environ, ZEELOS_GATEWAYS=GATEWAYS, ZEELOS_RUN_DIR=str(RUN), ZEELOS_BIN=str(zeelos_bin()),
                EDGE_BOOTSTRAP=EDGE, CLOUD_BOOTSTRAP=CLOUD, EDGE_ALIAS="edge")


def sites(cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "sites.sh"), cmd], env=site_env(), capture_output=True,
                          text=True, timeout=400)


def mirror(cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "mirror.sh"), cmd], env=site_env(), capture_output=True,
                          text=True, timeout=200)


@pytest.fixture(scope="session", autouse=True)
def two_sites():
    exe = zeelos_bin()
    assert exe.is_file(), f"{exe} is missing (make build, or set ZEELOS_BIN)"
    sites("down")  # a previous session's, if it was interrupted
    shutil.rmtree(RUN, ignore_errors=True)
    t0 = time.monotonic()
    up = sites("up")
    if up.returncode != 0:
        down = sites("down")  # what did start
        pytest.fail(f"scripts/sites.sh up failed:\n{up.stdout}{up.stderr}\n(down: {down.stdout}{down.stderr})")
    sys.__stderr__.write(f"\n[tests/sites] scripts/sites.sh up: {time.monotonic() - t0:.1f} s\n")
    yield
    down = sites("down")
    assert down.returncode == 0, down.stdout + down.stderr
