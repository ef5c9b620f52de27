# SPDX-License-Identifier: Apache-2.0
import time, uuid, sys
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
t = "lat-" + uuid.uuid4().hex[:6]
adm = AdminClient({"bootstrap.servers": "127.0.0.1:9092"}); adm.create_topics([NewTopic(t, 1, 1)])[t].result()
acks = sys.argv[1] if len(sys.argv) > 1 else "all"
p = Producer({"bootstrap.servers": "127.0.0.1:9092", "linger.ms": 5, "acks": acks})
c = Consumer({"bootstrap.servers": "127.0.0.1:9092", "group.id": "g" + t, "fetch.wait.max.ms": 10})
c.assign([TopicPartition(t, 0, 0)])
time.sleep(2)
lat = []
for i in range(300):
    p.produce(t, b"x" * 300); p.poll(0)
    end = time.time() + 0.01
    while time.time() < end:
        m = c.poll(0.002)
        if m is not None and not m.error(): lat.append(time.time() - m.timestamp()[1] / 1000)
p.flush()
end = time.time() + 3
while time.time() < end:
    m = c.poll(0.05)
    if m is not None and not m.error(): lat.append(time.time() - m.timestamp()[1] / 1000)
lat.sort(); print(acks, len(lat), f"p50 {lat[len(lat)//2]*1000:.1f} p90 {lat[int(len(lat)*.9)]*1000:.1f} max {lat[-1]*1000:.1f} ms")
