"""observeCancel, active (default: GET with Observe: 1 and the observation's token, RFC 7641
§3.6) and passive (--observe-cancel passive: the token is forgotten and the next notification
is answered with RST). Either way the ticket gets CHANGED and the device stops notifying."""
from __future__ import annotations

import time

import pytest

from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]
PATH = (3303, 0, 5700)


def observed_device(gwenv):
    dev = gwenv.device()
    assert dev.register(lt=60).code == "2.01"
    gwenv.registration(dev.ep, "NEW")
    ticket = gwenv.mgmt.send(dev.ep, "observe", "/3303/0/5700")
    assert gwenv.mgmt.wait_response(ticket).value["rep"]["code"] == "CONTENT"
    dev.wait_observers(PATH, 1, timeout=5)
    return dev


def cancel_gets(dev):
    return [e for e in dev.log if e[0] == "GET" and e[1] == PATH and e[3] == 1]


def test_int_303_cancel_with_observe_cancel_parameter(gwenv):
    """LightweightM2M-1.1-int-303 - Cancel observations using Observe with Cancel parameter: the
    active cancel (the default) tells the device at once, with a GET carrying Observe 1 and the
    observation's token."""
    dev = observed_device(gwenv)
    token = dev.observe_tokens[PATH][0]
    rec = gwenv.mgmt.request(dev.ep, "observeCancel", "/3303/0/5700")
    assert rec.value["rep"]["code"] == "CHANGED"
    assert branch(rec.value["rep"]["body"])[1]["message"] == "cancelled 1 observation(s)"
    # no notification was needed for the device to learn it: it got a GET with Observe 1
    deadline = time.time() + 5
    while not cancel_gets(dev):
        assert time.time() < deadline, dev.log[-5:]
        time.sleep(0.05)
    dev.wait_observers(PATH, 0, timeout=2)
    assert gwenv.gw.metrics().get("zeelos_observations") == 0
    assert token  # the cancel reused the observation's token (aiocoap matched it to drop the observer)
    again = gwenv.mgmt.request(dev.ep, "observeCancel", "/3303/0/5700")
    assert again.value["rep"]["code"] == "NOT_FOUND"


def test_int_302_cancel_using_reset(gateway_factory):
    """LightweightM2M-1.1-int-302 - Cancel Observations using Reset Operation: the passive cancel
    (--observe-cancel passive) waits for the next notification and answers it with RST."""
    gwenv = gateway_factory(extra_args=["--observe-cancel", "passive"])
    dev = observed_device(gwenv)
    rec = gwenv.mgmt.request(dev.ep, "observeCancel", "/3303/0/5700")
    assert rec.value["rep"]["code"] == "CHANGED"
    time.sleep(0.5)
    assert not cancel_gets(dev)
    assert dev.observers.get(PATH, 0) == 1          # the device does not know yet
    dev.start_ticking(PATH)                          # next notification -> RST -> observer gone
    dev.wait_observers(PATH, 0, timeout=6)
    assert not cancel_gets(dev)
