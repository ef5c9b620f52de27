# SPDX-License-Identifier: Apache-2.0
"""`zeelos device --device-notify-con`: the simulated device sends its notifications as CON
messages, retransmitted until the gateway acknowledges them (RFC 7252 §4.2), at most one in flight
per observation.  Seen from outside: every notification that reaches Kafka was acknowledged (one
ACK datagram each from the gateway); under backpressure the gateway leaves them unacknowledged
(zeelos_coap_notifications_shed_total) and they still arrive, retransmitted, none lost; and when
the gateway forgets an observation passively, its RST to the next notification (CON or NON)
makes the device stop notifying (RFC 7641 §3.6 reactive cancel).
"""
from __future__ import annotations

import re
import signal
import subprocess
import time
from contextlib import contextmanager

import pytest

from gateway_proc import start_zeelos_device, unique, wait_until

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

PATH = "/3303/0/5700"
# spool.enabled=false: the path without a spool (test_spool.py has the one with)
CONGESTED = ["-X", "spool.enabled=false", "-X", "kafka.queue.buffering.max.messages=20", "-X", "kafka.linger.ms=3000"]


@contextmanager
def zeelos_device(gwenv, log_path, ep: str, *extra: str):
    """`zeelos device` against gwenv's gateway; yields the process, stops it with SIGINT."""
    with open(log_path, "w") as log:
        proc = start_zeelos_device(gwenv.gw.coap_port, "--ep", ep, "--device-lifetime", "60", *extra, stderr=log)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def stop(proc) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=15)


def observe(gwenv, ep: str) -> str:
    rep = gwenv.mgmt.request(ep, "observe", PATH, "TEXT_CODE", timeout=20)
    assert rep.value["rep"]["code"] == "CONTENT", rep.value
    return rep.value["ticket"]


def notes(gwenv, tickets) -> list:
    gwenv.obs.poll(0.2)
    return gwenv.obs.matching(lambda r: r.value["ticket"] in tickets)


def metric(gwenv, name: str) -> float:
    return gwenv.gw.metrics().get(name) or 0


def test_con_notifications_are_acknowledged(gwenv, tmp_path):
    """Every notification in Kafka was a CON the gateway acknowledged: its datagram counter grows by
    one ACK per notification (NON notifications would get nothing back)."""
    ep = unique("zcon-")
    with zeelos_device(gwenv, tmp_path / "dev.log", ep, "--device-notify-con", "--device-notify-ms", "200") as proc:
        gwenv.registration(ep, "NEW", timeout=15)
        sent0 = metric(gwenv, "zeelos_coap_datagrams_sent_total")
        ticket = observe(gwenv, ep)  # one datagram: the GET
        got = gwenv.obs.wait_for_n(lambda r: r.value["ticket"] == ticket, 5, timeout=15, what="notifications")
        acks = metric(gwenv, "zeelos_coap_datagrams_sent_total") - sent0 - 1
        assert acks >= len(got), (acks, len(got))
        values = [r.value["rep"]["body"][1]["content"][1]["value"] for r in got]
        assert all(isinstance(v, float) for v in values), values
        assert metric(gwenv, "zeelos_coap_rst_sent_total") == 0
        assert stop(proc) == 0


def test_con_notifications_survive_backpressure(gateway_factory, tmp_path):
    """A gateway whose Kafka producer is behind leaves CON notifications unacknowledged; the devices
    retransmit them and they arrive later.  Nothing a device sent is lost: what reaches Kafka is what
    the fleet counted as sent, less at most the one per observation still in flight at shutdown.
    Each device has one CON notification in flight and the gateway acknowledges it only once Kafka
    has it, so it takes more devices than the queue's watermark (16 of 20 records) to congest it."""
    env = gateway_factory(extra_args=CONGESTED + ["--backpressure-retry-s", "1"])  # refused registrations retry soon
    env.gw.wait_producer_idle()  # the warm-up answers have left the producer
    prefix = unique("zbp")
    n = 24
    eps = [f"{prefix}-{i:02d}" for i in range(n)]  # the fleet pads its numbers
    log = tmp_path / "fleet.log"
    with zeelos_device(env, log, prefix, "--count", str(n), "--device-notify-con", "--device-notify-ms", "100") as proc:
        for ep in eps:
            env.registration(ep, "NEW", timeout=60)
        tickets = {env.mgmt.send(ep, "observe", PATH, "TEXT_CODE") for ep in eps}
        for t in tickets:
            assert env.mgmt.wait_response(t, 60).value["rep"]["code"] == "CONTENT"
        wait_until(lambda: metric(env, "zeelos_coap_notifications_shed_total") > 0, timeout=20,
                   what="the gateway to shed CON notifications")
        at_shed = len(notes(env, tickets))
        wait_until(lambda: len(notes(env, tickets)) >= at_shed + 10, timeout=30,
                   what="notifications after the shedding")
        assert stop(proc) == 0
    final = [ln for ln in log.read_text().splitlines() if "zeelos device: final" in ln]
    assert final, log.read_text()
    m = re.search(r"notifications sent (\d+),.*notification retransmissions (\d+), "
                  r"CON notifications timed out (\d+)", final[-1])
    assert m, final[-1]
    sent, retx, timed_out = map(int, m.groups())
    assert retx > 0, final[-1]
    assert timed_out == 0, final[-1]
    wait_until(lambda: len(notes(env, tickets)) >= sent - len(eps), timeout=20,
               what=f"the {sent} notifications the fleet sent")
    env.settle()  # the fleet has stopped: everything the gateway published is read
    assert len(notes(env, tickets)) <= sent


@pytest.mark.parametrize("con", [True, False], ids=["con", "non"])
def test_rst_from_the_gateway_stops_the_device(gateway_factory, tmp_path, con):
    """observeCancel with --observe-cancel passive: the gateway forgets the token and answers the
    next notification with RST.  The device drops the observation on that RST (CON: its exchange
    ends with it; NON: matched by MID), so the gateway sends no further RSTs."""
    env = gateway_factory(extra_args=["--observe-cancel", "passive"])
    ep = unique("zrst-")
    log = tmp_path / "dev.log"
    extra = ["--device-notify-ms", "200"] + (["--device-notify-con"] if con else [])
    with zeelos_device(env, log, ep, *extra) as proc:
        env.registration(ep, "NEW", timeout=15)
        ticket = observe(env, ep)
        env.obs.wait_for_n(lambda r: r.value["ticket"] == ticket, 2, timeout=15, what="notifications")
        rst0 = metric(env, "zeelos_coap_rst_sent_total")
        rec = env.mgmt.request(ep, "observeCancel", PATH)
        assert rec.value["rep"]["code"] == "CHANGED", rec.value
        wait_until(lambda: metric(env, "zeelos_coap_rst_sent_total") > rst0, timeout=10,
                   what="the RST to the next notification")
        wait_until(lambda: "stopped notifying /3303/0/5700: the server answered with RST" in log.read_text(),
                   timeout=5, what="the device's log line")
        env.settle(ep)  # what the device sent before it stopped is handled (one may have crossed the RST)
        rst1 = metric(env, "zeelos_coap_rst_sent_total")
        assert rst1 - rst0 <= 2, rst1 - rst0
        time.sleep(2.5)  # time passing is the point: a device still notifying would in a dozen periods
        assert metric(env, "zeelos_coap_rst_sent_total") == rst1, "the device kept notifying"
        assert stop(proc) == 0
