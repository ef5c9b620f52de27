# SPDX-License-Identifier: Apache-2.0
"""`zeelos device --device-shared-socket`: a fleet whose devices share ONE UDP socket per worker, each
with its own source address in 127/8 (IP_PKTINFO), and whose NON notifications are precomputed
datagrams patched in place.  Seen from the real gateway through Kafka they must still be ordinary,
distinct LwM2M clients: one NEW per device from distinct addresses, management reads answered,
observations of /3303/0 delivering bench-mode values (send time in us, sequence number growing by
one), and SIGINT de-registering every device."""
from __future__ import annotations

import signal
import time

import pytest

from gateway_proc import start_zeelos_device
from kafka_helpers import assert_fleet_left, branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

N = 50
OBSERVED = ["ss-00", "ss-13", "ss-27", "ss-41", "ss-49"]


def fleet_rec(kind):
    return lambda r: r.value["kind"] == kind and r.key["ep"].startswith("ss-")


def resources(rec) -> dict[str, float]:
    """{path: value} of an observation record of an instance (/3303/0)."""
    content = branch(branch(rec.value["rep"]["body"])[1]["content"])[1]
    return {r["path"]: branch(r["value"])[1] for r in content["resources"]}


def test_shared_socket_fleet_registers_notifies_and_deregisters(gwenv):
    proc = start_zeelos_device(gwenv.gw.coap_port, "--ep", "ss", "--count", str(N), "--device-shared-socket",
                               "--device-bench", "--device-lifetime", "60", "--device-notify-ms", "100",
                               text=True)
    try:
        gwenv.regs.wait_for_n(fleet_rec("NEW"), N, timeout=30, what="NEW from the fleet")
        gwenv.settle()
        new = [branch(r.value["body"])[1] for r in gwenv.regs.matching(fleet_rec("NEW"))]
        assert sorted(b["ep"] for b in new) == [f"ss-{i:02d}" for i in range(N)]
        assert len({b["address"] for b in new}) == N, "devices share a source address"
        assert all(b["address"].startswith("127.1.") for b in new), [b["address"] for b in new]
        assert len({b["port"] for b in new}) == 1, "one socket: one port"
        assert all(b["lt"] == 60 for b in new)

        # a management read goes through the device's ordinary CoAP endpoint (the slow path)
        t = gwenv.mgmt.send("ss-05", "read", "/3/0/0")
        rep = gwenv.mgmt.wait_response(t).value["rep"]
        assert rep["code"] == "CONTENT"
        assert branch(branch(rep["body"])[1]["content"])[1]["value"] == "zeelos"

        tickets = {ep: gwenv.mgmt.send(ep, "observe", "/3303/0") for ep in OBSERVED}
        for ep, t in tickets.items():
            assert gwenv.mgmt.wait_response(t).value["rep"]["code"] == "CONTENT", ep
        by_ticket: dict[str, list] = {t: [] for t in tickets.values()}
        deadline = time.time() + 20
        while min(len(v) for v in by_ticket.values()) < 20 and time.time() < deadline:
            for r in gwenv.obs.poll(0.5):
                if r.value["ticket"] in by_ticket:
                    by_ticket[r.value["ticket"]].append(r)
        now_us = time.time() * 1e6
        for ep, t in tickets.items():
            recs = by_ticket[t]
            assert len(recs) >= 20, f"{ep}: {len(recs)} notifications"
            assert {r.value["ep"] for r in recs} == {ep}
            vals = [resources(r) for r in recs]
            seqs = [v["/3303/0/5601"] for v in vals]
            # NON over loopback: none lost, each change notified once, in order
            assert seqs == [seqs[0] + i for i in range(len(seqs))], (ep, seqs)
            sent = [v["/3303/0/5700"] for v in vals]
            assert sent == sorted(sent) and all(abs(now_us - s) < 120e6 for s in sent), (ep, sent[:3])
            assert all(v["/3303/0/5701"] == "cel" for v in vals)

        proc.send_signal(signal.SIGINT)
        assert_fleet_left(gwenv, proc, "ss-", N)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
