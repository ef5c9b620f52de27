# SPDX-License-Identifier: Apache-2.0
import json, sys, time, uuid
from confluent_kafka import Consumer, Producer, TopicPartition
gid, ep = sys.argv[1], sys.argv[2]
p = Producer({"bootstrap.servers": "127.0.0.1:9092", "linger.ms": 5})
c = Consumer({"bootstrap.servers": "127.0.0.1:9092", "group.id": "m" + gid, "fetch.wait.max.ms": 10,
              "enable.auto.commit": False})
c.assign([TopicPartition(f"iot.{gid}.management.rep", 0, -1)])  # OFFSET_END
time.sleep(2)
sent, acked, got, ct = {}, {}, {}, {}
def dr(err, msg, t):
    acked[t] = time.time()
for i in range(200):
    t = f"m{i}-{uuid.uuid4().hex[:6]}"
    v = {"serverId": gid, "ep": ep, "ticket": t, "payload": {"kind": "read", "path": "/3/0/0",
         "contentFormat": "TLV", "body": None}}
    sent[t] = time.time()
    p.produce(f"iot.{gid}.management.req", json.dumps(v).encode(), on_delivery=lambda e, m, t=t: dr(e, m, t))
    p.poll(0)
    end = time.time() + 0.01
    while time.time() < end:
        m = c.poll(0.002)
        if m is not None and not m.error():
            got[json.loads(m.value())["ticket"]] = time.time(); ct[json.loads(m.value())["ticket"]] = m.timestamp()[1] / 1000
p.flush()
end = time.time() + 5
while time.time() < end:
    m = c.poll(0.05)
    if m is not None and not m.error():
        got[json.loads(m.value())["ticket"]] = time.time(); ct[json.loads(m.value())["ticket"]] = m.timestamp()[1] / 1000
def pct(xs):
    xs = sorted(xs); return f"p50 {xs[len(xs)//2]*1000:.1f} p90 {xs[int(len(xs)*.9)]*1000:.1f} max {xs[-1]*1000:.1f} ms"
print("produce->ack", pct([acked[t] - sent[t] for t in acked]))
print("produce->rep consumed", pct([got[t] - sent[t] for t in got]), len(got))
print("produce->rep CreateTime (gateway produced)", pct([ct[t] - sent[t] for t in ct]))
print("rep CreateTime->consumed", pct([got[t] - ct[t] for t in ct]))
