# SPDX-License-Identifier: Apache-2.0
"""The spool (on by default) when Kafka cannot keep up: the same congested producer as
test_backpressure.py (a queue of 20 records held back 3 s by linger.ms), but instead of 5.03 every
registration is accepted, spooled to disk once the queue passes its watermark, and replayed in
order: each one reaches Kafka exactly once, the spool drains, /metrics and /readyz say what
happened.  The broker-down, gateway-kill and disk-full cases are in tests/faults."""
from __future__ import annotations

import pytest
import requests

import coap_raw as C
from gateway_proc import unique, wait_until

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

CONGESTED = ["-X", "kafka.queue.buffering.max.messages=20", "-X", "kafka.linger.ms=3000"]


def test_congested_producer_spools_instead_of_refusing(gateway_factory):
    env = gateway_factory(extra_args=CONGESTED)
    c = C.RawCoap(env.gw.coap_port)
    try:
        env.gw.wait_producer_idle()
        eps = [unique(f"sp{i:02d}-") for i in range(60)]
        for ep in eps:
            m = c.register(ep, lt=60)
            assert m.code_str == "2.01", m  # no 5.03: the spool takes what the queue cannot
        m = env.gw.metrics()
        assert m.get("zeelos_backpressure_total", 0) == 0, m
        assert m["zeelos_spool_appended_total"] >= 40, m  # the queue holds 16 before its watermark
        ready = requests.get(f"{env.gw.http}/readyz", timeout=5).json()
        assert ready["spool"] in ("spooling", "ok"), ready
        for ep in eps:
            env.registration(ep, "NEW", timeout=30)
        wait_until(lambda: env.gw.metrics().get("zeelos_spool_records") == 0, 30, what="the spool to drain")
        env.settle()
        news = [r.key["ep"] for r in sorted(env.regs.records, key=lambda r: (r.partition, r.offset))
                if isinstance(r.key, dict) and r.key.get("ep") in set(eps) and r.value["kind"] == "NEW"]
        assert sorted(news) == sorted(eps), "a registration is missing or in Kafka twice"
        parts = {r.partition for r in env.regs.records if isinstance(r.key, dict) and r.key.get("ep") in set(eps)}
        if len(parts) == 1:  # one partition: Kafka holds them in the order the devices registered
            assert news == eps
        m = env.gw.metrics()
        assert m["zeelos_spool_replayed_total"] == m["zeelos_spool_appended_total"], m
        assert m["zeelos_spool_bytes"] == 0, m  # acknowledged segments are deleted
        # /readyz samples the spool on the loop's 100 ms serve timer: it follows the gauge
        wait_until(lambda: requests.get(f"{env.gw.http}/readyz", timeout=5).json()["spool"] == "ok", 5,
                   what="/readyz to report the drained spool as ok")
    finally:
        c.close()


def test_spool_off_is_reported(gateway_factory):
    env = gateway_factory(extra_args=["-X", "spool.enabled=false"])
    assert requests.get(f"{env.gw.http}/readyz", timeout=5).json()["spool"] == "off"
    assert "zeelos_spool_records" in env.gw.metrics()
