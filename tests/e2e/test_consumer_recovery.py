# SPDX-License-Identifier: Apache-2.0
"""The management consumer survives idleness and being fenced (issue 10).

An idle gateway used to stop answering requests once max.poll.interval.ms passed (its
consumer was polled only when librdkafka signalled), and a static member that was fenced
stayed dead until a restart.  The gateway now polls on a timer and recreates a consumer
that hit a fatal error; both are checked here with a peer nobody here wrote
(confluent-kafka) playing the member that fences ours."""
from __future__ import annotations

import time

import requests
from confluent_kafka import Consumer

from gateway_proc import wait_until

# short enough to pass within a test, long enough for the broker's minimum session timeout
GROUP_ARGS = ["-X", "kafka.session.timeout.ms=6000", "-X", "kafka.heartbeat.interval.ms=1000",
              "-X", "kafka.max.poll.interval.ms=8000"]


def read_ok(env, ep: str) -> None:
    rep = env.mgmt.request(ep, "read", "/3/0/0", timeout=30)
    assert rep.value["rep"]["code"] == "CONTENT", rep.value


def restarts(env) -> float:
    return env.gw.metrics().get("zeelos_mgmt_consumer_restarts_total", 0.0)


def test_idle_longer_than_max_poll_interval_still_answers(gateway_factory):
    env = gateway_factory(GROUP_ARGS)
    dev = env.registered_device()
    read_ok(env, dev.ep)
    # time passing is the point: three max.poll.interval.ms with nothing to consume
    time.sleep(3 * 8 + 2)
    read_ok(env, dev.ep)
    assert restarts(env) == 0, "polling on the timer must keep the member in the group without a restart"
    assert env.gw.metrics().get("zeelos_mgmt_consumer_up") == 1


def test_fenced_static_member_is_recreated(gateway_factory, kafka_bootstrap):
    env = gateway_factory(GROUP_ARGS)
    dev = env.registered_device()
    read_ok(env, dev.ep)
    # Another member joins with the gateway's group.instance.id: the broker fences the gateway's
    # member, which librdkafka reports as a fatal error.
    assigned = []
    intruder = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": env.id,
                         "group.instance.id": env.id, "enable.auto.commit": False,
                         "session.timeout.ms": 6000, "auto.offset.reset": "latest"})
    intruder.subscribe([env.mgmt.topics["req"]], on_assign=lambda c, parts: assigned.append(len(parts)))
    try:
        deadline = time.time() + 30
        while not assigned and time.time() < deadline:
            intruder.poll(0.2)
        assert assigned, "the intruding static member was never assigned the request topic"
        env.gw.wait_metric("zeelos_mgmt_consumer_restarts_total", lambda v: v >= 1, timeout=30,
                           what="the fenced consumer to be recreated")
    finally:
        intruder.close()
    # the recreated member takes the partitions back (same instance id) and answers again
    read_ok(env, dev.ep)
    assert "fatal error" in env.gw.log_path.read_text()
    env.gw.wait_metric("zeelos_mgmt_consumer_up", lambda v: v == 1, timeout=30)


def test_readyz_reports_consumer_and_broker(gwenv):
    env = gwenv
    url = f"{env.gw.http}/readyz"

    def ready():
        r = requests.get(url, timeout=2)
        return r.status_code == 200 and r.json()
    body = wait_until(ready, 20, what="/readyz to answer 200")
    assert body == {"ready": True, "loop": "ok", "broker": "up", "consumer": "up", "spool": "ok"}, body  # on, empty
    h = requests.get(f"{env.gw.http}/healthz", timeout=2)
    assert h.status_code == 200 and h.text == "ok\n"
    assert env.gw.metrics().get("zeelos_kafka_brokers_up", 0) >= 1
