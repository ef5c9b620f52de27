# SPDX-License-Identifier: Apache-2.0
"""Helpers of the analytics suite (tests/analytics): `zeelos analytics` as a subprocess, a producer
of scenario records (gen.Rec) on top of the sink suite's Feed, a read_committed reader of output
topics that decodes what zeelos wrote with peers nobody here wrote (confluent-kafka, fastavro with
the writer schema fetched from the registry by id, json), barriers that wait for the processor's
committed offsets, and the comparison of an output topic with the reference model (gen.py)."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import fastavro
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

import contract_schemas
from gateway_proc import RoleProcess, free_tcp_port, spawn_healthy, stop_process, unique, wait_until, zeelos_bin
from kafka_helpers import SchemaRegistry, admin
from sink_helpers import Feed, PolledMetrics, Sent, committed_offsets, end_offsets

import gen

# a short session so that the group drops a killed member in seconds (librdkafka's default 45 s
# would hold its partitions that long)
GROUP_PROPS = {"kafka.session.timeout.ms": 6000, "kafka.heartbeat.interval.ms": 500}


# ------------------------------------------------------------------ input
def t0() -> int:
    """An event time base one hour ago, aligned to a minute (record timestamps near it stay within
    the broker's retention)."""
    now = int(time.time() * 1000)
    return now - now % 60_000 - 3_600_000


class AnFeed(Feed):
    """The sink suite's Feed (iot.<gw>.observations, AvroSerializer or Avro JSON) that also sets the
    Kafka record timestamp (gen.Rec.record_ts, for time=record) and produces whole scenarios."""

    def _produce(self, s: Sent, partition: Optional[int]) -> Sent:
        rec = s.tag if isinstance(s.tag, gen.Rec) else None
        if rec is None or rec.record_ts is None:
            return super()._produce(s, partition)

        def cb(err, msg, s=s):
            if err:
                s.error = err
            else:
                s.partition, s.offset = msg.partition(), msg.offset()
        while True:
            try:
                self.producer.produce(s.topic, value=s.raw, key=s.key, on_delivery=cb, partition=partition,
                                      timestamp=rec.record_ts)
                break
            except BufferError:
                self.producer.poll(0.1)
        self.producer.poll(0)
        with self._lock:
            self.sent.append(s)
        return s

    def send(self, r: gen.Rec, topic: Optional[str] = None) -> Sent:
        topic = topic or r.topic or self.obs_topic
        if r.value is None:
            return self.raw(topic, r.raw, key=self._key(topic, r.ep), partition=r.partition, tag=r)
        return self.observe(r.value, "extended", partition=r.partition, tag=r, topic=topic)

    def send_all(self, recs: list[gen.Rec], topic: Optional[str] = None) -> list[Sent]:
        out = [self.send(r, topic) for r in recs]
        self.flush()
        bad = [(s.tag.partition, s.partition) for s in out if s.partition != s.tag.partition]
        assert not bad, f"records landed on other partitions: {bad[:5]}"
        return out


class Pacer:
    """Produces recs on a thread of its own, `chunk` records at a time with `pause` seconds between
    chunks, so that a process killed meanwhile is busy, not idle at the end of its input."""

    def __init__(self, feed: AnFeed, recs: list[gen.Rec], chunk: int = 2_000, pause: float = 0.5):
        self.feed, self.recs, self.chunk, self.pause = feed, recs, chunk, pause
        self.error: Optional[BaseException] = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            for i in range(0, len(self.recs), self.chunk):
                for r in self.recs[i:i + self.chunk]:
                    self.feed.send(r)
                self.feed.producer.flush(60)
                time.sleep(self.pause)
            self.feed.flush()
        except BaseException as e:  # noqa: BLE001 - re-raised by join()
            self.error = e
        finally:
            self.done.set()

    def start(self) -> "Pacer":
        self.thread.start()
        return self

    def join(self, timeout: float = 300) -> None:
        assert self.done.wait(timeout), "the producer thread did not finish"
        assert self.error is None, f"producing failed: {self.error!r}"
        bad = [s for s in self.feed.sent if isinstance(s.tag, gen.Rec) and s.partition != s.tag.partition]
        assert not bad, f"records landed on other partitions: {bad[:3]}"


def count_uncommitted(bootstrap: str, topic: str, timeout: float = 60) -> int:
    """Records in topic read read_uncommitted (aborted transactions' records included)."""
    ends = high_watermarks(bootstrap, topic)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("an-unc-"), "enable.auto.commit": False,
                  "isolation.level": "read_uncommitted"})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        n, deadline = 0, time.time() + timeout
        while True:
            pos = {tp.partition: tp.offset for tp in c.position([TopicPartition(topic, p) for p in ends])}
            if all(e == 0 or pos[p] >= e for p, e in ends.items()) or time.time() > deadline:
                return n
            n += sum(1 for m in c.consume(1000, 0.2) if not m.error())
    finally:
        c.close()


# ------------------------------------------------------------------ the process
class Analytics(PolledMetrics, RoleProcess):
    """`zeelos analytics` as a subprocess: flags only, a ZEELOS_*-free environment, its HTTP
    endpoint on a free port of 127.0.0.1; started when /healthz answers 200."""
    metric_timeout = 60.0
    stop_timeout = 30.0

    def __init__(self, kafka: str, registry_url: Optional[str], log_dir: Path, gw: str,
                 preset: Optional[str] = None, job: Optional[Path] = None, app_id: Optional[str] = None,
                 instance_id: Optional[str] = None, state_dir: Optional[Path] = None, fmt: str = "avro",
                 props: Optional[dict] = None, extra: Optional[list[str]] = None, name: str = "analytics",
                 http_port: Optional[int] = None, print_results: bool = False):
        self.kafka, self.registry_url, self.gw = kafka, registry_url, gw
        self.preset, self.job, self.app_id, self.instance_id = preset, job, app_id, instance_id
        self.log_dir = Path(log_dir)
        self.cwd = self.log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir = Path(state_dir) if state_dir else self.log_dir / f"state-{name}"
        self.fmt, self.name = fmt, name
        self.props = {**GROUP_PROPS, **(props or {})}
        self.extra = list(extra or [])
        self.port = http_port or free_tcp_port()
        self.print_results = print_results
        self.proc: Optional[subprocess.Popen] = None
        self.killed = False
        self.stopped = False
        self.starts = 0
        self.log_paths: list[Path] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        a = [str(zeelos_bin()), "analytics", "--kafka", self.kafka, "--gw", self.gw,
             "--state-dir", str(self.state_dir), "--http-port", str(self.port), "-X", "analytics.host=127.0.0.1"]
        if self.preset:
            a += ["--preset", self.preset]
        if self.job:
            a += ["--job", str(self.job)]
        if self.app_id:
            a += ["--application-id", self.app_id]
        if self.instance_id:
            a += ["--instance-id", self.instance_id]
        if self.fmt == "json":
            a += ["--format", "json"]
        else:
            a += ["--schema-registry", self.registry_url]
        if self.print_results:
            a.append("--print")
        for k, v in self.props.items():
            a += ["-X", f"{k}={v}"]
        return a + self.extra

    def before_start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def stdout_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_paths if p.exists())


def write_job(path: Path, job: gen.Job) -> Path:
    path.write_text(json.dumps(job.doc(), indent=1))
    return path


def high_watermarks(bootstrap: str, topic: str) -> dict[int, int]:
    """{partition: high watermark}: asked with isolation.level=read_uncommitted, since a
    read_committed client is told the last stable offset instead, which stays behind the first
    record of a transaction still open (e.g. one of a killed instance, until it times out)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("an-hw-"), "isolation.level": "read_uncommitted"})
    try:
        md = c.list_topics(topic, timeout=10)
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in md.topics[topic].partitions}
    finally:
        c.close()


def last_data_offsets(bootstrap: str, topic: str, timeout: float = 60.0) -> dict[int, int]:
    """{partition: offset of its last record + 1} of a transactionally written topic, read
    read_committed to its end (its end offset also counts the transaction markers, which a
    consumer's committed offset does not pass)."""
    ends = end_offsets(bootstrap, topic)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("an-last-"), "enable.auto.commit": False,
                  "isolation.level": "read_committed", "fetch.wait.max.ms": 50})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        last = {p: 0 for p in ends}
        deadline = time.time() + timeout
        while True:
            pos = {tp.partition: tp.offset for tp in c.position([TopicPartition(topic, p) for p in ends])}
            if all(e == 0 or pos[p] >= e for p, e in ends.items()):
                return last
            assert time.time() < deadline, f"{topic}: not read to {ends} within {timeout}s (at {pos})"
            for m in c.consume(1000, 0.2):
                if not m.error():
                    last[m.partition()] = m.offset() + 1
    finally:
        c.close()


def repartition_topics(bootstrap: str, app_id: str) -> list[str]:
    """The application's repartition topics (docs/ANALYTICS.md: <application.id>-<job>-repartition)."""
    md = admin(bootstrap).list_topics(timeout=10)
    return sorted(t for t in md.topics if t.startswith(app_id + "-") and t.endswith("-repartition"))


def wait_committed(bootstrap: str, group: str, topic: str, timeout: float = 120.0,
                   procs: tuple = (), repartition: bool = True) -> dict[int, int]:
    """The barrier of every check: until the consumer group `group` (the application id) committed
    the end offset of every partition of topic, then (for jobs grouping by path, object or
    gateway) read every record of its repartition topics.  Offsets are committed in the
    transaction of the output they produced, so afterwards everything the input causes is in the
    output topic, read_committed.  procs: processes that must stay alive meanwhile; repartition=False:
    the input only (its values are then in the repartition topics, not necessarily aggregated)."""
    deadline = time.time() + timeout

    def until(topic: str, want: dict[int, int]) -> None:
        seen = [None]

        def done():
            for p in procs:
                assert p.alive(), f"{p.name} died (exit {p.proc.returncode}):\n{p.log_tail()}"
            try:
                seen[0] = committed_offsets(bootstrap, group, topic, want)
            except KafkaException as e:  # offsets of a transaction still pending (KIP-447): ask again
                seen[0] = repr(e)
                return False
            return all(e == 0 or seen[0][p] >= e for p, e in want.items())  # (empty: nothing to commit)
        try:
            wait_until(done, max(1.0, deadline - time.time()), 0.2,
                       f"group {group} to commit the offsets {want} of {topic}")
        except AssertionError as e:
            raise AssertionError(f"{e}; committed {seen[0]}") from None

    ends = end_offsets(bootstrap, topic)
    until(topic, ends)
    for rt in repartition_topics(bootstrap, group) if repartition else []:
        until(rt, last_data_offsets(bootstrap, rt))
    return ends


# ------------------------------------------------------------------ output
@dataclass
class OutRec:
    partition: int
    offset: int
    timestamp: int
    raw_key: bytes
    raw_value: bytes
    group: str
    start: int
    value: Any
    key_schema_id: Optional[int] = None
    value_schema_id: Optional[int] = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.group, self.start)

    def __repr__(self):
        return f"OutRec([{self.partition}]@{self.offset} {self.group!r}@{self.start} {self.value!r})"


class OutputReader:
    """Reads an output topic from the beginning with isolation.level=read_committed and decodes it:
    avro - key = Confluent-framed AvroKey {ep: group} + 8-byte big-endian window start, value =
    Confluent-framed Avro, both with the writer schema fetched from the registry by id; json - key
    {"group", "windowStart"}, value the Avro JSON encoding."""

    def __init__(self, bootstrap: str, topic: str, registry_url: Optional[str] = None, fmt: str = "avro",
                 wait_topic: float = 60.0):
        self.bootstrap, self.topic, self.fmt = bootstrap, topic, fmt
        self.sr = SchemaRegistry(registry_url) if registry_url else None
        self.records: list[OutRec] = []
        self.errors: list[str] = []
        a = admin(bootstrap)

        def exists():
            md = a.list_topics(topic, timeout=5)
            t = md.topics.get(topic)
            return t is not None and t.error is None and t.partitions
        wait_until(exists, wait_topic, 0.2, f"output topic {topic} to exist")
        self.partitions = sorted(a.list_topics(topic, timeout=5).topics[topic].partitions)
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("an-out-"),
                                  "enable.auto.commit": False, "isolation.level": "read_committed",
                                  "auto.offset.reset": "earliest", "fetch.wait.max.ms": 50})
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in self.partitions])

    def close(self) -> None:
        try:
            self.consumer.close()
        except Exception:  # noqa: BLE001
            pass

    # -------- decoding
    def decode_key(self, data: bytes) -> tuple[str, int, Optional[int]]:
        if self.fmt == "json":
            k = json.loads(data)
            assert set(k) == {"group", "windowStart"}, f"JSON key {k}"
            return k["group"], k["windowStart"], None
        assert len(data) >= 5 + 1 + 8 and data[0] == 0, f"key is not Confluent-framed: {data.hex()}"
        (sid,) = struct.unpack(">I", data[1:5])
        buf = io.BytesIO(data[5:])
        k = fastavro.schemaless_reader(buf, self.sr.parsed(sid), None)
        rest = data[5 + buf.tell():]
        assert len(rest) == 8, f"key: {len(rest)} bytes after the AvroKey, expected the 8-byte window start: {data.hex()}"
        assert set(k) == {"ep"}, f"key record {k} is not an AvroKey"
        return k["ep"], struct.unpack(">q", rest)[0], sid

    def decode_value(self, data: bytes) -> tuple[Any, Optional[int]]:
        if self.fmt == "json":
            return json.loads(data), None
        assert data is not None and len(data) >= 5 and data[0] == 0, f"value is not Confluent-framed: {data!r}"
        (sid,) = struct.unpack(">I", data[1:5])
        buf = io.BytesIO(data[5:])
        v = fastavro.schemaless_reader(buf, self.sr.parsed(sid), None, return_record_name=True)
        assert buf.tell() == len(data) - 5, f"{len(data) - 5 - buf.tell()} trailing bytes after the value"
        return v, sid

    def poll(self, timeout: float = 0.2) -> list[OutRec]:
        new = []
        for m in self.consumer.consume(1000, timeout):
            if m.error():
                continue
            try:
                g, s, ksid = self.decode_key(m.key())
                v, vsid = self.decode_value(m.value())
            except Exception as e:  # noqa: BLE001 - reported by the checks
                self.errors.append(f"[{m.partition()}]@{m.offset()}: {e!r}")
                continue
            new.append(OutRec(m.partition(), m.offset(), m.timestamp()[1], m.key(), m.value(), g, s, v, ksid, vsid))
        self.records.extend(new)
        return new

    def read_to_end(self, timeout: float = 90.0) -> list[OutRec]:
        """Everything committed up to the high watermarks at the call.  The position passes the
        transaction markers; a transaction still open below the high watermark (a killed
        instance's, until transaction.timeout.ms) holds it back until it ends."""
        ends = high_watermarks(self.bootstrap, self.topic)
        deadline = time.time() + timeout
        while True:
            pos = {tp.partition: tp.offset for tp in self.consumer.position(
                [TopicPartition(self.topic, p) for p in self.partitions])}
            if all(ends[p] == 0 or pos[p] >= ends[p] for p in self.partitions):
                break
            assert time.time() < deadline, f"{self.topic}: not read to {ends} within {timeout}s (at {pos})"
            self.poll(0.2)
        assert not self.errors, f"{self.topic}: records that do not decode: {self.errors[:5]}"
        return self.records

    def wait_count(self, n: int, timeout: float = 60.0, pred=lambda r: True) -> list[OutRec]:
        deadline = time.time() + timeout
        while True:
            got = [r for r in self.records if pred(r)]
            if len(got) >= n:
                return got
            assert time.time() < deadline, f"{len(got)} of {n} records on {self.topic} within {timeout}s: {got[-5:]}"
            self.poll(0.2)


# ------------------------------------------------------------------ comparisons
def norm_value(v: Any) -> Any:
    """A decoded value made hashable; an extended-schema max-record value without its empty
    rep.resources (the contract schema has no such field)."""
    if isinstance(v, dict):
        if "rep" in v and isinstance(v["rep"], dict) and v["rep"].get("resources", 0) is None:
            v = dict(v, rep={k: x for k, x in v["rep"].items() if k != "resources"})
        return tuple(sorted((k, norm_value(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(norm_value(x) for x in v)
    return v  # (doubles compare as doubles: JSON's 20 equals the model's 20.0)


def leaf_diffs(a: Any, b: Any, at: str = "") -> list[str]:
    """Where two decoded values differ: ["rep.body.content.path: '/x' != '/x-max'", ...]."""
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) == 2 and isinstance(a[0], str):
        if a[0] != b[0]:
            return [f"{at or '.'}: branch {a[0]} != {b[0]}"]
        return leaf_diffs(a[1], b[1], at)
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k == "resources" and a.get(k) is None and b.get(k) is None:
                continue
            out += leaf_diffs(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{at}.{k}" if at else k)
        return out
    return [] if a == b else [f"{at or '.'}: {a!r} != {b!r}"]


def diff_outputs(got: list[OutRec], want: list[gen.Out], ordered: bool = False) -> str:
    """'' when the output topic holds exactly the model's records: the same multiset of (group,
    window start, value), no key twice, and per key (and, ordered=True - a 1-partition input - per
    output partition) the model's order.  Else what differs (zeelos' value first, the model's
    second)."""
    g = Counter((r.group, r.start, norm_value(r.value)) for r in got)
    w = Counter((o.group, o.start, norm_value(o.value)) for o in want)
    msg = []
    if g != w:
        missing = list((w - g).elements())
        extra = list((g - w).elements())
        want_by_key = {o.key: o.value for o in want}
        got_by_key = {r.key: r.value for r in got}
        mk = {(m[0], m[1]) for m in missing}
        ek = {(e[0], e[1]) for e in extra}
        msg.append(f"{len(got)} records, {len(want)} expected; missing {len(missing)}, unexpected {len(extra)}")
        both = sorted(mk & ek)
        for k in both[:8]:
            msg.append(f"  {k}: zeelos != model: " + "; ".join(leaf_diffs(got_by_key[k], want_by_key[k])))
        if len(both) > 8:
            msg.append(f"  ... {len(both) - 8} more windows with other values")
        if mk - ek:
            msg.append(f"  windows missing from the output ({len(mk - ek)}): {sorted(mk - ek)[:10]}")
        if ek - mk:
            msg.append(f"  windows the model does not emit ({len(ek - mk)}): {sorted(ek - mk)[:10]}")
    dup = [k for k, n in Counter(r.key for r in got).items() if n > 1]
    if dup:
        msg.append(f"keys written more than once ({len(dup)}): {dup[:10]}")
    if ordered and not msg:
        by_part = defaultdict(list)
        for r in sorted(got, key=lambda r: (r.partition, r.offset)):
            by_part[r.partition].append(r.key)
        for p, keys in by_part.items():
            ks = set(keys)
            exp = [o.key for o in want if o.key in ks]
            if keys != exp:
                i = next(i for i, (a, b) in enumerate(zip(keys, exp)) if a != b)
                msg.append(f"output partition {p}: order differs from the model's (by window end, group bytes, "
                           f"start) at #{i}: zeelos {keys[i:i + 4]} model {exp[i:i + 4]}")
    return "\n".join(msg)


def check_keys_avro(recs: list[OutRec], sr_url: str) -> None:
    """Every key: 0x00, a schema id that resolves to the contract's AvroKey, the Avro string of the
    group key, the 8-byte big-endian window start (Kafka Streams' TimeWindowedSerializer)."""
    sr = SchemaRegistry(sr_url)
    ids = {r.key_schema_id for r in recs}
    for sid in ids:
        s = json.loads(sr.schema_text(sid))
        assert (s.get("namespace"), s.get("name")) == ("io.zeelos.leshan.avro", "AvroKey"), s
        assert [f["name"] for f in s["fields"]] == ["ep"], s
    key_schema = fastavro.parse_schema(json.loads(contract_schemas.AVRO_KEY))
    for r in recs:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, key_schema, {"ep": r.group})
        assert r.raw_key == r.raw_key[:5] + out.getvalue() + struct.pack(">q", r.start), \
            f"key bytes {r.raw_key.hex()} for {r.key}"


def strip_ids(raw: bytes) -> bytes:
    """Confluent-framed bytes without the schema id (two registrations of one schema may differ)."""
    return raw[:1] + raw[5:] if raw and raw[:1] == b"\x00" else raw


def same_outputs(a: list[OutRec], b: list[OutRec]) -> str:
    """'' when two output topics hold the same records: the multiset of (key bytes, decoded value)
    and the order per key."""
    ca = Counter((strip_ids(r.raw_key), norm_value(r.value)) for r in a)
    cb = Counter((strip_ids(r.raw_key), norm_value(r.value)) for r in b)
    if ca != cb:
        return (f"{len(a)} vs {len(b)} records; only in the first {len(ca - cb)}: {list((ca - cb).elements())[:3]}; "
                f"only in the second {len(cb - ca)}: {list((cb - ca).elements())[:3]}")
    pa, pb = defaultdict(list), defaultdict(list)
    for r in sorted(a, key=lambda r: (r.partition, r.offset)):
        pa[r.key].append(norm_value(r.value))
    for r in sorted(b, key=lambda r: (r.partition, r.offset)):
        pb[r.key].append(norm_value(r.value))
    bad = [k for k in pa if pa[k] != pb.get(k)]
    return f"order per key differs for {bad[:5]}" if bad else ""


@dataclass
class Run:
    an: Analytics
    model: gen.ModelResult
    out: list[OutRec]
    reader: OutputReader


def run_job(analytics_factory, feed: AnFeed, job: gen.Job, recs: list[gen.Rec], registry_url: Optional[str],
            fmt: str = "avro", ordered: bool = True, check: bool = True, **kw) -> Run:
    """Starts `zeelos analytics` with job, produces recs, waits until it committed the end of its
    input, reads the output topic read_committed and (check=True) asserts it is the model's
    output (ordered: in the model's order per output partition) and the late and skipped counts
    are the model's."""
    an = analytics_factory(job=job, fmt=fmt, **kw)
    feed.send_all(recs)
    wait_committed(feed.bootstrap, an.app_id, feed.obs_topic, procs=(an,))
    model = gen.run_model(job, recs, topic=feed.obs_topic)
    reader = OutputReader(feed.bootstrap, job.output_topic(feed.gw), registry_url, fmt=fmt)
    out = reader.read_to_end()
    if check:
        d = diff_outputs(out, model.outputs, ordered)
        assert not d, f"output of job {job.name} differs from the model:\n{d}"
        m = an.metrics()
        assert m.get("zeelos_analytics_late_total") == model.late, \
            f"zeelos_analytics_late_total {m.get('zeelos_analytics_late_total')}, model {model.late}"
    return Run(an, model, out, reader)


