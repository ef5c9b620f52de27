# SPDX-License-Identifier: Apache-2.0
"""Produces N AvroResponseObserve records (one FLOAT value each, 3 endpoints) and one NEW
registration to iot.<gw>.*, Confluent-Avro through the registry at $SR: bench/sink.sh's input."""
import os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from contract_schemas import AVRO_KEY, AVRO_RESPONSE_OBSERVE, AVRO_REGISTRATION_RESPONSE
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import SerializationContext, MessageField
gw, n = sys.argv[1], int(sys.argv[2])
sr = SchemaRegistryClient({"url": os.environ.get("SR", "http://127.0.0.1:8481")})
conf = {"auto.register.schemas": True}
ks = AvroSerializer(sr, AVRO_KEY, conf=conf)
vs = AvroSerializer(sr, AVRO_RESPONSE_OBSERVE, conf=conf)
rs = AvroSerializer(sr, AVRO_REGISTRATION_RESPONSE, conf=conf)
p = Producer({"bootstrap.servers": os.environ.get("KAFKA", "127.0.0.1:9092"), "linger.ms": 50})
ot, rt = f"iot.{gw}.observations", f"iot.{gw}.registrations"
now = int(time.time()*1000)
reg = {"kind": "NEW", "body": ("io.zeelos.leshan.avro.registration.AvroRegistrationNew", {"ep": "dev1", "serverId": gw, "regDate": now, "address": "127.0.0.1", "port": 5683, "regAddr": "0.0.0.0", "regPort": 5683, "lt": 300, "sms": None, "ver": "1.1", "bnd": "U", "regId": "r1", "links": [{"url": "/3303/0", "at": {}}, {"url": "/3/0", "at": {"ver": "1.1"}}], "attributes": None, "root": "/", "lastUp": now})}
p.produce(rt, key=ks({"ep": "dev1"}, SerializationContext(rt, MessageField.KEY)), value=rs(reg, SerializationContext(rt, MessageField.VALUE)))
for i in range(n):
    res = {"id": 5700, "path": "/3303/0/5700", "kind": "SINGLE_RESOURCE", "type": "FLOAT", "value": ("double", 20.0 + i/10)}
    v = {"ticket": "t", "observationId": "[ab]", "serverId": gw, "ep": f"dev{i%1000}", "path": "/3303/0/5700", "timestamp": now + i,
         "rep": {"code": "CONTENT", "kind": "observe", "body": {"content": ("io.zeelos.leshan.avro.resource.AvroResource", res)}}}
    p.produce(ot, key=ks({"ep": f"dev{i%1000}"}, SerializationContext(ot, MessageField.KEY)), value=vs(v, SerializationContext(ot, MessageField.VALUE)))
    if i % 10000 == 0: p.poll(0)
p.flush()
print("produced", n)
