# SPDX-License-Identifier: Apache-2.0
"""`zeelos device --count`: a fleet of independent LwM2M clients in one command, split over worker
processes. Seen from the gateway through Kafka: one NEW record per device with the zero-padded
endpoint names, each device on its own UDP source port, notifications at --device-notify-ms, and
SIGINT to the parent (which forwards it to the workers) de-registers every device."""
from __future__ import annotations

import signal
import time

import pytest

from gateway_proc import start_zeelos_device
from kafka_helpers import assert_fleet_left, branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

N = 50


def fleet_rec(kind):
    return lambda r: r.value["kind"] == kind and r.key["ep"].startswith("fl-")


def test_fleet_registers_each_device_once_and_deregisters_on_sigint(gwenv):
    proc = start_zeelos_device(gwenv.gw.coap_port, "--ep", "fl", "--count", str(N), "--device-workers", "2",
                               "--device-ramp", "100", "--device-lifetime", "60", "--device-notify-ms", "100",
                               text=True)
    try:
        gwenv.regs.wait_for_n(fleet_rec("NEW"), N, timeout=30, what="NEW from the fleet")
        gwenv.settle()  # anything extra the gateway published (a duplicate registration) is read
        new = [branch(r.value["body"])[1] for r in gwenv.regs.matching(fleet_rec("NEW"))]
        assert len(new) == N, [b["ep"] for b in new]
        assert sorted(b["ep"] for b in new) == [f"fl-{i:02d}" for i in range(N)]
        assert len({(b["address"], b["port"]) for b in new}) == N, "devices share a source port"
        assert all(b["lt"] == 60 for b in new)

        # each device's /3303/0/5700 changes every --device-notify-ms (100 ms, not the default 1 s)
        ticket = gwenv.mgmt.send("fl-07", "observe", "/3303/0/5700")
        assert gwenv.mgmt.wait_response(ticket).value["rep"]["code"] == "CONTENT"
        stamps = []
        deadline = time.time() + 15
        while len(stamps) < 11 and time.time() < deadline:
            stamps += [r.timestamp_ms for r in gwenv.obs.poll(0.5) if r.value["ticket"] == ticket]
        assert len(stamps) >= 11, stamps
        assert stamps[10] - stamps[0] < 5000, f"10 notifications took {stamps[10] - stamps[0]} ms"

        proc.send_signal(signal.SIGINT)  # to the parent only: it forwards to the workers
        assert_fleet_left(gwenv, proc, "fl-", N)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
