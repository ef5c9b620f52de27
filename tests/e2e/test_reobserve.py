# SPDX-License-Identifier: Apache-2.0
"""Observations a device dropped are re-established (RFC 7641 §4.5: a server that gives up on
an unacknowledged confirmable notification removes the observer, silently).  The gateway,
congested without a spool (a producer queue of 20 held back 3 s), leaves CON notifications
unacknowledged; the raw device here then behaves like one that gave up: it sends nothing more.
Once Kafka takes records again and observe.reobserve.ms passed, the gateway re-sends the observe
GET with Observe: 0 and the same token; the device's answer is published under the original
ticket, and later notifications flow.  A device that refuses the re-registration ends the
observation, and the observation gauge says so."""
from __future__ import annotations

import pytest

import coap_raw as C
from gateway_proc import unique, wait_until

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

PATH = "/3303/0/5700"
ARGS = ["-X", "spool.enabled=false", "-X", "kafka.queue.buffering.max.messages=20", "-X", "kafka.linger.ms=3000",
        "-X", "observe.reobserve.ms=2000"]


def observed_then_shed(env, c):
    """Registers, gets observed through Kafka, then sends 30 CON notifications into the congested
    gateway: some are left unacknowledged.  Returns (ticket, token)."""
    ep, ticket, get = env.raw_observed(c, "reobs-", PATH, lt=120)
    for k in range(30):
        c.send_raw(C.encode(C.CON, 0x45, c.next_mid(), get.token, [(6, 2 + k), (12, 0)], f"{100 + k}.5".encode()))
    wait_until(lambda: env.gw.metrics().get("zeelos_coap_notifications_shed_total", 0) > 0, 15,
               what="a notification left unacknowledged")
    return ticket, get.token


def next_get(c, timeout: float):
    """The next GET the gateway sends (ACKs to the notifications are skipped)."""
    while True:
        m = c.recv(timeout)
        assert m is not None, "the gateway did not observe again"
        if m.mtype == C.CON and m.code == C.GET:
            return m


def test_dropped_observation_is_observed_again(gateway_factory):
    env = gateway_factory(extra_args=ARGS)
    c = C.RawCoap(env.gw.coap_port)
    try:
        ticket, token = observed_then_shed(env, c)
        # the device gave up: nothing more from it.  The gateway comes back to it.
        get = next_get(c, 30)
        assert get.token == token, "a re-registration keeps the observation's token"
        assert get.opts(6) in ([b""], [b"\x00"]), get.opts(6)  # Observe: 0 (register)
        c.send_raw(C.encode(C.ACK, 0x45, get.mid, get.token, [(6, 77), (12, 0)], b"30.5"))
        env.obs.wait_for(lambda r: r.value["ticket"] == ticket
                         and r.value["rep"]["body"][1]["content"][1]["value"] == 30.5, 20,
                         what="the re-registration's answer under the original ticket")
        # the observation lives on: a later notification is published too
        c.send_raw(C.encode(C.NON, 0x45, c.next_mid(), token, [(6, 78), (12, 0)], b"31.5"))
        env.obs.wait_for(lambda r: r.value["ticket"] == ticket
                         and r.value["rep"]["body"][1]["content"][1]["value"] == 31.5, 20,
                         what="a notification after the re-registration")
        m = env.gw.metrics()
        assert m["zeelos_observations_reestablished_total"] == 1, m
        assert m["zeelos_observations"] == 1, m
    finally:
        c.close()


def test_refused_reobserve_ends_the_observation(gateway_factory):
    env = gateway_factory(extra_args=ARGS)
    c = C.RawCoap(env.gw.coap_port)
    try:
        observed_then_shed(env, c)
        get = next_get(c, 30)
        c.send_raw(C.encode(C.ACK, 0x84, get.mid, get.token, [], b""))  # 4.04: not observable any more
        wait_until(lambda: env.gw.metrics().get("zeelos_observations") == 0, 15,
                   what="the observation gauge to drop to 0")
    finally:
        c.close()
