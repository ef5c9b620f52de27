# SPDX-License-Identifier: Apache-2.0
"""`zeelos sink --store influxdb`: every value of every body shape becomes one point, with the
mapped tags and one typed field, checked with the influx CLI.

Mapping (docs/SINKS.md): measurement `resources`; tags gateway (serverId), endpoint (ep), path,
object, instance, resource, resource_instance (4-part paths only), type (AvroType); one field
value_float / value_int / value_bool / value_str by the union branch; time = record timestamp
ms x 1e6 + (Kafka offset mod 1e6) ns."""
from __future__ import annotations

from sink_helpers import (VALUE_FIELDS, diff_rows, expected_readings, now_ms, produce_sample)

TAGS = {"gateway", "endpoint", "path", "object", "instance", "resource", "resource_instance", "type"}
FIELD_TYPES = {"value_float": "float", "value_int": "integer", "value_bool": "boolean", "value_str": "string"}
POINT_KEYS = ("time", "gateway", "endpoint", "path", "object", "instance", "resource", "resource_instance", "type",
              *VALUE_FIELDS)


def expected_points(gw, produced) -> list[dict]:
    out = []
    for r in expected_readings(gw, produced):
        p = {"time": r["time_ms"] * 1_000_000 + r["kafka_offset"] % 1_000_000,
             "gateway": r["gateway"], "endpoint": r["endpoint"], "path": r["path"], "object": str(r["object_id"]),
             "instance": str(r["instance_id"]), "resource": str(r["resource_id"]),
             "resource_instance": None if r["resource_instance"] is None else str(r["resource_instance"]),
             "type": r["type"]}
        p.update({f: r[f] for f in VALUE_FIELDS})
        out.append(p)
    return out


def check_points(db, gw, produced, measurement: str = "resources") -> None:
    want = expected_points(gw, produced)
    got = db.points(measurement)
    one_field = [p for p in got if sum(p.get(f) is not None for f in VALUE_FIELDS) != 1]
    assert not one_field, f"points without exactly one value field: {one_field[:5]}"
    d = diff_rows(got, want, POINT_KEYS)
    assert not d, f"the points of {db.name}.{measurement} differ from the records produced:\n{d}"
    assert db.field_types(measurement) == FIELD_TYPES
    tags = {r["tagKey"] for r in db.rows(f'SHOW TAG KEYS FROM "{measurement}"')}
    assert tags == TAGS, f"tag keys {sorted(tags)}"


def wait_all(sink, n: int, timeout: float = 60) -> None:
    """Until the sink has accounted for n records (written + skipped + dead)."""
    sink.wait_metric("zeelos_sink_records_total", lambda v: v >= n, timeout, what=f"{n} records handled")


def test_values_map_to_points(feed, influx_db, sink_factory):
    produced = produce_sample(feed, now_ms() - 600_000)
    sink = sink_factory("influxdb", feed.obs_topic, {"sink.influxdb.database": influx_db.name})
    wait_all(sink, len(produced))
    m = sink.metrics()
    n_points = len(expected_points(feed.gw, produced))
    assert m.get("zeelos_sink_records_total", result="dead") == 0, m
    assert m.get("zeelos_sink_records_total", result="written") + m.get(
        "zeelos_sink_records_total", result="skipped") == len(produced), m
    assert m.get("zeelos_sink_points_total") == n_points, m
    assert m.get("zeelos_sink_batches_total") >= 1, m
    assert m.has("zeelos_sink_store_up") and m.get("zeelos_sink_store_up") == 1, m
    assert m.has("zeelos_sink_paused") and m.get("zeelos_sink_paused") == 0, m
    assert m.get("zeelos_sink_partitions") == 1, m
    assert m.get("zeelos_sink_dead_letters_total") == 0, m
    assert sink.http("/readyz").status_code == 200
    assert influx_db.count() == n_points
    check_points(influx_db, feed.gw, produced)


def test_json_format(feed_factory, influx_db, sink_factory):
    """format=json: the records are Avro JSON text (unions as {"branch": value}), no registry; a
    measurement of our own (sink.influxdb.measurement)."""
    feed = feed_factory(fmt="json")
    produced = produce_sample(feed, now_ms() - 600_000, only_v11=True)
    assert produced[0][1].raw.startswith(b'{"ticket"'), produced[0][1].raw[:40]
    sink = sink_factory("influxdb", feed.obs_topic, {"sink.influxdb.database": influx_db.name,
                                                     "sink.influxdb.measurement": "readings"}, fmt="json")
    wait_all(sink, len(produced))
    m = sink.metrics()
    assert m.get("zeelos_sink_records_total", result="dead") == 0, m
    assert m.get("zeelos_sink_points_total") == len(expected_points(feed.gw, produced)), m
    check_points(influx_db, feed.gw, produced, "readings")
    assert influx_db.count("resources") == 0
