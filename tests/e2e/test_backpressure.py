# SPDX-License-Identifier: Apache-2.0
"""Backpressure instead of bloat: when records pile up in the producer (here: a producer queue
capped at 20 records and held back for 3 s by linger.ms, i.e. Kafka "cannot keep up"), device
requests get 5.03 with Max-Age = backpressure.retry.s and a reason, counted in /metrics, and are
accepted again once Kafka caught up.  Nothing that got a 2.01 is missing from Kafka and nothing
that got a 5.03 is there.  Confirmable notifications are left unacknowledged while congested
(the device retransmits them); none is lost.
"""
from __future__ import annotations

import time

import pytest

import coap_raw as C
from gateway_proc import unique, wait_until

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

MAX_AGE = 14
# spool.enabled=false: the path without a spool (test_spool.py has the one with)
CONGESTED = ["-X", "spool.enabled=false", "-X", "kafka.queue.buffering.max.messages=20", "-X", "kafka.linger.ms=3000",
             "--backpressure-retry-s", "7"]


def test_registrations_get_503_with_max_age_then_succeed(gateway_factory):
    env = gateway_factory(extra_args=CONGESTED)
    c = C.RawCoap(env.gw.coap_port)
    try:
        env.gw.wait_producer_idle()  # the warm-up answers have left the producer
        accepted, refused = [], []
        for i in range(40):
            ep = unique(f"bp{i}-")
            m = c.register(ep, lt=60)
            if m.code_str == "2.01":
                accepted.append(ep)
            else:
                assert m.code_str == "5.03", m
                assert m.opts(MAX_AGE) == [bytes([7])], m.opts(MAX_AGE)
                assert b"Kafka is behind" in m.payload
                refused.append(ep)
        # 80 % of 20 records in flight: the 17th registration onwards waits
        assert 10 <= len(accepted) <= 17 and refused, (len(accepted), len(refused))
        assert env.gw.metrics().get("zeelos_backpressure_total") == len(refused)
        # Kafka catches up after linger.ms; the device retries after Max-Age and is accepted
        env.gw.wait_producer_idle()
        again = c.register(refused[0], lt=60)
        assert again.code_str == "2.01", again
        accepted.append(refused.pop(0))
        for ep in accepted:
            env.registration(ep, "NEW", timeout=15)
        env.settle()  # whatever the gateway published for the 41 registrations is read
        seen = {r.key["ep"] for r in env.regs.records if isinstance(r.key, dict)}
        assert not seen & set(refused), "a refused registration reached Kafka"
    finally:
        c.close()


def test_con_notifications_are_retransmitted_not_lost(gateway_factory):
    """While congested the gateway does not ACK CON notifications; a device retransmitting them
    (RFC 7252 §4.2) gets them in later.  Raw CoAP device so the test controls message types."""
    env = gateway_factory(extra_args=CONGESTED)
    c = C.RawCoap(env.gw.coap_port)
    try:
        ep, ticket, get = env.raw_observed(c, "bpobs-", "/3303/0/5700", lt=60)

        pending = {}  # mid -> datagram not acknowledged yet
        for k in range(30):
            mid = c.next_mid()
            pending[mid] = C.encode(C.CON, 0x45, mid, get.token, [(6, 2 + k), (12, 0)], f"{100 + k}.5".encode())
            c.send_raw(pending[mid])

        def take_acks(wait: float) -> None:
            while (m := c.recv(wait)) is not None:
                if m.mtype == C.ACK:
                    pending.pop(m.mid, None)
                wait = 0.05

        def all_handled():  # each of the 30 acknowledged, or left unacknowledged and counted
            take_acks(0.05)
            shed = env.gw.metrics().get("zeelos_coap_notifications_shed_total", 0)
            return shed >= len(pending)
        wait_until(all_handled, timeout=15, what="the gateway to take the 30 notifications")
        assert pending, "every notification was acknowledged at once: no backpressure"
        deadline = time.time() + 45
        while pending and time.time() < deadline:
            for d in pending.values():  # retransmit, as the device's timer would ...
                c.send_raw(d)
            take_acks(0.5)  # ... after an ACK timeout (time passing is the point here)
        assert not pending, f"{len(pending)} notifications never acknowledged"

        def got():
            env.obs.poll(0.2)
            return {r.value["rep"]["body"][1]["content"][1]["value"] for r in env.obs.records
                    if isinstance(r.value, dict) and r.value["ticket"] == ticket}
        # the newest state must arrive; every value seen is one the device sent (older ones that a
        # newer notification overtook may be dropped as stale, RFC 7641 §3.4)
        wait_until(lambda: 129.5 in got(), timeout=20, what="the newest notification")
        assert got() <= {100.5 + k for k in range(30)}
        assert env.gw.metrics().get("zeelos_notifications_total") == 30
    finally:
        c.close()


def test_management_answers_wait_for_room_without_a_spool(gateway_factory):
    """A management answer cannot be turned away like device data (nobody would repeat it): with
    the producer's queue full (20 records, held 3 s) and no spool, the answers that do not fit wait
    in memory and go out once it has room.  30 requests for an unknown endpoint, answered at once
    by the gateway: every ticket answered, each exactly once."""
    env = gateway_factory(extra_args=CONGESTED)
    env.gw.wait_producer_idle()
    ep = unique("bpnone-")
    tickets = [env.mgmt.send(ep, "read", "/3/0/0") for _ in range(30)]
    for t in tickets:
        rec = env.mgmt.wait_response(t, 30)
        assert rec.value["rep"]["code"] == "NOT_FOUND", rec.value
    env.settle()
    answered = [r.value["ticket"] for r in env.mgmt.rep.records if isinstance(r.value, dict)]
    for t in tickets:
        assert answered.count(t) == 1, (t, answered.count(t))
    m = env.gw.metrics()
    assert m.get("zeelos_kafka_produce_errors_total", 0) > 0, m  # the queue was full: some had to wait
    assert m["zeelos_mgmt_answers_waiting"] == 0, m
