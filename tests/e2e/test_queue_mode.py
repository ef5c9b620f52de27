# SPDX-License-Identifier: Apache-2.0
"""Queue mode (binding UQ): requests for a sleeping device wait in a durable queue and go out
when it next talks; SLEEPING/AWAKE are UPDATE records with attributes {"queue.state": ...};
a request whose device never wakes is answered when its TTL passes."""
from __future__ import annotations

import time

import pytest

from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

AWAKE_MS = 1500


def state_records(gwenv, ep):
    out = []
    for r in gwenv.regs.matching(lambda r: r.key == {"ep": ep} and r.value["kind"] == "UPDATE"):
        attrs = branch(r.value["body"])[1]["attributes"]
        if attrs and "queue.state" in attrs:
            out.append(attrs["queue.state"])
    return out


def wait_state(gwenv, ep, state, n=1, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        gwenv.regs.poll(0.3)
        if state_records(gwenv, ep).count(state) >= n:
            return
    raise AssertionError(f"no {state} #{n} for {ep}: {state_records(gwenv, ep)}")


def sleeping_device(gwenv):
    dev = gwenv.registered_device(register={"lt": 300, "binding": "UQ"})
    wait_state(gwenv, dev.ep, "SLEEPING", timeout=AWAKE_MS / 1000 + 5)
    return dev


def unanswered(gwenv, ticket):
    """No answer to ticket among everything the gateway has published (GatewayEnv.settle first)."""
    return not gwenv.mgmt.rep.matching(lambda r: r.value["ticket"] == ticket)


def test_int_109_behavior_in_queue_mode(gateway_factory):
    """LightweightM2M-1.1-int-109 - Behavior in Queue Mode: a read for a sleeping device is held
    (no answer while it sleeps) and goes out when the device next talks (its Update). The device
    registers with the LwM2M 1.0 binding UQ, not 1.1's b=U&Q."""
    gwenv = gateway_factory(extra_args=["--queue-awake-ms", str(AWAKE_MS)])
    dev = sleeping_device(gwenv)
    ticket = gwenv.mgmt.send(dev.ep, "read", "/3/0/0")
    gwenv.gw.wait_metric("zeelos_queue_held_total", lambda v: v == 1, 10, "the read to be held")
    gwenv.settle()  # whatever the gateway published until it held the read is read
    assert unanswered(gwenv, ticket), "answered while the device sleeps"
    assert not [e for e in dev.log if e[1] == (3, 0, 0)], "the sleeping device was asked"

    assert dev.update().code == "2.04"          # the device wakes up
    rec = gwenv.mgmt.wait_response(ticket, timeout=10)
    assert rec.value["rep"]["code"] == "CONTENT"
    assert branch(branch(rec.value["rep"]["body"])[1]["content"])[1]["value"] == "ACME"
    wait_state(gwenv, dev.ep, "AWAKE")
    # awake now: a request goes straight out
    assert gwenv.mgmt.request(dev.ep, "read", "/3/0/0", timeout=5).value["rep"]["code"] == "CONTENT"
    # and it falls asleep again
    wait_state(gwenv, dev.ep, "SLEEPING", n=2, timeout=AWAKE_MS / 1000 + 5)


def test_request_expires_in_the_queue(gateway_factory):
    gwenv = gateway_factory(extra_args=["--queue-awake-ms", str(AWAKE_MS), "--queue-request-ttl-ms", "2000"])
    dev = sleeping_device(gwenv)
    t0 = time.time()
    ticket = gwenv.mgmt.send(dev.ep, "read", "/3/0/0")
    rec = gwenv.mgmt.wait_response(ticket, timeout=10)
    assert 1.8 <= time.time() - t0 <= 6
    assert rec.value["rep"]["code"] == "INTERNAL_SERVER_ERROR"
    msg = branch(rec.value["rep"]["body"])[1]["message"]
    assert msg.startswith("expired in queue") and dev.ep in msg
    assert gwenv.gw.metrics().get("zeelos_queue_expired_total") == 1
    assert not [e for e in dev.log if e[1] == (3, 0, 0)]


def test_queued_request_survives_a_gateway_crash(gateway_factory):
    gwenv = gateway_factory(extra_args=["--queue-awake-ms", str(AWAKE_MS)])
    dev = sleeping_device(gwenv)
    ticket = gwenv.mgmt.send(dev.ep, "read", "/3/0/1")
    gwenv.gw.wait_metric("zeelos_queue_held_total", lambda v: v == 1, 10, "the read to be held")
    gwenv.gw.restart()                           # kill -9, same data dir
    gwenv.mgmt.wait_ready()                      # serving Kafka again, the queue reloaded
    gwenv.settle()
    assert unanswered(gwenv, ticket), "answered while the device sleeps"
    assert not [e for e in dev.log if e[1] == (3, 0, 1)], "the sleeping device was asked"
    assert dev.update().code == "2.04"
    rec = gwenv.mgmt.wait_response(ticket, timeout=15)
    assert rec.value["rep"]["code"] == "CONTENT" and rec.value["path"] == "/3/0/1"
    answers = [r for r in gwenv.mgmt.rep.records if isinstance(r.value, dict) and r.value["ticket"] == ticket]
    assert len(answers) == 1, answers
