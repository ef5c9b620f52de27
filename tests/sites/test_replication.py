# SPDX-License-Identifier: Apache-2.0
"""MirrorMaker 2 between the two sites (docs/DEPLOYMENT.md), checked with peers nobody here
wrote: confluent-kafka's Producer, Consumer and AdminClient.  The edge's records reach the cloud
under the same topic names, byte for byte, once each and in order per key; the cloud's requests
reach the edge; nothing flows the wrong way or comes back (no cycles); the compacted registry
topics stay compacted on the other side; MirrorMaker's replication latency is readable; and a
MirrorMaker killed mid-stream still copies every record once (exactly-once, KIP-618).

Each test uses gateway ids of its own (conftest.GW_*), never the one a real gateway serves in
test_sites.py.  Every wait polls for its condition up to a deadline."""
from __future__ import annotations

import json
import math
import os
import time
import urllib.request
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from conftest import (CLOUD, EDGE, EDGE_SR, GW_CLOUD_ONLY, GW_EDGE_ONLY, GW_FLOW, REFRESH_TOPICS_S, RUN,
                      mirror)


# ------------------------------------------------------------------------------------------ helpers
def wait_until(cond, timeout: float, what: str, interval: float = 0.5):
    """Polls cond() until it returns something truthy (returned) or timeout seconds passed (fails)."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def topics(bootstrap: str) -> set[str]:
    return set(AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics)


def create_topics(bootstrap: str, names: list[str], partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for name, f in admin.create_topics([NewTopic(n, partitions, 1) for n in names]).items():
        try:
            f.result(20)
        except Exception as e:  # noqa: BLE001 - already there (a rerun against kept state) is fine
            assert e.args and e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS, (name, e)


def topic_config(bootstrap: str, topic: str, name: str) -> str | None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        res = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
        return list(res.values())[0].result(10)[name].value
    except Exception:  # noqa: BLE001 - not there (yet)
        return None


def read_all(bootstrap: str, topic: str, timeout: float = 30) -> list:
    """Every committed record of topic (read_committed), to the end of each partition, in
    partition and offset order: the confluent_kafka Messages."""
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10).topics[topic]
    assert md.error is None, md.error
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex}",
                  "enable.auto.commit": False, "enable.partition.eof": True, "isolation.level": "read_committed"})
    parts = sorted(md.partitions)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    got: dict[int, list] = {p: [] for p in parts}
    eof: set[int] = set()
    deadline = time.monotonic() + timeout
    try:
        while eof != set(parts):
            assert time.monotonic() < deadline, f"{topic} at {bootstrap} not read to its end in {timeout} s"
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                    continue
                raise AssertionError(m.error())
            eof.discard(m.partition())
            got[m.partition()].append(m)
    finally:
        c.close()
    return [m for p in parts for m in got[p]]


def produce(bootstrap: str, records: list[tuple], headers=None) -> dict[bytes, int]:
    """(topic, key, value) records, idempotent and acked by the broker; returns key -> partition."""
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5})
    parts, errors = {}, []

    def done(err, msg):
        if err is not None:
            errors.append(err)
        else:
            parts[msg.key()] = msg.partition()
    for topic, key, value in records:
        p.produce(topic, key=key, value=value, headers=headers, on_delivery=done)
        p.poll(0)
    assert p.flush(30) == 0 and not errors, errors
    return parts


# ------------------------------------------------------------------------------------------ tests
def test_edge_records_reach_the_cloud_once_byte_identical_in_order_per_key():
    """2,000 records over 20 keys in a 3-partition topic at the edge: the cloud's topic of the same
    name gets each once (read_committed), with the same key, the same bytes and the same
    partition, in the edge's order per key."""
    topic = f"iot.{GW_FLOW}.observations"
    create_topics(EDGE, [topic], partitions=3)
    run = uuid.uuid4().hex[:8]
    sent = [(f"{run}-k{i % 20:02d}".encode(), f"{run}-{i:05d}-".encode() + os.urandom(24) + b"\x00\xff")
            for i in range(2000)]
    part_of = produce(EDGE, [(topic, k, v) for k, v in sent])

    wait_until(lambda: topic in topics(CLOUD), 60, f"{topic} to appear in the cloud")
    md = AdminClient({"bootstrap.servers": CLOUD}).list_topics(topic, timeout=10).topics[topic]
    assert len(md.partitions) == 3, "the copy has the original's partitions"

    c = Consumer({"bootstrap.servers": CLOUD, "group.id": f"t-{uuid.uuid4().hex}", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "isolation.level": "read_committed"})
    c.subscribe([topic])
    got = []
    try:
        deadline = time.monotonic() + 120
        while len(got) < len(sent) and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error() and m.key().startswith(run.encode()):
                got.append((m.key(), m.value(), m.partition()))
    finally:
        c.close()
    assert len(got) == len(sent), f"{len(got)} of {len(sent)} records arrived in the cloud within 120 s"
    # everything now in the topic, to its end: a duplicate arriving late would be here
    everything = [(m.key(), m.value()) for m in read_all(CLOUD, topic) if m.key().startswith(run.encode())]
    assert len(everything) == len(sent), f"the cloud holds {len(everything)} records of this run, {len(sent)} were sent"
    assert len(set(everything)) == len(everything), "a record arrived twice"
    assert sorted(everything) == sorted(sent), "keys or values differ from the edge's"
    for key in {k for k, _ in sent}:
        assert [v for k, v, _ in got if k == key] == [v for k, v in sent if k == key], f"order of {key!r}"
        assert {p for k, _, p in got if k == key} == {part_of[key]}, f"partition of {key!r}"


def test_the_cloud_copies_are_written_in_transactions():
    """Exactly-once MirrorMaker (KIP-618) writes its copies in transactions: every commit marker
    takes an offset, so the copy's offsets run ahead of its records; the edge's original, written
    without transactions, has none."""
    if os.environ.get("MM2_EXACTLY_ONCE", "1") != "1":
        pytest.skip("MirrorMaker runs at-least-once (MM2_EXACTLY_ONCE)")
    topic = f"iot.{GW_FLOW}.observations"
    create_topics(EDGE, [topic], partitions=3)
    run = uuid.uuid4().hex[:8]
    produce(EDGE, [(topic, f"{run}-{i}".encode(), b"v") for i in range(50)])
    wait_until(lambda: topic in topics(CLOUD), 60, f"{topic} to appear in the cloud")
    wait_until(lambda: sum(m.key().startswith(run.encode()) for m in read_all(CLOUD, topic)) == 50, 60,
               "the 50 records in the cloud")

    def span(bootstrap):  # offsets used, records held
        records = read_all(bootstrap, topic)
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex}"})
        try:
            offsets = sum(hi - lo for lo, hi in (c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                                                  for p in {m.partition() for m in records} | {0, 1, 2}))
        finally:
            c.close()
        return offsets, len(records)
    edge_offsets, edge_records = span(EDGE)
    cloud_offsets, cloud_records = span(CLOUD)
    assert edge_offsets == edge_records, "the edge's original is not transactional"
    assert cloud_records == edge_records
    assert cloud_offsets > cloud_records, "no transaction markers in the copy: MirrorMaker is not exactly-once"


def test_a_request_made_in_the_cloud_reaches_the_edge():
    topic = f"iot.{GW_FLOW}.management.req"
    create_topics(CLOUD, [topic])
    key, value = f"ep-{uuid.uuid4().hex[:8]}".encode(), b"\x00\x01request\xfe" + os.urandom(16)
    produce(CLOUD, [(topic, key, value)], headers=[("trace", b"cloud-1")])
    wait_until(lambda: topic in topics(EDGE), 60, f"{topic} to appear at the edge")
    arrived = wait_until(lambda: [m for m in read_all(EDGE, topic) if m.key() == key], 60,
                         "the request at the edge")
    assert len(arrived) == 1
    assert arrived[0].value() == value
    assert ("trace", b"cloud-1") in (arrived[0].headers() or [])


def test_flows_do_not_cycle():
    """Each topic flows one way: a request written at the edge is not copied to the cloud, an
    observation written in the cloud is not copied to the edge, and what was copied is not copied
    back.  All four topics are created at once, new to MirrorMaker: two it must copy (the positive
    controls) and two it must not.  MirrorMaker looks for new topics every REFRESH_TOPICS_S (5 s)
    seconds and creates the copy of a topic as soon as it selects it; so once the controls have
    arrived (a refresh after the topics were created), a further 3 refresh intervals (15 s) without
    the forbidden topics showing up on the other side means they were not selected, not that
    MirrorMaker was slow.  The window is watched, not slept: a copy appearing fails at once."""
    run = uuid.uuid4().hex[:8]
    edge_req, edge_ctrl = f"iot.{GW_EDGE_ONLY}.management.req", f"iot.{GW_EDGE_ONLY}.registrations"
    cloud_obs, cloud_ctrl = f"iot.{GW_CLOUD_ONLY}.observations", f"iot.{GW_CLOUD_ONLY}.management.req"
    create_topics(EDGE, [edge_req, edge_ctrl])
    create_topics(CLOUD, [cloud_obs, cloud_ctrl])
    produce(EDGE, [(edge_req, b"x", f"edge-req-{run}".encode()), (edge_ctrl, b"x", f"edge-ctrl-{run}".encode())])
    produce(CLOUD, [(cloud_obs, b"x", f"cloud-obs-{run}".encode()), (cloud_ctrl, b"x", f"cloud-ctrl-{run}".encode())])

    def has(bootstrap, topic, value):
        return topic in topics(bootstrap) and any(m.value() == value for m in read_all(bootstrap, topic))
    wait_until(lambda: has(CLOUD, edge_ctrl, f"edge-ctrl-{run}".encode()), 60, "the edge -> cloud control")
    wait_until(lambda: has(EDGE, cloud_ctrl, f"cloud-ctrl-{run}".encode()), 60, "the cloud -> edge control")

    window = 3 * REFRESH_TOPICS_S
    end = time.monotonic() + window
    while time.monotonic() < end:
        assert edge_req not in topics(CLOUD), f"{edge_req}, written at the edge, was copied to the cloud"
        assert cloud_obs not in topics(EDGE), f"{cloud_obs}, written in the cloud, was copied to the edge"
        time.sleep(1)
    # the copies were not copied back: each topic holds its one record on both sides
    for bootstrap, topic in ((EDGE, edge_ctrl), (CLOUD, edge_ctrl), (CLOUD, cloud_ctrl), (EDGE, cloud_ctrl)):
        assert len(read_all(bootstrap, topic)) == 1, f"{topic} at {bootstrap}: a copy came back"


def registry_records(bootstrap: str, topic: str, subject: str) -> list[tuple[bytes, bytes]]:
    return [(m.key(), m.value()) for m in read_all(bootstrap, topic)
            if m.key() and json.loads(m.key()).get("subject") == subject]


def test_registry_topics_replicate_and_stay_compacted():
    """A schema registered at the edge registry is a record of the compacted _schemas.edge at the
    edge; the cloud's _schemas.edge gets the same record, byte for byte, and is compacted too.
    The cloud registry's _schemas.cloud is compacted at the edge likewise."""
    subject = f"sites-{uuid.uuid4().hex[:8]}-value"
    schema = {"type": "record", "name": "T", "namespace": "sites.test", "fields": [{"name": "a", "type": "int"}]}
    req = urllib.request.Request(f"{EDGE_SR}/subjects/{subject}/versions", method="POST",
                                 data=json.dumps({"schema": json.dumps(schema)}).encode(),
                                 headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    with urllib.request.urlopen(req, timeout=15) as r:
        sid = json.loads(r.read())["id"]
    assert 1000001 <= sid <= 1999999, f"id {sid} is outside the edge registry's range"
    at_edge = wait_until(lambda: registry_records(EDGE, "_schemas.edge", subject), 20, "the schema record at the edge")
    wait_until(lambda: registry_records(CLOUD, "_schemas.edge", subject) == at_edge, 60,
               "the same schema record in the cloud")
    assert topic_config(EDGE, "_schemas.edge", "cleanup.policy") == "compact"
    assert topic_config(CLOUD, "_schemas.edge", "cleanup.policy") == "compact"
    wait_until(lambda: "_schemas.cloud" in topics(EDGE), 60, "_schemas.cloud at the edge")
    assert topic_config(EDGE, "_schemas.cloud", "cleanup.policy") == "compact"


def test_mirror_maker_reports_replication_latency():
    """`scripts/mirror.sh metrics` reads MirrorMaker's JMX MBeans
    (kafka.connect.mirror:type=MirrorSourceConnector,target=..,topic=..,partition=..): once records
    were copied, the partition's record-count counts them and replication-latency-ms is a number."""
    topic = f"iot.{GW_FLOW}.registrations"
    create_topics(EDGE, [topic])
    run = uuid.uuid4().hex[:8]
    produce(EDGE, [(topic, f"{run}-{i}".encode(), b"r") for i in range(10)])
    wait_until(lambda: topic in topics(CLOUD) and
               sum(m.key().startswith(run.encode()) for m in read_all(CLOUD, topic)) == 10, 60,
               "the records in the cloud")

    def latency():
        out = mirror("metrics")
        assert out.returncode == 0, out.stdout + out.stderr
        rows = {(r[0], r[1], r[2], r[3]): r[4] for r in (ln.split() for ln in out.stdout.splitlines()) if len(r) == 5}
        count = float(rows.get(("cloud", topic, "0", "record-count"), "0"))
        lat = rows.get(("cloud", topic, "0", "replication-latency-ms"))
        return (count >= 10 and lat is not None) and (lat, out.stdout)
    lat, text = wait_until(latency, 30, "MirrorMaker's metrics of the copied partition", interval=1)
    value = float(lat)  # a number...
    assert math.isfinite(value) and value >= 0, lat  # ...a real one
    assert f"cloud {topic} 0 record-age-ms " in text


def test_mirror_maker_killed_mid_stream_copies_each_record_once():
    """Exactly-once across a crash: MirrorMaker is killed (SIGKILL, no clean shutdown) while it
    copies a stream of records, then started again; the cloud ends up with every record once, in
    order per key.  (At-least-once MirrorMaker repeats what it copied after its last offset commit;
    here the transaction open at the kill is aborted and its records stay invisible to
    read_committed consumers.)"""
    if os.environ.get("MM2_EXACTLY_ONCE", "1") != "1":
        pytest.skip("MirrorMaker runs at-least-once (MM2_EXACTLY_ONCE)")
    topic, n = f"iot.{GW_FLOW}.management.rep", 20000
    create_topics(EDGE, [topic], partitions=3)
    run = uuid.uuid4().hex[:8]
    p = Producer({"bootstrap.servers": EDGE, "enable.idempotence": True, "linger.ms": 5})
    mine = run.encode()

    def copied():
        return sum(m.key().startswith(mine) for m in read_all(CLOUD, topic)) if topic in topics(CLOUD) else 0
    killed = False
    try:
        for i in range(n):  # paced (about 20,000/s at most), so that the kill lands mid-stream
            p.produce(topic, key=f"{run}-k{i % 50:02d}".encode(), value=f"{i:06d}".encode())
            if i % 500 == 499:
                p.poll(0)
                time.sleep(0.025)
            if i == n // 2:
                assert p.flush(30) == 0
                wait_until(lambda: copied() > 0, 60, "MirrorMaker to copy the first records")
                pid = int((RUN / "mirror" / "mirror.pid").read_text())
                os.kill(pid, 9)
                killed = True
        assert p.flush(30) == 0
        up = mirror("up")  # the pid file names a dead process: up starts a new MirrorMaker
        assert up.returncode == 0, up.stdout + up.stderr
        wait_until(lambda: copied() >= n, 120, f"all {n} records in the cloud")
    finally:
        if killed and mirror("status").returncode != 0:
            mirror("up")
    got = [(m.key(), m.value()) for m in read_all(CLOUD, topic) if m.key().startswith(mine)]
    assert len(got) == n and len(set(got)) == n, f"{len(got)} copies of {n} records, {len(set(got))} distinct"
    per_key: dict[bytes, list[bytes]] = {}
    for k, v in got:
        per_key.setdefault(k, []).append(v)
    assert all(vs == sorted(vs) for vs in per_key.values()), "a key's records out of order"
