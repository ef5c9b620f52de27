#!/usr/bin/env python3
"""Writes PSK credentials for the dtls_load devices PREFIX-0..N-1 to a gateway's
security topic, exactly the records `zeelos security add` writes (key =
endpoint, value = {"endpoint":..,"psk":{"identity":..,"key":..}}), in bulk.
Identity = endpoint name, key = sha256(endpoint)[0:16] (as dtls_load.c derives it).
Run with /work/main/.venv/bin/python (confluent-kafka)."""
import argparse, hashlib, json, sys
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gw", required=True, help="gateway id: topic iot.<gw>.security")
    ap.add_argument("--prefix", default="d")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    ap.add_argument("--topic", help="default iot.<gw>.security")
    ap.add_argument("--delete", action="store_true", help="write tombstones instead (removes the credentials)")
    a = ap.parse_args()
    topic = a.topic or f"iot.{a.gw}.security"
    admin = AdminClient({"bootstrap.servers": a.bootstrap})
    if topic not in admin.list_topics(timeout=10).topics:  # as the CLI does: one partition, compacted
        f = admin.create_topics([NewTopic(topic, 1, 1, config={"cleanup.policy": "compact"})])[topic]
        try:
            f.result()
        except Exception as e:  # created meanwhile by someone else
            print(f"create {topic}: {e}", file=sys.stderr)
    p = Producer({"bootstrap.servers": a.bootstrap, "linger.ms": 20, "acks": "all"})
    errors = []
    cb = lambda err, msg: err and errors.append(err)
    for i in range(a.start, a.start + a.n):
        ep = f"{a.prefix}-{i}"
        value = None if a.delete else json.dumps(
            {"endpoint": ep, "psk": {"identity": ep, "key": hashlib.sha256(ep.encode()).hexdigest()[:32]}},
            separators=(",", ":"))
        while True:
            try:
                p.produce(topic, key=ep.encode(), value=value.encode() if value else None, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(30)
    if errors or left:
        print(f"{len(errors)} failed, {left} undelivered: {errors[:3]}", file=sys.stderr)
        return 1
    print(f"{'deleted' if a.delete else 'wrote'} {a.n} credentials ({a.prefix}-{a.start}..{a.prefix}-{a.start + a.n - 1}) on {topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
