# SPDX-License-Identifier: Apache-2.0
"""coap.read.coalesce.us: after a light loop turn the gateway pauses before its next wait, so that
at low rates one wake-up serves several datagrams. With the option set, a fleet at a low rate makes
the gateway pause (zeelos_coap_read_pauses_total) and every notification still reaches Kafka in
order and at the device's pace; without it (the default) the gateway never pauses."""
from __future__ import annotations

import signal
import time

import pytest

from gateway_proc import start_zeelos_device, unique
from kafka_helpers import assert_fleet_left

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

N = 20  # two-digit names, as assert_fleet_left expects


def observe_all(env, prefix: str) -> dict[str, str]:
    tickets = {}
    for i in range(N):
        ep = f"{prefix}-{i:02d}"
        tickets[ep] = env.mgmt.send(ep, "observe", "/3303/0/5700")
    for ep, t in tickets.items():
        assert env.mgmt.wait_response(t).value["rep"]["code"] == "CONTENT", ep
    return tickets


def run_fleet(env, prefix: str, seconds: float) -> tuple[dict[str, list[int]], float]:
    """N devices notifying every 100 ms, all observed for `seconds`: the notification timestamps per
    endpoint and the pause counter's growth over the window."""
    proc = start_zeelos_device(env.gw.coap_port, "--ep", prefix, "--count", str(N), "--device-ramp", "100",
                               "--device-lifetime", "60", "--device-notify-ms", "100", text=True)
    try:
        env.regs.wait_for_n(lambda r: r.value["kind"] == "NEW" and r.key["ep"].startswith(prefix + "-"), N,
                            timeout=30, what="NEW from the fleet")
        tickets = observe_all(env, prefix)
        by_ticket = {t: ep for ep, t in tickets.items()}
        before = env.gw.metrics().get("zeelos_coap_read_pauses_total", 0.0)
        stamps: dict[str, list[int]] = {ep: [] for ep in tickets}
        end = time.time() + seconds
        while time.time() < end:
            for r in env.obs.poll(0.5):
                ep = by_ticket.get(r.value.get("ticket"))
                if ep:
                    stamps[ep].append(r.timestamp_ms)
        pauses = env.gw.metrics().get("zeelos_coap_read_pauses_total", 0.0) - before
        proc.send_signal(signal.SIGINT)
        assert_fleet_left(env, proc, prefix + "-", N)
        return stamps, pauses
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def assert_paced(stamps: dict[str, list[int]], seconds: float):
    for ep, s in stamps.items():
        # 100 ms notifications: about 10/s each, in Kafka order (no reordering by the pauses)
        assert len(s) >= 0.6 * seconds * 10, (ep, len(s))
        assert s == sorted(s), ep


def test_pauses_at_a_low_rate_and_nothing_is_lost(gateway_factory):
    env = gateway_factory(extra_args=["-X", "coap.read.coalesce.us=2000"])
    stamps, pauses = run_fleet(env, unique("rc"), 4.0)
    assert pauses > 0, "a 100/s fleet made no light turn pause"
    assert_paced(stamps, 4.0)
    assert env.gw.metrics().get("zeelos_coap_socket_drops_total", 0.0) == 0


def test_no_pause_by_default(gwenv):
    stamps, pauses = run_fleet(gwenv, unique("rd"), 2.0)
    assert_paced(stamps, 2.0)
    assert pauses == 0
    assert gwenv.gw.metrics().get("zeelos_coap_read_pauses_total", 0.0) == 0
