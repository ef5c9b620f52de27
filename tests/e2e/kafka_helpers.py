# SPDX-License-Identifier: Apache-2.0
"""Kafka + Schema Registry helpers for the black-box tests.

* SchemaRegistry: the few Confluent REST calls the tests need (register, schema by id).
* AvroCodec: Confluent wire format (0x00 + 4-byte BE schema id + Avro binary) with fastavro;
  decoding always uses the *writer* schema fetched from the registry by the id in the record.
* TopicReader: reads a topic from the beginning (assign(), no group rebalance), decodes key and
  value, keeps every record, and offers wait_for(predicate, timeout).
* Management: produces AvroRequest records on iot.<gw>.management.req and waits for the
  AvroResponse with the same ticket on iot.<gw>.management.rep.

Decoded values use fastavro's return_record_name=True: a union whose branch is a record comes
back as a tuple (full record name, dict); see branch().
"""
from __future__ import annotations

import io
import json
import struct
import threading
import time
import uuid
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import fastavro
import requests
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka import OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

import contract_schemas

EXTENDED_REQUEST = Path(__file__).resolve().parents[2] / "schemas" / "extended" / "io.zeelos.leshan.avro.request.AvroRequest.avsc"

MAGIC = 0


# ------------------------------------------------------------------ schema registry
class SchemaRegistry:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self._by_id: dict[int, Any] = {}
        self._text_by_id: dict[int, str] = {}
        self._lock = threading.Lock()
        self.http = requests.Session()

    def register(self, subject: str, schema_text: str) -> int:
        r = self.http.post(
            f"{self.url}/subjects/{subject}/versions",
            data=json.dumps({"schema": schema_text}),
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"},
            timeout=10,
        )
        r.raise_for_status()
        return int(r.json()["id"])

    def schema_text(self, schema_id: int) -> str:
        with self._lock:
            if schema_id in self._text_by_id:
                return self._text_by_id[schema_id]
        r = self.http.get(f"{self.url}/schemas/ids/{schema_id}", timeout=10)
        r.raise_for_status()
        text = r.json()["schema"]
        with self._lock:
            self._text_by_id[schema_id] = text
        return text

    def parsed(self, schema_id: int):
        with self._lock:
            if schema_id in self._by_id:
                return self._by_id[schema_id]
        parsed = fastavro.parse_schema(json.loads(self.schema_text(schema_id)))
        with self._lock:
            self._by_id[schema_id] = parsed
        return parsed

    def latest(self, subject: str) -> dict:
        r = self.http.get(f"{self.url}/subjects/{subject}/versions/latest", timeout=10)
        r.raise_for_status()
        return r.json()

    def subjects(self) -> list[str]:
        r = self.http.get(f"{self.url}/subjects", timeout=10)
        r.raise_for_status()
        return r.json()


class DecodeError(Exception):
    pass


class AvroCodec:
    def __init__(self, registry: SchemaRegistry):
        self.registry = registry

    def decode(self, data: Optional[bytes]):
        """Returns (schema_id, value) for a Confluent-framed Avro datum, (None, None) for None."""
        if data is None:
            return None, None
        if len(data) < 5 or data[0] != MAGIC:
            raise DecodeError(f"not Confluent-framed Avro: {data[:8].hex()}")
        (sid,) = struct.unpack(">I", data[1:5])
        buf = io.BytesIO(data[5:])
        value = fastavro.schemaless_reader(buf, self.registry.parsed(sid), None, return_record_name=True)
        rest = len(data) - 5 - buf.tell()
        if rest:
            raise DecodeError(f"{rest} trailing bytes after the Avro datum (schema id {sid})")
        return sid, value

    @staticmethod
    def encode(schema_id: int, parsed_schema, value) -> bytes:
        out = io.BytesIO()
        out.write(struct.pack(">bI", MAGIC, schema_id))
        fastavro.schemaless_writer(out, parsed_schema, value)
        return out.getvalue()


def branch(union_value) -> tuple[Optional[str], Any]:
    """(simple record name, value) of a decoded union value; (None, v) when not a record branch."""
    if isinstance(union_value, tuple) and len(union_value) == 2 and isinstance(union_value[0], str):
        return union_value[0].rsplit(".", 1)[-1], union_value[1]
    return None, union_value


# ------------------------------------------------------------------ topics
def admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap})


def create_topics(bootstrap: str, topics: list[str], partitions: int = 1, timeout: float = 30) -> None:
    """Creates the topics (1 partition, RF 1) if they do not exist yet, and waits for them."""
    a = admin(bootstrap)
    futs = a.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics],
                           operation_timeout=timeout)
    for t, f in futs.items():
        try:
            f.result(timeout)
        except KafkaException as e:
            if e.args[0].code() != e.args[0].TOPIC_ALREADY_EXISTS:
                raise
    deadline = time.time() + timeout
    while time.time() < deadline:
        md = a.list_topics(timeout=5)
        if all(t in md.topics and md.topics[t].error is None and md.topics[t].partitions for t in topics):
            return
        time.sleep(0.2)
    raise TimeoutError(f"topics not ready: {topics}")


def gateway_topics(gw: str) -> dict[str, str]:
    return {
        "registrations": f"iot.{gw}.registrations",
        "observations": f"iot.{gw}.observations",
        "req": f"iot.{gw}.management.req",
        "rep": f"iot.{gw}.management.rep",
    }


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: Any                 # decoded AvroKey dict, or None / raw bytes if undecodable
    value: Any               # decoded value, or raw bytes if undecodable
    key_schema_id: Optional[int] = None
    value_schema_id: Optional[int] = None
    raw_key: Optional[bytes] = None
    raw_value: Optional[bytes] = None
    error: Optional[str] = None
    received_at: float = field(default_factory=time.time)

    def __repr__(self):
        return (f"Record({self.topic}[{self.partition}]@{self.offset} key={self.key!r} "
                f"value={self.value!r}{' error=' + self.error if self.error else ''})")


class TopicReader:
    """Reads every partition of `topic` from the beginning; thread-safe accumulation on poll()."""

    def __init__(self, bootstrap: str, topic: str, codec: AvroCodec, from_beginning: bool = True):
        self.topic = topic
        self.codec = codec
        self.records: list[Record] = []
        self.next_offset: dict[int, int] = {}  # partition -> offset after the last message read
        self.from_beginning = from_beginning
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap,
            "group.id": f"e2e-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 50,
            "topic.metadata.refresh.interval.ms": 1000,
        })
        md = self.consumer.list_topics(topic, timeout=10)
        parts = sorted(md.topics[topic].partitions) if topic in md.topics else [0]
        if not parts:
            parts = [0]
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING if from_beginning else -1)
                              for p in parts])

    def close(self):
        try:
            self.consumer.close()
        except Exception:  # noqa: BLE001
            pass

    def poll(self, timeout: float = 0.2) -> list[Record]:
        """Fetches what is available (waits up to timeout for the first message)."""
        new: list[Record] = []
        msgs = self.consumer.consume(num_messages=500, timeout=timeout)
        for m in msgs:
            if m.error():
                continue
            self.next_offset[m.partition()] = m.offset() + 1
            rec = Record(m.topic(), m.partition(), m.offset(), m.timestamp()[1], None, None,
                         raw_key=m.key(), raw_value=m.value())
            try:
                rec.key_schema_id, rec.key = self.codec.decode(m.key())
            except Exception as e:  # noqa: BLE001 - keep the raw bytes, record the error
                rec.key, rec.error = m.key(), f"key: {e}"
            try:
                rec.value_schema_id, rec.value = self.codec.decode(m.value())
            except Exception as e:  # noqa: BLE001
                rec.value, rec.error = m.value(), f"value: {e}"
            new.append(rec)
        self.records.extend(new)
        return new

    def wait_for(self, pred: Callable[[Record], bool], timeout: float = 10.0, what: str = "") -> Record:
        """First record (already read or arriving within timeout) for which pred is true."""
        seen = 0
        deadline = time.time() + timeout
        while True:
            for r in self.records[seen:]:
                try:
                    if pred(r):
                        return r
                except (KeyError, TypeError, IndexError, AttributeError):
                    pass
            seen = len(self.records)
            left = deadline - time.time()
            if left <= 0:
                tail = "\n  ".join(repr(r) for r in self.records[-10:])
                raise AssertionError(f"no record {what or 'matching'} on {self.topic} within {timeout}s; "
                                     f"{len(self.records)} records read, last ones:\n  {tail}")
            self.poll(min(0.2, left))

    def wait_for_n(self, pred: Callable[[Record], bool], n: int, timeout: float = 10.0, what: str = "") -> list[Record]:
        deadline = time.time() + timeout
        while True:
            got = self.matching(pred)
            if len(got) >= n:
                return got
            if time.time() >= deadline:
                raise AssertionError(f"{len(got)} of {n} records {what} on {self.topic} within {timeout}s: {got}")
            self.poll(0.2)

    def read_to_end(self, timeout: float = 10.0) -> list[Record]:
        """Reads every record the topic holds now (up to its high watermarks at the call); returns
        the new ones. After the producer of the records drained, an absence check needs no sleep."""
        assert self.from_beginning, "read_to_end counts offsets from the beginning of the topic"
        deadline = time.time() + timeout
        while True:  # a broker just thawed or restarted: the client may still count it down
            try:
                ends = {tp.partition: self.consumer.get_watermark_offsets(tp, timeout=5)[1]
                        for tp in self.consumer.assignment()}
                break
            except KafkaException:
                if time.time() > deadline:
                    raise
                self.poll(0.5)  # lets the client reconnect
        out: list[Record] = []
        while any(self.next_offset.get(p, 0) < hi for p, hi in ends.items()):
            if time.time() > deadline:
                raise AssertionError(f"{self.topic}: not read to offsets {ends} within {timeout}s "
                                     f"(at {self.next_offset})")
            out.extend(self.poll(0.2))
        return out

    def drain(self, seconds: float) -> list[Record]:
        """Reads for `seconds` and returns what arrived in that time."""
        out: list[Record] = []
        deadline = time.time() + seconds
        while (left := deadline - time.time()) > 0:
            out.extend(self.poll(min(0.2, left)))
        return out

    def matching(self, pred: Callable[[Record], bool]) -> list[Record]:
        out = []
        for r in self.records:
            try:
                if pred(r):
                    out.append(r)
            except (KeyError, TypeError, IndexError, AttributeError):
                pass
        return out


# ------------------------------------------------------------------ requests
def request_value(gw: str, ep: str, ticket: str, kind: str, path: str, content_format: str = "TLV",
                  body=None) -> dict:
    """An AvroRequest as a fastavro-writable dict. body: None or (record full name, dict)."""
    return {
        "serverId": gw,
        "ep": ep,
        "ticket": ticket,
        "payload": {"kind": kind, "path": path, "contentFormat": content_format, "body": body},
    }


def write_body(path: str, value, avro_type: str, mode: str = "REPLACE"):
    """AvroWriteRequest body writing one single resource."""
    rid = int(path.rstrip("/").split("/")[-1])
    return ("io.zeelos.leshan.avro.request.AvroWriteRequest", {
        "mode": mode,
        "node": ("io.zeelos.leshan.avro.resource.AvroResource", {
            "id": rid, "path": path, "kind": "SINGLE_RESOURCE", "type": avro_type, "value": value,
        }),
    })


def execute_body(parameters: str = ""):
    return ("io.zeelos.leshan.avro.request.AvroExecuteRequest", {"parameters": parameters})


class Management:
    """Sends AvroRequests to one gateway and waits for the answers by ticket."""

    def __init__(self, bootstrap: str, registry: SchemaRegistry, gw: str):
        self.gw = gw
        self.topics = gateway_topics(gw)
        self.registry = registry
        self.codec = AvroCodec(registry)
        self.schema = fastavro.parse_schema(json.loads(contract_schemas.AVRO_REQUEST))
        self.schema_id = registry.register(f"{self.topics['req']}-value", contract_schemas.AVRO_REQUEST)
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"})
        self.rep = TopicReader(bootstrap, self.topics["rep"], self.codec)
        self.sent_tickets: list[str] = []
        self.v11 = None

    def close(self):
        self.producer.flush(10)
        self.rep.close()

    def produce_raw(self, value: bytes, key: Optional[bytes] = None) -> None:
        errs = []
        self.producer.produce(self.topics["req"], value=value, key=key,
                              on_delivery=lambda err, msg: errs.append(err) if err else None)
        left = self.producer.flush(10)
        assert left == 0 and not errs, f"produce to {self.topics['req']} failed: {errs}"

    def encode(self, value: dict) -> bytes:
        return AvroCodec.encode(self.schema_id, self.schema, value)

    def encode_v11(self, value: dict) -> bytes:
        """Encodes with the zeelos 1.1 AvroRequest (schemas/extended/), registered on first use
        under the same subject (the registry checks it is compatible with the original)."""
        if self.v11 is None:
            text = EXTENDED_REQUEST.read_text()
            self.v11 = (self.registry.register(f"{self.topics['req']}-value", text),
                        fastavro.parse_schema(json.loads(text)))
        return AvroCodec.encode(self.v11[0], self.v11[1], value)

    def send(self, ep: str, kind: str, path: str, content_format: str = "TLV", body=None,
             ticket: Optional[str] = None, **v11) -> str:
        """v11: zeelos 1.1 payload fields (paths=[...], resources=[...], depth=N,
        contentFormatCode=N); with any, the request is written with the extended schema."""
        ticket = ticket or f"t-{uuid.uuid4().hex[:12]}"
        self.sent_tickets.append(ticket)
        value = request_value(self.gw, ep, ticket, kind, path, content_format, body)
        if v11:
            value["payload"].update(v11)
            self.produce_raw(self.encode_v11(value))
        else:
            self.produce_raw(self.encode(value))
        return ticket

    def wait_response(self, ticket: str, timeout: float = 15.0) -> Record:
        return self.rep.wait_for(lambda r: isinstance(r.value, dict) and r.value["ticket"] == ticket,
                                 timeout, what=f"with ticket {ticket!r}")

    def request(self, ep: str, kind: str, path: str, content_format: str = "TLV", body=None,
                timeout: float = 15.0, **v11) -> Record:
        return self.wait_response(self.send(ep, kind, path, content_format, body, **v11), timeout)

    def wait_ready(self, timeout: float = 45.0) -> None:
        """Until the gateway answers requests: a read for an endpoint that does not exist is
        sent every 2 s until one gets its NOT_FOUND (the gateway's consumer may join the topic
        after its /healthz answers; earlier requests are not necessarily seen)."""
        deadline = time.time() + timeout
        tickets: set[str] = set()
        while time.time() < deadline:
            tickets.add(self.send("__e2e_warmup__", "read", "/3/0/0", ticket=f"warmup-{uuid.uuid4().hex[:8]}"))
            end = min(deadline, time.time() + 2.0)
            while time.time() < end:
                for r in self.rep.poll(0.2):
                    if isinstance(r.value, dict) and r.value.get("ticket") in tickets:
                        return
        raise AssertionError(f"gateway {self.gw} answered none of {len(tickets)} warm-up requests in {timeout}s")


def assert_fleet_left(gwenv, proc, prefix: str, n: int) -> None:
    """After SIGINT to a `zeelos device --count n` fleet whose endpoints are <prefix>00..: it exits
    0, every device de-registered (a DELETE each, not expired) and its status line says so."""
    assert proc.wait(timeout=20) == 0, proc.stderr.read()
    mine = lambda r: r.value["kind"] == "DELETE" and r.key["ep"].startswith(prefix)  # noqa: E731
    gwenv.regs.wait_for_n(mine, n, timeout=15, what="DELETE from the fleet")
    gone = gwenv.regs.matching(mine)
    assert sorted(r.key["ep"] for r in gone) == [f"{prefix}{i:02d}" for i in range(n)]
    assert all(branch(r.value["body"])[1]["expired"] is False for r in gone)
    err = proc.stderr.read()
    assert f"registered 0/{n}" in err and f"de-registrations {n}, errors 0" in err, err
