#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Deterministic observation input for `zeelos analytics` and its Kafka Streams peer.

Writes N AvroResponseObserve records (Confluent-framed Avro, or the Avro JSON encoding with
--format json) for E endpoints into one topic, keys Confluent-framed AvroKey{ep} (with
--format json: the endpoint name). Record i
belongs to endpoint i % E and to tick i // E: its event timestamp is
start + tick * tick_ms + (i % E) * tick_ms / E (start: now rounded down to a minute unless --start
is given; the Kafka record timestamp is that value too, before the perturbations below), so time
moves forward through the windows, with
--ooo-pct of the records a little earlier (out of order, within the grace period) and --late-pct
of them a window or more earlier (late). Kinds of record, by a seeded draw per record:

  single FLOAT /3303/<0|1>/5700 (most), single INTEGER /3303/0/5700 (long), the same written with
  the original registered writer schema (a second schema id), a multi-instance resource /3/0/7
  (values /3/0/7/<id>), an instance read /3303/0 (5700, 5601 numbers, 5701 string, sometimes a
  multiple resource /3303/0/5750), an object read /3303 (two instances), a 1.1 composite
  notification (rep.resources: /3303/0/5700, /3304/0/5700, a boolean), a string-only value /3/0/0,
  and an error response with no body.

Everything but --start is seeded (--seed): the same flags and --start give the same bytes. A topic
the script creates gets retention.ms=-1, as the broker would otherwise delete records whose
timestamps are older than its retention. With --partitions P, endpoint e goes to partition e % P.

--dump FILE writes one JSON line per record, in production order, with the partition, both
timestamps and the flattened values (path, number or null for non-numeric): what check_peer.py
computes the expected windows from.

  gen_input.py --bootstrap 127.0.0.1:9792 --registry http://127.0.0.1:8791 \\
      --topic iot.edge1.observations --records 2000000 --endpoints 10000 --workers 2
"""
import argparse
import io
import json
import math
import os
import random
import sys
import time
from multiprocessing import Pool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OBS = "io.zeelos.leshan.avro.response.AvroResponseObserve.avsc"
NS_RES = "io.zeelos.leshan.avro.resource."
NS_RESP = "io.zeelos.leshan.avro.response."

ARGS = None
SCHEMAS = None  # (extended parsed, original parsed)


def load_text(sub, name):
    with open(os.path.join(ROOT, "schemas", sub, name)) as f:
        return json.dumps(json.load(f), separators=(",", ":"))


# ---------------------------------------------------------------- records

def resource(rid, path, typ, branch, value):
    return {"id": rid, "path": path, "kind": "SINGLE_RESOURCE", "type": typ, "value": (branch, value)}


def observe(ep, gw, i, ts, path, content=None, resources=None, code="CONTENT", extended=True):
    rep = {"code": code, "kind": "observe",
           "body": (NS_RESP + "AvroReadResponseBody", {"content": content}) if content else None}
    if extended:
        rep["resources"] = ("array", resources) if resources is not None else None
    return {"ticket": "t-%d" % (i % 97), "observationId": "obs-%s-%d" % (ep, i % 7), "serverId": gw,
            "ep": ep, "path": path, "timestamp": ts, "rep": rep}


def temp(rng):
    return round(rng.uniform(15.0, 35.0), 2)


def make(i, rng, a):
    """Record i: (avro value dict, extended schema?, flattened values [(path, number|None)])."""
    e = i % a.endpoints
    tick = i // a.endpoints
    ep = "%s%05d" % (a.ep_prefix, e)
    nominal = a.start + tick * a.tick_ms + (e * a.tick_ms) // a.endpoints
    ts = nominal
    r = rng.random() * 100
    if r < a.late_pct:
        ts = nominal - rng.randint(a.late_min_ms, a.late_max_ms)
    elif r < a.late_pct + a.ooo_pct:
        ts = nominal - rng.randint(1, a.ooo_max_ms)
    ts = max(ts, 0)
    k = rng.random() * 100
    gw = a.gw
    if k < 55:
        inst = rng.randint(0, 1)
        p = "/3303/%d/5700" % inst
        v = temp(rng)
        return observe(ep, gw, i, ts, p, (NS_RES + "AvroResource", resource(5700, p, "FLOAT", "double", v))), True, [(p, v)], nominal
    if k < 62:
        p = "/3303/0/5700"
        v = rng.randint(-5, 40)
        return observe(ep, gw, i, ts, p, (NS_RES + "AvroResource", resource(5700, p, "INTEGER", "long", v))), True, [(p, float(v))], nominal
    if k < 68:  # the original writer schema (no rep.resources)
        p = "/3303/1/5700"
        v = temp(rng)
        return observe(ep, gw, i, ts, p, (NS_RES + "AvroResource", resource(5700, p, "FLOAT", "double", v)),
                       extended=False), False, [(p, v)], nominal
    if k < 75:  # multi-instance resource
        vals = [rng.randint(3000, 4200) for _ in range(rng.randint(1, 3))]
        m = {str(j): resource(j, "/3/0/7/%d" % j, "INTEGER", "long", v) for j, v in enumerate(vals)}
        mr = {"id": 7, "path": "/3/0/7", "kind": "MULTIPLE_RESOURCE", "type": "INTEGER", "resources": m}
        return observe(ep, gw, i, ts, "/3/0/7", (NS_RES + "AvroMultipleResource", mr)), True, \
            [("/3/0/7/%d" % j, float(v)) for j, v in enumerate(vals)], nominal
    if k < 83:  # instance read
        t1, t2 = temp(rng), temp(rng)
        res = [resource(5700, "/3303/0/5700", "FLOAT", "double", t1),
               resource(5701, "/3303/0/5701", "STRING", "string", "Cel"),
               resource(5601, "/3303/0/5601", "FLOAT", "double", t2)]
        flat = [("/3303/0/5700", t1), ("/3303/0/5701", None), ("/3303/0/5601", t2)]
        mrs = None
        if rng.random() < 0.5:
            vals = [temp(rng), temp(rng)]
            m = {str(j): resource(j, "/3303/0/5750/%d" % j, "FLOAT", "double", v) for j, v in enumerate(vals)}
            mrs = ("array", [{"id": 5750, "path": "/3303/0/5750", "kind": "MULTIPLE_RESOURCE", "type": "FLOAT",
                              "resources": m}])
            flat += [("/3303/0/5750/%d" % j, v) for j, v in enumerate(vals)]
        inst = {"id": 0, "kind": "INSTANCE", "resources": res, "multipleResources": mrs}
        return observe(ep, gw, i, ts, "/3303/0", (NS_RES + "AvroInstanceResource", inst)), True, flat, nominal
    if k < 87:  # object read
        insts, flat = [], []
        for j in range(2):
            t = temp(rng)
            insts.append({"id": j, "kind": "INSTANCE", "multipleResources": None, "resources": [
                resource(5700, "/3303/%d/5700" % j, "FLOAT", "double", t),
                resource(5701, "/3303/%d/5701" % j, "STRING", "string", "Cel")]})
            flat += [("/3303/%d/5700" % j, t), ("/3303/%d/5701" % j, None)]
        obj = {"id": 3303, "kind": "OBJECT", "instances": insts}
        return observe(ep, gw, i, ts, "/3303", (NS_RES + "AvroObjectResource", obj)), True, flat, nominal
    if k < 93:  # 1.1 composite notification
        t, h = temp(rng), round(rng.uniform(20, 80), 1)
        res = [resource(5700, "/3303/0/5700", "FLOAT", "double", t),
               resource(5700, "/3304/0/5700", "FLOAT", "double", h),
               resource(5850, "/3311/0/5850", "BOOLEAN", "boolean", rng.random() < 0.5)]
        return observe(ep, gw, i, ts, "/3303/0/5700", None, res), True, \
            [("/3303/0/5700", t), ("/3304/0/5700", h), ("/3311/0/5850", None)], nominal
    if k < 97:  # a string value only
        p = "/3/0/0"
        return observe(ep, gw, i, ts, p, (NS_RES + "AvroResource", resource(0, p, "STRING", "string", "zeelos"))), \
            True, [(p, None)], nominal
    return observe(ep, gw, i, ts, "/3303/0/5700", None, None, code="NOT_FOUND"), True, [], nominal


def to_json(v):
    """Avro JSON encoding of a value built with union tuples."""
    if isinstance(v, tuple):
        return {v[0]: to_json(v[1])}
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    return v


def zigzag(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def chunk(ci):
    import fastavro
    a = ARGS
    ext, orig = SCHEMAS
    rng = random.Random(a.seed * 1000003 + ci)
    lo, hi = ci * a.chunk, min(a.records, (ci + 1) * a.chunk)
    out, dump = [], []
    buf = io.BytesIO()
    for i in range(lo, hi):
        rec, extended, flat, nominal = make(i, rng, a)
        if a.format == "json":
            value = json.dumps(to_json(rec), separators=(",", ":")).encode()
        else:
            buf.seek(0)
            buf.truncate()
            fastavro.schemaless_writer(buf, ext if extended else orig, rec)
            sid = a.ids[0] if extended else a.ids[1]
            value = b"\x00" + sid.to_bytes(4, "big") + buf.getvalue()
        epb = rec["ep"].encode()
        if a.format == "json":
            key = epb
        else:
            key = b"\x00" + a.key_id.to_bytes(4, "big") + zigzag(len(epb)) + epb
        e = i % a.endpoints
        part = e % a.partitions
        out.append((part, key, value, nominal))
        if a.dump:
            dump.append(json.dumps({"i": i, "partition": part, "ts": rec["timestamp"], "record_ts": nominal,
                                    "ep": rec["ep"], "serverId": rec["serverId"], "ticket": rec["ticket"],
                                    "observationId": rec["observationId"], "values": flat},
                                   separators=(",", ":")))
    return out, dump


def init_worker(args, texts):
    global ARGS, SCHEMAS
    import fastavro
    ARGS = args
    SCHEMAS = tuple(fastavro.parse_schema(json.loads(t)) for t in texts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    ap.add_argument("--registry", default="http://127.0.0.1:8081")
    ap.add_argument("--topic", default="iot.edge1.observations")
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--partitions", type=int, default=1, help="topic partitions; endpoint e goes to e %% P")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=["avro", "json"], default="avro")
    ap.add_argument("--gw", default="edge1", help="serverId of the records")
    ap.add_argument("--ep-prefix", default="ep-")
    ap.add_argument("--start", default="now",
                    help="first event time (ms, rounded down to a minute; default: now, as the broker deletes "
                         "records older than its retention by their timestamps; give a number to repeat a run)")
    ap.add_argument("--tick-ms", type=int, default=1000, help="event time between two records of an endpoint")
    ap.add_argument("--ooo-pct", type=float, default=3.0, help="%% of records up to --ooo-max-ms early")
    ap.add_argument("--ooo-max-ms", type=int, default=4000)
    ap.add_argument("--late-pct", type=float, default=1.0, help="%% of records --late-min-ms..--late-max-ms early")
    ap.add_argument("--late-min-ms", type=int, default=40_000)
    ap.add_argument("--late-max-ms", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=1, help="encoding processes (production stays in order)")
    ap.add_argument("--chunk", type=int, default=20000)
    ap.add_argument("--dump", help="write the records' flattened values here (JSON lines)")
    ap.add_argument("--no-produce", action="store_true", help="only --dump")
    a = ap.parse_args()
    a.start = int(time.time() * 1000) if a.start == "now" else int(a.start)
    a.start -= a.start % 60000

    texts = (load_text("extended", OBS), load_text("registered", OBS))
    a.ids, a.key_id = (0, 0), 0
    if not a.no_produce:
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": a.bootstrap})
        md = admin.list_topics(timeout=10)
        if a.topic not in md.topics:
            # no time-based deletion: event times may be far from the broker's clock
            f = admin.create_topics([NewTopic(a.topic, num_partitions=a.partitions, replication_factor=1,
                                              config={"retention.ms": "-1"})])[a.topic]
            f.result()
        else:
            have = len(md.topics[a.topic].partitions)
            if have != a.partitions:
                sys.exit("gen_input.py: %s has %d partitions, not %d" % (a.topic, have, a.partitions))
        if a.format == "avro":
            from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
            sr = SchemaRegistryClient({"url": a.registry})
            orig = sr.register_schema(a.topic + "-value", Schema(texts[1], "AVRO"))
            ext = sr.register_schema(a.topic + "-value", Schema(texts[0], "AVRO"))
            a.key_id = sr.register_schema(a.topic + "-key",
                                          Schema(load_text("registered", "io.zeelos.leshan.avro.AvroKey.avsc"), "AVRO"))
            a.ids = (ext, orig)
        from confluent_kafka import Producer
        prod = Producer({"bootstrap.servers": a.bootstrap, "linger.ms": 20, "batch.size": 1 << 20,
                         "queue.buffering.max.messages": 1_000_000, "queue.buffering.max.kbytes": 1 << 20,
                         "enable.idempotence": True, "acks": "all", "compression.type": "none"})
    dumpf = open(a.dump, "w") if a.dump else None
    nchunks = max(1, math.ceil(a.records / a.chunk))
    t0 = time.time()
    errors = []

    def on_delivery(err, msg):
        if err is not None and len(errors) < 5:
            errors.append(str(err))

    def consume(results):
        for out, dump in results:
            if dumpf:
                dumpf.write("\n".join(dump) + ("\n" if dump else ""))
            if a.no_produce:
                continue
            for part, key, value, ts in out:
                while True:
                    try:
                        prod.produce(a.topic, value=value, key=key, partition=part, timestamp=ts,
                                     on_delivery=on_delivery)
                        break
                    except BufferError:
                        prod.poll(0.05)
            prod.poll(0)

    if a.workers > 1:
        with Pool(a.workers, initializer=init_worker, initargs=(a, texts)) as pool:
            consume(pool.imap(chunk, range(nchunks)))
    else:
        init_worker(a, texts)
        consume(chunk(c) for c in range(nchunks))
    if not a.no_produce:
        left = prod.flush(120)
        if left or errors:
            sys.exit("gen_input.py: %d not delivered; %s" % (left, "; ".join(errors)))
    if dumpf:
        dumpf.close()
    dt = time.time() - t0
    print("gen_input.py: %d records, %d endpoints -> %s in %.1f s (%.0f/s)" %
          (a.records, a.endpoints, a.topic, dt, a.records / dt if dt else 0), file=sys.stderr)


if __name__ == "__main__":
    main()
