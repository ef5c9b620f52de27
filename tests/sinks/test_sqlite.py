# SPDX-License-Identifier: Apache-2.0
"""`zeelos sink` with its default store, SQLite: the same tables as PostgreSQL (time as TEXT
`YYYY-MM-DD HH:MM:SS.mmm+00:00`, booleans 1/0), read back with the sqlite3 CLI."""
from __future__ import annotations

from sink_helpers import (asset_model_lifecycle, check_sample_latest, check_sample_sql, now_ms, observation,
                          produce_sample, reg_new, resource, sql_readings)


def wait_all(sink, n: int, timeout: float = 60) -> None:
    sink.wait_metric("zeelos_sink_records_total", lambda v: v >= n, timeout, what=f"{n} records handled")


def test_default_store_readings(feed, sqlite_db, sink_factory, tmp_path):
    """No --store and no sink.sqlite.path: zeelos-sink.db in the working directory."""
    produced = produce_sample(feed, now_ms() - 600_000)
    sink = sink_factory(None, feed.obs_topic)
    wait_all(sink, len(produced))
    assert sqlite_db.path == tmp_path / "zeelos-sink.db" and sqlite_db.path.is_file()
    m = sink.metrics()
    assert m.get("zeelos_sink_records_total", result="dead") == 0, m
    assert m.get("zeelos_sink_points_total") == sum(len(r.expect) for r, _ in produced), m
    check_sample_sql(sqlite_db, feed, produced)
    # the storage classes: time TEXT, booleans integers 1/0, floats REAL, longs INTEGER
    kinds = sqlite_db.rows("SELECT DISTINCT typeof(time) AS t FROM zeelos_readings")
    assert kinds == [{"t": "text"}], kinds
    bools = sqlite_db.rows("SELECT typeof(value_bool) AS t, value_bool AS v FROM zeelos_readings "
                           "WHERE value_bool IS NOT NULL ORDER BY v")
    assert bools == [{"t": "integer", "v": 0}, {"t": "integer", "v": 1}], bools
    assert sqlite_db.rows("SELECT DISTINCT typeof(value_float) AS t FROM zeelos_readings "
                          "WHERE value_float IS NOT NULL") == [{"t": "real"}]
    pos = sqlite_db.rows(f"SELECT consumer_group, topic, kafka_partition, next_offset FROM zeelos_sink_offsets "
                         f"WHERE topic = '{feed.obs_topic}'")
    assert pos == [{"consumer_group": sink.group, "topic": feed.obs_topic, "kafka_partition": 0,
                    "next_offset": produced[-1][1].offset + 1}], pos
    assert m.get("zeelos_sink_store_up") == 1, m
    check_sample_latest(sqlite_db, feed, produced)


def test_asset_model(feed, sqlite_db, sink_factory):
    sink = sink_factory("sqlite", f"{feed.reg_topic},{feed.obs_topic}", {"sink.sqlite.path": sqlite_db.path})
    asset_model_lifecycle(sqlite_db, feed, sink)


def test_topic_regex_sees_new_gateways(feed_factory, sqlite_db, sink_factory):
    """sink.topics as regular expressions: the topics of a gateway that appears after the sink
    started are read from their beginning."""
    prefix = feed_factory().gw  # a unique prefix, and a gateway whose topics exist at start
    f1 = feed_factory(gw=prefix + "x")
    t = now_ms()
    f1.register(reg_new(f1.gw, "d1", t, "r1", links=["/3303/0"]))
    f1.observe(observation(f1.gw, "d1", "/3303/0/5700", t, node=resource("/3303/0/5700", "FLOAT", 1.5)))
    f1.flush()
    topics = rf"^iot\.{prefix}[a-z]+\.observations$,^iot\.{prefix}[a-z]+\.registrations$"
    sink = sink_factory("sqlite", topics, {"sink.sqlite.path": sqlite_db.path,
                                           "kafka.topic.metadata.refresh.interval.ms": 1000})
    wait_all(sink, 2)
    f2 = feed_factory(gw=prefix + "y")  # created now: the sink must find it
    f2.register(reg_new(f2.gw, "d2", t, "r2", links=["/3303/0"]))
    f2.observe(observation(f2.gw, "d2", "/3303/0/5700", t, node=resource("/3303/0/5700", "FLOAT", 2.5)))
    f2.flush()
    wait_all(sink, 4, timeout=60)
    got = sorted((r["gateway"], r["endpoint"], r["value_float"]) for r in sql_readings(sqlite_db))
    assert got == [(f1.gw, "d1", 1.5), (f2.gw, "d2", 2.5)], got
    eps = sqlite_db.rows("SELECT gateway, endpoint, status FROM zeelos_endpoints ORDER BY gateway")
    assert eps == [{"gateway": f1.gw, "endpoint": "d1", "status": "online"},
                   {"gateway": f2.gw, "endpoint": "d2", "status": "online"}], eps
    # the base gateway's own topics (prefix + nothing) do not match [a-z]+ and hold nothing anyway
    assert sink.metrics().get("zeelos_sink_records_total") == 4
