# SPDX-License-Identifier: Apache-2.0
"""`zeelos sink --store postgresql`: readings, latest values, the positions and the asset model,
read back with psql; and the example queries of docs/SINKS.md (tests/sinks/queries.sql)."""
from __future__ import annotations

import pytest

from sink_helpers import (PgQueries, asset_model_lifecycle, check_sample_latest, check_sample_sql, now_ms,
                          observation, produce_sample, reg_delete, reg_new, reg_update, resource)


def pg_sink(sink_factory, db, topics: str, **props):
    return sink_factory("postgresql", topics, {"sink.postgresql.url": db.url, **props})


def wait_all(sink, n: int, timeout: float = 60) -> None:
    sink.wait_metric("zeelos_sink_records_total", lambda v: v >= n, timeout, what=f"{n} records handled")


@pytest.mark.parametrize("batch", [10_000, 1], ids=["one-batch", "batch-per-record"])
def test_readings_and_latest(batch, feed, pg_db, sink_factory):
    """batch-per-record: the older record that comes last meets the newer one in the table, not in
    the batch."""
    produced = produce_sample(feed, now_ms() - 600_000)
    sink = pg_sink(sink_factory, pg_db, feed.obs_topic, **{"sink.batch.records": batch})
    wait_all(sink, len(produced))
    m = sink.metrics()
    n_rows = sum(len(r.expect) for r, _ in produced)
    assert m.get("zeelos_sink_records_total", result="dead") == 0, m
    assert m.get("zeelos_sink_points_total") == n_rows, m
    assert m.get("zeelos_sink_store_up") == 1 and m.has("zeelos_sink_store_up"), m
    check_sample_sql(pg_db, feed, produced)
    # the positions, in the same transactions as the rows
    pos = pg_db.rows(f"SELECT consumer_group, topic, kafka_partition, next_offset FROM zeelos_sink_offsets "
                     f"WHERE topic = '{feed.obs_topic}'")
    assert pos == [{"consumer_group": sink.group, "topic": feed.obs_topic, "kafka_partition": 0,
                    "next_offset": produced[-1][1].offset + 1}], pos
    # timestamptz, and a boolean column
    types = {r["column_name"]: r["data_type"] for r in pg_db.rows(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'zeelos_readings'")}
    assert types["time"] == "timestamp with time zone" and types["value_bool"] == "boolean" \
        and types["value_float"] == "double precision" and types["value_int"] == "bigint", types
    check_sample_latest(pg_db, feed, produced)


def test_asset_model(feed, pg_db, sink_factory):
    sink = pg_sink(sink_factory, pg_db, f"{feed.reg_topic},{feed.obs_topic}")
    asset_model_lifecycle(pg_db, feed, sink)


def fleet(feed_factory, pg_db, sink_factory):
    """Two gateways' devices in every state, handled by a sink; (gw, gw2)."""
    f1, f2 = feed_factory(), feed_factory()
    gw, gw2 = f1.gw, f2.gw
    t = now_ms()
    dev_links = ["/1/0", "/3/0", "/3303/0", "/3303/1"]
    # gw: temp-1 online with readings; temp-2 expired; stale-1 silent longer than its lifetime;
    # sleepy-1 asleep (queue mode); switch-1 online, no temperature
    f1.register(reg_new(gw, "temp-1", t - 60_000, "r1", lt=3600, links=dev_links))
    f1.register(reg_new(gw, "temp-2", t - 60_000, "r2", lt=3600, links=["/3303/0"]))
    f1.register(reg_delete(gw, "temp-2", t - 5_000, expired=True))
    f1.register(reg_new(gw, "stale-1", t - 7_200_000, "r3", lt=60, links=["/3/0"]))
    # queue mode: the gateway publishes falling asleep / waking up as UPDATEs with attributes
    # {"queue.state": ...} and lastUp = when it published them (docs/KAFKA.md, gateway/queue.c);
    # sleepy-2 has said nothing for longer than the awake window (93 s)
    f1.register(reg_new(gw, "sleepy-1", t - 60_000, "r4", lt=3600, links=["/3/0"], bnd="UQ"))
    f1.register(reg_update(gw, "sleepy-1", t - 5_000, "r4", attributes={"queue.state": "SLEEPING"}))
    f1.register(reg_new(gw, "sleepy-2", t - 200_000, "r7", lt=3600, links=["/3/0"], bnd="UQ"))
    f1.register(reg_new(gw, "sleepy-3", t - 300_000, "r8", lt=3600, links=["/3/0"], bnd="UQ"))
    f1.register(reg_update(gw, "sleepy-3", t - 200_000, "r8", attributes={"queue.state": "SLEEPING"}))
    f1.register(reg_update(gw, "sleepy-3", t - 10_000, "r8", attributes={"queue.state": "AWAKE"}))
    f1.register(reg_new(gw, "switch-1", t - 60_000, "r5", lt=3600, links=["/3342/0"]))
    obs = [("temp-1", "/3303/0/5700", t - 30_000, "FLOAT", 20.0), ("temp-1", "/3303/0/5700", t - 20_000, "FLOAT", 21.5),
           ("temp-1", "/3303/1/5700", t - 20_000, "FLOAT", 18.0), ("temp-1", "/3/0/0", t - 20_000, "STRING", "ACME"),
           ("temp-2", "/3303/0/5700", t - 10_000, "FLOAT", 30.5), ("switch-1", "/3342/0/5500", t - 10_000, "BOOLEAN",
                                                                   True)]
    for ep, path, ts, typ, v in obs:
        f1.observe(observation(gw, ep, path, ts, node=resource(path, typ, v)))
    # gw2: an offline device and a temperature of its own
    f2.register(reg_new(gw2, "other-1", t - 60_000, "r6", lt=3600, links=["/3303/0"]))
    f2.register(reg_delete(gw2, "other-1", t - 50_000))
    f2.observe(observation(gw2, "other-1", "/3303/0/5700", t - 55_000, node=resource("/3303/0/5700", "FLOAT", 5.25)))
    n = len(f1.flush()) + len(f2.flush())

    sink = pg_sink(sink_factory, pg_db, ",".join([f1.reg_topic, f1.obs_topic, f2.reg_topic, f2.obs_topic]))
    wait_all(sink, n)
    assert sink.metrics().get("zeelos_sink_records_total", result="dead") == 0
    return gw, gw2


def test_endpoint_status(feed_factory, pg_db, sink_factory):
    """zeelos_endpoint_status: offline when de-registered or silent beyond the lifetime; sleeping
    when the gateway said so (queue.state SLEEPING) or a queue-mode device was not heard from
    for longer than the awake window; AWAKE makes it online again."""
    gw, gw2 = fleet(feed_factory, pg_db, sink_factory)
    status = {r["endpoint"]: r["status"] for r in pg_db.rows(
        f"SELECT endpoint, status FROM zeelos_endpoint_status WHERE gateway = '{gw}'")}
    assert status == {"temp-1": "online", "temp-2": "offline", "stale-1": "offline", "sleepy-1": "sleeping",
                      "sleepy-2": "sleeping", "sleepy-3": "online", "switch-1": "online"}, status


def test_example_queries(feed_factory, pg_db, sink_factory):
    """Each query of queries.sql answers its question on a small fleet of two gateways."""
    gw, gw2 = fleet(feed_factory, pg_db, sink_factory)
    q = PgQueries()
    assert set(q.blocks) == {"offline_devices", "temperature_sensors", "object_tree", "resource_history"}
    assert q.run(pg_db, "offline_devices", gateway=gw) == [["stale-1"], ["temp-2"]]
    assert q.run(pg_db, "offline_devices", gateway=gw2) == [["other-1"]]

    temps = [r[:4] for r in q.run(pg_db, "temperature_sensors")]
    assert sorted(temps) == sorted([[gw, "temp-1", "0", "21.5"], [gw, "temp-1", "1", "18"],
                                    [gw, "temp-2", "0", "30.5"], [gw2, "other-1", "0", "5.25"]]), temps

    tree = q.run(pg_db, "object_tree", gateway=gw, endpoint="temp-1")
    assert {(r[0], r[2]) for r in tree} == {("1", "0"), ("3", "0"), ("3303", "0"), ("3303", "1")}, tree
    rows = {(r[0], r[2], r[3]): (r[1], r[4], r[5], r[7]) for r in tree}
    assert rows[("3303", "0", "5700")] == ("Temperature", "Sensor Value", "FLOAT", "21.5"), tree
    assert rows[("3303", "1", "5700")] == ("Temperature", "Sensor Value", "FLOAT", "18"), tree
    assert rows[("3", "0", "0")] == ("Device", "Manufacturer", "STRING", "ACME"), tree
    assert rows[("3", "0", "9")] == ("Device", "Battery Level", "INTEGER", ""), tree  # never reported
    assert rows[("1", "0", "1")][:3] == ("LwM2M Server", "Lifetime", "INTEGER"), tree

    hist = q.run(pg_db, "resource_history", gateway=gw, endpoint="temp-1", path="/3303/0/5700")
    assert [r[1] for r in hist] == ["20", "21.5"], hist
    assert hist[0][0] < hist[1][0], hist
