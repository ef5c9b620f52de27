# SPDX-License-Identifier: Apache-2.0
"""Registrations survive a crash: kill -9, restart on the same data dir, devices only Update."""
from __future__ import annotations

import pytest

from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


def test_registration_survives_kill_9(gwenv):
    dev = gwenv.device()
    r = dev.register(lt=300)
    assert r.code == "2.01", r
    new = gwenv.registration(dev.ep, "NEW")
    reg_id = branch(new.value["body"])[1]["regId"]
    assert reg_id == r.reg_id

    gwenv.gw.kill()
    gwenv.gw.start()            # same id, ports and data dir
    gwenv.mgmt.wait_ready()

    # the device does not re-register: its Update must be accepted
    u = dev.update()
    assert u.code == "2.04", f"Update after restart answered {u.code} (4.04 = registration lost)"
    up = gwenv.registration(dev.ep, "UPDATE", timeout=10)
    body = branch(up.value["body"])[1]
    assert (body["regId"], body["port"], body["address"]) == (reg_id, dev.port, "127.0.0.1")

    # and the gateway can reach it through Kafka
    rec = gwenv.mgmt.request(dev.ep, "read", "/3/0/0", "TEXT_CODE")
    assert rec.value["rep"]["code"] == "CONTENT", rec
    assert branch(branch(rec.value["rep"]["body"])[1]["content"])[1]["value"] == "ACME"

    # no second NEW for it
    gwenv.settle()
    kinds = [x.value["kind"] for x in gwenv.regs.records if x.key == {"ep": dev.ep}]
    assert kinds.count("NEW") == 1, kinds
    assert "DELETE" not in kinds, kinds

    # the restored registration keeps working: deregister ends it
    assert dev.deregister().code == "2.02"
    de = branch(gwenv.registration(dev.ep, "DELETE").value["body"])[1]
    assert de["expired"] is False


def test_restored_observation_is_cancelled_actively(gwenv):
    """An observation restored after kill -9 keeps its observe request (SQLite), so an
    observeCancel after the restart still tells the device (GET with Observe: 1, RFC 7641 §3.6)
    instead of silently forgetting the token; notifications in between keep their ticket."""
    from gateway_proc import wait_until
    dev = gwenv.registered_device(register={"lt": 300})
    rep = gwenv.mgmt.request(dev.ep, "observe", "/3303/0/5700", "TEXT_CODE")
    assert rep.value["rep"]["code"] == "CONTENT"
    wait_until(lambda: dev.observers.get((3303, 0, 5700)) == 1, what="the observer at the device")

    gwenv.gw.kill()
    gwenv.gw.start()
    gwenv.mgmt.wait_ready()
    dev.set((3303, 0, 5700), 33.25)
    n = gwenv.obs.wait_for(lambda r: r.value["ticket"] == rep.value["ticket"] and
                           branch(branch(r.value["rep"]["body"])[1]["content"])[1]["value"] == 33.25,
                           15, what="a notification after the restart")
    assert n.value["path"] == "/3303/0/5700"

    cancel = gwenv.mgmt.request(dev.ep, "observeCancel", "/3303/0/5700")
    assert cancel.value["rep"]["code"] == "CHANGED", cancel.value
    wait_until(lambda: any(e[0] == "GET" and e[1] == (3303, 0, 5700) and e[3] == 1 for e in dev.log),
               timeout=10, what="the active cancel (GET with Observe: 1) at the device")
    wait_until(lambda: dev.observers.get((3303, 0, 5700)) == 0, what="the device to drop the observer")
