# SPDX-License-Identifier: Apache-2.0
"""Edge and cloud (docs/DEPLOYMENT.md): what the edge's gateway publishes reaches the cloud
through MirrorMaker 2 and decodes there with the cloud's registry alone; a request made in the
cloud, with the cloud's registry, is executed by an edge device and answered in the cloud; the
and an uplink cut (MirrorMaker stopped while the devices go on) loses,
duplicates and reorders nothing.  Peers: confluent-kafka and fastavro (tests/e2e helpers),
zeelos device as the fleet.  MirrorMaker's own guarantees (order per key, no cycles, exactly-once
across a kill, compacted registry topics, metrics) are checked in test_replication.py."""
from __future__ import annotations

import signal
import time
import uuid

import pytest
import requests
from confluent_kafka import Consumer

from conftest import CLOUD, CLOUD_SR, EDGE, EDGE_SR, GW, mirror
from gateway_proc import Gateway, start_zeelos_device, unique, wait_until
from kafka_helpers import AvroCodec, Management, SchemaRegistry, TopicReader

pytestmark = pytest.mark.usefixtures("two_sites")


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


def test_credentials_provisioned_in_the_cloud_reach_the_edge(tmp_path):
    """`zeelos security add` against the cloud cluster: MirrorMaker's cloud -> edge flow carries
    iot.<gw>.security down, the edge gateway applies it, and the device registers over DTLS with
    libcoap's coap-client (its plain registration is refused from then on)."""
    import subprocess
    from gateway_proc import child_env, zeelos_bin
    gw = Gateway(GW, EDGE, EDGE_SR, tmp_path / "data", tmp_path / "logs", ["--log-level", "info"]).start()
    ep, key = unique("site-psk-"), "cloud-made-key"
    try:
        e = child_env()
        e["ZEELOS_PSK_KEY"] = key.encode().hex()
        p = subprocess.run([str(zeelos_bin()), "security", "add", "--gw", GW, "--kafka", CLOUD, ep,
                            "--psk-identity", ep], capture_output=True, text=True, timeout=60, env=e)
        assert p.returncode == 0, p.stderr
        wait_until(lambda: f"'{ep}'" in gw.log_path.read_text(errors="replace"), 90,
                   what="the edge gateway to apply the credentials written in the cloud")
        url = f"coaps://127.0.0.1:{gw.coaps_port}/rd?ep={ep}&lt=60"
        r = subprocess.run(["coap-client-openssl", "-v", "6", "-B", "8", "-m", "post", "-t", "40", "-e", "</3/0>",
                            "-u", ep, "-k", key, url], capture_output=True, text=True, timeout=30)
        assert "c:2.01" in r.stdout + r.stderr, (r.stdout + r.stderr)[-2000:]
        plain = subprocess.run(["coap-client-notls", "-v", "6", "-B", "8", "-m", "post", "-t", "40", "-e", "</3/0>",
                                f"coap://127.0.0.1:{gw.coap_port}/rd?ep={ep}&lt=60"], capture_output=True, text=True,
                               timeout=30)
        assert "c:4.03" in plain.stdout + plain.stderr, (plain.stdout + plain.stderr)[-2000:]
    finally:
        gw.stop()


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
