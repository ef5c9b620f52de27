# SPDX-License-Identifier: Apache-2.0
"""Faults: the store goes away (PostgreSQL stopped, InfluxDB stopped or frozen) while records
flow - the sink stays up, says so in its metrics, pauses its consumer, and once the store is back
every record is there exactly once; and records that can never be written go to the dead-letter
topic with their origin in headers while the good records around them are stored."""
from __future__ import annotations

import math
import struct

import pytest

from gateway_proc import wait_until
from kafka_helpers import create_topics
from sink_helpers import (committed_offsets, end_offsets, now_ms, observation, read_topic, resource)

# small batches, at most 2 in flight: a few hundred records fill the pipeline and pause the consumer
FAULT = {"sink.batch.records": 100, "sink.batch.max.inflight": 2, "sink.batch.linger.ms": 50,
         "sink.retry.backoff.ms": 100, "sink.retry.backoff.max.ms": 500, "sink.store.timeout.ms": 1500}


class Values:
    """Observations with unique float values, in phases."""

    def __init__(self, feed):
        self.feed, self.i, self.t0 = feed, 0, now_ms() - 3_600_000

    def produce(self, n: int) -> None:
        for _ in range(n):
            i = self.i
            self.feed.observe(observation(self.feed.gw, f"dev{i % 7}", "/3303/0/5700", self.t0 + i,
                                          node=resource("/3303/0/5700", "FLOAT", i + 0.25)), tag=i)
            self.i += 1
        self.feed.flush()

    def expected(self):
        return sorted(s.tag + 0.25 for s in self.feed.sent)


def assert_up(sink) -> None:
    m = sink.metrics()
    for name in ("zeelos_sink_store_up", "zeelos_sink_paused", "zeelos_sink_write_failures_total",
                 "zeelos_sink_inflight_batches"):
        assert m.has(name), f"{name} missing from /metrics:\n{m!r}"
    assert m.get("zeelos_sink_store_up") == 1 and m.get("zeelos_sink_paused") == 0, m


def assert_store_down_seen(sink) -> None:
    """store_up 0, unavailable failures counted, the consumer paused, the sink alive."""
    sink.wait_metric("zeelos_sink_store_up", lambda v: v == 0, 30)
    sink.wait_metric("zeelos_sink_write_failures_total", lambda v: v > 0, 30, reason="unavailable")
    sink.wait_metric("zeelos_sink_paused", lambda v: v == 1, 30)
    m = sink.metrics()
    assert m.get("zeelos_sink_inflight_batches") <= FAULT["sink.batch.max.inflight"], m
    assert sink.alive()


def assert_recovered(sink) -> None:
    sink.wait_metric("zeelos_sink_store_up", lambda v: v == 1, 30)
    sink.wait_metric("zeelos_sink_paused", lambda v: v == 0, 30)
    assert sink.metrics().get("zeelos_sink_records_total", result="dead") == 0


def pg_values(db, feed) -> list:
    return sorted(r["value_float"] for r in db.rows("SELECT value_float FROM zeelos_readings"))


def pg_done(db, feed) -> bool:
    ends = end_offsets(feed.bootstrap, feed.obs_topic)
    pos = {r["kafka_partition"]: r["next_offset"] for r in db.rows(
        f"SELECT kafka_partition, next_offset FROM zeelos_sink_offsets WHERE topic = '{feed.obs_topic}'")}
    return all(pos.get(p, 0) == e for p, e in ends.items() if e > 0)


def test_postgres_stopped(feed, postgres, pg_db, sink_factory):
    sink = sink_factory("postgresql", feed.obs_topic, {"sink.postgresql.url": pg_db.url, **FAULT})
    v = Values(feed)
    v.produce(500)
    wait_until(lambda: pg_db.count() == 500, 60, 0.1, "the first 500 rows")
    assert_up(sink)
    postgres.stop()
    try:
        v.produce(2000)
        assert_store_down_seen(sink)
    finally:
        postgres.up()
    assert_recovered(sink)
    wait_until(lambda: pg_db.count() >= 2500 and pg_done(pg_db, feed), 120, 0.25, "2500 rows after the restart")
    assert pg_db.count() == 2500
    assert pg_values(pg_db, feed) == v.expected()


def influx_done(feed, group) -> bool:
    ends = end_offsets(feed.bootstrap, feed.obs_topic)
    com = committed_offsets(feed.bootstrap, group, feed.obs_topic, ends)
    return all(com.get(p) == e for p, e in ends.items() if e > 0)


def influx_values(db) -> list:
    return sorted(r["value_float"] for r in db.rows('SELECT value_float FROM "resources"'))


@pytest.mark.parametrize("how", ["stopped", "frozen"])
def test_influx_unavailable(how, feed, influx, influx_db, sink_factory):
    """stopped: influxd exits (connection refused) and starts again on its data; frozen: SIGSTOP,
    so every write times out (sink.store.timeout.ms), then SIGCONT - the writes the sink gave up
    on may still land, and their replay overwrites them."""
    sink = sink_factory("influxdb", feed.obs_topic, {"sink.influxdb.database": influx_db.name, **FAULT})
    v = Values(feed)
    v.produce(500)
    wait_until(lambda: influx_db.count() == 500, 60, 0.1, "the first 500 points")
    assert_up(sink)
    frozen = None
    if how == "stopped":
        influx.stop()
    else:
        frozen = influx.freeze()
    try:
        v.produce(2000)
        assert_store_down_seen(sink)
    finally:
        if frozen:
            influx.thaw(frozen)
        else:
            influx.up()
    assert_recovered(sink)
    wait_until(lambda: influx_db.count() >= 2500 and influx_done(feed, sink.group), 120, 0.25,
               "2500 points after the store came back")
    assert influx_db.count() == 2500
    assert influx_values(influx_db) == v.expected()


# ------------------------------------------------------------------ dead letters
@pytest.mark.clients("psql", "influx")
@pytest.mark.parametrize("store", ["postgresql", "influxdb"])
def test_dead_letters(store, request, feed, kafka_bootstrap, sink_factory):
    db = request.getfixturevalue("pg_db" if store == "postgresql" else "influx_db")
    gw, t0 = feed.gw, now_ms() - 600_000
    good, dead = [], []  # good: (ep, value); dead: Sent

    def ok(i: int, value) -> None:
        ep = f"good-{i}"
        typ = "STRING" if isinstance(value, str) else "FLOAT"
        feed.observe(observation(gw, ep, "/3303/0/5700", t0 + i, node=resource("/3303/0/5700", typ, value)))
        good.append((ep, value))

    key = feed._key(feed.obs_topic, "dev-x")
    ok(0, 1.0)
    dead.append(feed.raw(feed.obs_topic, b"\xde\xad\xbe\xef garbage, not Avro", None, tag="garbage"))
    ok(1, 2.0)
    # Confluent framing around a schema id the registry never gave out
    dead.append(feed.raw(feed.obs_topic, b"\x00" + struct.pack(">I", 2_000_000_001) + b"\x02\x04ab", key,
                         tag="unknown schema id"))
    ok(2, 3.0)
    odd = [("nan", math.nan), ("inf", math.inf), ("big", "x" * (70 * 1024))]  # none fits InfluxDB
    for i, (name, value) in enumerate(odd):
        typ = "STRING" if isinstance(value, str) else "FLOAT"
        rec = observation(gw, f"odd-{name}", "/3303/0/5700", t0 + 10 + i, node=resource("/3303/0/5700", typ, value))
        if store == "influxdb":
            dead.append(feed.observe(rec, tag=name))
        else:  # PostgreSQL holds them (json_agg spells the doubles "NaN", "Infinity")
            feed.observe(rec)
            good.append((f"odd-{name}", {"nan": "NaN", "inf": "Infinity"}.get(name, value)))
        ok(3 + i, 4.0 + i)
    topics = feed.obs_topic
    if store == "postgresql":  # an undecodable registration too
        dead.append(feed.raw(feed.reg_topic, b"\x00\x00", None, tag="short registration"))
        topics += "," + feed.reg_topic
    sent = feed.flush()

    props = {"sink.postgresql.url": db.url} if store == "postgresql" else {
        "sink.influxdb.url": db.server.url, "sink.influxdb.database": db.name}
    sink = sink_factory(store, topics, props, start=False)
    create_topics(kafka_bootstrap, [sink.props["sink.dlq.topic"]])
    sink.start()
    sink.wait_metric("zeelos_sink_records_total", lambda v: v >= len(sent), 60, what=f"{len(sent)} records handled")
    m = sink.metrics()
    assert m.get("zeelos_sink_records_total", result="dead") == len(dead), m
    assert m.get("zeelos_sink_dead_letters_total") == len(dead), m
    assert m.get("zeelos_sink_records_total", result="written") + m.get(
        "zeelos_sink_records_total", result="skipped") == len(sent) - len(dead), m

    # the dead-letter topic: each record as it was, with its origin
    msgs = read_topic(kafka_bootstrap, sink.props["sink.dlq.topic"], len(dead))
    got = {}
    for msg in msgs:
        h = {k: (v.decode() if v is not None else None) for k, v in (msg.headers() or [])}
        assert h.get("zeelos.dlq.reason"), f"no reason header: {h}"
        got[(h.get("zeelos.dlq.topic"), h.get("zeelos.dlq.partition"), h.get("zeelos.dlq.offset"))] = (
            msg.key(), msg.value(), h["zeelos.dlq.reason"])
    want = {(s.topic, str(s.partition), str(s.offset)): (s.key, s.raw) for s in dead}
    assert set(got) == set(want), f"dead letters {sorted(got)}, expected {sorted(want)}"
    for k, (mkey, mval, why) in got.items():
        assert (mkey, mval) == want[k], f"dead letter {k} ({why}) is not the original record"

    # the good records, all of them and nothing else
    if store == "postgresql":
        rows = db.rows("SELECT endpoint, value_float, value_str FROM zeelos_readings")
    else:
        rows = db.rows('SELECT endpoint, value_float, value_str FROM "resources"')
    stored = sorted((r["endpoint"], r["value_str"] if r["value_str"] is not None else r["value_float"]) for r in rows)
    assert stored == sorted(good), f"stored {[(e, str(v)[:20]) for e, v in stored]}\n" \
                                   f"expected {[(e, str(v)[:20]) for e, v in sorted(good)]}"
