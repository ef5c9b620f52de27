# SPDX-License-Identifier: Apache-2.0
"""Content formats of device answers and of writes, against payloads encoded here by independent
Python code (json, cbor2) from the specifications, never by the gateway's own codecs:

* SenML JSON (110) and SenML CBOR (112), RFC 8428 as profiled by LwM2M 1.1 (section 7.4.4/7.4.5):
  JSON names bn/n/v/vs/vb/vd, CBOR labels bn=-2, n=0, v=2, vs=3, vb=4, vd=8; a record's name is
  bn + n; TIME is a number ("v") of epoch seconds.
* LwM2M JSON (11543), LwM2M 1.0 section 6.4.4: {"bn": ..., "e": [{"n": ..., "v"|"sv"|"bv": ...}]}.
* LwM2M CBOR (11544), LwM2M 1.2 section 7.4.6: nested maps keyed by path ids, where a key can
  also be an array of ids ([3303, 0, 5700]).
* CBOR (60), LwM2M 1.2 section 7.4.7: one bare CBOR data item for a single resource.

The device (FormatNode over lwm2m_device.LwM2MDevice, registered from its serving socket)
answers every GET, including the notifications of an observation, in the format the test
chose, whatever the Accept: the gateway must decode an answer by its Content-Format, not by what
it asked for.  The zeelos 1.1 contentFormatCode tests at the end check that the Accept (reads)
and Content-Format (writes) sent are exactly the number asked for.

Reads: /3/0 (string, integer, TIME and the multiple resource /3/0/11 with instances 0 and 1) ->
an AvroInstanceResource with exactly those values and types (TIME in epoch ms, the multiple
resource as an AvroMultipleResource whose map keys are "0" and "1"); /3303/0/5700 -> a FLOAT
AvroResource; an observation of /3303/0/5700 with three notifications -> three records on
iot.<gw>.observations. Malformed payloads (truncated CBOR, invalid JSON, a record outside the
requested path) -> INTERNAL_SERVER_ERROR or UNSUPPORTED_CONTENT_FORMAT naming the problem, and
the next read works; an undecodable notification is an error record of the observation, and
the next one is published. Writes: /3/0/14 with JSON_CODE -> Content-Format 11543 with an LwM2M
JSON document json.loads() parses; with TEXT_CODE -> text/plain.

Also: OPAQUE and BOOLEAN (/5/0), strings with JSON escapes and astral characters, other legal
spellings (SenML base name set again mid-pack, full names, LwM2M JSON bn "/", LwM2M CBOR array
keys), an integral number for a FLOAT resource (FLOAT 22.0), and a non-integral number for an
INTEGER/TIME resource (an error in every format).

One gateway serves the whole module (module-scoped `gwenv` below, built like conftest's
gateway_factory); every test has its own device.
"""
from __future__ import annotations

import base64
import json
import re

import cbor2
import pytest
from aiocoap import Message, numbers

from conftest import COAP_REQUEST_TIMEOUT_MS, EXPIRY_SWEEP_MS, GatewayEnv
from gateway_proc import Gateway, unique
from kafka_helpers import branch, create_topics, gateway_topics, write_body
from lwm2m_device import (BOOLEAN, CF_JSON, CF_TEXT, EXEC, INTEGER, OPAQUE, STRING, TIME, _Node,
                          default_objects, path_ids, path_str)

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

CF_CBOR, CF_SENML_JSON, CF_SENML_CBOR, CF_LWM2M_CBOR = 60, 110, 112, 11544

SENML_JSON, SENML_CBOR, LWM2M_JSON, LWM2M_CBOR, CBOR = "senml_json", "senml_cbor", "lwm2m_json", "lwm2m_cbor", "cbor"
CF_OF = {SENML_JSON: CF_SENML_JSON, SENML_CBOR: CF_SENML_CBOR, LWM2M_JSON: CF_JSON,
         LWM2M_CBOR: CF_LWM2M_CBOR, CBOR: CF_CBOR}
FORMATS = [SENML_JSON, SENML_CBOR, LWM2M_JSON, LWM2M_CBOR]
# the management contentFormat sent with reads/observes: LwM2M JSON can be asked for (Accept
# 11543); the other formats cannot, the device answers them to an Accept of TLV anyway
REQ_CF = {LWM2M_JSON: "JSON_CODE"}

# SenML CBOR labels (RFC 8428 section 6)
L_BN, L_N, L_V, L_VS, L_VB, L_VD = -2, 0, 2, 3, 4, 8

FW_PACKAGE = b"\xfb\xff\xbf\x00\x01~"  # base64 "+/+/AAF+", base64url "-_-_AAF-"
DEVICE_3_0 = {0: "ACME", 9: 95, 13: 1700000000, 11: {0: 0, 1: 5}}   # /3/0/11: multiple INTEGER


# ------------------------------------------------------------------ independent encoders
def leaves(dev, path: tuple) -> list[tuple[tuple, str, object]]:
    """[(full path, type, value)] of the resources (and resource instances) under path."""
    out = []
    keys = [path[:2]] if len(path) >= 2 else sorted(k for k in dev.objects if k[0] == path[0])
    for key in keys:
        for rid, (rtype, v) in sorted(dev.objects[key].items()):
            if rtype == EXEC or (len(path) == 3 and rid != path[2]):
                continue
            if isinstance(v, dict):
                out += [(key + (rid, ri), rtype, vi) for ri, vi in sorted(v.items())]
            else:
                out.append((key + (rid,), rtype, v))
    return out


def base_and_names(path: tuple, items) -> tuple[str, list[str]]:
    """Base name and relative names: "/3/0/" + "0", "11/0"...; a single resource is its own
    base name with an empty (omitted) name."""
    if len(items) == 1 and items[0][0] == path:
        return path_str(path), [""]
    base = path_str(path) + "/"
    return base, [path_str(p)[len(base):] for p, _, _ in items]


def b64url(b: bytes) -> str:
    """RFC 8428 section 5: vd is base64url (RFC 4648 section 5) without padding."""
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def senml_json_value(t: str, v) -> dict:
    if t == STRING:
        return {"vs": v}
    if t == BOOLEAN:
        return {"vb": v}
    if t == OPAQUE:
        return {"vd": b64url(v)}
    return {"v": v}        # INTEGER, FLOAT, TIME (epoch seconds)


def senml_cbor_value(t: str, v) -> dict:
    return {{STRING: L_VS, BOOLEAN: L_VB, OPAQUE: L_VD}.get(t, L_V): v}


def lwm2m_json_value(t: str, v) -> dict:
    """LwM2M 1.0 JSON: sv for strings and (Base64) opaque, bv for booleans, v for numbers."""
    if t == STRING:
        return {"sv": v}
    if t == OPAQUE:
        return {"sv": base64.b64encode(v).decode()}
    if t == BOOLEAN:
        return {"bv": v}
    return {"v": v}


def senml_json(dev, path: tuple) -> bytes:
    items = leaves(dev, path)
    base, names = base_and_names(path, items)
    recs = []
    for i, ((p, t, v), n) in enumerate(zip(items, names)):
        r = {"bn": base} if i == 0 else {}
        if n:
            r["n"] = n
        r.update(senml_json_value(t, v))
        recs.append(r)
    return json.dumps(recs).encode()


def senml_cbor(dev, path: tuple) -> bytes:
    items = leaves(dev, path)
    base, names = base_and_names(path, items)
    recs = []
    for i, ((p, t, v), n) in enumerate(zip(items, names)):
        r = {L_BN: base} if i == 0 else {}
        if n:
            r[L_N] = n
        r.update(senml_cbor_value(t, v))
        recs.append(r)
    return cbor2.dumps(recs, canonical=True)  # canonical: floats in their shortest exact width


def lwm2m_json(dev, path: tuple) -> bytes:
    items = leaves(dev, path)
    if len(path) == 3:  # {"bn":"/3303/0/","e":[{"n":"5700","v":21.5}]}
        base = path_str(path[:2]) + "/"
        names = [path_str(p)[len(base):] for p, _, _ in items]
    else:
        base, names = base_and_names(path, items)
    e = []
    for (p, t, v), n in zip(items, names):
        e.append({"n": n, **lwm2m_json_value(t, v)})
    return json.dumps({"bn": base, "e": e}).encode()


def lwm2m_cbor(dev, path: tuple) -> bytes:
    items = leaves(dev, path)
    if len(path) == 3 and len(items) == 1:
        # a single resource with an array key: {[3303, 0, 5700]: 21.5}
        (p, t, v), = items
        return cbor2.dumps({tuple(p): v})
    root: dict = {}
    for p, t, v in items:  # nested maps: {3: {0: {0: "ACME", 11: {0: 0, 1: 5}}}}
        d = root
        for k in p[:-1]:
            d = d.setdefault(k, {})
        d[p[-1]] = v
    return cbor2.dumps(root)


def plain_cbor(dev, path: tuple) -> bytes:
    (p, t, v), = leaves(dev, path)
    return cbor2.dumps(v, canonical=True)


ENCODE = {SENML_JSON: senml_json, SENML_CBOR: senml_cbor, LWM2M_JSON: lwm2m_json,
          LWM2M_CBOR: lwm2m_cbor, CBOR: plain_cbor}


# ------------------------------------------------------------------ device
class FormatNode(_Node):
    """Answers GETs (and notifications) in dev.fmt; dev.raw[path] = (cf, bytes) overrides the
    answer. Writes: text/plain and TLV as _Node, plus LwM2M JSON parsed with json."""

    def _render(self, request) -> Message:
        dev = self.dev
        if self.path in dev.raw:
            cf, payload = dev.raw[self.path]
            return Message(code=numbers.CONTENT, payload=payload, content_format=cf)
        if len(self.path) == 3 and dev.objects[self.path[:2]][self.path[2]][0] == EXEC:
            return Message(code=numbers.METHOD_NOT_ALLOWED)
        return Message(code=numbers.CONTENT, payload=ENCODE[dev.fmt](dev, self.path),
                       content_format=CF_OF[dev.fmt])

    def _write(self, request) -> Message:
        cf = request.opt.content_format
        if cf is not None and int(cf) in (CF_SENML_JSON, CF_SENML_CBOR):
            return self._write_senml(int(cf), request.payload)
        if cf is None or int(cf) != CF_JSON:
            return super()._write(request)
        try:
            doc = json.loads(request.payload)
            for full, kind, v in lwm2m_json_entries(doc):
                parts = path_ids(full)
                if parts[:len(self.path)] != self.path or len(parts) != 3:
                    return Message(code=numbers.BAD_REQUEST)
                self.dev.set(parts, v, notify=True)
        except (ValueError, KeyError, TypeError):
            return Message(code=numbers.BAD_REQUEST)
        return Message(code=numbers.CHANGED)


    def _write_senml(self, cf: int, payload: bytes) -> Message:
        """SenML JSON / CBOR writes (RFC 8428 names: bn + n; values v, vs, vb)."""
        try:
            recs = json.loads(payload) if cf == CF_SENML_JSON else cbor2.loads(payload)
            keys = {"bn": "bn", "n": "n", "v": "v", "vs": "vs", "vb": "vb"} if cf == CF_SENML_JSON else \
                {"bn": -2, "n": 0, "v": 2, "vs": 3, "vb": 4}
            bn = ""
            for r in recs:
                bn = r.get(keys["bn"], bn)
                parts = path_ids(bn + r.get(keys["n"], ""))
                vals = [r[keys[k]] for k in ("v", "vs", "vb") if keys[k] in r]
                if parts[:len(self.path)] != self.path or len(parts) != 3 or len(vals) != 1:
                    return Message(code=numbers.BAD_REQUEST)
                self.dev.set(parts, vals[0], notify=True)
        except (ValueError, KeyError, TypeError, cbor2.CBORDecodeError):
            return Message(code=numbers.BAD_REQUEST)
        return Message(code=numbers.CHANGED)


def lwm2m_json_entries(doc: dict) -> list[tuple[str, str, object]]:
    """[(full name, value key, value)] of an LwM2M JSON document (name = bn + n)."""
    assert isinstance(doc, dict) and isinstance(doc["e"], list), doc
    bn = doc.get("bn", "")
    out = []
    for e in doc["e"]:
        keys = [k for k in ("v", "sv", "bv", "ov") if k in e]
        assert len(keys) == 1, f"one value per entry: {e}"
        out.append((bn + e.get("n", ""), keys[0], e[keys[0]]))
    return out


def format_device(gwenv, fmt: str):
    objs = default_objects()
    objs[(3, 0)].update({0: [STRING, "ACME"], 9: [INTEGER, 95], 13: [TIME, 1700000000],
                         11: [INTEGER, {0: 0, 1: 5}]})
    objs[(5, 0)] = {0: [OPAQUE, FW_PACKAGE], 1: [STRING, "coap://fw.example/p"], 3: [INTEGER, 2],
                    4: [BOOLEAN, True]}
    dev = gwenv.device(objects=objs)
    dev.fmt, dev.raw = fmt, {}

    for path in list(dev.nodes):
        dev.replace_node(path, FormatNode(dev, path))
    return gwenv.register(dev)


# ------------------------------------------------------------------ one gateway for the module
@pytest.fixture(scope="module")
def _module_gw(kafka_bootstrap, registry_url, sr, codec, runner, tmp_path_factory):
    gid = unique("e2e-fmt-")
    create_topics(kafka_bootstrap, list(gateway_topics(gid).values()))
    tmp = tmp_path_factory.mktemp("formats")
    gw = Gateway(gid, kafka_bootstrap, registry_url, tmp / "data", tmp / "logs",
                 ["--coap-request-timeout-ms", str(COAP_REQUEST_TIMEOUT_MS),
                  "--registration-expiry-sweep-ms", str(EXPIRY_SWEEP_MS), "--log-level", "debug"])
    gw.start()
    env = GatewayEnv(gw, kafka_bootstrap, sr, codec, runner)
    try:
        env.mgmt.wait_ready()
        yield env
    finally:
        crashed = gw.proc is not None and gw.proc.poll() is not None
        env.close()
        rc = gw.stop()
    assert not crashed, f"gateway {gid} died during the module (exit {rc}):\n{gw.log_tail()}"
    assert rc == 0, f"gateway {gid} exited with {rc} on SIGTERM:\n{gw.log_tail()}"


@pytest.fixture
def gwenv(_module_gw, request):
    """The module's gateway; a failing test shows its log (conftest's report hook)."""
    request.node._zeelos_envs = [_module_gw]
    assert _module_gw.gw.alive(), f"the gateway died in an earlier test:\n{_module_gw.gw.log_tail()}"
    n_dev = len(_module_gw.devices)
    yield _module_gw
    for d in _module_gw.devices[n_dev:]:
        d.stop()
    del _module_gw.devices[n_dev:]
    assert _module_gw.gw.alive(), "the gateway died during the test"


# ------------------------------------------------------------------ expectations
def response(gwenv, dev, kind: str, path: str, code: str, cf: str = "TLV", body=None):
    rec = gwenv.mgmt.request(dev.ep, kind, path, cf, body=body)
    v = rec.value
    assert rec.key == {"ep": dev.ep}
    assert (v["serverId"], v["ep"], v["path"]) == (gwenv.id, dev.ep, path), rec
    assert (v["rep"]["kind"], v["rep"]["code"]) == (kind, code), rec
    return rec, branch(v["rep"]["body"])


def content(body_branch) -> tuple[str, dict]:
    name, body = body_branch
    assert name == "AvroReadResponseBody", body_branch
    return branch(body["content"])


def res(path: str, typ: str, value) -> dict:
    return {"id": int(path.rsplit("/", 1)[1]), "path": path, "kind": "SINGLE_RESOURCE", "type": typ, "value": value}


EXPECTED_3_0 = {
    "id": 0, "kind": "INSTANCE",
    "resources": {0: res("/3/0/0", "STRING", "ACME"), 9: res("/3/0/9", "INTEGER", 95),
                  13: res("/3/0/13", "TIME", 1700000000 * 1000)},
    "multipleResources": [{"id": 11, "path": "/3/0/11", "kind": "MULTIPLE_RESOURCE", "type": "INTEGER",
                           "resources": {"0": res("/3/0/11/0", "INTEGER", 0),
                                         "1": res("/3/0/11/1", "INTEGER", 5)}}],
}


def device_3_0_only(dev):
    """Keeps in /3/0 only the resources of DEVICE_3_0 (plus Reboot, which is not readable)."""
    keep = set(DEVICE_3_0) | {4}
    for rid in [r for r in dev.objects[(3, 0)] if r not in keep]:
        del dev.objects[(3, 0)][rid]


def check_value_type(got, want):
    assert type(got) is type(want), f"{got!r} is a {type(got).__name__}, wanted {type(want).__name__}"


# ------------------------------------------------------------------ (a) read an object instance
@pytest.mark.parametrize("fmt", FORMATS)
def test_read_object_instance(gwenv, fmt):
    """LightweightM2M-1.1-int-223 / int-204 - Read on Object Instance / Querying basic information
    in JSON format (the lwm2m_json case, Accept 11543): read /3/0 answered in fmt: string, integer,
    TIME and a two-instance multiple resource. The senml_json and senml_cbor cases are the decoding
    half of LightweightM2M-1.1-int-231 / int-232 (the request's Accept is TLV, not 110 or 112)."""
    dev = format_device(gwenv, fmt)
    device_3_0_only(dev)
    _, b = response(gwenv, dev, "read", "/3/0", "CONTENT", REQ_CF.get(fmt, "TLV"))
    kind, inst = content(b)
    assert kind == "AvroInstanceResource", inst
    assert (inst["id"], inst["kind"]) == (0, "INSTANCE")
    got = {r["id"]: r for r in inst["resources"]}
    assert got == EXPECTED_3_0["resources"], (ENCODE[fmt](dev, (3, 0)), inst)
    for rid, r in got.items():
        check_value_type(r["value"], EXPECTED_3_0["resources"][rid]["value"])
    assert inst["multipleResources"] == EXPECTED_3_0["multipleResources"], (ENCODE[fmt](dev, (3, 0)), inst)


# ------------------------------------------------------------------ (b) read a single resource
@pytest.mark.parametrize("fmt", FORMATS + [CBOR])
def test_read_float_resource(gwenv, fmt):
    """LightweightM2M-1.1-int-224 - Read on Resource: /3303/0/5700 answered in fmt."""
    dev = format_device(gwenv, fmt)
    dev.objects[(3303, 0)][5700][1] = -12.375
    _, b = response(gwenv, dev, "read", "/3303/0/5700", "CONTENT", REQ_CF.get(fmt, "TLV"))
    kind, r = content(b)
    assert kind == "AvroResource"
    assert r == res("/3303/0/5700", "FLOAT", -12.375), (ENCODE[fmt](dev, (3303, 0, 5700)).hex(), r)
    check_value_type(r["value"], 1.0)


@pytest.mark.parametrize("path,typ,value,want", [
    ((3, 0, 0), "STRING", "ACME", "ACME"),
    ((3, 0, 9), "INTEGER", 95, 95),
    ((3, 0, 13), "TIME", 1700000000, 1700000000 * 1000),
    ((3303, 0, 5700), "FLOAT", 21.5, 21.5),           # canonical CBOR: a half-precision float
    ((3303, 0, 5700), "FLOAT", 0.1, 0.1),             # a double
])
def test_read_single_resource_cbor(gwenv, path, typ, value, want):
    """LightweightM2M-1.1-int-211 - Querying basic information in CBOR format, decoding only (the
    request's Accept is TLV, not 60): CBOR (60) is one bare data item, typed by the object model."""
    dev = format_device(gwenv, CBOR)
    dev.objects[path[:2]][path[2]][1] = value
    p = path_str(path)
    _, b = response(gwenv, dev, "read", p, "CONTENT")
    kind, r = content(b)
    assert kind == "AvroResource"
    assert r == res(p, typ, want), (plain_cbor(dev, path).hex(), r)
    check_value_type(r["value"], want)


# ------------------------------------------------------------------ (c) observe
@pytest.mark.parametrize("fmt", FORMATS)
def test_observe_float_resource(gwenv, fmt):
    """LightweightM2M-1.1-int-301 - Observation and Notification of parameter values: observe
    /3303/0/5700, the first answer and three notifications, all in fmt."""
    dev = format_device(gwenv, fmt)
    path = (3303, 0, 5700)
    rec, b = response(gwenv, dev, "observe", "/3303/0/5700", "CONTENT", REQ_CF.get(fmt, "TLV"))
    ticket = rec.value["ticket"]
    kind, r = content(b)
    assert (kind, r) == ("AvroResource", res("/3303/0/5700", "FLOAT", 21.5))
    dev.wait_observers(path, 1)
    token = dev.observe_tokens[path][0]
    values = [22.25, -3.125, 1234.5678]
    for i, val in enumerate(values):
        dev.set(path, val)  # the device sends one notification in fmt
        gwenv.obs.wait_for_n(lambda x: x.value["ticket"] == ticket, i + 1, timeout=10,
                             what=f"notification {i + 1} (ticket {ticket})")
    notes = gwenv.obs.matching(lambda x: x.value["ticket"] == ticket)
    assert len(notes) == 3, notes
    got = []
    for n in notes:
        v = n.value
        assert n.key == {"ep": dev.ep}
        assert (v["serverId"], v["ep"], v["path"], v["observationId"]) == (gwenv.id, dev.ep, "/3303/0/5700",
                                                                           f"[{token}]"), n
        assert (v["rep"]["kind"], v["rep"]["code"]) == ("observe", "CONTENT"), n
        kind, r = content(branch(v["rep"]["body"]))
        assert kind == "AvroResource" and (r["path"], r["type"]) == ("/3303/0/5700", "FLOAT"), n
        got.append(r["value"])
    assert got == values


# ------------------------------------------------------------------ malformed answers
def _senml_json_elsewhere():
    return json.dumps([{"bn": "/3303/1/5700", "v": 1.5}]).encode()


# what the error message must say (every regex must match): the format/problem, or the
# offending path and that it is outside the requested one
JSON_BAD = (r"json", r"expected|unexpected|invalid|syntax|parse")
TRUNC = (r"truncat",)
OUTSIDE = (r"/3303/1\b", r"not under|outside|requested path")

MALFORMED = {
    # name: (cf, payload, regexes the error message must match)
    "senml_json_invalid": (CF_SENML_JSON, b'[{"bn":"/3303/0/5700","v":21.5', JSON_BAD),
    "senml_json_outside_path": (CF_SENML_JSON, _senml_json_elsewhere(), OUTSIDE),
    "senml_cbor_truncated": (CF_SENML_CBOR, cbor2.dumps([{L_BN: "/3303/0/5700", L_V: 21.5}])[:-4],
                             TRUNC),
    "senml_cbor_outside_path": (CF_SENML_CBOR, cbor2.dumps([{L_BN: "/3303/1/", L_N: "5700", L_V: 1.5}]),
                                OUTSIDE),
    "lwm2m_json_invalid": (CF_JSON, b'{"bn":"/3303/0/","e":[{"n":"5700","v":}]}', JSON_BAD),
    "lwm2m_json_outside_path": (CF_JSON, json.dumps({"bn": "/3303/1/", "e": [{"n": "5700", "v": 1.5}]}).encode(),
                                OUTSIDE),
    "lwm2m_cbor_truncated": (CF_LWM2M_CBOR, cbor2.dumps({3303: {0: {5700: 21.5}}})[:-5],
                             TRUNC),
    "lwm2m_cbor_outside_path": (CF_LWM2M_CBOR, cbor2.dumps({3303: {1: {5700: 1.5}}}),
                                OUTSIDE),
    "cbor_truncated": (CF_CBOR, cbor2.dumps(0.1)[:-3], TRUNC),
    # application/json (50) is no LwM2M format: 4.15-like UNSUPPORTED_CONTENT_FORMAT
    "unknown_content_format_50": (50, b'{"v":21.5}', (r"\b50\b", r"format")),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_read_malformed_answer(gwenv, case):
    cf, payload, mention = MALFORMED[case]
    dev = format_device(gwenv, SENML_JSON)
    path = (3303, 0, 5700)
    dev.raw[path] = (cf, payload)
    rec = gwenv.mgmt.request(dev.ep, "read", "/3303/0/5700", "TLV")
    v = rec.value
    assert (v["ep"], v["path"], v["rep"]["kind"]) == (dev.ep, "/3303/0/5700", "read"), rec
    assert v["rep"]["code"] in ("INTERNAL_SERVER_ERROR", "UNSUPPORTED_CONTENT_FORMAT"), rec
    name, body = branch(v["rep"]["body"])
    assert name == "AvroGenericResponse", rec
    for rx in mention:
        assert re.search(rx, body["message"], re.I), f"message does not name the problem ({rx}): {body['message']!r}"
    # the gateway keeps serving: the same device, now answering properly
    del dev.raw[path]
    _, b = response(gwenv, dev, "read", "/3303/0/5700", "CONTENT")
    assert content(b) == ("AvroResource", res("/3303/0/5700", "FLOAT", 21.5))


# ------------------------------------------------------------------ writes
def last_put(dev, path):
    for entry in reversed(dev.log):
        if entry[0] in ("PUT", "POST") and entry[1] == path:
            return entry
    return None


def test_write_string_resource_lwm2m_json(gwenv):
    """LightweightM2M-1.1-int-227 - Write (replace) on Resource, in LwM2M JSON (11543)."""
    dev = format_device(gwenv, LWM2M_JSON)
    rec, b = response(gwenv, dev, "write", "/3/0/14", "CHANGED", "JSON_CODE",
                      body=write_body("/3/0/14", "+02:00", "STRING"))
    put = last_put(dev, (3, 0, 14))
    assert put is not None and put[0] == "PUT", dev.log
    assert put[2] is not None and int(put[2]) == CF_JSON, f"Content-Format {put[2]}"
    doc = json.loads(put[3])
    assert lwm2m_json_entries(doc) == [("/3/0/14", "sv", "+02:00")], doc
    assert set(doc) <= {"bn", "e", "bt"} and all(set(e) <= {"n", "sv", "t"} for e in doc["e"]), doc
    assert dev.value((3, 0, 14)) == "+02:00"


def test_write_string_resource_text(gwenv):
    """LightweightM2M-1.1-int-205 / int-227 - Setting basic information in Plain Text format /
    Write (replace) on Resource: PUT /3/0/14 as text/plain."""
    dev = format_device(gwenv, LWM2M_JSON)
    response(gwenv, dev, "write", "/3/0/14", "CHANGED", "TEXT_CODE",
             body=write_body("/3/0/14", "-05:30", "STRING"))
    put = last_put(dev, (3, 0, 14))
    assert put is not None and put[0] == "PUT", dev.log
    assert put[2] is not None and int(put[2]) == CF_TEXT, f"Content-Format {put[2]}"
    assert bytes(put[3]) == b"-05:30"
    assert dev.value((3, 0, 14)) == "-05:30"


# ------------------------------------------------------------------ more value types and spellings
@pytest.mark.parametrize("fmt", FORMATS)
def test_read_object_instance_boolean_opaque(gwenv, fmt):
    """/5/0 (firmware update): OPAQUE (SenML vd base64url / CBOR byte string / LwM2M JSON sv
    Base64), STRING, INTEGER, BOOLEAN (vb / CBOR true / bv). OPAQUE -> Base64 string in Avro."""
    dev = format_device(gwenv, fmt)
    _, b = response(gwenv, dev, "read", "/5/0", "CONTENT", REQ_CF.get(fmt, "TLV"))
    kind, inst = content(b)
    assert kind == "AvroInstanceResource", inst
    want = {0: res("/5/0/0", "OPAQUE", base64.b64encode(FW_PACKAGE).decode()),
            1: res("/5/0/1", "STRING", "coap://fw.example/p"), 3: res("/5/0/3", "INTEGER", 2),
            4: res("/5/0/4", "BOOLEAN", True)}
    got = {r["id"]: r for r in inst["resources"]}
    assert got == want, (ENCODE[fmt](dev, (5, 0)), inst)
    assert inst["multipleResources"] is None
    check_value_type(got[4]["value"], True)


TRICKY = 'A "q" \\ / \t \u00e9 \u2603 \U0001d11e end'  # quotes, backslash, tab, BMP and astral chars


@pytest.mark.parametrize("fmt", FORMATS + [CBOR])
def test_read_string_escapes(gwenv, fmt):
    """A string with JSON escapes (json.dumps: \\", \\\\, \\t, \\u00e9, a surrogate pair) or raw UTF-8 (CBOR)."""
    dev = format_device(gwenv, fmt)
    dev.objects[(3, 0)][0][1] = TRICKY
    _, b = response(gwenv, dev, "read", "/3/0/0", "CONTENT", REQ_CF.get(fmt, "TLV"))
    assert content(b) == ("AvroResource", res("/3/0/0", "STRING", TRICKY)), ENCODE[fmt](dev, (3, 0, 0))


def test_read_string_raw_utf8_senml_json(gwenv):
    dev = format_device(gwenv, SENML_JSON)
    dev.raw[(3, 0, 0)] = (CF_SENML_JSON, json.dumps([{"bn": "/3/0/0", "vs": TRICKY}], ensure_ascii=False).encode())
    _, b = response(gwenv, dev, "read", "/3/0/0", "CONTENT")
    assert content(b) == ("AvroResource", res("/3/0/0", "STRING", TRICKY))


S = "ACME"
T = 1700000000
ALT_3_0 = {
    # SenML: a base name may be set again by a later record (RFC 8428 section 4.5.1)
    "senml_json_bn_changes": (CF_SENML_JSON, json.dumps([
        {"bn": "/3/0/", "n": "0", "vs": S}, {"n": "9", "v": 95}, {"n": "13", "v": T},
        {"bn": "/3/0/11/", "n": "0", "v": 0}, {"n": "1", "v": 5}]).encode()),
    # no base name at all: full names
    "senml_json_full_names": (CF_SENML_JSON, json.dumps([
        {"n": "/3/0/0", "vs": S}, {"n": "/3/0/9", "v": 95}, {"n": "/3/0/13", "v": T},
        {"n": "/3/0/11/0", "v": 0}, {"n": "/3/0/11/1", "v": 5}]).encode()),
    "senml_cbor_bn_changes": (CF_SENML_CBOR, cbor2.dumps([
        {L_BN: "/3/0/", L_N: "0", L_VS: S}, {L_N: "9", L_V: 95}, {L_N: "13", L_V: T},
        {L_BN: "/3/0/11/", L_N: "0", L_V: 0}, {L_N: "1", L_V: 5}])),
    # LwM2M JSON: bn "/" and the rest of the path in every name
    "lwm2m_json_root_bn": (CF_JSON, json.dumps({"bn": "/", "e": [
        {"n": "3/0/0", "sv": S}, {"n": "3/0/9", "v": 95}, {"n": "3/0/13", "v": T},
        {"n": "3/0/11/0", "v": 0}, {"n": "3/0/11/1", "v": 5}]}).encode()),
    # LwM2M CBOR: an array key for /3/0, nested maps below it
    "lwm2m_cbor_array_key_instance": (CF_LWM2M_CBOR, cbor2.dumps(
        {(3, 0): {0: S, 9: 95, 13: T, 11: {0: 0, 1: 5}}})),
    # LwM2M CBOR: full paths as array keys of the root map
    "lwm2m_cbor_array_key_leaves": (CF_LWM2M_CBOR, cbor2.dumps(
        {(3, 0, 0): S, (3, 0, 9): 95, (3, 0, 13): T, (3, 0, 11, 0): 0, (3, 0, 11, 1): 5})),
}


@pytest.mark.parametrize("case", list(ALT_3_0))
def test_read_object_instance_alternative_spellings(gwenv, case):
    dev = format_device(gwenv, SENML_JSON)
    dev.raw[(3, 0)] = ALT_3_0[case]
    _, b = response(gwenv, dev, "read", "/3/0", "CONTENT")
    kind, inst = content(b)
    assert kind == "AvroInstanceResource", inst
    assert {r["id"]: r for r in inst["resources"]} == EXPECTED_3_0["resources"], inst
    assert inst["multipleResources"] == EXPECTED_3_0["multipleResources"], inst


INTEGRAL_FLOAT = {
    # a FLOAT resource whose value is written as an integer number: still FLOAT 22.0
    SENML_JSON: (CF_SENML_JSON, b'[{"bn":"/3303/0/5700","v":22}]'),
    SENML_CBOR: (CF_SENML_CBOR, cbor2.dumps([{L_BN: "/3303/0/5700", L_V: 22}])),
    LWM2M_JSON: (CF_JSON, b'{"bn":"/3303/0/","e":[{"n":"5700","v":22}]}'),
    LWM2M_CBOR: (CF_LWM2M_CBOR, cbor2.dumps({3303: {0: {5700: 22}}})),
    CBOR: (CF_CBOR, cbor2.dumps(22)),
}


@pytest.mark.parametrize("fmt", list(INTEGRAL_FLOAT))
def test_read_float_resource_integral_number(gwenv, fmt):
    dev = format_device(gwenv, fmt)
    dev.raw[(3303, 0, 5700)] = INTEGRAL_FLOAT[fmt]
    _, b = response(gwenv, dev, "read", "/3303/0/5700", "CONTENT")
    kind, r = content(b)
    assert r == res("/3303/0/5700", "FLOAT", 22.0), r
    check_value_type(r["value"], 22.0)



NON_INTEGRAL = {
    # (cf, payload, path)
    SENML_JSON: pytest.param(CF_SENML_JSON, b'[{"bn":"/3/0/9","v":9.5}]', (3, 0, 9), id=SENML_JSON),
    SENML_CBOR: pytest.param(CF_SENML_CBOR, cbor2.dumps([{L_BN: "/3/0/9", L_V: 9.5}]), (3, 0, 9), id=SENML_CBOR),
    LWM2M_JSON: pytest.param(CF_JSON, b'{"bn":"/3/0/","e":[{"n":"9","v":9.5}]}', (3, 0, 9), id=LWM2M_JSON),
    LWM2M_CBOR: pytest.param(CF_LWM2M_CBOR, cbor2.dumps({3: {0: {9: 9.5}}}), (3, 0, 9), id=LWM2M_CBOR),
    CBOR: pytest.param(CF_CBOR, cbor2.dumps(9.5), (3, 0, 9), id=CBOR),
}


@pytest.mark.parametrize("cf,payload,path", list(NON_INTEGRAL.values()))
def test_read_integer_resource_non_integral_number(gwenv, cf, payload, path):
    """9.5 for the INTEGER resource 3/0/9 does not fit the object model: an error naming the
    type, never a FLOAT value for an INTEGER resource."""
    dev = format_device(gwenv, SENML_JSON)
    dev.raw[path] = (cf, payload)
    rec = gwenv.mgmt.request(dev.ep, "read", path_str(path), "TLV")
    v = rec.value
    assert v["rep"]["code"] in ("INTERNAL_SERVER_ERROR", "UNSUPPORTED_CONTENT_FORMAT"), rec
    name, body = branch(v["rep"]["body"])
    assert name == "AvroGenericResponse", rec
    assert re.search(r"INTEGER", body["message"]), body["message"]


def test_read_time_resource_fractional_senml_json(gwenv):
    """1700000000.5 (SenML seconds) for the TIME resource 3/0/13: either TIME 1700000000500 ms
    or an error naming TIME; a FLOAT value (what the gateway publishes) is neither."""
    dev = format_device(gwenv, SENML_JSON)
    dev.raw[(3, 0, 13)] = (CF_SENML_JSON, b'[{"bn":"/3/0/13","v":1700000000.5}]')
    rec = gwenv.mgmt.request(dev.ep, "read", "/3/0/13", "TLV")
    v = rec.value
    if v["rep"]["code"] == "CONTENT":
        assert content(branch(v["rep"]["body"])) == ("AvroResource", res("/3/0/13", "TIME", 1700000000500)), rec
    else:
        assert v["rep"]["code"] in ("INTERNAL_SERVER_ERROR", "UNSUPPORTED_CONTENT_FORMAT"), rec
        assert re.search(r"TIME", branch(v["rep"]["body"])[1]["message"]), rec


def test_observe_malformed_notification(gwenv):
    """A notification the gateway cannot decode (truncated SenML CBOR) becomes an error record
    for the observation on iot.<gw>.observations; the next good notification is published."""
    dev = format_device(gwenv, SENML_CBOR)
    path = (3303, 0, 5700)
    rec, b = response(gwenv, dev, "observe", "/3303/0/5700", "CONTENT")
    ticket = rec.value["ticket"]
    dev.wait_observers(path, 1)
    dev.raw[path] = (CF_SENML_CBOR, cbor2.dumps([{L_BN: "/3303/0/5700", L_V: 30.5}])[:-4])
    dev.set(path, 30.5)
    bad = gwenv.obs.wait_for(lambda x: x.value["ticket"] == ticket, timeout=10, what="the bad notification")
    assert bad.value["rep"]["code"] in ("INTERNAL_SERVER_ERROR", "UNSUPPORTED_CONTENT_FORMAT"), bad
    name, body = branch(bad.value["rep"]["body"])
    assert name == "AvroGenericResponse" and re.search(r"truncat", body["message"], re.I), bad
    del dev.raw[path]
    dev.set(path, 31.75)
    notes = gwenv.obs.wait_for_n(lambda x: x.value["ticket"] == ticket, 2, timeout=10, what="the good notification")
    assert notes[1].value["rep"]["code"] == "CONTENT", notes[1]
    assert content(branch(notes[1].value["rep"]["body"])) == ("AvroResource", res("/3303/0/5700", "FLOAT", 31.75))


# ------------------------------------------------------------------ any format through contentFormatCode
@pytest.mark.parametrize("fmt", FORMATS)
def test_int_231_232_accept_chosen_by_content_format_code(gwenv, fmt):
    """LightweightM2M-1.1-int-231 / int-232 (and the SenML/LwM2M-CBOR Accept of int-223): the
    zeelos 1.1 contentFormatCode puts exactly that number in the Accept of the read, and the
    answer in that format decodes to the right values."""
    dev = format_device(gwenv, fmt)
    device_3_0_only(dev)
    rec = gwenv.mgmt.request(dev.ep, "read", "/3/0", contentFormatCode=CF_OF[fmt])
    assert rec.value["rep"]["code"] == "CONTENT", rec.value
    gets = [e for e in dev.log if e[0] == "GET" and e[1] == (3, 0)]
    assert gets and gets[-1][2] is not None and int(gets[-1][2]) == CF_OF[fmt], gets
    kind, inst = content(branch(rec.value["rep"]["body"]))
    assert {r["id"]: r for r in inst["resources"]} == EXPECTED_3_0["resources"]


@pytest.mark.parametrize("cf", [CF_SENML_JSON, CF_SENML_CBOR])
def test_write_in_senml_by_content_format_code(gwenv, cf):
    """A write with contentFormatCode 110/112 goes out as SenML in that Content-Format (the
    device here parses it with json / cbor2) and changes the value."""
    dev = format_device(gwenv, LWM2M_JSON)
    rec = gwenv.mgmt.request(dev.ep, "write", "/3/0/14", body=write_body("/3/0/14", "+09:00", "STRING"),
                             contentFormatCode=cf)
    assert rec.value["rep"]["code"] == "CHANGED", rec.value
    put = last_put(dev, (3, 0, 14))
    assert put is not None and int(put[2]) == cf, dev.log
    assert dev.value((3, 0, 14)) == "+09:00"
