# SPDX-License-Identifier: Apache-2.0
"""observeCancel, active (default: GET with Observe: 1 and the observation's token, RFC 7641
§3.6) and passive (--observe-cancel passive: the token is forgotten and the next notification
is answered with RST). Either way the ticket gets CHANGED, the device stops notifying and no
notification the gateway handles after the cancel reaches Kafka."""
from __future__ import annotations

import pytest

from gateway_proc import wait_until
from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]
PATH = (3303, 0, 5700)


def observed_device(gwenv, tick: bool):
    """A registered device observed on PATH; with tick, notifying, and one notification is in
    Kafka. Returns (device, observe ticket)."""
    dev = gwenv.registered_device()
    ticket = gwenv.mgmt.send(dev.ep, "observe", "/3303/0/5700")
    assert gwenv.mgmt.wait_response(ticket).value["rep"]["code"] == "CONTENT"
    dev.wait_observers(PATH, 1, timeout=5)
    if tick:
        dev.start_ticking(PATH)
        gwenv.obs.wait_for(lambda r: r.value["ticket"] == ticket, timeout=10, what=f"a notification of {ticket}")
    return dev, ticket


def cancel_gets(dev):
    return [e for e in dev.log if e[0] == "GET" and e[1] == PATH and e[3] == 1]


def notifications_after(gwenv, ticket, cancel_rec):
    """Records of the observation the gateway built after it answered the cancel (both timestamps
    are taken by the gateway's loop thread when it builds the record)."""
    t = cancel_rec.value["timestamp"]
    mine = [r for r in gwenv.obs.records if isinstance(r.value, dict) and r.value["ticket"] == ticket]
    return [r for r in mine if r.value["timestamp"] > t]


def test_int_303_cancel_with_observe_cancel_parameter(gwenv):
    """LightweightM2M-1.1-int-303 - Cancel observations using Observe with Cancel parameter: the
    active cancel (the default) tells the device at once, with a GET carrying Observe 1 and the
    observation's token."""
    dev, ticket = observed_device(gwenv, tick=True)
    token = dev.observe_tokens[PATH][0]
    rec = gwenv.mgmt.request(dev.ep, "observeCancel", "/3303/0/5700")
    assert rec.value["rep"]["code"] == "CHANGED"
    assert branch(rec.value["rep"]["body"])[1]["message"] == "cancelled 1 observation(s)"
    # no notification was needed for the device to learn it: it got a GET with Observe 1 and the
    # observation's token (so aiocoap matched it to the observer and dropped that)
    wait_until(lambda: cancel_gets(dev), timeout=5, what=f"the cancelling GET (log {dev.log[-5:]})")
    assert dev.cancel_tokens[PATH] == [token]
    dev.wait_observers(PATH, 0, timeout=2)
    assert gwenv.gw.metrics().get("zeelos_observations") == 0
    # what the device sent until it learnt it (its answer to the GET, a notification that crossed
    # the cancel) is handled without a record in Kafka
    gwenv.settle(dev.ep)
    assert not notifications_after(gwenv, ticket, rec)
    again = gwenv.mgmt.request(dev.ep, "observeCancel", "/3303/0/5700")
    assert again.value["rep"]["code"] == "NOT_FOUND"


def test_int_302_cancel_using_reset(gateway_factory):
    """LightweightM2M-1.1-int-302 - Cancel Observations using Reset Operation: the passive cancel
    (--observe-cancel passive) waits for the next notification and answers it with RST."""
    gwenv = gateway_factory(extra_args=["--observe-cancel", "passive"])
    dev, ticket = observed_device(gwenv, tick=False)
    rec = gwenv.mgmt.request(dev.ep, "observeCancel", "/3303/0/5700")
    assert rec.value["rep"]["code"] == "CHANGED"
    # the device is not told: a read sent after the cancel reaches it, no cancelling GET did
    gwenv.settle(dev.ep)
    assert not cancel_gets(dev)
    assert dev.observers.get(PATH, 0) == 1          # the device does not know yet
    dev.start_ticking(PATH)                          # next notification -> RST -> observer gone
    dev.wait_observers(PATH, 0, timeout=6)
    assert not cancel_gets(dev)
    # the notification answered with RST is not in Kafka
    gwenv.settle(dev.ep)
    assert not notifications_after(gwenv, ticket, rec)
