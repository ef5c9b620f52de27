# SPDX-License-Identifier: Apache-2.0
"""Edge and cloud (docs/DEPLOYMENT.md): what the edge's gateway publishes reaches the cloud
through MirrorMaker 2 and decodes there with the cloud's registry alone; a request made in the
cloud, with the cloud's registry, is executed by an edge device and answered in the cloud; the
flows do not cycle; and an uplink cut (MirrorMaker stopped while the devices go on) loses,
duplicates and reorders nothing.  Peers: confluent-kafka and fastavro (tests/e2e helpers),
zeelos device as the fleet."""
from __future__ import annotations

import signal
import time
import uuid

import pytest
import requests
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from conftest import CLOUD, CLOUD_SR, EDGE, EDGE_SR, GW, mirror
from gateway_proc import Gateway, start_zeelos_device, unique, wait_until
from kafka_helpers import AvroCodec, Management, SchemaRegistry, TopicReader

pytestmark = pytest.mark.usefixtures("two_sites")


def consume_all(bootstrap: str, topic: str, want: int, timeout: float) -> list:
    """(key, value, partition) of the first `want` records of topic, from its beginning."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    try:
        deadline = time.time() + timeout
        while len(got) < want and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got.append((m.key(), m.value(), m.partition()))
    finally:
        c.close()
    return got


def create(bootstrap: str, topic: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the futures resolve
    fs = admin.create_topics([NewTopic(topic, 1, 1)])
    for f in fs.values():
        try:
            f.result(15)
        except Exception as e:  # noqa: BLE001 - already there is fine
            assert "TOPIC_ALREADY_EXISTS" in str(e), e


def test_edge_records_reach_the_cloud_once_in_order_per_key():
    topic = f"iot.{GW}.observations"
    create(EDGE, topic)
    run = uuid.uuid4().hex[:6]
    p = Producer({"bootstrap.servers": EDGE, "enable.idempotence": True})
    sent = [(f"{run}-k{i % 20}".encode(), f"{run}-{i}".encode()) for i in range(2000)]
    for k, v in sent:
        p.produce(topic, key=k, value=v)
    assert p.flush(30) == 0
    # read until every record of this run arrived (earlier tests may have written the topic too)
    c = Consumer({"bootstrap.servers": CLOUD, "group.id": f"t-{uuid.uuid4().hex}", "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got = []
    try:
        deadline = time.time() + 90
        while len(got) < len(sent) and time.time() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error() and m.key().startswith(run.encode()):
                got.append((m.key(), m.value()))
    finally:
        c.close()
    assert len(got) == len(sent), f"{len(got)} of {len(sent)} arrived"
    assert len(set(got)) == len(got), "a record arrived twice"
    for key in {k for k, _ in sent}:  # per key, the edge's order
        assert [v for k, v in got if k == key] == [v for k, v in sent if k == key]


def test_a_request_made_in_the_cloud_is_answered_by_an_edge_device(tmp_path):
    gw = Gateway(GW, EDGE, EDGE_SR, tmp_path / "data", tmp_path / "logs", ["--log-level", "info"]).start()
    ep = unique("site-dev-")
    dev = start_zeelos_device(gw.coap_port, "--ep", ep, "--device-notify-ms", "500")
    try:
        # the edge registry's topic reaches the cloud registry: it then knows the gateway's subjects
        cloud_sr = SchemaRegistry(CLOUD_SR)
        wait_until(lambda: f"iot.{GW}.management.req-value" in requests.get(f"{CLOUD_SR}/subjects").json(), 60,
                   what="the cloud registry to import the edge's subjects")
        mgmt = Management(CLOUD, cloud_sr, GW)  # produces in the cloud, reads answers in the cloud
        rec = None
        deadline = time.time() + 60
        while rec is None and time.time() < deadline:  # the device registers at the edge meanwhile
            try:
                r = mgmt.request(ep, "read", "/3/0/0", timeout=20)
                rec = r if r.value["rep"]["code"] == "CONTENT" else None
            except AssertionError:
                rec = None
        assert rec is not None, "no CONTENT answer in the cloud"
        assert rec.value["ep"] == ep and rec.value_schema_id >= 1000001  # written at the edge, read in the cloud
        # an observation set up from the cloud: its notifications are decoded in the cloud
        ticket = mgmt.send(ep, "observe", "/3303/0/5700", "TEXT_CODE")
        assert mgmt.wait_response(ticket, 30).value["rep"]["code"] == "CONTENT"
        obs = TopicReader(CLOUD, f"iot.{GW}.observations", AvroCodec(cloud_sr))
        notes = obs.wait_for_n(lambda r: isinstance(r.value, dict) and r.value["ticket"] == ticket, 3, timeout=60,
                               what="notifications decoded in the cloud")
        ids = {r.value_schema_id for r in notes}
        assert ids and all(i >= 1000001 for i in ids), ids  # the edge's ids, decoded with the cloud's registry
        obs.close()
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(15)
        gw.stop()


def test_flows_do_not_cycle():
    """Each topic flows one way only: a request written at the edge is not copied to the cloud,
    an observation written in the cloud is not copied to the edge.  Negative checks: MirrorMaker
    looks for new topics every 5 s (refresh.topics.interval.seconds), so 15 s without the record
    (with a positive control on the same flow arriving first) is long enough to see a copy."""
    run = uuid.uuid4().hex[:6]
    req, obs = f"iot.{GW}.management.req", f"iot.{GW}.observations"
    create(EDGE, req)
    create(CLOUD, obs)
    p_edge, p_cloud = Producer({"bootstrap.servers": EDGE}), Producer({"bootstrap.servers": CLOUD})
    p_edge.produce(req, key=b"x", value=f"edge-req-{run}".encode())
    p_cloud.produce(obs, key=b"x", value=f"cloud-obs-{run}".encode())
    p_edge.produce(obs, key=b"x", value=f"edge-obs-{run}".encode())    # positive controls
    p_cloud.produce(req, key=b"x", value=f"cloud-req-{run}".encode())
    assert p_edge.flush(15) == 0 and p_cloud.flush(15) == 0

    def values(bootstrap, topic, seconds):
        return {v.decode(errors="replace") for _, v, _ in consume_all(bootstrap, topic, 10 ** 9, seconds)}
    wait_until(lambda: f"edge-obs-{run}" in values(CLOUD, obs, 3), 60, what="the edge -> cloud control")
    wait_until(lambda: f"cloud-req-{run}" in values(EDGE, req, 3), 60, what="the cloud -> edge control")
    time.sleep(15)  # time passing is the point: a copy would have been made by now
    assert f"edge-req-{run}" not in values(CLOUD, req, 5)
    assert f"cloud-obs-{run}" not in values(EDGE, obs, 5)


def test_registry_topics_replicate_and_stay_compacted():
    for bootstrap, topic in ((CLOUD, "_schemas.edge"), (EDGE, "_schemas.cloud")):
        a = AdminClient({"bootstrap.servers": bootstrap})

        def policy():
            try:
                res = a.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, topic)])
                cfg = list(res.values())[0].result(10)
                return cfg["cleanup.policy"].value
            except Exception:  # noqa: BLE001 - not there yet
                return None
        wait_until(lambda: policy() == "compact", 60, what=f"{topic} compacted at {bootstrap}")


def test_mirror_maker_reports_replication_latency():
    out = mirror("metrics")
    assert out.returncode == 0, out.stderr
    rows = [ln.split() for ln in out.stdout.splitlines()]
    lat = [r for r in rows if len(r) == 5 and r[3] == "replication-latency-ms"]
    assert lat, out.stdout[:2000]
    for r in lat:
        float(r[4])  # a number (NaN before the first record)


def topic_records(bootstrap: str, topic: str, timeout: float = 20) -> list:
    """Every record of topic (key, value), in partition and offset order, read to its end."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex}",
                  "auto.offset.reset": "earliest", "enable.partition.eof": True})
    c.subscribe([topic])
    out, eof, parts = {}, set(), None
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = c.poll(0.5)
            if parts is None and c.assignment():
                parts = {tp.partition for tp in c.assignment()}
            if m is None:
                continue
            if m.error():
                if m.error().code() == -191:  # _PARTITION_EOF
                    eof.add(m.partition())
                    if parts is not None and eof >= parts:
                        break
                continue
            out.setdefault(m.partition(), []).append((m.key(), m.value()))
    finally:
        c.close()
    return [r for p in sorted(out) for r in out[p]]


def test_uplink_cut_loses_nothing_and_runs_cloud_requests_once(tmp_path):
    """MirrorMaker stopped for 30 s (the uplink down) while five devices notify 10 times a second
    each and the cloud asks one of them for a read: once MirrorMaker is back, the cloud's copy of
    the observation topic is the edge's, record for record (nothing lost, doubled or reordered:
    exactly-once MirrorMaker), and the read made during the cut is executed once and answered."""
    gw = Gateway(GW, EDGE, EDGE_SR, tmp_path / "data", tmp_path / "logs", ["--log-level", "info"]).start()
    prefix = unique("cut")
    fleet = start_zeelos_device(gw.coap_port, "--ep", prefix, "--count", "5", "--device-notify-ms", "100")
    obs_topic, rep_topic = f"iot.{GW}.observations", f"iot.{GW}.management.rep"
    try:
        cloud_sr = SchemaRegistry(CLOUD_SR)
        wait_until(lambda: f"iot.{GW}.management.req-value" in requests.get(f"{CLOUD_SR}/subjects").json(), 60,
                   what="the cloud registry to know the gateway's subjects")
        mgmt = Management(CLOUD, cloud_sr, GW)
        eps = [f"{prefix}-{i}" for i in range(5)]
        for ep in eps:  # observed from the cloud: their notifications flow edge -> cloud
            deadline = time.time() + 60
            while True:
                r = mgmt.request(ep, "observe", "/3303/0/5700", "TEXT_CODE", timeout=20)
                if r.value["rep"]["code"] == "CONTENT" or time.time() > deadline:
                    break
            assert r.value["rep"]["code"] == "CONTENT", r.value
        down = mirror("down")
        assert down.returncode == 0, down.stderr
        cut_at = time.time()
        ticket = mgmt.send(eps[0], "read", "/3/0/0")  # waits in the cloud during the cut
        edge_before = len(topic_records(EDGE, obs_topic))
        time.sleep(30)  # the cut: time passing is the point, the devices go on meanwhile
        edge_during = len(topic_records(EDGE, obs_topic))  # only this test writes the edge topic now
        assert edge_during > edge_before + 500, (edge_before, edge_during)  # ~50/s kept arriving at the edge
        up = mirror("up")
        assert up.returncode == 0, up.stdout + up.stderr
        back_at = time.time()
        rep = mgmt.wait_response(ticket, 90)
        assert rep.value["rep"]["code"] == "CONTENT", rep.value
        fleet.send_signal(signal.SIGINT)
        fleet.wait(15)
        gw.stop()  # nothing more is written at the edge: its topics are final
        # this test's records only (keys carry the endpoint name): other tests wrote the topic
        # directly at one site or the other (test_flows_do_not_cycle does, on purpose)
        mine = prefix.encode()
        edge = [r for r in topic_records(EDGE, obs_topic) if r[0] and mine in r[0]]

        def caught_up():
            return len([r for r in topic_records(CLOUD, obs_topic, 10) if r[0] and mine in r[0]]) >= len(edge)
        wait_until(caught_up, 120, interval=1, what="the cloud to catch up")
        caught = time.time() - back_at
        cloud = [r for r in topic_records(CLOUD, obs_topic) if r[0] and mine in r[0]]
        assert cloud == edge, f"edge {len(edge)} records, cloud {len(cloud)}; first difference at " \
                              f"{next((i for i, (a, b) in enumerate(zip(edge, cloud)) if a != b), min(len(edge), len(cloud)))}"
        answers = [v for _, v in topic_records(EDGE, rep_topic) if ticket.encode() in v]
        assert len(answers) == 1, f"the read of the cut was answered {len(answers)} times at the edge"
        print(f"cut {back_at - cut_at:.0f} s, {edge_during - edge_before} records during it, cloud caught up "
              f"{caught:.1f} s after MirrorMaker was back")
    finally:
        if fleet.poll() is None:
            fleet.send_signal(signal.SIGINT)
            fleet.wait(15)
        gw.stop()
        if mirror("status").returncode != 0:
            mirror("up")
