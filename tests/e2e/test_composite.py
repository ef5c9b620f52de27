# SPDX-License-Identifier: Apache-2.0
"""Composite operations end to end (LwM2M 1.1 §5.4.3/§5.4.5/§5.5.2) through Kafka, against an
aiocoap device whose FETCH / iPATCH handling on "/" is written here with json and cbor2 (so the
gateway's SenML encoder and decoder are checked by code that shares nothing with them).

Requests use the zeelos 1.1 AvroRequest fields (payload.paths, payload.resources,
payload.contentFormatCode); answers carry the values flat in rep.resources.  Also: the zeelos 1.1
schemas are FULL_TRANSITIVE-compatible with the original contract texts according to the
registry's compatibility endpoint (Apache Avro's checker), and a consumer on the original
schemas decodes composite records.
"""
from __future__ import annotations

import io
import json

import cbor2
import fastavro
import pytest
import requests
from aiocoap import Message, numbers, resource

import contract_schemas
from gateway_proc import ROOT, unique, wait_until
from lwm2m_device import BOOLEAN, EXEC, FLOAT, INTEGER, STRING, LwM2MDevice, path_ids

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

SENML_JSON, SENML_CBOR = 110, 112
# SenML CBOR labels (RFC 8428 §6)
L_BN, L_N, L_V, L_VS, L_VB = -2, 0, 2, 3, 4


def senml_names(payload: bytes, cf: int) -> list[str]:
    recs = json.loads(payload) if cf == SENML_JSON else cbor2.loads(payload)
    out, bn = [], ""
    for r in recs:
        get = (lambda k, lab: r.get(k)) if cf == SENML_JSON else (lambda k, lab: r.get(lab))
        if get("bn", L_BN) is not None:
            bn = get("bn", L_BN)
        out.append((bn + (get("n", L_N) or ""), r))
    return out


def senml_value(rec: dict, cf: int):
    keys = [("v", L_V), ("vs", L_VS), ("vb", L_VB)]
    for k, lab in keys:
        v = rec.get(k if cf == SENML_JSON else lab)
        if v is not None:
            return v
    return None


class _Root(resource.ObservableResource):
    """FETCH / (Read-/Observe-Composite) and iPATCH / (Write-Composite)."""

    def __init__(self, dev: "CompositeDevice"):
        super().__init__()
        self.dev = dev

    def update_observation_count(self, newcount):
        self.dev.root_observers = newcount

    def _leaves(self, path: tuple):
        for (o, i), res in sorted(self.dev.objects.items()):
            for r, (rtype, v) in sorted(res.items()):
                if rtype != EXEC and (o, i, r)[:len(path)] == path:
                    yield (o, i, r), rtype, v

    async def render_fetch(self, request):
        cf = int(request.opt.content_format) if request.opt.content_format is not None else None
        accept = int(request.opt.accept) if request.opt.accept is not None else cf
        self.dev.log.append(("FETCH", cf, accept, request.opt.observe, bytes(request.payload)))
        if cf not in (SENML_JSON, SENML_CBOR) or accept not in (SENML_JSON, SENML_CBOR):
            return Message(code=numbers.UNSUPPORTED_CONTENT_FORMAT)
        recs = []
        for name, _ in senml_names(request.payload, cf):
            path = path_ids(name)
            for (o, i, r), rtype, v in self._leaves(path):
                n = f"/{o}/{i}/{r}"
                if accept == SENML_JSON:
                    key = {STRING: "vs", BOOLEAN: "vb"}.get(rtype, "v")
                    recs.append({"n": n, key: v})
                else:
                    lab = {STRING: L_VS, BOOLEAN: L_VB}.get(rtype, L_V)
                    recs.append({L_N: n, lab: v})
        payload = json.dumps(recs).encode() if accept == SENML_JSON else cbor2.dumps(recs)
        return Message(code=numbers.CONTENT, payload=payload, content_format=accept)

    async def render_ipatch(self, request):
        cf = int(request.opt.content_format) if request.opt.content_format is not None else None
        self.dev.log.append(("iPATCH", cf, None, None, bytes(request.payload)))
        if cf not in (SENML_JSON, SENML_CBOR):
            return Message(code=numbers.UNSUPPORTED_CONTENT_FORMAT)
        writes = []
        for name, rec in senml_names(request.payload, cf):
            o, i, r = path_ids(name)
            if (o, i) not in self.dev.objects or r not in self.dev.objects[(o, i)]:
                return Message(code=numbers.NOT_FOUND)
            writes.append(((o, i, r), senml_value(rec, cf)))
        for path, v in writes:  # all or nothing
            self.dev.set(path, v)
        return Message(code=numbers.CHANGED)


class CompositeDevice(LwM2MDevice):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.root = _Root(self)
        self.root_observers = 0

    def extra_resources(self):
        return [([], self.root)]

    def set(self, path: tuple, value, notify: bool = True):
        super().set(path, value, notify)
        if notify:
            self.runner.call(self.root.updated_state)


def flat(rec) -> dict:
    return {r["path"]: (r["type"], r["value"]) for r in rec.value["rep"]["resources"]}


@pytest.fixture
def cdev(gwenv):
    return gwenv.registered_device(cls=CompositeDevice, register={"version": "1.1"})


@pytest.mark.parametrize("cf", [SENML_JSON, SENML_CBOR])
def test_int_229_read_composite(gwenv, cdev, cf):
    """LightweightM2M-1.1-int-229 - Read-Composite: a resource, an instance and one of another
    object in one FETCH; every value comes back typed, with its absolute path."""
    rep = gwenv.mgmt.request(cdev.ep, "read", "/", paths=["/3/0/0", "/3303/1", "/1/0/1"],
                             contentFormatCode=cf)
    v = rep.value
    assert v["rep"]["code"] == "CONTENT" and v["rep"]["kind"] == "read", v
    assert v["path"] == "/3/0/0,/3303/1,/1/0/1" and v["rep"]["body"] is None
    assert flat(rep) == {"/3/0/0": ("STRING", "ACME"), "/3303/1/5700": ("FLOAT", 18.25),
                         "/3303/1/5701": ("STRING", "Cel"), "/1/0/1": ("INTEGER", 300)}
    fetch = [e for e in cdev.log if e[0] == "FETCH"][-1]
    assert fetch[1] == cf and fetch[2] == cf and fetch[3] is None
    assert [n for n, _ in senml_names(fetch[4], cf)] == ["/3/0/0", "/3303/1", "/1/0/1"]


def test_int_230_write_composite(gwenv, cdev):
    """LightweightM2M-1.1-int-230 - Write-Composite: values of two objects in one iPATCH."""
    res = [{"id": 14, "path": "/3/0/14", "kind": "SINGLE_RESOURCE", "type": "STRING", "value": "+05:30"},
           {"id": 5700, "path": "/3303/0/5700", "kind": "SINGLE_RESOURCE", "type": "FLOAT", "value": 30.5},
           {"id": 1, "path": "/1/0/1", "kind": "SINGLE_RESOURCE", "type": "INTEGER", "value": 42}]
    for cf in (SENML_CBOR, SENML_JSON):
        rep = gwenv.mgmt.request(cdev.ep, "write", "/", resources=res, contentFormatCode=cf)
        assert rep.value["rep"]["code"] == "CHANGED", rep.value
        assert rep.value["rep"]["kind"] == "write" and rep.value["path"] == "/"
        patch = [e for e in cdev.log if e[0] == "iPATCH"][-1]
        assert patch[1] == cf
        assert {n: senml_value(r, cf) for n, r in senml_names(patch[4], cf)} == \
            {r["path"]: r["value"] for r in res}
        assert cdev.value((3, 0, 14)) == "+05:30" and cdev.value((3303, 0, 5700)) == 30.5
        assert cdev.value((1, 0, 1)) == res[2]["value"]
        res[2]["value"] = 43
    # a path the device does not have: its 4.04 comes back, nothing written
    bad = [dict(res[0], value="-01:00"), {"id": 9, "path": "/3303/0/9", "kind": "SINGLE_RESOURCE",
                                          "type": "INTEGER", "value": 1}]
    rep = gwenv.mgmt.request(cdev.ep, "write", "/", resources=bad)
    assert rep.value["rep"]["code"] == "NOT_FOUND" and cdev.value((3, 0, 14)) == "+05:30"


def test_observe_composite_and_cancel(gwenv, cdev):
    """Observe-Composite: notifications carry every observed value flat; cancel by the same
    paths stops them (actively: the device sees the FETCH with Observe 1)."""
    paths = ["/3303/0/5700", "/3/0/9"]
    rep = gwenv.mgmt.request(cdev.ep, "observe", "/", paths=paths, contentFormatCode=SENML_CBOR)
    assert rep.value["rep"]["code"] == "CONTENT", rep.value
    assert flat(rep) == {"/3303/0/5700": ("FLOAT", 21.5), "/3/0/9": ("INTEGER", 87)}
    wait_until(lambda: cdev.root_observers == 1, what="the device to count the composite observer")
    assert gwenv.gw.metrics().get("zeelos_observations") == 1
    cdev.set((3303, 0, 5700), 25.75)
    n = gwenv.obs.wait_for(lambda r: r.value["ticket"] == rep.value["ticket"] and
                           flat(r).get("/3303/0/5700") == ("FLOAT", 25.75), 10, what="composite notification")
    assert n.value["path"] == "/3303/0/5700,/3/0/9" and n.value["rep"]["kind"] == "observe"
    assert n.value["rep"]["body"] is None and flat(n)["/3/0/9"] == ("INTEGER", 87)
    assert n.value["observationId"].startswith("[")
    m = gwenv.gw.metrics()  # every notification handed to Kafka has its gateway-added latency
    assert m.get("zeelos_notification_gateway_seconds_count") == m.get("zeelos_notifications_total") >= 1

    # a single-path cancel of one of the paths does not touch the composite observation
    single = gwenv.mgmt.request(cdev.ep, "observeCancel", "/3303/0/5700")
    assert single.value["rep"]["code"] == "NOT_FOUND"
    cancel = gwenv.mgmt.request(cdev.ep, "observeCancel", "/", paths=paths)
    assert cancel.value["rep"]["code"] == "CHANGED", cancel.value
    assert cancel.value["path"] == "/3303/0/5700,/3/0/9"
    wait_until(lambda: cdev.root_observers == 0, what="the device to drop the composite observer")
    assert any(e[0] == "FETCH" and e[3] == 1 for e in cdev.log), "no active cancel (FETCH Observe: 1)"
    assert gwenv.gw.metrics().get("zeelos_observations") == 0
    cdev.set((3303, 0, 5700), 26.0)  # a notification, were the observation still there
    gwenv.settle(cdev.ep)  # the gateway handled what the device sent, and its records are read
    late = [r for r in gwenv.obs.records if isinstance(r.value, dict) and r.value["ticket"] == rep.value["ticket"]
            and r.value["timestamp"] > cancel.value["timestamp"]]
    assert not late, late


def test_composite_errors(gwenv, cdev):
    """Bad composite requests are answered with the reason, not sent to the device."""
    m = gwenv.mgmt
    cases = [
        (dict(kind="delete", paths=["/3/0"]), "BAD_REQUEST", "delete has no composite form"),
        (dict(kind="read", paths=["/3/0/0"], contentFormatCode=11542), "UNSUPPORTED_CONTENT_FORMAT",
         "SenML JSON (110) or SenML CBOR (112)"),
        (dict(kind="read", paths=[]), "BAD_REQUEST", "payload.paths: 0 paths"),
        (dict(kind="read", paths=["/3/x"]), "BAD_REQUEST", "not a LwM2M path"),
        (dict(kind="write", resources=[{"id": 0, "path": "/3", "kind": "SINGLE_RESOURCE", "type": "STRING",
                                         "value": "x"}]), "BAD_REQUEST", "not a resource or resource instance path"),
        (dict(kind="observeCancel", paths=["/3/0/0"]), "NOT_FOUND", "no observation of /3/0/0"),
    ]
    fetches = len([e for e in cdev.log if e[0] in ("FETCH", "iPATCH")])
    for kw, code, msg in cases:
        kind = kw.pop("kind")
        rep = m.request(cdev.ep, kind, "/", **kw)
        assert rep.value["rep"]["code"] == code, (kind, kw, rep.value)
        assert msg in rep.value["rep"]["body"][1]["message"], (kind, kw, rep.value)
    assert len([e for e in cdev.log if e[0] in ("FETCH", "iPATCH")]) == fetches
    # the gateway still serves: a plain read works
    assert m.request(cdev.ep, "read", "/3/0/0", "TEXT_CODE").value["rep"]["code"] == "CONTENT"


def test_discover_depth_and_content_format_code(gwenv, cdev):
    """payload.depth reaches the device as ?depth=N; payload.contentFormatCode overrides the
    Accept of a plain read, and an unknown number is refused before anything is sent."""
    rep = gwenv.mgmt.request(cdev.ep, "discover", "/3/0", depth=2)
    # this device has no link-format: its 4.06 is relayed; what matters is the query it got
    assert rep.value["rep"]["code"] == "NOT_ACCEPTABLE", rep.value
    assert ((3, 0), ("depth=2",)) in cdev.queries
    rep = gwenv.mgmt.request(cdev.ep, "discover", "/3/0")
    assert cdev.queries[-1] == ((3, 0), ())
    rep = gwenv.mgmt.request(cdev.ep, "read", "/3/0/0", contentFormatCode=0)
    assert rep.value["rep"]["code"] == "CONTENT"
    assert rep.value["rep"]["body"][1]["content"][1]["value"] == "ACME"
    rep = gwenv.mgmt.request(cdev.ep, "read", "/3/0/0", contentFormatCode=4242)
    assert rep.value["rep"]["code"] == "UNSUPPORTED_CONTENT_FORMAT"


def test_extended_schemas_are_full_transitive_compatible(sr, registry_url):
    """The registry's compatibility endpoint (Apache Avro's checker) accepts each zeelos 1.1
    schema against the original contract text under FULL_TRANSITIVE, and refuses a change
    that would break original consumers (a new AvroRequestKind symbol) as a control."""
    for name, original in contract_schemas.ALL.items():
        ext = ROOT / "schemas" / "extended" / f"{name}.avsc"
        if not ext.exists():
            continue
        subject = unique("compat-") + "-value"
        sr.register(subject, original)
        r = requests.put(f"{registry_url}/config/{subject}", json={"compatibility": "FULL_TRANSITIVE"}, timeout=5)
        assert r.status_code == 200, r.text
        r = requests.post(f"{registry_url}/compatibility/subjects/{subject}/versions/latest?verbose=true",
                          json={"schema": ext.read_text()}, timeout=5)
        assert r.status_code == 200 and r.json()["is_compatible"] is True, (name, r.text)
        # control: a new enum symbol (AvroRequestKind; AvroBnd for the registration records)
        broken = ext.read_text().replace('"discover","create"]', '"discover","create","readComposite"]')
        broken = broken.replace('"US","UQS"]', '"US","UQS","T"]')
        assert broken != ext.read_text()
        r = requests.post(f"{registry_url}/compatibility/subjects/{subject}/versions/latest",
                          json={"schema": broken}, timeout=5)
        assert r.status_code == 200 and r.json()["is_compatible"] is False, (name, r.text)


def test_original_consumer_reads_composite_records(gwenv, cdev):
    """A consumer that decodes management.rep with the original AvroResponse as reader schema
    still reads a Read-Composite answer: code, kind, ticket, path; body null."""
    rep = gwenv.mgmt.request(cdev.ep, "read", "/", paths=["/3/0/0"])
    raw = rep.raw_value
    writer = fastavro.parse_schema(json.loads(gwenv.sr.schema_text(rep.value_schema_id)))
    reader = fastavro.parse_schema(json.loads(contract_schemas.AVRO_RESPONSE))
    old = fastavro.schemaless_reader(io.BytesIO(raw[5:]), writer, reader)
    assert old["ticket"] == rep.value["ticket"] and old["rep"]["code"] == "CONTENT"
    assert old["rep"]["body"] is None and "resources" not in old["rep"]


def test_cli_composite_read_and_depth(gwenv, cdev):
    """`zeelos request read /a,/b` is a Read-Composite (SenML CBOR by default, --cf 110 for
    SenML JSON); its JSON line carries the values in rep.resources."""
    from test_cli import cli
    for extra, cf in (([], SENML_CBOR), (["--cf", "110"], SENML_JSON)):
        p = cli(gwenv, "request", "--ep", cdev.ep, *extra, "read", "/3/0/0,/3303/0/5700")
        assert p.returncode == 0, p.stdout + p.stderr
        rep = json.loads(p.stdout.strip().splitlines()[-1])
        vals = {r["path"]: r["value"] for r in rep["rep"]["resources"]["array"]}
        assert vals == {"/3/0/0": {"string": "ACME"}, "/3303/0/5700": {"double": 21.5}}
        assert [e for e in cdev.log if e[0] == "FETCH"][-1][1] == cf
    p = cli(gwenv, "request", "--ep", cdev.ep, "write", "/3/0/0,/3/0/1", "x")
    assert p.returncode == 2 and "only read, observe and observeCancel" in p.stderr
    cli(gwenv, "request", "--ep", cdev.ep, "--depth", "1", "discover", "/3303/0")
    assert ((3303, 0), ("depth=1",)) in cdev.queries
