# SPDX-License-Identifier: Apache-2.0
"""Live-rate end-to-end lag of a running `zeelos sink`: produces RATE AvroResponseObserve records a
second for SECONDS (Kafka CreateTime = when produced), waits until the sink wrote them all, and
prints the quantiles of zeelos_sink_lag_seconds (Kafka timestamp -> batch written) from its
/metrics, interpolated within the histogram's buckets.
  sink_live.py GW RATE SECONDS METRICS_URL     (env SR, KAFKA as bench/sink_produce.py)"""
import os
import sys
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402
from contract_schemas import AVRO_KEY, AVRO_RESPONSE_OBSERVE  # noqa: E402


def histogram(url: str):
    buckets, count = [], 0.0
    for line in requests.get(url, timeout=5).text.splitlines():
        if line.startswith("zeelos_sink_lag_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.split()[-1])))
        elif line.startswith("zeelos_sink_lag_seconds_count"):
            count = float(line.split()[-1])
    return buckets, count


def quantile(buckets, total, q):
    rank, prev_le, prev_n = q * total, 0.0, 0.0
    for le, n in buckets:
        if n >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * ((rank - prev_n) / max(n - prev_n, 1))
        prev_le, prev_n = le, n
    return prev_le


def main():
    gw, rate, seconds, metrics = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    sr = SchemaRegistryClient({"url": os.environ.get("SR", "http://127.0.0.1:8481")})
    ks = AvroSerializer(sr, AVRO_KEY, conf={"auto.register.schemas": True})
    vs = AvroSerializer(sr, AVRO_RESPONSE_OBSERVE, conf={"auto.register.schemas": True})
    p = Producer({"bootstrap.servers": os.environ.get("KAFKA", "127.0.0.1:9092"), "linger.ms": 5})
    topic = f"iot.{gw}.observations"
    # one record first: it creates the topic; measuring starts once the sink has written it
    # (joined the group, holds the partitions), so start-up is not counted as lag
    p.produce(topic, key=ks({"ep": "warmup"}, SerializationContext(topic, MessageField.KEY)),
              value=vs({"ticket": "t", "observationId": "[ab]", "serverId": gw, "ep": "warmup", "path": "/3/0/0",
                        "timestamp": int(time.time() * 1000), "rep": {"code": "CONTENT", "kind": "observe",
                                                                        "body": None}},
                       SerializationContext(topic, MessageField.VALUE)))
    p.flush()
    deadline = time.time() + 60
    while histogram(metrics)[1] < 1 and time.time() < deadline:
        time.sleep(0.1)
    before, n0 = histogram(metrics)
    start, sent = time.time(), 0
    while sent < rate * seconds:
        due = int((time.time() - start) * rate)
        for _ in range(min(due - sent, rate)):
            ep = f"dev{sent % 1000}"
            v = {"ticket": "t", "observationId": "[ab]", "serverId": gw, "ep": ep, "path": "/3303/0/5700",
                 "timestamp": int(time.time() * 1000), "rep": {"code": "CONTENT", "kind": "observe", "body": {
                     "content": ("io.zeelos.leshan.avro.resource.AvroResource", {
                         "id": 5700, "path": "/3303/0/5700", "kind": "SINGLE_RESOURCE", "type": "FLOAT",
                         "value": ("double", 20.0 + sent % 100)})}}}
            p.produce(topic, key=ks({"ep": ep}, SerializationContext(topic, MessageField.KEY)),
                      value=vs(v, SerializationContext(topic, MessageField.VALUE)))
            sent += 1
        p.poll(0)
        time.sleep(0.002)
    p.flush()
    deadline = time.time() + 60
    while time.time() < deadline:
        after, n1 = histogram(metrics)
        if n1 - n0 >= sent:
            break
        time.sleep(0.2)
    diff = [(le, n - dict(before).get(le, 0.0)) for le, n in after]
    total = n1 - n0
    print(f"{sent} records at {rate}/s for {seconds} s: lag p50 {quantile(diff, total, 0.5) * 1000:.0f} ms, "
          f"p99 {quantile(diff, total, 0.99) * 1000:.0f} ms (from zeelos_sink_lag_seconds buckets)")


if __name__ == "__main__":
    main()
