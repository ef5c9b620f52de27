# SPDX-License-Identifier: Apache-2.0
"""The uplink cut: the gateway reaches its broker over a veth pair into a network namespace
(the broker runs inside it, scripts/kafka.sh with ZEELOS_KAFKA_HOST), and the namespace's end
of the link is set down for 45 s while devices keep sending.  Unlike a broker that is stopped,
nothing answers: packets vanish, TCP connections hang until librdkafka's timeouts.  Records pile
up and go to the spool; what was in flight stays with librdkafka.  Once the link is up the
spool is replayed.  Every notification is in Kafka once, in order."""
from __future__ import annotations

import os
import subprocess

import pytest

from faultlib import ROOT, Fleet
from gateway_proc import Gateway, unique, wait_until
from kafka_helpers import create_topics, gateway_topics

pytestmark = [pytest.mark.gateway, pytest.mark.kafka, pytest.mark.slow]

NS, HOST_END, NS_END = "zlup", "zlup-h", "zlup-n"
HOST_IP, NS_IP = "10.210.0.1", "10.210.0.2"
PORT, CPORT = 9396, 9397
SPOOLED = ["-X", "kafka.queue.buffering.max.messages=400"]


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), check=check, capture_output=True, text=True, timeout=300)


def kafka_sh(cmd: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZEELOS_KAFKA_HOST": NS_IP, "ZEELOS_KAFKA_PORT": str(PORT),
           "ZEELOS_KAFKA_CONTROLLER_PORT": str(CPORT),
           "ZEELOS_RUN_DIR": str(ROOT / ".zeelos-run-faults" / "uplink")}
    return subprocess.run(["ip", "netns", "exec", NS, "bash", str(ROOT / "scripts" / "kafka.sh"), cmd],
                          env=env, capture_output=True, text=True, timeout=300)


def teardown_net():
    kafka_sh("down")
    sh("ip", "link", "del", HOST_END, check=False)
    sh("ip", "netns", "del", NS, check=False)


@pytest.fixture(scope="module")
def uplink():
    """A namespace with a broker, reachable at NS_IP over a veth pair; yields the bootstrap."""
    teardown_net()  # leftovers of an interrupted run
    sh("ip", "netns", "add", NS)
    try:
        sh("ip", "link", "add", HOST_END, "type", "veth", "peer", "name", NS_END)
        sh("ip", "link", "set", NS_END, "netns", NS)
        sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", HOST_END)
        sh("ip", "link", "set", HOST_END, "up")
        for cmd in (["ip", "addr", "add", f"{NS_IP}/24", "dev", NS_END], ["ip", "link", "set", NS_END, "up"],
                    ["ip", "link", "set", "lo", "up"]):
            sh("ip", "netns", "exec", NS, *cmd)
        p = kafka_sh("up")
        assert p.returncode == 0, p.stdout + p.stderr
        yield f"{NS_IP}:{PORT}"
    finally:
        teardown_net()


def link(state: str):
    sh("ip", "netns", "exec", NS, "ip", "link", "set", NS_END, state)


def test_uplink_cut_45s(uplink, registry_url, sr, codec, runner, tmp_path):
    import e2e_conftest as e2e
    gid = unique("upl")
    create_topics(uplink, list(gateway_topics(gid).values()))
    gw = Gateway(gid, uplink, registry_url, tmp_path / "data", tmp_path / "logs", ["--log-level", "info", *SPOOLED])
    gw.start()
    env = e2e.GatewayEnv(gw, uplink, sr, codec, runner)
    try:
        env.mgmt.wait_ready()
        fleet = Fleet(env, 20)
        try:
            fleet.run(3, 100)
            link("down")
            try:
                fleet.run(45, 100)  # time passing is the point: the link is down this long
            finally:
                link("up")
            fleet.run(5, 100)
            row = fleet.account("uplink cut 45 s (veth down, broker in a netns), 100 NON/s", wait=240)
            wait_until(lambda: gw.metrics().get("zeelos_spool_records") == 0, 120, interval=1,
                       what="the spool to drain")
            m = gw.metrics()
        finally:
            fleet.close()
        assert (row["lost"], row["dup"], row["foreign"]) == (0, 0, 0), (row, row["missing"])
        assert m["zeelos_spool_appended_total"] > 0, m  # the queue's watermark: the spool took over
        assert m["zeelos_spool_replayed_total"] == m["zeelos_spool_appended_total"], m
        # what was in flight when the link went down stays with librdkafka (no message timeout)
        # and its idempotent retries deliver it once, before the spooled records
        assert m.get("zeelos_spool_possibly_written_total", 0) == 0, m
        assert fleet.out_of_order() == 0, fleet.order_report()
        assert gw.proc.poll() is None
    finally:
        env.close()
        assert gw.stop() in (0, None)
