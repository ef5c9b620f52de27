# SPDX-License-Identifier: Apache-2.0
"""A confirmable notification is acknowledged to the device only once Kafka has the record
(issue 10: "acknowledged to the device only once Kafka or the spool has them").  The producer is
held back by linger.ms=1500, so an ACK sent on receipt would reach the device while the record is
still in the producer's queue; the test reads the observation topic's high watermarks the moment
the ACK arrives: they must already count the record.  A retransmission that arrives while the ACK
is held is not acknowledged early and does not reach Kafka a second time.  Raw CoAP device, so the
test controls message types and sees every ACK."""
from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

import coap_raw as C

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

PATH = "/3303/0/5700"
HELD_BACK = ["-X", "kafka.linger.ms=1500"]


def high_watermarks(consumer: Consumer, topic: str) -> int:
    parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
               for p in parts)


def wait_ack(c: C.RawCoap, mid: int, timeout: float) -> tuple[int, list]:
    """Returns (ACKs for mid, other messages) once the first ACK for mid arrived."""
    others = []
    while (m := c.recv(timeout)) is not None:
        if m.mtype == C.ACK and m.mid == mid:
            return 1, others
        others.append(m)
    return 0, others


def test_con_notification_acked_after_kafka_has_it(gateway_factory):
    env = gateway_factory(extra_args=HELD_BACK)
    c = C.RawCoap(env.gw.coap_port)
    wm = Consumer({"bootstrap.servers": env.bootstrap, "group.id": f"wm-{uuid.uuid4().hex}"})
    topic = env.topics["observations"]
    try:
        ep, ticket, get = env.raw_observed(c, "conack-", PATH, lt=120)

        for k, value in enumerate((31.5, 32.5, 33.5)):
            before = high_watermarks(wm, topic)
            mid = c.next_mid()
            dgram = C.encode(C.CON, 0x45, mid, get.token, [(6, 2 + k), (12, 0)], f"{value}".encode())
            c.send_raw(dgram)
            if k == 1:
                c.send_raw(dgram)  # a retransmission while the ACK is held: not acknowledged early
            acked, others = wait_ack(c, mid, 15)
            assert acked, f"notification {value} never acknowledged"
            after = high_watermarks(wm, topic)
            assert after > before, f"ACK of {value} arrived before Kafka acknowledged the record"
            assert not [m for m in others if m.mtype == C.RST], others

        # a retransmission after the ACK (the ACK was lost) is acknowledged at once, as a duplicate
        c.send_raw(dgram)
        acked, _ = wait_ack(c, mid, 10)
        assert acked, "a retransmission after the ACK was not acknowledged"

        def values():
            env.obs.poll(0.2)
            return [r.value["rep"]["body"][1]["content"][1]["value"] for r in env.obs.records
                    if isinstance(r.value, dict) and r.value["ticket"] == ticket]
        env.settle(ep=None)
        got = values()
        for v in (31.5, 32.5, 33.5):
            assert got.count(v) == 1, (v, got)  # each in Kafka once, retransmissions included
        m = env.gw.metrics()
        assert m.get("zeelos_notifications_total") == 3, m
    finally:
        wm.close()
        c.close()
