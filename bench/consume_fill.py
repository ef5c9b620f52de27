#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fills a topic with bench-mode observations for `zeelos bench --consume-only`.

Why a template: the records must be exactly what the gateway writes (same
writer schema id in Avro, same Avro JSON text in JSON), so the first record of
a real gateway observations topic (the `consume` run of bench/run.sh)
is copied with the fields the bench reads changed: the endpoint name
(<prefix>-<i>), the send time (/3303/0/5700, epoch us) and the sequence
number (/3303/0/5601).  DEVICES x PER_DEVICE records, devices interleaved as
a fleet notifying every second would write them.

    consume_fill.py TEMPLATE_TOPIC DEST_TOPIC DEVICES PER_DEVICE [BOOTSTRAP]
    consume_fill.py --delete TOPIC [BOOTSTRAP]
"""
import re
import struct
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def first_record(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "consume-fill", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    deadline = time.time() + 20
    try:
        while time.time() < deadline:
            m = c.poll(1)
            if m is not None and not m.error() and m.value():
                return m.key(), m.value()
    finally:
        c.close()
    sys.exit(f"consume_fill: no record on {topic}")


def varint_zz(n):
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def avro_str(s):
    b = s.encode()
    return varint_zz(len(b)) + b


def read_str(buf, pos):
    """A plain Avro string at pos (length < 64 bytes: one varint byte)."""
    n = buf[pos]
    assert n < 0x80 and n % 2 == 0, "unexpected Avro layout"
    return buf[pos + 1:pos + 1 + n // 2].decode(), pos + 1 + n // 2


def avro_maker(key, value):
    # AvroResponseObserve: ticket, observationId, serverId, ep (plain strings), then the rest
    hdr, pos = value[:5], 5
    ticket, pos = read_str(value, pos)
    obs_id, pos = read_str(value, pos)
    server, pos = read_str(value, pos)
    _, pos = read_str(value, pos)
    tail = bytearray(value[pos:])
    offs = {}
    for res in ("5700", "5601"):
        p = bytes(tail).index(b"/3303/0/" + res.encode()) + 12 + 3  # path, kind, type, union branch
        offs[res] = p
    khdr = key[:5]
    assert struct.unpack_from("<d", tail, offs["5700"])[0] > 1e15, "5700 is not a send time"

    def make(ep, i, send_us, seq):
        struct.pack_into("<d", tail, offs["5700"], float(send_us))
        struct.pack_into("<d", tail, offs["5601"], float(seq))
        v = hdr + avro_str(f"bo-{i}") + avro_str(obs_id) + avro_str(server) + avro_str(ep) + bytes(tail)
        return khdr + avro_str(ep), v
    return make


def json_maker(key, value):
    t = value.decode()
    t = re.sub(r'"ticket":"[^"]*"', '"ticket":"bo-{i}"', t.replace("{", "{{").replace("}", "}}"))
    t = re.sub(r'"ep":"[^"]*"', '"ep":"{ep}"', t)
    for res, name in (("5700", "send"), ("5601", "seq")):
        t = re.sub(r'("path":"/3303/0/%s",[^{]*\{\{"double":)[^}]*' % res, r"\g<1>{%s}" % name, t)
    assert "{send}" in t and "{seq}" in t, "unexpected JSON layout"

    def make(ep, i, send_us, seq):
        return ('{"ep":"%s"}' % ep).encode(), t.format(ep=ep, i=i, send=f"{float(send_us):.1f}", seq=f"{float(seq):.1f}").encode()
    return make


def delete(topic, bootstrap):
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": bootstrap})  # alive until the result is in
    for f in admin.delete_topics([topic]).values():
        f.result(30)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--delete":
        return delete(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1:9092")
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    src, dst, devices, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    bootstrap = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1:9092"
    key, value = first_record(bootstrap, src)
    make = json_maker(key, value) if value[:1] == b"{" else avro_maker(key, value)
    width = len(str(devices - 1))
    eps = [f"bench-{i:0{width}d}" for i in range(devices)]
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.num.messages": 10000,
                  "queue.buffering.max.messages": 1000000, "compression.type": "none"})
    base = int(time.time() * 1e6) - per * 1000000
    t0, n = time.time(), 0
    for s in range(per):
        for i, ep in enumerate(eps):
            k, v = make(ep, i, base + s * 1000000 + i * (1000000 // devices), s + 1)
            while True:
                try:
                    p.produce(dst, v, k)
                    break
                except BufferError:
                    p.poll(0.05)
            n += 1
        p.poll(0)
    p.flush(60)
    print(f"consume_fill: {n} records to {dst} in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
