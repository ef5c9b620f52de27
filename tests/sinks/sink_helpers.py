# SPDX-License-Identifier: Apache-2.0
"""Helpers of the sink suite (tests/sinks): `zeelos sink` as a subprocess, the InfluxDB and
PostgreSQL servers of scripts/influxdb.sh and scripts/postgres.sh, a producer of gateway records
and the stores read back through their own clients (influx, psql, sqlite3 CLIs).

Records are written with confluent-kafka's AvroSerializer (registered through the schema
registry under <topic>-key / <topic>-value, TopicNameStrategy) from the schema texts of the
contract (tests/e2e/contract_schemas.py) and of zeelos 1.1 (schemas/extended/), so the sink's
decoder never meets bytes made by our own encoder.  Values of Avro unions are written in
fastavro's tuple notation (("long", 5)): a bare 5 would go to the first branch that accepts it."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

import fastavro
import requests
from confluent_kafka import Consumer, OFFSET_BEGINNING, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

import contract_schemas
from gateway_proc import ROOT, RoleProcess, free_tcp_port, spawn_healthy, stop_process, unique, wait_until, zeelos_bin
from kafka_helpers import create_topics

EXTENDED = ROOT / "schemas" / "extended"
OBSERVE_V11 = (EXTENDED / "io.zeelos.leshan.avro.response.AvroResponseObserve.avsc").read_text()
REGISTRATION_V11 = (EXTENDED / "io.zeelos.leshan.avro.registration.AvroRegistrationResponse.avsc").read_text()
SCHEMAS = {  # (topic kind, schema) -> text
    ("observe", "registered"): contract_schemas.AVRO_RESPONSE_OBSERVE,
    ("observe", "extended"): OBSERVE_V11,
    ("registration", "registered"): contract_schemas.AVRO_REGISTRATION_RESPONSE,
    ("registration", "extended"): REGISTRATION_V11,
}

RES = "io.zeelos.leshan.avro.resource."
RSP = "io.zeelos.leshan.avro.response."
REG = "io.zeelos.leshan.avro.registration."
# AvroType -> the branch of the value union ([string, double, long, boolean]) and the field of
# the InfluxDB point / the column of the SQL row that holds it
BRANCH = {"STRING": "string", "FLOAT": "double", "INTEGER": "long", "BOOLEAN": "boolean",
          "OPAQUE": "string", "TIME": "long", "OBJLNK": "string"}
FIELD = {"string": "value_str", "double": "value_float", "long": "value_int", "boolean": "value_bool"}
VALUE_FIELDS = ("value_float", "value_int", "value_bool", "value_str")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+00:00$")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def now_ms() -> int:
    return int(time.time() * 1000)


def sql_time(ms: int) -> str:
    """The text form of a timestamp in the SQL stores: SQLite's column, and what PgDB.t() selects."""
    dt = EPOCH + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%d %H:%M:%S.") + f"{dt.microsecond // 1000:03d}+00:00"


def ms_of(text: str) -> int:
    assert TIME_RE.match(text or ""), f"timestamp {text!r} is not YYYY-MM-DD HH:MM:SS.mmm+00:00"
    return (datetime.fromisoformat(text) - EPOCH) // timedelta(milliseconds=1)


def pid_alive(pid: int) -> bool:
    """True while pid exists and is no zombie (servers detached by the scripts may never be reaped)."""
    try:
        st = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return st.rsplit(")", 1)[-1].split()[0] != "Z"


def wait_gone(pid: int, timeout: float, what: str) -> None:
    wait_until(lambda: not pid_alive(pid), timeout, 0.1, f"{what} (pid {pid}) to exit")


# ------------------------------------------------------------------ values
def path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/")]


def resource(path: str, typ: str, value: Any) -> dict:
    """An AvroResource (a single resource, or one instance of a multiple resource)."""
    return {"id": path_ids(path)[-1], "path": path, "kind": "SINGLE_RESOURCE", "type": typ,
            "value": (BRANCH[typ], value)}


def multiple(path: str, typ: str, values: dict[int, Any]) -> dict:
    """An AvroMultipleResource with its instances {resource instance id: value}."""
    return {"id": path_ids(path)[-1], "path": path, "kind": "MULTIPLE_RESOURCE", "type": typ,
            "resources": {str(ri): resource(f"{path}/{ri}", typ, v) for ri, v in values.items()}}


def instance(iid: int, resources: list[dict], multiples: Optional[list[dict]] = None) -> dict:
    return {"id": iid, "kind": "INSTANCE", "resources": resources, "multipleResources": multiples}


def obj(oid: int, instances: list[dict]) -> dict:
    return {"id": oid, "kind": "OBJECT", "instances": instances}


_CONTENT = {"SINGLE_RESOURCE": "AvroResource", "MULTIPLE_RESOURCE": "AvroMultipleResource",
            "INSTANCE": "AvroInstanceResource", "OBJECT": "AvroObjectResource"}


def observation(gw: str, ep: str, path: str, ts_ms: int, node: Optional[dict] = None,
                resources: Optional[list[dict]] = None, code: str = "CONTENT", generic: Optional[str] = None,
                schema: str = "extended", ticket: str = "t-sink") -> dict:
    """An AvroResponseObserve: body = node (resource/multiple/instance/object) or a generic message;
    resources = zeelos 1.1 rep.resources (composite notifications; extended schema only)."""
    if node is not None:
        body = (RSP + "AvroReadResponseBody", {"content": (RES + _CONTENT[node["kind"]], node)})
    elif generic is not None:
        body = (RSP + "AvroGenericResponse", {"message": generic})
    else:
        body = None
    rep = {"code": code, "kind": "observe", "body": body}
    if schema == "extended":  # (an array in a union: tuple notation, or fastavro looks for a branch itself)
        rep["resources"] = None if resources is None else ("array", resources)
    else:
        assert resources is None, "rep.resources is zeelos 1.1 (schema='extended')"
    return {"ticket": ticket, "observationId": "[0a1b2c3d]", "serverId": gw, "ep": ep, "path": path,
            "timestamp": ts_ms, "rep": rep}


def links_of(links) -> list[dict]:
    """[url | (url, {attr: value})] -> AvroLink dicts."""
    out = []
    for l in links:
        url, at = (l, {}) if isinstance(l, str) else l
        out.append({"url": url, "at": dict(at)})
    return out


def reg_new(gw: str, ep: str, last_up: int, reg_id: str, lt: int = 3600, links=("/1/0", "/3/0"),
            bnd: str = "U", binding: Optional[str] = None, address: str = "10.1.2.3", port: int = 56830,
            ver: str = "1.1", sms: Optional[str] = None, attributes: Optional[dict] = None, root: str = "/",
            reg_date: Optional[int] = None) -> dict:
    return {"kind": "NEW", "body": (REG + "AvroRegistrationNew", {
        "ep": ep, "serverId": gw, "regDate": last_up if reg_date is None else reg_date,
        "address": address, "port": port, "regAddr": "0.0.0.0", "regPort": 5683, "lt": lt, "sms": sms,
        "ver": ver, "bnd": bnd, "regId": reg_id, "links": links_of(links),
        "attributes": {} if attributes is None else attributes, "root": root, "lastUp": last_up,
        "binding": binding if binding is not None else bnd})}


def reg_update(gw: str, ep: str, last_up: int, reg_id: str, lt: Optional[int] = None, links=None,
               bnd: Optional[str] = None, binding: Optional[str] = None, address: str = "10.1.2.3",
               port: int = 56830, sms: Optional[str] = None, attributes: Optional[dict] = None) -> dict:
    return {"kind": "UPDATE", "body": (REG + "AvroRegistrationUpdate", {
        "ep": ep, "serverId": gw, "regId": reg_id, "address": address, "port": port, "lt": lt, "sms": sms,
        "bnd": bnd, "links": None if links is None else links_of(links), "attributes": attributes,
        "lastUp": last_up, "binding": binding})}


def reg_delete(gw: str, ep: str, last_up: int, expired: bool = False) -> dict:
    return {"kind": "DELETE", "body": (REG + "AvroRegistrationDelete", {
        "ep": ep, "serverId": gw, "expired": expired, "lastUp": last_up})}


def strip_v11(value: dict) -> dict:
    """A registration value without the zeelos 1.1 field `binding` (for the contract schema)."""
    name, body = value["body"]
    return {"kind": value["kind"], "body": (name, {k: v for k, v in body.items() if k != "binding"})}


def _json_datum(schema, datum):
    """datum in the Avro JSON encoding of schema (expanded by fastavro: every named type inline)."""
    if isinstance(schema, list):  # a union: {"branch": value}, null as null
        if datum is None:
            return None
        if isinstance(datum, tuple):
            name, datum = datum
            branch = next(b for b in schema if _branch_name(b) == name)
        else:
            rest = [b for b in schema if b != "null"]
            assert len(rest) == 1, f"ambiguous union {schema}: write {datum!r} as (branch, value)"
            branch = rest[0]
        return {_branch_name(branch): _json_datum(branch, datum)}
    t = schema if isinstance(schema, str) else schema["type"]
    if t == "record":
        return {f["name"]: _json_datum(f["type"], datum[f["name"]]) for f in schema["fields"]}
    if t == "array":
        return [_json_datum(schema["items"], d) for d in datum]
    if t == "map":
        return {k: _json_datum(schema["values"], d) for k, d in datum.items()}
    if isinstance(t, (dict, list)):
        return _json_datum(t, datum)
    return datum  # enum symbol, string, number, boolean


def _branch_name(b) -> str:
    if isinstance(b, str):
        return b
    return b["name"] if b["type"] in ("record", "enum", "fixed") else b["type"]


def avro_json(schema_text: str, value: dict) -> bytes:
    """The Avro JSON encoding of value (unions as {"branch": value}), what format=json carries."""
    schema = fastavro.parse_schema(json.loads(schema_text), expand=True)
    return json.dumps(_json_datum(schema, value), ensure_ascii=False, separators=(",", ":")).encode()


# ------------------------------------------------------------------ producing
@dataclass
class Sent:
    """One produced record; partition/offset filled by the delivery report."""
    topic: str
    ep: Optional[str]
    value: Any
    key: Optional[bytes] = None
    raw: Optional[bytes] = None
    tag: Any = None
    partition: int = -1
    offset: int = -1
    error: Any = None


class Feed:
    """The two topics of one (pretend) gateway, iot.<gw>.observations and .registrations, and a
    producer writing to them.  fmt 'avro' (AvroSerializer + registry) or 'json' (Avro JSON text)."""

    def __init__(self, bootstrap: str, registry_url: Optional[str], gw: Optional[str] = None, partitions: int = 1,
                 fmt: str = "avro", create: bool = True):
        self.bootstrap, self.gw, self.fmt = bootstrap, gw or unique("sinkt"), fmt
        self.obs_topic = f"iot.{self.gw}.observations"
        self.reg_topic = f"iot.{self.gw}.registrations"
        if create:
            create_topics(bootstrap, [self.obs_topic, self.reg_topic], partitions)
        if fmt == "avro":
            self.sr = SchemaRegistryClient({"url": registry_url})
            self.key_ser = AvroSerializer(self.sr, contract_schemas.AVRO_KEY)
            self.ser = {k: AvroSerializer(self.sr, text) for k, text in SCHEMAS.items()}
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all",
                                  "enable.idempotence": True})
        self.sent: list[Sent] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        self.producer.flush(30)

    def _key(self, topic: str, ep: str) -> bytes:
        if self.fmt == "json":
            return json.dumps({"ep": ep}).encode()
        return self.key_ser({"ep": ep}, SerializationContext(topic, MessageField.KEY))

    def _value(self, topic: str, kind: str, schema: str, value: dict) -> bytes:
        if self.fmt == "json":
            return avro_json(SCHEMAS[(kind, schema)], value)
        return self.ser[(kind, schema)](value, SerializationContext(topic, MessageField.VALUE))

    def _produce(self, s: Sent, partition: Optional[int]) -> Sent:
        def cb(err, msg, s=s):
            if err:
                s.error = err
            else:
                s.partition, s.offset = msg.partition(), msg.offset()
        kw = {} if partition is None else {"partition": partition}
        while True:
            try:
                self.producer.produce(s.topic, value=s.raw, key=s.key, on_delivery=cb, **kw)
                break
            except BufferError:
                self.producer.poll(0.1)
        self.producer.poll(0)
        with self._lock:
            self.sent.append(s)
        return s

    def observe(self, value: dict, schema: str = "extended", partition: Optional[int] = None, tag=None,
                topic: Optional[str] = None) -> Sent:
        topic = topic or self.obs_topic
        s = Sent(topic, value["ep"], value, self._key(topic, value["ep"]),
                 self._value(topic, "observe", schema, value), tag)
        return self._produce(s, partition)

    def register(self, value: dict, schema: str = "extended", partition: Optional[int] = None, tag=None) -> Sent:
        if schema == "registered":
            value = strip_v11(value)
        ep = value["body"][1]["ep"]
        s = Sent(self.reg_topic, ep, value, self._key(self.reg_topic, ep),
                 self._value(self.reg_topic, "registration", schema, value), tag)
        return self._produce(s, partition)

    def raw(self, topic: str, value: Optional[bytes], key: Optional[bytes] = None, partition: Optional[int] = None,
            tag=None) -> Sent:
        return self._produce(Sent(topic, None, None, key, value, tag), partition)

    def flush(self, timeout: float = 60) -> list[Sent]:
        """Waits for every delivery report; returns everything sent so far, in produce order."""
        left = self.producer.flush(timeout)
        assert left == 0, f"{left} records not delivered within {timeout}s"
        bad = [s for s in self.sent if s.error or s.offset < 0]
        assert not bad, f"{len(bad)} records failed: {bad[:3]}"
        return list(self.sent)


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """{partition: high watermark} of topic."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("wm-")})
    try:
        md = c.list_topics(topic, timeout=10)
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in md.topics[topic].partitions}
    finally:
        c.close()


def committed_offsets(bootstrap: str, group: str, topic: str, partitions) -> dict[int, int]:
    """{partition: offset the group committed} (-1001 when none)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        return {tp.partition: tp.offset
                for tp in c.committed([TopicPartition(topic, p) for p in partitions], timeout=10)}
    finally:
        c.close()


def read_topic(bootstrap: str, topic: str, n: int, timeout: float = 30.0) -> list:
    """The first n records of topic (every partition from the beginning), as confluent Messages."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": unique("dlq-"), "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    try:
        md = c.list_topics(topic, timeout=10)
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in md.topics[topic].partitions])
        out = []
        deadline = time.time() + timeout
        while len(out) < n:
            assert time.time() < deadline, f"{len(out)} of {n} records on {topic} within {timeout}s: {out}"
            for m in c.consume(100, 0.5):
                if not m.error():
                    out.append(m)
        return out
    finally:
        c.close()


# ------------------------------------------------------------------ metrics
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    """Prometheus text with labels: get(name, **labels) sums the samples whose labels match."""

    def __init__(self, text: str):
        self.text = text
        self.samples: list[tuple[str, dict, float]] = []
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = _SAMPLE.match(line)
            if m:
                try:
                    v = float(m.group(3))
                except ValueError:
                    continue
                self.samples.append((m.group(1), dict(_LABEL.findall(m.group(2) or "")), v))

    def has(self, name: str) -> bool:
        return any(n == name for n, _, _ in self.samples)

    def get(self, name: str, **labels) -> float:
        return sum(v for n, l, v in self.samples if n == name and all(l.get(k) == w for k, w in labels.items()))

    def __repr__(self):
        return "\n".join(l for l in self.text.splitlines() if l.startswith("zeelos_"))


class PolledMetrics:
    """start(), stop(), metrics() and wait_metric() of a role process with an HTTP endpoint at
    self.url (the sink, the analytics processor); subclasses of RoleProcess that set name, port,
    log_dir, cwd, log_paths, starts and argv().  metric_timeout / stop_timeout: the defaults."""
    metric_timeout = 30.0
    stop_timeout = 20.0

    def before_start(self) -> None:
        """Subclasses prepare what a start needs (directories)."""

    def start(self, timeout: float = 60.0):
        assert not self.alive(), "already running"
        self.starts += 1
        self.killed = self.stopped = False
        self.before_start()
        log = self.log_dir / f"{self.name}-{self.port}-{self.starts}.log"
        self.log_paths.append(log)
        self.proc = spawn_healthy(self.name, self.argv(), log, f"{self.url}/healthz", timeout, self.log_tail,
                                  cwd=str(self.cwd), echo_argv=True)
        return self

    def stop(self, timeout: Optional[float] = None) -> Optional[int]:
        """SIGTERM and wait (SIGKILL after timeout); the exit code."""
        self.stopped = True
        return stop_process(self.proc, timeout or self.stop_timeout)

    def metrics(self) -> Metrics:
        assert self.alive(), f"{self.name} is not running (exit {self.proc.returncode}):\n{self.log_tail()}"
        r = requests.get(f"{self.url}/metrics", timeout=5)
        assert r.status_code == 200, f"/metrics answered {r.status_code}"
        return Metrics(r.text)

    def wait_metric(self, name: str, pred: Callable[[float], bool], timeout: Optional[float] = None, what: str = "",
                    **labels) -> float:
        """Polls /metrics until pred(the sum of name's samples matching labels) holds; the value."""
        seen: list[Metrics] = []

        def ok():
            seen.append(self.metrics())
            return pred(seen[-1].get(name, **labels))
        try:
            wait_until(ok, timeout or self.metric_timeout, 0.05, what or f"{name}{labels or ''}")
        except AssertionError as e:
            last = seen[-1] if seen else None
            raise AssertionError(f"{e}; last {name}{labels or ''} = {last.get(name, **labels) if last else None}"
                                 f"\nmetrics:\n{last!r}\n{self.log_tail(30)}") from None
        return seen[-1].get(name, **labels)


# ------------------------------------------------------------------ the sink
class Sink(PolledMetrics, RoleProcess):
    """`zeelos sink` as a subprocess: flags only, a ZEELOS_*-free environment, its HTTP endpoint
    on a free port of 127.0.0.1; started when /healthz answers 200."""

    def __init__(self, kafka: str, registry_url: Optional[str], store: Optional[str], topics: str, group: str,
                 log_dir: Path, props: Optional[dict] = None, fmt: str = "avro", name: str = "sink",
                 cwd: Optional[Path] = None):
        self.kafka, self.registry_url, self.store, self.topics, self.group = kafka, registry_url, store, topics, group
        self.props = dict(props or {})
        self.fmt, self.name = fmt, name
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.cwd = Path(cwd) if cwd else self.log_dir
        self.port = free_tcp_port()
        self.proc: Optional[subprocess.Popen] = None
        self.killed = False
        self.starts = 0
        self.log_paths: list[Path] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        a = [str(zeelos_bin()), "sink", "--kafka", self.kafka, "--topics", self.topics, "--group", self.group,
             "--port", str(self.port), "-X", "sink.host=127.0.0.1"]
        if self.store is not None:  # None: the default store (sqlite)
            a += ["--store", self.store]
        if self.fmt == "json":
            a += ["--format", "json"]
        else:
            a += ["--schema-registry", self.registry_url]
        for k, v in self.props.items():
            a += ["-X", f"{k}={v}"]
        return a


    def http(self, path: str) -> requests.Response:
        return requests.get(f"{self.url}{path}", timeout=5)


    def records(self, result: str) -> float:
        return self.metrics().get("zeelos_sink_records_total", result=result)



# ------------------------------------------------------------------ servers (scripts/*.sh)
def _script(name: str, cmd: str, env: dict, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / name), cmd], env=env, capture_output=True, text=True,
                          timeout=timeout)


class InfluxServer:
    """The InfluxDB 1.x of scripts/influxdb.sh on 127.0.0.1:port."""

    def __init__(self, port: int, rpc_port: int, run_dir: Path):
        self.port, self.rpc_port, self.dir = port, rpc_port, Path(run_dir)
        self.env = dict(os.environ, INFLUX_PORT=str(port), INFLUX_RPC_PORT=str(rpc_port), INFLUX_DIR=str(run_dir))
        self.url = f"http://127.0.0.1:{port}"

    def script(self, cmd: str) -> subprocess.CompletedProcess:
        return _script("influxdb.sh", cmd, self.env)

    def up(self) -> "InfluxServer":
        p = self.script("up")
        assert p.returncode == 0, f"scripts/influxdb.sh up failed ({p.returncode}):\n{p.stdout}{p.stderr}"
        return self

    def down(self) -> subprocess.CompletedProcess:
        return self.script("down")

    def pid(self) -> int:
        pid = int((self.dir / "influxd.pid").read_text().split()[0])
        assert pid_alive(pid), f"influxd pid {pid} is not running"
        return pid

    def stop(self) -> None:
        pid = self.pid()
        os.kill(pid, signal.SIGTERM)
        wait_gone(pid, 30, "influxd")

    def freeze(self) -> int:
        pid = self.pid()
        os.kill(pid, signal.SIGSTOP)
        return pid

    @staticmethod
    def thaw(pid: int) -> None:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass

    def db(self, name: str) -> "InfluxDB":
        return InfluxDB(self, name)


class InfluxDB:
    """One database, read with the influx CLI (-format json -precision ns)."""

    def __init__(self, server: InfluxServer, name: str):
        self.server, self.name = server, name

    def cli(self, q: str, db: Optional[str] = None) -> subprocess.CompletedProcess:
        argv = ["influx", "-host", "127.0.0.1", "-port", str(self.server.port), "-format", "json", "-precision",
                "ns", "-execute", q]
        if db is not False:
            argv[1:1] = ["-database", db or self.name]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def results(self, q: str) -> list[dict]:
        p = self.cli(q)
        assert p.returncode == 0, f"influx -execute {q!r}: rc {p.returncode}\n{p.stdout}{p.stderr}"
        out, dec, s, i = [], json.JSONDecoder(), p.stdout, 0
        while True:
            while i < len(s) and s[i].isspace():
                i += 1
            if i >= len(s):
                return out
            doc, i = dec.raw_decode(s, i)
            for r in doc.get("results", []):
                assert "error" not in r, f"influx {q!r}: {r['error']}"
                out.append(r)

    def rows(self, q: str) -> list[dict]:
        """Every row of every series of the (single) statement, as {column: value} (+ GROUP BY tags)."""
        out = []
        for r in self.results(q):
            for se in r.get("series", []):
                for v in se["values"]:
                    row = dict(zip(se["columns"], v))
                    row.update(se.get("tags") or {})
                    out.append(row)
        return out

    def exists(self) -> bool:
        p = self.cli("SHOW DATABASES", db=False)
        return p.returncode == 0 and f'"{self.name}"' in p.stdout

    def count(self, measurement: str = "resources", field: str = "*") -> int:
        """Points of measurement (the sum of count(*) over the value fields); 0 while the database is missing."""
        if not self.exists():
            return 0
        rows = self.rows(f'SELECT count({field}) FROM "{measurement}"')
        return int(sum(v for r in rows for k, v in r.items() if k.startswith("count") and v))

    def points(self, measurement: str = "resources") -> list[dict]:
        return self.rows(f'SELECT * FROM "{measurement}"')

    def field_types(self, measurement: str = "resources") -> dict[str, str]:
        return {r["fieldKey"]: r["fieldType"] for r in self.rows(f'SHOW FIELD KEYS FROM "{measurement}"')}


class PgServer:
    """The PostgreSQL of scripts/postgres.sh on 127.0.0.1:port (role and database zeelos, trust)."""

    def __init__(self, port: int, run_dir: Path):
        self.port = port
        self.env = dict(os.environ, PG_PORT=str(port), PG_DIR=str(run_dir))
        self.dir = Path(run_dir)
        self.url = f"postgresql://zeelos@127.0.0.1:{port}/zeelos"

    def script(self, cmd: str) -> subprocess.CompletedProcess:
        return _script("postgres.sh", cmd, self.env)

    def up(self) -> "PgServer":
        p = self.script("up")
        assert p.returncode == 0, f"scripts/postgres.sh up failed ({p.returncode}):\n{p.stdout}{p.stderr}"
        e = self.script("env")
        assert e.returncode == 0, e.stderr
        for line in e.stdout.splitlines():  # the run dir may have moved (postgres.sh: root, long paths)
            if line.startswith("PG_DIR="):
                self.dir = Path(line.split("=", 1)[1].strip().strip("'\""))
        return self

    def down(self) -> subprocess.CompletedProcess:
        return self.script("down")

    def pid(self) -> int:
        pid = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        assert pid_alive(pid), f"postmaster pid {pid} is not running"
        return pid

    def stop(self) -> None:
        """What `pg_ctl stop -m fast` does: SIGINT to the postmaster (open transactions are aborted)."""
        pid = self.pid()
        os.kill(pid, signal.SIGINT)
        wait_gone(pid, 30, "postgres")

    def createdb(self, name: str) -> "PgDB":
        PgDB(self.url).exec(f'CREATE DATABASE "{name}" OWNER zeelos')
        return PgDB(f"postgresql://zeelos@127.0.0.1:{self.port}/{name}")

    def dropdb(self, name: str) -> None:
        PgDB(self.url).exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', check=False)


class PgDB:
    """One database, read with psql.  rows() selects through json_agg, so types survive (numbers,
    booleans, null; NaN as "NaN").  t(col)/b(col) normalise timestamps to the text form of the
    SQLite store and booleans to 0/1, so both SQL stores answer the same checks."""
    kind = "postgresql"

    def __init__(self, url: str):
        self.url = url

    @staticmethod
    def t(col: str) -> str:
        return f"(to_char(({col}) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') || '+00:00')"

    @staticmethod
    def b(col: str) -> str:
        return f"(({col})::int)"

    def psql(self, *args: str, stdin: Optional[str] = None, check: bool = True) -> subprocess.CompletedProcess:
        p = subprocess.run(["psql", self.url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *args], input=stdin,
                           capture_output=True, text=True, timeout=60)
        if check:
            assert p.returncode == 0, f"psql {args} failed ({p.returncode}): {p.stderr}"
        return p

    def exec(self, sql: str, check: bool = True) -> str:
        return self.psql("-c", sql, check=check).stdout

    def rows(self, sql: str) -> list[dict]:
        out = self.exec(f"SELECT coalesce(json_agg(t), '[]'::json) FROM ({sql}) t").strip()
        return json.loads(out)

    def scalar(self, sql: str):
        return json.loads(self.exec(f"SELECT to_json(({sql}))").strip())

    def table_exists(self, table: str) -> bool:
        p = self.psql("-c", f"SELECT to_regclass('{table}') IS NOT NULL", check=False)
        return p.returncode == 0 and p.stdout.strip() == "t"

    def count(self, table: str = "zeelos_readings", where: str = "true") -> int:
        """Rows of table (0 while the sink has not created it yet)."""
        if not self.table_exists(table):
            return 0
        return int(self.scalar(f"SELECT count(*) FROM {table} WHERE {where}"))


class SqliteDB:
    """A SQLite file, read with the sqlite3 CLI (-json)."""
    kind = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)

    @staticmethod
    def t(col: str) -> str:
        return col

    @staticmethod
    def b(col: str) -> str:
        return col

    def cli(self, sql: str, *opts: str) -> subprocess.CompletedProcess:
        return subprocess.run(["sqlite3", "-bail", "-cmd", ".timeout 10000", *opts, str(self.path), sql],
                              capture_output=True, text=True, timeout=60)

    def rows(self, sql: str) -> list[dict]:
        assert self.path.exists(), f"{self.path} does not exist"
        p = self.cli(sql, "-json")
        assert p.returncode == 0, f"sqlite3 {sql!r} failed ({p.returncode}): {p.stderr}"
        return json.loads(p.stdout) if p.stdout.strip() else []

    def scalar(self, sql: str):
        r = self.rows(sql)
        return next(iter(r[0].values())) if r else None

    def table_exists(self, table: str) -> bool:
        if not self.path.exists():
            return False
        p = self.cli(f"SELECT count(*) FROM sqlite_master WHERE name = '{table}'")
        return p.returncode == 0 and p.stdout.strip() == "1"

    def count(self, table: str = "zeelos_readings", where: str = "1") -> int:
        if not self.table_exists(table):
            return 0
        return int(self.scalar(f"SELECT count(*) AS n FROM {table} WHERE {where}"))


# ------------------------------------------------------------------ the sample
@dataclass
class Expect:
    """One reading a record must become: a point in InfluxDB, a row in zeelos_readings."""
    ep: str
    path: str
    type: str
    branch: str   # string / double / long / boolean
    value: Any

    @property
    def field(self) -> str:
        return FIELD[self.branch]


@dataclass
class SampleRecord:
    value: dict
    schema: str
    expect: list[Expect] = field(default_factory=list)


def sample(gw: str, t0: int) -> list[SampleRecord]:
    """Observations with values of every type and every body shape, each with the readings it
    must give.  ts t0 + k s; the last record is older than the others (zeelos_latest keeps the
    newest by time, not the last to arrive)."""
    a, b = "dev-a", "dev b,x=1 \"q\""   # b: a name line protocol must escape (space, comma, equals)
    s = "ACME \"Ltd\", a=b\\c, ünïcødé"
    recs: list[SampleRecord] = []

    def add(k, ep, path, schema="extended", node=None, resources=None, generic=None, code="CONTENT", exp=()):
        recs.append(SampleRecord(observation(gw, ep, path, t0 + k * 1000, node=node, resources=resources,
                                             generic=generic, code=code, schema=schema), schema,
                                 [Expect(ep, *e) for e in exp]))

    # a float with the original (contract) schema
    add(0, a, "/3303/0/5700", "registered", node=resource("/3303/0/5700", "FLOAT", 21.55),
        exp=[("/3303/0/5700", "FLOAT", "double", 21.55)])
    # a long beyond 2^53 (a double would lose it)
    add(1, a, "/3/0/10", node=resource("/3/0/10", "INTEGER", 9007199254740993),
        exp=[("/3/0/10", "INTEGER", "long", 9007199254740993)])
    add(2, a, "/3311/0/5850", node=resource("/3311/0/5850", "BOOLEAN", True),
        exp=[("/3311/0/5850", "BOOLEAN", "boolean", True)])
    add(3, b, "/3/0/0", node=resource("/3/0/0", "STRING", s), exp=[("/3/0/0", "STRING", "string", s)])
    # a multiple resource with 2 instances
    add(4, a, "/3/0/7", node=multiple("/3/0/7", "INTEGER", {0: 3800, 1: -5000}),
        exp=[("/3/0/7/0", "INTEGER", "long", 3800), ("/3/0/7/1", "INTEGER", "long", -5000)])
    # an object instance: resources and a multiple resource
    add(5, a, "/3/0", node=instance(0, [resource("/3/0/0", "STRING", "zeelos"),
                                         resource("/3/0/13", "TIME", 1795695247000),
                                         resource("/3/0/9", "INTEGER", 87)],
                                     [multiple("/3/0/6", "INTEGER", {0: 1, 4: 5})]),
        exp=[("/3/0/0", "STRING", "string", "zeelos"), ("/3/0/13", "TIME", "long", 1795695247000),
             ("/3/0/9", "INTEGER", "long", 87), ("/3/0/6/0", "INTEGER", "long", 1),
             ("/3/0/6/4", "INTEGER", "long", 5)])
    # an object with two instances
    add(6, b, "/3303", node=obj(3303, [instance(0, [resource("/3303/0/5700", "FLOAT", 1 / 3),
                                                    resource("/3303/0/5701", "STRING", "Cel")]),
                                        instance(2, [resource("/3303/2/5700", "FLOAT", -3.5)])]),
        exp=[("/3303/0/5700", "FLOAT", "double", 1 / 3), ("/3303/0/5701", "STRING", "string", "Cel"),
             ("/3303/2/5700", "FLOAT", "double", -3.5)])
    # zeelos 1.1: an Observe-Composite notification, every value in rep.resources
    comp = [resource("/3303/0/5700", "FLOAT", 22.5), resource("/3/0/0", "STRING", "ACME"),
            resource("/3311/0/5850", "BOOLEAN", False), resource("/3/0/7/1", "INTEGER", 4200),
            resource("/5/0/0", "OPAQUE", "AAEC/w=="), resource("/1/0/10", "OBJLNK", "11:0")]
    add(7, a, ",".join(r["path"] for r in comp), resources=comp,
        exp=[(r["path"], r["type"], r["value"][0], r["value"][1]) for r in comp])
    # no values: an error answer
    add(8, a, "/3303/0/5700", code="NOT_FOUND", generic="gone")
    add(9, a, "/3303/0/5700", node=resource("/3303/0/5700", "FLOAT", 23.0),
        exp=[("/3303/0/5700", "FLOAT", "double", 23.0)])
    # older than every other reading of /3303/0/5700, arriving last
    add(-5, a, "/3303/0/5700", node=resource("/3303/0/5700", "FLOAT", 19.0),
        exp=[("/3303/0/5700", "FLOAT", "double", 19.0)])
    return recs


def produce_sample(feed: Feed, t0: int, only_v11: bool = False) -> list[tuple[SampleRecord, Sent]]:
    """Produces sample() on feed's observations topic. only_v11: every record with the zeelos 1.1
    schema (what format=json carries: the gateway writes its own schema's fields)."""
    recs = sample(feed.gw, t0)
    if only_v11:
        for r in recs:
            if r.schema == "registered":
                r.schema = "extended"
                r.value["rep"]["resources"] = None
    sent = [feed.observe(r.value, r.schema) for r in recs]
    feed.flush()
    return list(zip(recs, sent))


def expected_readings(gw: str, produced: list[tuple[SampleRecord, Sent]]) -> list[dict]:
    """The readings of the produced sample, one dict per value, with its record's coordinates."""
    out = []
    for rec, s in produced:
        for e in rec.expect:
            ids = path_ids(e.path)
            row = {"gateway": gw, "endpoint": e.ep, "path": e.path, "object_id": ids[0], "instance_id": ids[1],
                   "resource_id": ids[2], "resource_instance": ids[3] if len(ids) > 3 else None, "type": e.type,
                   "time_ms": rec.value["timestamp"], "kafka_topic": s.topic, "kafka_partition": s.partition,
                   "kafka_offset": s.offset}
            for f in VALUE_FIELDS:
                row[f] = None
            row[e.field] = e.value
            out.append(row)
    return out


def latest_of(readings: list[dict]) -> dict[tuple, dict]:
    """{(gateway, endpoint, path): the reading with the greatest time}."""
    out: dict[tuple, dict] = {}
    for r in readings:
        k = (r["gateway"], r["endpoint"], r["path"])
        if k not in out or r["time_ms"] > out[k]["time_ms"]:
            out[k] = r
    return out


# ------------------------------------------------------------------ SQL store checks (PostgreSQL, SQLite)
def sql_readings(db, where: str = "true") -> list[dict]:
    rows = db.rows(f"SELECT gateway, endpoint, path, object_id, instance_id, resource_id, resource_instance, type, "
                   f"value_float, value_int, {db.b('value_bool')} AS value_bool, value_str, "
                   f"{db.t('time')} AS time, kafka_topic, kafka_partition, kafka_offset "
                   f"FROM zeelos_readings WHERE {where}")
    for r in rows:
        r["time_ms"] = ms_of(r.pop("time"))
        r["value_bool"] = None if r["value_bool"] is None else bool(r["value_bool"])
    return rows


def sql_latest(db, where: str = "true") -> list[dict]:
    rows = db.rows(f"SELECT gateway, endpoint, path, object_id, instance_id, resource_id, resource_instance, type, "
                   f"value_float, value_int, {db.b('value_bool')} AS value_bool, value_str, "
                   f"{db.t('time')} AS time FROM zeelos_latest WHERE {where}")
    for r in rows:
        r["time_ms"] = ms_of(r.pop("time"))
        r["value_bool"] = None if r["value_bool"] is None else bool(r["value_bool"])
    return rows


def _norm(k: str, v):
    """Values as both stores and JSON give them: a double column may come back as 23 for 23.0."""
    if k == "value_float" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return v


def diff_rows(got: list[dict], want: list[dict], keys) -> str:
    """'' when got and want hold the same rows (as multisets over keys), else what differs."""
    g = Counter(tuple(_norm(k, r.get(k)) for k in keys) for r in got)
    w = Counter(tuple(_norm(k, r.get(k)) for k in keys) for r in want)
    if g == w:
        return ""
    missing = list((w - g).elements())
    extra = list((g - w).elements())
    return (f"columns {keys}\n{len(got)} rows, {len(want)} expected\nmissing ({len(missing)}): {missing[:20]}"
            f"\nunexpected ({len(extra)}): {extra[:20]}")


READING_KEYS = ("gateway", "endpoint", "path", "object_id", "instance_id", "resource_id", "resource_instance",
                "type", "value_float", "value_int", "value_bool", "value_str", "time_ms", "kafka_topic",
                "kafka_partition", "kafka_offset")
LATEST_KEYS = READING_KEYS[:13]


def check_sample_sql(db, feed: Feed, produced: list[tuple[SampleRecord, Sent]]) -> None:
    """zeelos_readings holds exactly the sample's readings."""
    want = expected_readings(feed.gw, produced)
    got = sql_readings(db, f"gateway = '{feed.gw}'")
    d = diff_rows(got, want, READING_KEYS)
    assert not d, "zeelos_readings differs from the records produced:\n" + d


def check_sample_latest(db, feed: Feed, produced: list[tuple[SampleRecord, Sent]]) -> None:
    """zeelos_latest holds the newest (by record timestamp) of the sample's readings of each resource."""
    want = expected_readings(feed.gw, produced)
    latest = sql_latest(db, f"gateway = '{feed.gw}'")
    d = diff_rows(latest, list(latest_of(want).values()), LATEST_KEYS)
    assert not d, ("zeelos_latest is not the newest reading (by record timestamp) of each resource "
                   "(the record for dev-a /3303/0/5700 that arrives last is older than the others):\n" + d)


def json_attr(v):
    """An attributes column: JSON text (or json/jsonb that psql's json_agg already expanded)."""
    if v is None or isinstance(v, (dict, list)):
        return v
    return json.loads(v)


class PgQueries:
    """tests/sinks/queries.sql: the example queries of docs/SINKS.md, one per `-- name: x` block,
    each run by psql with -v gateway=... -v endpoint=... -v path=...."""

    def __init__(self, path: Path = Path(__file__).resolve().parent / "queries.sql"):
        self.blocks: dict[str, str] = {}
        name = None
        for line in path.read_text().splitlines():
            m = re.match(r"^--\s*name:\s*(\S+)", line)
            if m:
                name = m.group(1)
                self.blocks[name] = ""
            elif name:
                self.blocks[name] += line + "\n"

    def run(self, db: PgDB, name: str, **params: str) -> list[list[str]]:
        args = []
        for k, v in params.items():
            args += ["-v", f"{k}={v}"]
        out = db.psql("-F", "\x1f", *args, "-f", "-", stdin=self.blocks[name]).stdout
        return [line.split("\x1f") for line in out.splitlines() if line]


# ------------------------------------------------------------------ the asset model (PostgreSQL, SQLite)
def one(rows: list[dict], what: str) -> dict:
    assert len(rows) == 1, f"{what}: {len(rows)} rows: {rows}"
    return rows[0]


def asset_model_lifecycle(db, feed: Feed, sink: Sink) -> None:
    """NEW -> UPDATE -> DELETE -> NEW of one device, each checked in the asset model tables once
    the sink has handled it."""
    gw, ep = feed.gw, "sensor-1"
    t = now_ms()
    handled = [0]
    where = f"gateway = '{gw}' AND endpoint = '{ep}'"

    def send(value: dict, schema: str = "extended") -> Sent:
        s = feed.register(value, schema)
        feed.flush()
        handled[0] += 1
        sink.wait_metric("zeelos_sink_records_total", lambda v: v >= handled[0], 30,
                         what=f"registration record {handled[0]} handled")
        m = sink.metrics()
        assert m.get("zeelos_sink_records_total", result="dead") == 0, m
        return s

    def endpoint() -> dict:
        r = one(db.rows(f"SELECT gateway, endpoint, registration_id, address, port, lifetime, binding, lwm2m_version, "
                        f"sms, root_path, attributes, status, {db.b('expired')} AS expired, "
                        f"{db.t('registered_at')} AS registered_at, {db.t('first_seen')} AS first_seen, "
                        f"{db.t('last_seen')} AS last_seen FROM zeelos_endpoints WHERE {where}"), "zeelos_endpoints")
        for k in ("registered_at", "first_seen", "last_seen"):
            r[k] = ms_of(r[k])
        r["attributes"] = json_attr(r["attributes"])
        return r

    def view_status() -> str:
        return one(db.rows(f"SELECT status FROM zeelos_endpoint_status WHERE {where}"),
                   "zeelos_endpoint_status")["status"]

    def links() -> dict[str, tuple]:
        return {r["url"]: (r["object_id"], r["instance_id"], r["version"])
                for r in db.rows(f"SELECT url, object_id, instance_id, version FROM zeelos_endpoint_objects "
                                 f"WHERE {where}")}

    # ---- NEW
    t_new = t - 30_000
    send(reg_new(gw, ep, t_new, "reg-1", lt=600, links=["/1/0", "/3/0", ("/3303", {"ver": "1.1"}), "/3303/0",
                                                       "/3303/1"],
                 bnd="U", binding="UT", address="10.1.2.3", port=56830, ver="1.1", attributes={"fw": "1.2.3"}))
    e = endpoint()
    assert (e["registration_id"], e["address"], e["port"], e["lifetime"], e["binding"], e["lwm2m_version"],
            e["sms"], e["root_path"], e["status"], e["expired"]) == (
        "reg-1", "10.1.2.3", 56830, 600, "UT", "1.1", None, "/", "online", 0), e
    assert e["attributes"] == {"fw": "1.2.3"}, e
    assert e["registered_at"] == t_new and e["first_seen"] == t_new and e["last_seen"] == t_new, e
    assert view_status() == "online"
    got = links()
    assert set(got) == {"/1/0", "/3/0", "/3303", "/3303/0", "/3303/1"}, got
    assert {u: v[:2] for u, v in got.items()} == {"/1/0": (1, 0), "/3/0": (3, 0), "/3303": (3303, None),
                                                   "/3303/0": (3303, 0), "/3303/1": (3303, 1)}, got
    assert got["/3303"][2] == "1.1", f"the version of </3303>;ver=1.1: {got['/3303']}"
    g = one(db.rows(f"SELECT gateway FROM zeelos_gateways WHERE gateway = '{gw}'"), "zeelos_gateways")
    assert g == {"gateway": gw}
    # the links joined to the built-in OMA models
    names = {r["url"]: r["name"] for r in db.rows(
        f"SELECT eo.url, o.name FROM zeelos_endpoint_objects eo JOIN zeelos_objects o ON o.object_id = eo.object_id "
        f"WHERE eo.gateway = '{gw}' AND eo.endpoint = '{ep}'")}
    assert names == {"/1/0": "LwM2M Server", "/3/0": "Device", "/3303": "Temperature", "/3303/0": "Temperature",
                     "/3303/1": "Temperature"}, names
    res = db.rows(f"SELECT eo.url, r.name, r.type, {db.b('r.multiple')} AS multiple, r.units "
                  f"FROM zeelos_endpoint_objects eo JOIN zeelos_resources r ON r.object_id = eo.object_id "
                  f"WHERE eo.gateway = '{gw}' AND eo.endpoint = '{ep}' AND r.resource_id = 5700 ORDER BY eo.url")
    assert [(r["url"], r["name"], r["type"], r["multiple"]) for r in res] == [
        ("/3303", "Sensor Value", "FLOAT", 0), ("/3303/0", "Sensor Value", "FLOAT", 0),
        ("/3303/1", "Sensor Value", "FLOAT", 0)], res
    o = one(db.rows(f"SELECT name, {db.b('multiple')} AS multiple FROM zeelos_objects WHERE object_id = 3303"),
            "zeelos_objects 3303")
    assert o == {"name": "Temperature", "multiple": 1}, o
    pv = one(db.rows(f"SELECT name, type, {db.b('multiple')} AS multiple FROM zeelos_resources "
                     f"WHERE object_id = 3 AND resource_id = 7"), "zeelos_resources 3/7")
    assert pv == {"name": "Power Source Voltage", "type": "INTEGER", "multiple": 1}, pv

    # ---- UPDATE: a new link, a new lifetime and address; what it leaves null stays
    t_upd = t - 20_000
    send(reg_update(gw, ep, t_upd, "reg-1", lt=1200, address="10.1.2.4", port=56831,
                    links=["/1/0", "/3/0", ("/3303", {"ver": "1.1"}), "/3303/0", "/3303/1", "/3311/0"]))
    e = endpoint()
    assert (e["registration_id"], e["address"], e["port"], e["lifetime"], e["binding"], e["lwm2m_version"],
            e["status"]) == ("reg-1", "10.1.2.4", 56831, 1200, "UT", "1.1", "online"), e
    assert e["first_seen"] == t_new and e["last_seen"] == t_upd and e["registered_at"] == t_new, e
    got = links()
    assert set(got) == {"/1/0", "/3/0", "/3303", "/3303/0", "/3303/1", "/3311/0"}, got
    assert got["/3311/0"][:2] == (3311, 0), got
    assert view_status() == "online"

    # ---- DELETE: offline, the history kept
    t_del = t - 10_000
    send(reg_delete(gw, ep, t_del, expired=False))
    e = endpoint()
    assert (e["status"], e["expired"], e["registration_id"], e["lifetime"]) == ("offline", 0, "reg-1", 1200), e
    assert e["last_seen"] == t_del, e
    assert view_status() == "offline"
    ev = db.rows(f"SELECT kind, registration_id, address, port, lifetime, binding, {db.b('expired')} AS expired, "
                 f"{db.t('time')} AS time, kafka_topic, kafka_partition, kafka_offset "
                 f"FROM zeelos_registration_events WHERE {where} ORDER BY kafka_offset")
    regs = [s for s in feed.sent if s.topic == feed.reg_topic]
    assert [r["kind"] for r in ev] == ["NEW", "UPDATE", "DELETE"], ev
    assert [ms_of(r["time"]) for r in ev] == [t_new, t_upd, t_del], ev
    assert [(r["kafka_topic"], r["kafka_partition"], r["kafka_offset"]) for r in ev] == [
        (s.topic, s.partition, s.offset) for s in regs], ev
    assert (ev[0]["registration_id"], ev[0]["address"], ev[0]["port"], ev[0]["lifetime"], ev[0]["binding"]) == (
        "reg-1", "10.1.2.3", 56830, 600, "UT"), ev[0]
    assert (ev[1]["lifetime"], ev[1]["address"]) == (1200, "10.1.2.4"), ev[1]
    assert ev[2]["expired"] == 0, ev[2]

    # ---- NEW again (the original contract schema: bnd only): replaces the links
    t_new2 = t - 1_000
    send(reg_new(gw, ep, t_new2, "reg-2", lt=300, links=["/3/0", "/3303/0"], bnd="UQ"), schema="registered")
    e = endpoint()
    assert (e["registration_id"], e["lifetime"], e["binding"], e["status"], e["expired"]) == (
        "reg-2", 300, "UQ", "online", 0), e
    assert e["first_seen"] == t_new and e["last_seen"] == t_new2 and e["registered_at"] == t_new2, e
    assert set(links()) == {"/3/0", "/3303/0"}, links()
    assert db.count("zeelos_registration_events", where) == 4
    assert one(db.rows(f"SELECT count(*) AS n FROM zeelos_endpoints WHERE gateway = '{gw}'"), "count")["n"] == 1
