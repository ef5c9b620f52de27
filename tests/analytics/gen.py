# SPDX-License-Identifier: Apache-2.0
"""Input generator and reference model of `zeelos analytics` (docs/ANALYTICS.md).

The model is written from the document alone, not from the C code:

* Values: every observation record is flattened into its values (single resource, every instance
  of a multiple resource, every resource of an instance or object read, every rep.resources entry
  of a 1.1 composite notification / Send).  A value counts when it is numeric (the Avro double or
  long branch: FLOAT, INTEGER, TIME) and its path matches the job's filter.
* Windows: epoch aligned, end exclusive; tumbling [t - t mod S, +S), hopping every [kA, kA + S)
  holding t.
* Non-numeric values are counted once per value of the record (zeelos_analytics_values_skipped_total),
  whatever the filter (tests that check the count use a filter that matches them all).
* Stream time: per job and input partition, the largest timestamp of a value that reached the
  aggregation (numeric, filter matched).  path / object / gateway groups go through a repartition
  topic (docs "Groups across partitions"), where stream time is per repartition partition: the
  model is exact for them on a 1-partition input, and on several partitions for inputs built so
  that the interleaving cannot matter (repartition_phases; run the model on them as one partition).  A window [s, e) is closed once stream time >= e + grace;
  a value for a closed window is late (counted once per value and window, dropped there).
* Emission (emit=final): when a value advances stream time, every window that closes is emitted,
  ordered by (end, group key bytes, start).  Windows that never close stay in state.
* Aggregates: count, min, max, sum (in processing order), mean = sum / count, last (greatest
  timestamp, on equal timestamps the later value) and lastTimestamp; max-record keeps the reading
  with the largest value (on equal values the earlier one).

Scenarios are lists of `Rec` (input partition, key ep, AvroResponseObserve dict in fastavro's
tuple notation, optional Kafka record timestamp).  Everything is deterministic for a given t0 (the
base event time, aligned to a minute) and seed.  Float values in scenarios whose sums could be
reordered are multiples of 1/8 with small magnitudes, so every partial sum is exact and the result
does not depend on the order a correct implementation adds them in."""
from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from sink_helpers import instance, multiple, obj, observation, resource

RES = "io.zeelos.leshan.avro.resource."
RSP = "io.zeelos.leshan.avro.response."
NUMERIC_BRANCHES = ("double", "long")
GROUPS = ("endpoint", "endpoint+path", "path", "object", "gateway")


# ------------------------------------------------------------------ input records
@dataclass
class Rec:
    """One input record: produced on `partition` of the input topic with key AvroKey{ep}."""
    partition: int
    ep: str
    value: Optional[dict]                 # AvroResponseObserve (tuple notation); None with raw
    record_ts: Optional[int] = None       # Kafka record timestamp (None: the producer's clock)
    raw: Optional[bytes] = None           # an undecodable value (value None)
    topic: Optional[str] = None           # None: the scenario's input topic

    @property
    def ts(self) -> int:
        return self.value["timestamp"]


def obs(gw: str, ep: str, ts: int, node: Optional[dict] = None, resources: Optional[list[dict]] = None,
        path: Optional[str] = None, ticket: Optional[str] = None, server: Optional[str] = None) -> dict:
    """An AvroResponseObserve of the zeelos 1.1 schema with a ticket and observationId of its own."""
    if path is None:
        path = node["path"] if node is not None and "path" in node else (
            f"/{node['id']}" if node is not None and node["kind"] == "OBJECT" else
            ",".join(r["path"] for r in resources or []))
    tk = ticket or "tk-" + hashlib.sha1(repr((ep, ts, path, node, resources, server)).encode()).hexdigest()[:12]
    v = observation(server or gw, ep, path, ts, node=node, resources=resources, ticket=tk)
    v["observationId"] = f"obs-{tk}"
    return v


def temp(gw: str, ep: str, ts: int, value: float, inst: int = 0, p: int = 0, **kw) -> Rec:
    """A single-resource temperature reading /3303/<inst>/5700 (FLOAT)."""
    path = f"/3303/{inst}/5700"
    return Rec(p, ep, obs(gw, ep, ts, node=resource(path, "FLOAT", float(value)), **kw))


def single(gw: str, ep: str, ts: int, path: str, typ: str, value: Any, p: int = 0, **kw) -> Rec:
    return Rec(p, ep, obs(gw, ep, ts, node=resource(path, typ, value), **kw))


def inst_node(iid: int, resources: list[dict], multiples: Optional[list[dict]] = None) -> dict:
    """An AvroInstanceResource; its multiple resources (a union of null and an array) in fastavro's
    tuple notation."""
    node = instance(iid, resources)
    if multiples is not None:
        node["multipleResources"] = ("array", multiples)
    return node


# ------------------------------------------------------------------ values (docs/ANALYTICS.md "Values")
def _branch(u) -> tuple[Optional[str], Any]:
    """(branch, value) of a union in tuple notation; (None, None) for null."""
    if u is None:
        return None, None
    if isinstance(u, tuple):
        return u[0], u[1]
    raise AssertionError(f"a union value not in tuple notation: {u!r}")


def _res_values(r: dict) -> list[tuple[str, str, str, Any]]:
    br, v = _branch(r["value"])
    return [(r["path"], r["type"], br, v)]


def _node_values(node: dict) -> list[tuple[str, str, str, Any]]:
    kind = node["kind"]
    if kind == "SINGLE_RESOURCE":
        return _res_values(node)
    if kind == "MULTIPLE_RESOURCE":
        return [x for r in node["resources"].values() for x in _res_values(r)]
    if kind == "INSTANCE":
        out = [x for r in node["resources"] for x in _res_values(r)]
        ms = node.get("multipleResources")
        for m in (ms[1] if isinstance(ms, tuple) else ms) or []:
            out += _node_values(m)
        return out
    if kind == "OBJECT":
        return [x for i in node["instances"] for x in _node_values(i)]
    raise AssertionError(kind)


def values_of(value: dict) -> list[tuple[str, str, str, Any]]:
    """The values of an observation: [(path, AvroType, Avro branch, value)] in record order (the read
    body first, then rep.resources)."""
    out = []
    name, body = _branch(value["rep"]["body"])
    if name == RSP + "AvroReadResponseBody":
        _, node = _branch(body["content"])
        out += _node_values(node)
    res = value["rep"].get("resources")
    if res is not None:
        _, items = res if isinstance(res, tuple) else ("array", res)
        for r in items:
            out += _res_values(r)
    return out


def is_numeric(branch: str) -> bool:
    return branch in NUMERIC_BRANCHES


# ------------------------------------------------------------------ jobs
@dataclass
class Job:
    """A job of docs/ANALYTICS.md "Job file" (None fields are left out of the file: defaults)."""
    name: str
    size_ms: int
    type: str = "tumbling"
    advance_ms: Optional[int] = None
    grace_ms: Optional[int] = None
    filter: Optional[str] = None
    group_by: Optional[str] = None
    time: Optional[str] = None
    emit: Optional[str] = None
    output_format: Optional[str] = None
    input: Optional[list[str]] = None
    output: Optional[str] = None

    # effective values (the documented defaults)
    @property
    def advance(self) -> int:
        return self.advance_ms if self.type == "hopping" and self.advance_ms else self.size_ms

    @property
    def grace(self) -> int:
        return 5000 if self.grace_ms is None else self.grace_ms

    @property
    def group(self) -> str:
        return self.group_by or "endpoint+path"

    @property
    def fmt(self) -> str:
        return self.output_format or "aggregate"

    def output_topic(self, gw: str) -> str:
        return self.output or f"analytics.{gw}.{self.name}"

    def doc(self) -> dict:
        """The job file's JSON object."""
        d: dict[str, Any] = {"name": self.name}
        if self.input is not None:
            d["input"] = self.input
        if self.filter is not None:
            d["filter"] = self.filter
        if self.group_by is not None:
            d["group_by"] = self.group_by
        w: dict[str, Any] = {"type": self.type, "size_ms": self.size_ms}
        if self.advance_ms is not None:
            w["advance_ms"] = self.advance_ms
        if self.grace_ms is not None:
            w["grace_ms"] = self.grace_ms
        d["window"] = w
        for k in ("time", "emit", "output", "output_format"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        return d


# the presets (docs/ANALYTICS.md "Presets"); the document does not name the per-minute jobs, the
# tests read their `job` field from the output
PRESETS = {
    "max-temp-30s": [Job("max-temp-30s", 30_000, grace_ms=5000, filter="/3303/*/5700", group_by="endpoint+path",
                         output_format="max-record")],
    "per-minute": [Job("per-minute-endpoint", 60_000, grace_ms=5000, group_by="endpoint"),
                   Job("per-minute-endpoint-path", 60_000, grace_ms=5000, group_by="endpoint+path")],
}
PRESET_TOPICS = {
    "max-temp-30s": ["analytics.{gw}.observations.maxper30sec"],
    "per-minute": ["analytics.{gw}.observations.perminute.endpoint",
                   "analytics.{gw}.observations.perminute.endpoint-path"],
}


def filter_match(pattern: str, path: str) -> bool:
    """docs: `/`-separated segments, `*` matches one; same length; "" matches all."""
    if not pattern:
        return True
    ps, xs = pattern.strip("/").split("/"), path.strip("/").split("/")
    return len(ps) == len(xs) and all(p == "*" or p == x for p, x in zip(ps, xs))


def group_key(job: Job, value: dict, path: str) -> str:
    g = job.group
    if g == "endpoint":
        return value["ep"]
    if g == "endpoint+path":
        return f"{value['ep']}.{path}"
    if g == "path":
        return path
    if g == "object":
        return path.strip("/").split("/")[0]
    if g == "gateway":
        return value["serverId"]
    raise AssertionError(g)


def windows_of(job: Job, t: int) -> list[tuple[int, int]]:
    """[(start, end)] of every window holding t, by start."""
    s, a = job.size_ms, job.advance
    if job.type != "hopping":
        st = t - t % s  # Python's % is a floor modulo: right for negative t too
        return [(st, st + s)]
    out = []
    k = t // a  # the last start k*a <= t
    while k * a + s > t:
        out.append((k * a, k * a + s))
        k -= 1
    return sorted(out)


# ------------------------------------------------------------------ the model
@dataclass
class Agg:
    count: int = 0
    min: float = 0.0
    max: float = 0.0
    sum: float = 0.0
    last: float = 0.0
    last_ts: int = 0
    maxrec: Optional[dict] = None  # max-record: the reading (value, ticket, ...)

    def add(self, v: float, ts: int, rec: dict, path: str) -> None:
        if self.count == 0:
            self.min = self.max = v
            self.sum = v
            self.last, self.last_ts = v, ts
            self.maxrec = _reading(v, ts, rec, path)
        else:
            self.min = min(self.min, v)
            if v > self.max:
                self.maxrec = _reading(v, ts, rec, path)
            self.max = max(self.max, v)
            self.sum = self.sum + v
            if ts >= self.last_ts:
                self.last, self.last_ts = v, ts
        self.count += 1

    def copy(self) -> "Agg":
        return Agg(self.count, self.min, self.max, self.sum, self.last, self.last_ts, self.maxrec)


def _reading(v: float, ts: int, rec: dict, path: str) -> dict:
    return {"v": v, "ts": ts, "ticket": rec["ticket"], "observationId": rec["observationId"],
            "serverId": rec["serverId"], "ep": rec["ep"], "path": path}


def aggregate_value(job_name: str, group: str, start: int, end: int, a: Agg, final: bool = True) -> dict:
    """The AvroWindowAggregate record (decoded form)."""
    return {"job": job_name, "group": group, "windowStart": start, "windowEnd": end, "count": a.count,
            "min": a.min, "max": a.max, "sum": a.sum, "mean": a.sum / a.count, "last": a.last,
            "lastTimestamp": a.last_ts, "final": final}


def max_record_value(r: dict) -> dict:
    """The max-record output (an AvroResponseObserve, decoded with fastavro's return_record_name)."""
    p = r["path"] + "-max"
    rid = int(r["path"].strip("/").split("/")[-1])
    return {"ticket": r["ticket"], "observationId": r["observationId"], "serverId": r["serverId"], "ep": r["ep"],
            "path": p, "timestamp": r["ts"],
            "rep": {"code": "CONTENT", "kind": "observe",
                    "body": (RSP + "AvroReadResponseBody",
                             {"content": (RES + "AvroResource",
                                          {"id": rid, "path": p, "kind": "SINGLE_RESOURCE", "type": "FLOAT",
                                           "value": float(r["v"])})})}}


@dataclass
class Out:
    """One expected output record."""
    group: str
    start: int
    end: int
    value: dict
    src: tuple            # the (topic, partition) whose stream time closed it
    final: bool = True

    @property
    def key(self) -> tuple[str, int]:
        return (self.group, self.start)


@dataclass
class ModelResult:
    job: Job
    outputs: list[Out] = field(default_factory=list)           # emission order (per source partition)
    late: int = 0                                              # zeelos_analytics_late_total
    skipped_not_numeric: int = 0                               # values_skipped_total{not_numeric}
    undecodable: int = 0                                       # records_skipped_total{undecodable}
    aggregated: int = 0                                        # (value, window) pairs aggregated
    values: int = 0                                            # numeric values matching the filter
    stream_time: dict = field(default_factory=dict)            # (topic, partition) -> stream time
    open: dict = field(default_factory=dict)                   # (topic, partition) -> {(group, start): Agg}
    prefixes: dict = field(default_factory=lambda: defaultdict(list))  # (group, start) -> [value after each add]

    def __repr__(self):
        return (f"ModelResult(job {self.job.name}: {len(self.outputs)} outputs, {self.late} late, "
                f"{self.values} values, {self.skipped_not_numeric} not numeric, {self.undecodable} undecodable)")

    def by_key(self) -> dict[tuple[str, int], Out]:
        d = {}
        for o in self.outputs:
            assert o.key not in d, f"model: two outputs for {o.key}"
            d[o.key] = o
        return d


def run_model(job: Job, recs: Iterable[Rec], topic: str = "in", job_name: Optional[str] = None) -> ModelResult:
    """Runs job over recs (in produce order; every partition's records keep their order) and returns
    what zeelos analytics must output for it."""
    name = job_name or job.name
    res = ModelResult(job)
    for r in recs:
        tp = (r.topic or topic, r.partition)
        if r.value is None:
            res.undecodable += 1
            continue
        ts = r.value["timestamp"] if (job.time or "event") == "event" else r.record_ts
        assert ts is not None, "time=record needs the record timestamp in the scenario"
        state = res.open.setdefault(tp, {})
        for path, typ, br, v in values_of(r.value):
            if not is_numeric(br):
                res.skipped_not_numeric += 1
                continue
            if not filter_match(job.filter or "", path):
                continue
            res.values += 1
            st = res.stream_time.get(tp)
            g = group_key(job, r.value, path)
            for s, e in windows_of(job, ts):
                if st is not None and st >= e + job.grace:
                    res.late += 1
                    continue
                a = state.setdefault((g, s), Agg())
                a.add(float(v), ts, r.value, path)
                res.aggregated += 1
                res.prefixes[(g, s)].append(_out_value(job, name, g, s, e, a, final=False))
            if st is None or ts > st:
                res.stream_time[tp] = ts
                _close(job, name, res, tp, state, ts)
    return res


def _out_value(job: Job, name: str, g: str, s: int, e: int, a: Agg, final: bool) -> dict:
    if job.fmt == "max-record":
        return max_record_value(a.maxrec)
    return aggregate_value(name, g, s, e, a, final)


def _close(job: Job, name: str, res: ModelResult, tp, state: dict, st: int) -> None:
    closing = [(s + job.size_ms, g.encode(), s, g) for (g, s) in state if st >= s + job.size_ms + job.grace]
    for e, _, s, g in sorted(closing):
        a = state.pop((g, s))
        res.outputs.append(Out(g, s, e, _out_value(job, name, g, s, e, a, final=True), tp))


# ------------------------------------------------------------------ scenarios
S10, G2 = 10_000, 2_000


def window_job(name: str, **kw) -> Job:
    """Tumbling 10 s, grace 2 s, endpoint+path unless told otherwise."""
    kw.setdefault("size_ms", S10)
    kw.setdefault("grace_ms", G2)
    return Job(name, **kw)


def boundaries(gw: str, t0: int, p: int = 0) -> list[Rec]:
    """One resource of one device (dev-a /3303/0/5700) through tumbling 10 s / grace 2 s windows
    W0 = [t0, t0+10s), W1, W2, ...: readings at the first and the last millisecond of a window,
    out of order within the grace, the grace expiring exactly at end + grace, late readings.
    With a second device (dev-b) whose windows close in the same steps (emission order)."""
    a, b = "dev-a", "dev-b"
    return [
        temp(gw, a, t0 + 0, 20.0, p=p),            # W0 first ms
        temp(gw, a, t0 + 9_999, 21.5, p=p),        # W0 last ms
        temp(gw, b, t0 + 4_000, 10.0, p=p),        # W0 of dev-b (out of order: st = t0+9999)
        temp(gw, a, t0 + 10_000, 23.0, p=p),       # W1 first ms
        temp(gw, a, t0 + 5_000, 19.25, p=p),       # W0, out of order, in grace
        temp(gw, a, t0 + 11_999, 22.0, p=p),       # W1; st one ms short of W0's end + grace
        temp(gw, a, t0 + 3_000, 18.5, p=p),        # W0 still open
        temp(gw, b, t0 + 11_000, 11.0, p=p),       # W1 of dev-b
        temp(gw, a, t0 + 12_000, 24.0, p=p),       # st = W0 end + grace: W0 of a and b close
        temp(gw, a, t0 + 9_999, 99.0, p=p),        # W0 closed: late
        temp(gw, b, t0 + 0, 98.0, p=p),            # W0 closed: late
        temp(gw, a, t0 + 19_999, 25.0, p=p),       # W1 last ms
        temp(gw, a, t0 + 20_000, 26.0, p=p),       # W2
        temp(gw, b, t0 + 13_000, 12.0, p=p),       # W1 of b, in grace
        temp(gw, a, t0 + 22_000, 27.0, p=p),       # W1 closes (a and b)
        temp(gw, a, t0 + 15_000, 97.0, p=p),       # late
        temp(gw, a, t0 + 45_000, 28.0, p=p),       # closes W2 (ends 30s) ; W4 stays open
    ]


def hopping_boundaries(gw: str, t0: int, p: int = 0) -> list[Rec]:
    """Hopping 10 s / advance 5 s / grace 2 s: every reading in two windows; one reading late for
    one of its windows and not for the other; a jump closing several windows at once."""
    a = "dev-a"
    return [
        temp(gw, a, t0 + 0, 1.0, p=p),          # [t0-5,t0+5) and [t0,t0+10)
        temp(gw, a, t0 + 4_999, 2.0, p=p),      # same two
        temp(gw, a, t0 + 5_000, 3.0, p=p),      # [t0,t0+10) and [t0+5,t0+15)
        temp(gw, a, t0 + 9_999, 4.0, p=p),
        temp(gw, a, t0 + 12_000, 5.0, p=p),     # st = t0+12000: [t0,t0+10) closes (end+grace)
        temp(gw, a, t0 + 7_000, 6.0, p=p),      # late for [t0,t0+10), aggregated in [t0+5,t0+15)
        temp(gw, a, t0 + 2_000, 7.0, p=p),      # late for [t0-5,..) (closed at t0+7000) and [t0,..)
        temp(gw, a, t0 + 16_999, 8.0, p=p),     # [t0+5,t0+15) not yet closed (needs t0+17000)
        temp(gw, a, t0 + 14_000, 9.0, p=p),     # in grace for [t0+5,t0+15)
        temp(gw, a, t0 + 17_000, 10.0, p=p),    # closes [t0+5,t0+15)
        temp(gw, a, t0 + 60_000, 11.0, p=p),    # closes [t0+10,t0+20) [t0+15,t0+25)
    ]


def mixed_values(gw: str, t0: int, p: int = 0) -> list[Rec]:
    """Every kind of observation body on one partition, numeric and not: INTEGER and TIME values, a
    multi-instance resource (/3/0/7 -> /3/0/7/0, /3/0/7/1), an instance read of /3303/0, an object
    read of /3303, a 1.1 composite notification (rep.resources), strings, booleans, opaque, objlnk
    and an error answer without values.  Windows tumbling 10 s."""
    a, b = "dev-a", "dev-b"
    recs = [
        temp(gw, a, t0 + 1_000, 21.5, p=p),
        single(gw, a, t0 + 1_500, "/3/0/9", "INTEGER", 87, p=p),                 # battery (long)
        single(gw, a, t0 + 1_600, "/3/0/13", "TIME", 1_600_000_000, p=p),        # current time (long)
        single(gw, a, t0 + 1_700, "/3/0/0", "STRING", "ACME", p=p),              # skipped
        single(gw, a, t0 + 1_800, "/3311/0/5850", "BOOLEAN", True, p=p),         # skipped
        Rec(p, a, obs(gw, a, t0 + 2_000, node=multiple("/3/0/7", "INTEGER", {0: 3300, 1: 5000}))),
        Rec(p, b, obs(gw, b, t0 + 2_500, node=inst_node(0, [
            resource("/3303/0/5700", "FLOAT", 19.5), resource("/3303/0/5601", "FLOAT", 17.25),
            resource("/3303/0/5701", "STRING", "Cel")], [multiple("/3303/0/5750", "STRING", {0: "x"})]),
            path="/3303/0")),
        Rec(p, b, obs(gw, b, t0 + 3_000, node=obj(3303, [
            instance(0, [resource("/3303/0/5700", "FLOAT", 20.25)]),
            instance(1, [resource("/3303/1/5700", "FLOAT", -3.5), resource("/3303/1/5602", "FLOAT", 4.0)])]),
            path="/3303")),
        Rec(p, a, obs(gw, a, t0 + 4_000, resources=[
            resource("/3303/0/5700", "FLOAT", 22.75), resource("/3/0/0", "STRING", "ACME"),
            resource("/3311/0/5850", "BOOLEAN", False), resource("/3/0/7/1", "INTEGER", 4200),
            resource("/5/0/0", "OPAQUE", "AAEC/w=="), resource("/1/0/10", "OBJLNK", "11:0"),
            resource("/3/0/9", "INTEGER", 85)])),
        Rec(p, a, observation(gw, a, "/3303/0/5700", t0 + 4_500, code="NOT_FOUND", generic="gone",
                              ticket="tk-err")),
        single(gw, b, t0 + 5_000, "/3/0/13", "TIME", 1_600_000_005, p=p),
        Rec(p, a, obs(gw, a, t0 + 6_000, node=multiple("/3/0/7", "INTEGER", {0: 3310, 1: 4990}))),
        temp(gw, a, t0 + 9_000, 23.5, p=p),
        single(gw, a, t0 + 9_500, "/3/0/1", "STRING", "model", p=p),
        temp(gw, b, t0 + 10_500, 24.0, inst=1, p=p),
        temp(gw, a, t0 + 12_000, 24.5, p=p),     # closes the first window (grace 2 s)
        single(gw, b, t0 + 14_000, "/3/0/9", "INTEGER", 80, p=p),
        temp(gw, a, t0 + 30_000, 30.0, p=p),     # closes the second
    ]
    return recs


def groups_scenario(gw: str, t0: int, p: int = 0) -> list[Rec]:
    """Two gateways (serverId), three endpoints, two objects, several paths in one partition: every
    group_by gives a different grouping of the same values."""
    out = []
    vals = [1.5, -2.25, 3.0, 4.125, 0.5, 7.75, -1.0, 2.5]
    eps = ["dev-b", "dev-a", "Dev-c"]  # inserted out of byte order; "D" < "d"
    i = 0
    for w in range(3):
        for k, ep in enumerate(eps):
            srv = "gwA" if k != 1 else "gwB"
            base = t0 + w * S10 + 1_000 + 997 * k
            out.append(temp(gw, ep, base, vals[i % 8] + w, inst=k % 2, p=p, server=srv))
            i += 1
            out.append(single(gw, ep, base + 100, "/3/0/9", "INTEGER", 50 + i, p=p, server=srv))
            i += 1
            out.append(Rec(p, ep, obs(gw, ep, base + 200, node=multiple("/3/0/7", "INTEGER", {0: 100 + i, 1: 200 + i}),
                                      server=srv)))
            i += 1
    out.append(temp(gw, "dev-a", t0 + 50_000, 0.0, p=p, server="gwA"))  # closes w0..w2 (2 s grace)
    return out


def filter_scenario(gw: str, t0: int, p: int = 0) -> list[Rec]:
    """For filter /3303/*/5700: matching paths, a same-prefix longer/shorter path, other resources
    with later timestamps (they must not advance stream time: only values that passed the filter
    do), and a reading that is on time only because of that."""
    a = "dev-a"
    return [
        temp(gw, a, t0 + 1_000, 20.0, p=p),
        temp(gw, a, t0 + 1_100, 21.0, inst=1, p=p),
        single(gw, a, t0 + 1_200, "/3303/0/5701", "FLOAT", 99.0, p=p),        # another resource
        Rec(p, a, obs(gw, a, t0 + 1_300, node=multiple("/3303/0/5700", "FLOAT", {0: 98.0, 1: 97.0}))),  # /3303/0/5700/i
        single(gw, a, t0 + 40_000, "/3/0/9", "INTEGER", 50, p=p),             # far ahead, filtered out
        single(gw, a, t0 + 40_000, "/3303/0/5700", "STRING", "hot", p=p),     # far ahead, not numeric
        temp(gw, a, t0 + 5_000, 22.0, p=p),                                   # on time (st = t0+1100)
        temp(gw, a, t0 + 13_000, 23.0, p=p),                                  # closes W0 (grace 2 s)
        temp(gw, a, t0 + 50_000, 24.0, p=p),
    ]


def updates_phases(gw: str, t0: int, p: int = 0) -> list[list[Rec]]:
    """emit=updates: three phases of one window [t0, t0+10s) of dev-a, the third closes it."""
    a = "dev-a"
    return [
        [temp(gw, a, t0 + 1_000, 10.0, p=p), temp(gw, a, t0 + 2_000, 12.5, p=p)],
        [temp(gw, a, t0 + 3_000, 8.0, p=p), temp(gw, "dev-b", t0 + 3_500, 1.0, p=p)],
        [temp(gw, a, t0 + 20_000, 9.0, p=p)],
    ]


def max_temp_scenario(gw: str, t0: int, p: int = 0) -> list[Rec]:
    """For max-temp-30s (tumbling 30 s, grace 5 s, /3303/*/5700, endpoint+path, max-record):
    readings of two instances of two devices, an INTEGER reading that is the maximum of its window,
    other resources that must not count, a late reading larger than the window's maximum."""
    a, b = "dev-a", "dev-b"
    return [
        temp(gw, a, t0 + 1_000, 21.0, p=p),
        temp(gw, a, t0 + 2_000, 23.5, p=p),                    # max of a/0 in W0
        temp(gw, a, t0 + 3_000, 22.0, p=p),
        temp(gw, a, t0 + 4_000, 30.0, inst=1, p=p),
        temp(gw, b, t0 + 5_000, -4.0, p=p),
        single(gw, b, t0 + 6_000, "/3303/0/5700", "INTEGER", 7, p=p),   # INTEGER max of b/0 (as double)
        single(gw, a, t0 + 7_000, "/3303/0/5601", "FLOAT", 99.0, p=p),  # not /5700
        single(gw, a, t0 + 8_000, "/3/0/9", "INTEGER", 100, p=p),
        temp(gw, a, t0 + 29_999, 22.5, p=p),
        temp(gw, a, t0 + 30_000, 25.0, p=p),                   # W1
        temp(gw, a, t0 + 20_000, 23.0, p=p),                   # W0 out of order, not the max
        temp(gw, a, t0 + 35_000, 26.0, p=p),                   # W0 closes (30 s + 5 s)
        temp(gw, a, t0 + 10_000, 80.0, p=p),                   # late
        temp(gw, b, t0 + 31_000, 5.5, p=p),
        temp(gw, a, t0 + 70_000, 27.0, p=p),                   # W1 closes
    ]


def per_minute_scenario(gw: str, t0: int, p: int = 0) -> list[Rec]:
    """For per-minute: two devices, several resources (numeric and not), three minutes."""
    out = []
    for m in range(3):
        base = t0 + m * 60_000
        out += [
            temp(gw, "dev-a", base + 1_000, 20.0 + m, p=p),
            temp(gw, "dev-a", base + 30_000, 21.5 + m, inst=1, p=p),
            single(gw, "dev-a", base + 31_000, "/3/0/9", "INTEGER", 90 - m, p=p),
            temp(gw, "dev-b", base + 40_000, -1.25 * m, p=p),
            single(gw, "dev-b", base + 41_000, "/3/0/0", "STRING", "ACME", p=p),
            Rec(p, "dev-b", obs(gw, "dev-b", base + 59_999, node=multiple("/3/0/7", "INTEGER", {0: 3300, 1: 5000 + m}))),
        ]
    out.append(temp(gw, "dev-a", t0 + 3 * 60_000 + 5_000, 0.5, p=p))   # closes the third minute
    out.append(temp(gw, "dev-b", t0 + 2 * 60_000 + 1_000, 99.0, p=p))  # late
    return out


def big_stream(gw: str, t0: int, n: int, partitions: int = 3, eps: int = 30, seed: int = 1,
               denominator: int = 8) -> list[Rec]:
    """n temperature readings over `partitions` partitions (device i on partition i mod partitions),
    two instances each, event times advancing ~20 ms per record per partition with jitter: some
    out of order within a 2 s grace, some late.  Values are multiples of 1/denominator in [-64, 64]
    (1/8: every partial sum exact; 1/10: sums that depend on the order of the additions)."""
    rnd = random.Random(seed)
    clock = [t0] * partitions
    out = []
    for i in range(n):
        d = rnd.randrange(eps)
        p = d % partitions
        clock[p] += rnd.randrange(0, 40)
        j = rnd.random()
        ts = clock[p] - (rnd.randrange(0, 1_800) if j < 0.15 else rnd.randrange(2_000, 6_000) if j < 0.17 else 0)
        v = rnd.randrange(-64 * denominator, 64 * denominator + 1) / denominator
        out.append(temp(gw, f"dev{d:02d}", ts, v, inst=rnd.randrange(2), p=p, ticket=f"b{i}"))
    return out


def with_record_time(recs: list[Rec], t0: int) -> list[Rec]:
    """time=record scenarios: the Kafka timestamp of each record = its event time, and the event
    time in the payload moved two hours back and reversed, so a build that reads the payload's
    timestamp produces other windows (and calls most values late)."""
    for r in recs:
        ts = r.value["timestamp"]
        r.record_ts = ts
        r.value["timestamp"] = t0 - 7_200_000 - (ts - t0)
    return recs


def repartition_phases(gw: str, t0: int, partitions: int = 3, phases: int = 6, seed: int = 4) -> list[list[Rec]]:
    """For path / object / gateway groups over several input partitions (values re-keyed through
    the repartition topic, where the partitions interleave in an order nobody controls): phases
    of 10 s of event time, every partition in every phase, every timestamp distinct, values
    multiples of 1/8; with tumbling 10 s windows and a grace of 15 s no value can be late however
    the partitions interleave, as long as each phase is in before the next is produced.  The last
    phase is one far-future reading per (serverId, path), on partition i mod partitions, which
    closes every earlier window of every group on every repartition partition.  The output is
    then the model's over the phases concatenated (one partition)."""
    rnd = random.Random(seed)
    paths = ["/3303/0/5700", "/3303/1/5700", "/3/0/9"]
    out = []
    for k in range(phases):
        ph = []
        for j in range(40):
            p = j % partitions
            ep = f"dev{p}{j % 4}"
            srv = "gwA" if j % 3 else "gwB"
            ts = t0 + k * 10_000 + j * 211 + k  # distinct, inside the phase's 10 s
            path = paths[j % 3]
            v = rnd.randrange(-400, 401) / 8
            if path == "/3/0/9":
                ph.append(single(gw, ep, ts, path, "INTEGER", int(v * 8) % 100, p=p, server=srv))
            else:
                ph.append(Rec(p, ep, obs(gw, ep, ts, node=resource(path, "FLOAT", v), server=srv)))
        out.append(ph)
    closers = []
    for i, (srv, path) in enumerate((s, q) for s in ("gwA", "gwB") for q in paths):
        p = i % partitions
        closers.append(single(gw, f"dev{p}0", t0 + 3_600_000 + i, path, "FLOAT" if path != "/3/0/9" else "INTEGER",
                              1.0 if path != "/3/0/9" else 1, p=p, server=srv))
    out.append(closers)
    return out
