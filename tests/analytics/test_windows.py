# SPDX-License-Identifier: Apache-2.0
"""Windows, values, groups and formats of `zeelos analytics` job files (docs/ANALYTICS.md), each on
a 1-partition input so that the output order is the model's (by window end, group bytes, start):
boundaries at k*size and k*size - 1, out of order within the grace, late beyond it (counted, not in
the output), the grace expiring exactly at end + grace, hopping windows, every kind of observation
body, non-numeric values skipped, the filter, every group_by, emit=updates, JSON in and out,
time=record, undecodable records."""
from __future__ import annotations

import json

import pytest

import gen
from analytics_helpers import (OutputReader, check_keys_avro, diff_outputs, repartition_topics, run_job, t0,
                               wait_committed)
from gateway_proc import unique
from kafka_helpers import SchemaRegistry

AGGREGATE_FIELDS = [("job", "string"), ("group", "string"), ("windowStart", "long"), ("windowEnd", "long"),
                    ("count", "long"), ("min", "double"), ("max", "double"), ("sum", "double"),
                    ("mean", "double"), ("last", "double"), ("lastTimestamp", "long"), ("final", "boolean")]


def test_tumbling_boundaries_grace_and_late(feed, analytics_factory, registry_url, gw):
    """Readings at the first and last ms of windows, out of order within the grace, the grace
    expiring exactly at end + grace, late readings: the output is the model's, in its order, and
    zeelos_analytics_late_total counts the late ones (they are in no output record)."""
    job = gen.window_job("bounds")
    recs = gen.boundaries(gw, t0())
    r = run_job(analytics_factory, feed, job, recs, registry_url)
    assert r.model.late == 3 and len(r.out) == 5
    check_keys_avro(r.out, registry_url)
    # the value schema: AvroWindowAggregate as documented, under <output>-value
    sr = SchemaRegistry(registry_url)
    latest = sr.latest(f"{job.output_topic(gw)}-value")
    s = json.loads(latest["schema"])
    assert (s["namespace"], s["name"]) == ("io.zeelos.analytics.avro", "AvroWindowAggregate"), s
    # (a string may carry Avro's "avro.java.string" property: the same type)
    assert [(f["name"], f["type"] if isinstance(f["type"], str) else f["type"]["type"]) for f in s["fields"]] \
        == AGGREGATE_FIELDS, s["fields"]
    assert {x.value_schema_id for x in r.out} == {latest["id"]}
    m = r.an.metrics()
    assert m.get("zeelos_analytics_records_total") == len(recs), m.text


def test_hopping_windows(feed, analytics_factory, registry_url, gw):
    """Hopping 10 s / 5 s: every reading in two windows; a reading late for one of its windows is
    aggregated in the other (late counted once per value and window); a jump closes two windows."""
    job = gen.window_job("hop", type="hopping", advance_ms=5_000)
    r = run_job(analytics_factory, feed, job, gen.hopping_boundaries(gw, t0()), registry_url)
    assert r.model.late == 3 and len(r.out) == 5


def test_hopping_advance_not_dividing_size(feed, analytics_factory, registry_url, gw):
    """Hopping 10 s / 3 s (windows [3k, 3k + 10) s): three or four windows per reading."""
    job = gen.window_job("hop3", type="hopping", advance_ms=3_000, grace_ms=1_000)
    base = t0()
    recs = [gen.temp(gw, "dev-a", base + i * 1_700, float(i % 7) - 2.5) for i in range(40)]
    recs.insert(30, gen.temp(gw, "dev-a", base + 40_000, 99.0))   # out of order / late for some windows
    r = run_job(analytics_factory, feed, job, recs, registry_url)
    assert r.model.late > 0 and len(r.out) > 15


def test_every_body_kind_and_non_numeric_skipped(feed, analytics_factory, registry_url, gw):
    """INTEGER and TIME (long) values, a multi-instance resource (/3/0/7/0, /3/0/7/1), an instance
    read, an object read, a 1.1 composite notification (rep.resources), an error answer; strings,
    booleans, opaque and objlnk values are skipped and counted."""
    job = gen.window_job("mixed")
    r = run_job(analytics_factory, feed, job, gen.mixed_values(gw, t0()), registry_url)
    assert len(r.out) == 13
    skipped = r.an.metrics().get("zeelos_analytics_values_skipped_total", reason="not_numeric")
    assert skipped == r.model.skipped_not_numeric == 9, skipped


def test_grouped_by_endpoint_values_of_one_record(feed, analytics_factory, registry_url, gw):
    """group_by endpoint: the values of an instance read, a composite and a multi-instance resource
    fall into one group; `last` is the value read last among those with the greatest timestamp."""
    job = gen.window_job("byep", group_by="endpoint")
    run_job(analytics_factory, feed, job, gen.mixed_values(gw, t0()), registry_url)


def test_filter_and_stream_time_of_filtered_values(feed, analytics_factory, registry_url, gw):
    """filter /3303/*/5700: other resources, a multi-instance /3303/0/5700/i (longer path) are not
    aggregated; values filtered out (and non-numeric ones) with later timestamps do not advance
    stream time, so a reading after them is still on time."""
    job = gen.window_job("filt", filter="/3303/*/5700")
    r = run_job(analytics_factory, feed, job, gen.filter_scenario(gw, t0()), registry_url)
    assert r.model.late == 0 and len(r.out) == 3


@pytest.mark.parametrize("group_by", gen.GROUPS)
def test_group_by(feed, analytics_factory, registry_url, gw, group_by):
    """Every group_by on the same 1-partition input (two serverIds, three endpoints, objects 3303
    and 3): keys <ep>, <ep>.<path>, <path>, <object id>, <serverId>."""
    job = gen.window_job(f"g-{group_by.replace('+', '-')}", group_by=group_by)
    r = run_job(analytics_factory, feed, job, gen.groups_scenario(gw, t0()), registry_url)
    assert len({x.group for x in r.out}) >= 2


def test_group_by_object_hopping(feed, analytics_factory, registry_url, gw):
    job = gen.window_job("gobj-hop", group_by="object", type="hopping", advance_ms=5_000)
    run_job(analytics_factory, feed, job, gen.groups_scenario(gw, t0()), registry_url)


def test_stream_time_is_per_partition(feed_factory, analytics_factory, registry_url, gw):
    """Two input partitions: a partition far ahead in time closes no window of the other."""
    feed = feed_factory(partitions=2)
    base = t0()
    recs = gen.boundaries(gw, base, p=0) + [gen.temp(gw, "dev-z", base + 600_000, 1.0, p=1)] + \
        [gen.temp(gw, "dev-y", base + 1_000 + i, float(i), p=1) for i in range(3)]  # late on p1
    job = gen.window_job("perpart")
    r = run_job(analytics_factory, feed, job, recs, registry_url, ordered=False)
    assert r.model.late == 3 + 3
    # the windows of partition 0 in its order
    d = diff_outputs([x for x in r.out if x.group.startswith("dev-a") or x.group.startswith("dev-b")],
                     [o for o in r.model.outputs if o.src[1] == 0], ordered=True)
    assert not d, d


def test_emit_updates(feed, analytics_factory, registry_url, gw):
    """emit=updates: a non-final record per changed window at commits, then the final one when the
    window closes; every non-final record is the aggregate of a prefix of the window's values."""
    base = t0()
    job = gen.window_job("upd", emit="updates")
    phases = gen.updates_phases(gw, base)
    an = analytics_factory(job=job)
    model = gen.run_model(job, [r for ph in phases for r in ph], topic=feed.obs_topic)
    A, B = ("dev-a./3303/0/5700", base), ("dev-b./3303/0/5700", base)
    feed.send_all(phases[0])
    reader = OutputReader(feed.bootstrap, job.output_topic(gw), registry_url)
    reader.wait_count(1, 60, lambda x: x.key == A and x.value["count"] == 2 and not x.value["final"])
    feed.send_all(phases[1])
    reader.wait_count(1, 60, lambda x: x.key == A and x.value["count"] == 3 and not x.value["final"])
    reader.wait_count(1, 60, lambda x: x.key == B and x.value["count"] == 1 and not x.value["final"])
    feed.send_all(phases[2])
    wait_committed(feed.bootstrap, an.app_id, feed.obs_topic, procs=(an,))
    out = reader.read_to_end()
    finals = [x for x in out if x.value["final"]]
    d = diff_outputs(finals, model.outputs, ordered=True)
    assert not d, d
    waited = {A: [2, 3], B: [1]}  # the non-final aggregates the test waited for
    for key in {x.key for x in out}:
        seq = sorted((x for x in out if x.key == key), key=lambda x: (x.partition, x.offset))
        prefixes = model.prefixes[key]
        if any(o.key == key for o in model.outputs):
            assert seq[-1].value["final"], f"{key}: the last record is not the final one: {seq}"
            seq = seq[:-1]
        counts = [x.value["count"] for x in seq]
        assert counts == sorted(set(counts)), f"{key}: not one non-final record per change: {counts}"
        assert set(waited.get(key, [])) <= set(counts), f"{key}: non-final counts {counts}"
        for x in seq:
            assert not x.value["final"], f"{key}: a final record before the window closed: {x}"
            assert x.value in prefixes, f"{key}: {x.value} is no prefix aggregate of the window: {prefixes}"


def test_json_in_and_out(feed_factory, analytics_factory, registry_url, gw):
    """format=json: Avro JSON observations in; key {"group", "windowStart"}, value the Avro JSON of
    the aggregate out; the same windows and values as Avro."""
    feed = feed_factory(fmt="json")
    recs = gen.boundaries(gw, t0()) + gen.mixed_values(gw, t0() + 60_000)
    job = gen.window_job("json")
    r = run_job(analytics_factory, feed, job, recs, None, fmt="json")
    for x in r.out:
        k = json.loads(x.raw_key)
        assert k == {"group": x.group, "windowStart": x.start}
        assert set(json.loads(x.raw_value)) == {f for f, _ in AGGREGATE_FIELDS}, x.raw_value


def test_record_time(feed, analytics_factory, registry_url, gw):
    """time=record: windows over the Kafka record timestamps; the payload's (here reversed,
    two hours earlier) timestamps play no part."""
    base = t0()
    job = gen.window_job("rtime", time="record")
    recs = gen.with_record_time(gen.boundaries(gw, base), base)
    r = run_job(analytics_factory, feed, job, recs, registry_url)
    assert {x.start for x in r.out} == {base, base + 10_000, base + 20_000}


def test_undecodable_records_skipped(feed, analytics_factory, registry_url, gw):
    """A value that is no Confluent Avro, and a framed one cut short, are skipped and counted in
    zeelos_analytics_records_skipped_total{reason="undecodable"}; the process goes on."""
    base = t0()
    recs = gen.boundaries(gw, base)
    good = feed._value(feed.obs_topic, "observe", "extended", recs[0].value)
    recs.insert(3, gen.Rec(0, "dev-a", None, raw=b"this is not avro"))
    recs.insert(8, gen.Rec(0, "dev-a", None, raw=good[:len(good) // 2]))
    recs.insert(12, gen.Rec(0, "dev-a", None, raw=b"\x00\x7f\xff\xff\xfe\x02\x04"))  # an id the registry lacks
    job = gen.window_job("undec")
    r = run_job(analytics_factory, feed, job, recs, registry_url)
    assert r.model.undecodable == 3
    n = r.an.metrics().get("zeelos_analytics_records_skipped_total", reason="undecodable")
    assert n == 3, n
    assert r.an.alive()


def test_job_name_in_values_and_default_output(feed, analytics_factory, registry_url, gw):
    """No "output": analytics.<gw>.<name>; the value's job is the job's name."""
    job = gen.window_job(f"nm-{unique('')[:6]}")
    r = run_job(analytics_factory, feed, job, gen.boundaries(gw, t0()), registry_url)
    assert {x.value["job"] for x in r.out} == {job.name}
    assert r.reader.topic == f"analytics.{gw}.{job.name}"


@pytest.mark.parametrize("group_by", ["path", "object", "gateway"])
def test_groups_across_partitions_repartitioned(feed_factory, analytics_factory, registry_url, gw, group_by):
    """path, object and gateway groups collect values from every input partition through
    <application.id>-<job>-repartition: one window per (group, start) over all 3 partitions, not
    one per partition.  The phases are built so that no value is late however the partitions
    interleave in the repartition topic (gen.repartition_phases); the output is the model's over
    the concatenated input."""
    feed = feed_factory(partitions=3)
    job = gen.Job(f"rp-{group_by}", 10_000, grace_ms=15_000, group_by=group_by)
    phases = gen.repartition_phases(gw, t0())
    an = analytics_factory(job=job)
    for i, ph in enumerate(phases):  # each phase in the repartition topic before the next
        feed.send_all(ph)
        wait_committed(feed.bootstrap, an.app_id, feed.obs_topic, procs=(an,), repartition=i == len(phases) - 1)
    assert repartition_topics(feed.bootstrap, an.app_id) == [f"{an.app_id}-{job.name}-repartition"]
    flat = [gen.Rec(0, r.ep, r.value) for ph in phases for r in ph]
    model = gen.run_model(job, flat, topic=feed.obs_topic)
    assert model.late == 0 and len(model.outputs) >= 12
    out = OutputReader(feed.bootstrap, job.output_topic(gw), registry_url).read_to_end()
    d = diff_outputs(out, model.outputs)
    assert not d, f"group_by {group_by} over 3 partitions differs from the model:\n{d}"
    assert an.metrics().get("zeelos_analytics_late_total") == 0
