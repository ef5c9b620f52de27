# SPDX-License-Identifier: Apache-2.0
"""Effectively once: a sink killed (SIGKILL) in the middle of a stream of records, restarted, ends
with every record stored exactly once - PostgreSQL (offsets in the rows' transaction: replays
are skipped) and InfluxDB (a replayed record overwrites its own points: same series, same
timestamp).  And two sinks of one group sharing the partitions, one of them killed."""
from __future__ import annotations

import threading
import time
from collections import Counter

from gateway_proc import wait_until
from sink_helpers import committed_offsets, end_offsets, now_ms, observation, resource

N = 20_000
PARTITIONS = 3
# small batches; a short session so the group drops a killed member in seconds (librdkafka's
# default 45 s would hold its partitions that long before the restarted sink gets them)
SMALL = {"sink.batch.records": 200, "kafka.session.timeout.ms": 6000, "kafka.heartbeat.interval.ms": 500}


class Stream:
    """N observations, one float each (value i + 0.5, unique), produced by a thread at a bounded
    rate so that a sink killed mid-way has really not seen the end yet."""

    def __init__(self, feed, n: int = N, chunk: int = 1000, pause: float = 0.15):
        self.feed, self.n, self.chunk, self.pause = feed, n, chunk, pause
        self.t0 = now_ms() - 3_600_000
        self.error = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def path(self, i: int) -> str:
        return f"/3303/{i % 3}/5700"

    def _run(self):
        try:
            for i in range(self.n):
                ep, path = f"dev{i % 37}", self.path(i)
                self.feed.observe(observation(self.feed.gw, ep, path, self.t0 + i,
                                              node=resource(path, "FLOAT", i + 0.5)), tag=i)
                if i % self.chunk == self.chunk - 1:
                    self.feed.producer.flush(30)
                    time.sleep(self.pause)
            self.feed.flush()
        except BaseException as e:  # noqa: BLE001
            self.error = e
        finally:
            self.done.set()

    def start(self) -> "Stream":
        self.thread.start()
        return self

    def join(self) -> list:
        assert self.done.wait(120), "the producer did not finish"
        assert self.error is None, f"producing failed: {self.error!r}"
        sent = self.feed.flush()
        assert len(sent) == self.n
        parts = Counter(s.partition for s in sent)
        assert len(parts) >= 2, f"all records on one partition: {parts}"
        return sent


def kill_midway(sink, count, n: int, at_least: int, timeout: float = 120) -> int:
    """SIGKILLs sink once the store holds at_least records; the count then (checked < n)."""
    wait_until(lambda: count() >= at_least or not sink.alive(), timeout, 0.05,
               f"{at_least} records stored before the kill")
    assert sink.alive(), f"{sink.name} died:\n{sink.log_tail()}"
    sink.kill()
    c = count()
    assert 0 < c < n, f"{c} of {n} stored when the sink was killed: not mid-way"
    return c


# ------------------------------------------------------------------ PostgreSQL
def pg_positions_done(db, feed) -> bool:
    """The sink's positions (zeelos_sink_offsets) are at the end of every partition."""
    ends = end_offsets(feed.bootstrap, feed.obs_topic)
    pos = {r["kafka_partition"]: r["next_offset"] for r in db.rows(
        f"SELECT kafka_partition, next_offset FROM zeelos_sink_offsets WHERE topic = '{feed.obs_topic}'")}
    return all(pos.get(p, 0) == e for p, e in ends.items() if e > 0)


def pg_check_exact(db, feed, sent, stream) -> None:
    total = db.count()
    distinct = db.scalar("SELECT count(*) FROM (SELECT DISTINCT kafka_topic, kafka_partition, kafka_offset, path "
                         "FROM zeelos_readings) d")
    assert (total, distinct) == (len(sent), len(sent)), f"{total} rows, {distinct} distinct, {len(sent)} records"
    got = Counter((r["endpoint"], r["path"], r["value_float"], r["kafka_partition"], r["kafka_offset"])
                  for r in db.rows("SELECT endpoint, path, value_float, kafka_partition, kafka_offset "
                                   "FROM zeelos_readings"))
    want = Counter((s.ep, stream.path(s.tag), s.tag + 0.5, s.partition, s.offset) for s in sent)
    assert got == want, f"rows differ from the records: missing {list((want - got).elements())[:10]}, " \
                        f"unexpected {list((got - want).elements())[:10]}"


def test_postgres_kill_restart(feed_factory, pg_db, sink_factory):
    feed = feed_factory(partitions=PARTITIONS)
    props = {"sink.postgresql.url": pg_db.url, **SMALL}
    stream = Stream(feed).start()
    first = sink_factory("postgresql", feed.obs_topic, props, name="first")
    at_kill = kill_midway(first, pg_db.count, N, N // 5)
    second = sink_factory("postgresql", feed.obs_topic, props, name="second")
    sent = stream.join()
    wait_until(lambda: pg_db.count() >= N and pg_positions_done(pg_db, feed), 180, 0.25,
               f"{N} rows after the restart (at the kill: {at_kill})")
    pg_check_exact(pg_db, feed, sent, stream)
    m = second.metrics()
    assert m.get("zeelos_sink_records_total", result="dead") == 0, m
    print(f"killed with {at_kill} of {N} rows stored; the restarted sink: written "
          f"{m.get('zeelos_sink_records_total', result='written'):.0f}, skipped "
          f"{m.get('zeelos_sink_records_total', result='skipped'):.0f}")


def test_postgres_two_sinks_one_killed(feed_factory, pg_db, sink_factory):
    """Two sinks of one group share the 3 partitions; one is killed mid-way, the other takes its
    partitions over (after the session timeout) and the totals are exact."""
    feed = feed_factory(partitions=PARTITIONS)
    props = {"sink.postgresql.url": pg_db.url, **SMALL}
    a = sink_factory("postgresql", feed.obs_topic, props, name="a")
    b = sink_factory("postgresql", feed.obs_topic, props, name="b")
    wait_until(lambda: a.metrics().get("zeelos_sink_partitions") > 0 and b.metrics().get(
        "zeelos_sink_partitions") > 0 and a.metrics().get("zeelos_sink_partitions") + b.metrics().get(
        "zeelos_sink_partitions") == PARTITIONS, 60, 0.2, "both sinks to hold partitions")
    stream = Stream(feed).start()
    at_kill = kill_midway(a, pg_db.count, N, N // 4)
    sent = stream.join()
    b.wait_metric("zeelos_sink_partitions", lambda v: v == PARTITIONS, 60, what="b to take every partition")
    wait_until(lambda: pg_db.count() >= N and pg_positions_done(pg_db, feed), 180, 0.25,
               f"{N} rows after the kill (at the kill: {at_kill})")
    pg_check_exact(pg_db, feed, sent, stream)
    mb = b.metrics()
    print(f"a killed with {at_kill} of {N} rows stored; b: written "
          f"{mb.get('zeelos_sink_records_total', result='written'):.0f}, skipped "
          f"{mb.get('zeelos_sink_records_total', result='skipped'):.0f}")
    groups = {r["consumer_group"] for r in pg_db.rows("SELECT DISTINCT consumer_group FROM zeelos_sink_offsets")}
    assert groups == {a.group}, groups


# ------------------------------------------------------------------ InfluxDB
def kafka_done(feed, group: str) -> bool:
    ends = end_offsets(feed.bootstrap, feed.obs_topic)
    com = committed_offsets(feed.bootstrap, group, feed.obs_topic, ends)
    return all(com.get(p) == e for p, e in ends.items() if e > 0)


def test_influx_kill_restart(feed_factory, influx_db, sink_factory):
    feed = feed_factory(partitions=PARTITIONS)
    props = {"sink.influxdb.database": influx_db.name, **SMALL}
    stream = Stream(feed).start()
    first = sink_factory("influxdb", feed.obs_topic, props, name="first")
    count = lambda: influx_db.count(field="value_float")  # noqa: E731
    at_kill = kill_midway(first, count, N, N // 5)
    second = sink_factory("influxdb", feed.obs_topic, props, name="second")
    sent = stream.join()
    wait_until(lambda: count() >= N and kafka_done(feed, second.group), 180, 0.25,
               f"{N} points after the restart (at the kill: {at_kill})")
    assert count() == N
    got = Counter((r["time"], r["endpoint"], r["path"], r["value_float"])
                  for r in influx_db.rows('SELECT endpoint, path, value_float FROM "resources"'))
    want = Counter(((stream.t0 + s.tag) * 1_000_000 + s.offset % 1_000_000, s.ep, stream.path(s.tag), s.tag + 0.5)
                   for s in sent)
    assert got == want, f"points differ from the records: missing {list((want - got).elements())[:10]}, " \
                        f"unexpected {list((got - want).elements())[:10]}"
    m = second.metrics()
    assert m.get("zeelos_sink_records_total", result="dead") == 0, m
    print(f"killed with {at_kill} of {N} points stored; the restarted sink wrote "
          f"{m.get('zeelos_sink_records_total', result='written'):.0f} records")


def rewind_group(bootstrap: str, group: str, topic: str, partitions) -> None:
    """Sets the group's committed Kafka offsets back to 0 (the group has no member running)."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(topic, p, 0) for p in partitions], asynchronous=False)
    finally:
        c.close()


def test_postgres_replay_is_skipped_by_the_stored_positions(feed_factory, pg_db, sink_factory):
    """The path a crash between the database commit and the Kafka commit takes, made certain:
    Kafka's offsets of the group are rewound to 0 after everything was stored, so the restarted
    sink reads every record again - and must write none of them twice (zeelos_sink_offsets in
    the rows' transaction), only the records produced after."""
    feed = feed_factory(partitions=PARTITIONS)
    props = {"sink.postgresql.url": pg_db.url, **SMALL}
    n = 3000
    stream = Stream(feed, n=n, pause=0).start()
    sent = stream.join()
    first = sink_factory("postgresql", feed.obs_topic, props, name="first")
    wait_until(lambda: pg_db.count() >= n and pg_positions_done(pg_db, feed), 120, 0.2, f"{n} rows")
    assert first.stop() == 0, first.log_tail()
    rewind_group(feed.bootstrap, first.group, feed.obs_topic, range(PARTITIONS))
    assert committed_offsets(feed.bootstrap, first.group, feed.obs_topic, range(PARTITIONS)) == \
        {p: 0 for p in range(PARTITIONS)}
    more = Stream(feed, n=n + 50, pause=0)
    more.t0 = stream.t0
    for i in range(n, n + 50):  # 50 new records after the replayed ones
        feed.observe(observation(feed.gw, f"dev{i % 37}", more.path(i), more.t0 + i,
                                 node=resource(more.path(i), "FLOAT", i + 0.5)), tag=i)
    sent = feed.flush()
    second = sink_factory("postgresql", feed.obs_topic, props, name="second")
    second.wait_metric("zeelos_sink_records_total", lambda v: v == n, 120, what=f"{n} records skipped",
                       result="skipped")
    wait_until(lambda: pg_db.count() >= n + 50 and pg_positions_done(pg_db, feed), 120, 0.2, f"{n + 50} rows")
    pg_check_exact(pg_db, feed, sent, more)
    assert second.records("written") == 50, second.metrics()


def test_postgres_sigterm_midway_loses_nothing(feed_factory, pg_db, sink_factory):
    """A clean stop (SIGTERM) while records flow: whatever was fetched but not yet written must
    not count as consumed - the next sink writes it, nothing twice."""
    feed = feed_factory(partitions=PARTITIONS)
    props = {"sink.postgresql.url": pg_db.url, **SMALL, "sink.batch.linger.ms": 2000}
    stream = Stream(feed).start()
    first = sink_factory("postgresql", feed.obs_topic, props, name="first")
    wait_until(lambda: pg_db.count() >= N // 5, 120, 0.05, f"{N // 5} rows before the stop")
    assert first.stop() == 0, first.log_tail()
    at_stop = pg_db.count()
    assert at_stop < N, f"all {N} rows already stored at the stop: not mid-way"
    # the invariant itself: Kafka's committed offsets never pass what the database holds
    stored = {r["kafka_partition"]: r["next_offset"] for r in pg_db.rows(
        f"SELECT kafka_partition, next_offset FROM zeelos_sink_offsets WHERE topic = '{feed.obs_topic}'")}
    committed = committed_offsets(feed.bootstrap, first.group, feed.obs_topic, range(PARTITIONS))
    ahead = {p: (c, stored.get(p, 0)) for p, c in committed.items() if c is not None and c > stored.get(p, 0)}
    assert not ahead, f"Kafka committed past the stored rows (partition: committed, stored): {ahead}"
    second = sink_factory("postgresql", feed.obs_topic, props, name="second")
    sent = stream.join()
    wait_until(lambda: pg_db.count() >= N and pg_positions_done(pg_db, feed), 180, 0.25,
               f"{N} rows after the restart (at the stop: {at_stop})")
    pg_check_exact(pg_db, feed, sent, stream)
    assert second.records("dead") == 0
