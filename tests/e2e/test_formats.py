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
chose, whatever the Accept: the management request's contentFormat can only ask for TLV, LwM2M
JSON, text or opaque, and the gateway must decode an answer by its Content-Format.

Reads: /3/0 (string, integer, TIME and the multiple resource /3/0/11 with instances 0 and 1) ->
an AvroInstanceResource with exactly those values and types (TIME in epoch ms, the multiple
resource as an AvroMultipleResource whose map keys are "0" and "1"); /3303/0/5700 -> a FLOAT
AvroResource; an observation of /3303/0/5700 with three notifications -> three records on
iot.<gw>.observations. Malformed payloads (truncated CBOR, invalid JSON, a record outside the
requested path) -> INTERNAL_SERVER_ERROR or UNSUPPORTED_CONTENT_FORMAT naming the problem, and
the next read works. Writes: /3/0/14 with JSON_CODE -> Content-Format 11543 with an LwM2M JSON
document json.loads() parses; with TEXT_CODE -> text/plain.

One gateway serves the whole module (module-scoped `gwenv` below, built like conftest's
gateway_factory); every test has its own device.
"""
from __future__ import annotations

import json
import re

import cbor2
import pytest
from aiocoap import Message, numbers

from conftest import COAP_REQUEST_TIMEOUT_MS, EXPIRY_SWEEP_MS, GatewayEnv
from gateway_proc import Gateway, unique, zeelos_bin
from kafka_helpers import branch, create_topics, gateway_topics, write_body
from lwm2m_device import (CF_JSON, CF_TEXT, EXEC, INTEGER, STRING, TIME, _Node,
                          default_objects)

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


def pstr(path: tuple) -> str:
    return "/" + "/".join(map(str, path))


def base_and_names(path: tuple, items) -> tuple[str, list[str]]:
    """Base name and relative names: "/3/0/" + "0", "11/0"...; a single resource is its own
    base name with an empty (omitted) name."""
    if len(items) == 1 and items[0][0] == path:
        return pstr(path), [""]
    base = pstr(path) + "/"
    return base, [pstr(p)[len(base):] for p, _, _ in items]


def senml_json(dev, path: tuple) -> bytes:
    items = leaves(dev, path)
    base, names = base_and_names(path, items)
    recs = []
    for i, ((p, t, v), n) in enumerate(zip(items, names)):
        r = {"bn": base} if i == 0 else {}
        if n:
            r["n"] = n
        r["vs" if t == STRING else "v"] = v
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
        r[L_VS if t == STRING else L_V] = v
        recs.append(r)
    return cbor2.dumps(recs, canonical=True)  # canonical: floats in their shortest exact width


def lwm2m_json(dev, path: tuple) -> bytes:
    items = leaves(dev, path)
    if len(path) == 3:  # {"bn":"/3303/0/","e":[{"n":"5700","v":21.5}]}
        base = pstr(path[:2]) + "/"
        names = [pstr(p)[len(base):] for p, _, _ in items]
    else:
        base, names = base_and_names(path, items)
    e = []
    for (p, t, v), n in zip(items, names):
        e.append({"n": n, ("sv" if t == STRING else "v"): v})
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
        if cf is None or int(cf) != CF_JSON:
            return super()._write(request)
        try:
            doc = json.loads(request.payload)
            for full, kind, v in lwm2m_json_entries(doc):
                parts = tuple(int(x) for x in full.strip("/").split("/"))
                if parts[:len(self.path)] != self.path or len(parts) != 3:
                    return Message(code=numbers.BAD_REQUEST)
                self.dev.set(parts, v, notify=True)
        except (ValueError, KeyError, TypeError):
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
    dev = gwenv.device(objects=objs)
    dev.fmt, dev.raw = fmt, {}

    async def _swap():
        for path in list(dev.nodes):
            node = FormatNode(dev, path)
            dev.ctx.serversite.add_resource([str(p) for p in path], node)
            dev.nodes[path] = node
    dev.runner.run(_swap())
    r = dev.register(lt=60)
    assert r.code == "2.01", r
    gwenv.registration(dev.ep, "NEW")
    return dev


# ------------------------------------------------------------------ one gateway for the module
@pytest.fixture(scope="module")
def _module_gw(kafka_bootstrap, registry_url, sr, codec, runner, tmp_path_factory):
    exe = zeelos_bin()
    if not exe.exists():
        pytest.skip(f"gateway binary {exe} does not exist yet (build it, or set ZEELOS_BIN)")
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
    """Read /3/0 answered in fmt: string, integer, TIME and a two-instance multiple resource."""
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
    """CBOR (60): one bare data item, typed by the object model."""
    dev = format_device(gwenv, CBOR)
    dev.objects[path[:2]][path[2]][1] = value
    p = pstr(path)
    _, b = response(gwenv, dev, "read", p, "CONTENT")
    kind, r = content(b)
    assert kind == "AvroResource"
    assert r == res(p, typ, want), (plain_cbor(dev, path).hex(), r)
    check_value_type(r["value"], want)


# ------------------------------------------------------------------ (c) observe
@pytest.mark.parametrize("fmt", FORMATS)
def test_observe_float_resource(gwenv, fmt):
    """Observe /3303/0/5700: the first answer and three notifications, all in fmt."""
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
    dev = format_device(gwenv, LWM2M_JSON)
    response(gwenv, dev, "write", "/3/0/14", "CHANGED", "TEXT_CODE",
             body=write_body("/3/0/14", "-05:30", "STRING"))
    put = last_put(dev, (3, 0, 14))
    assert put is not None and put[0] == "PUT", dev.log
    assert put[2] is not None and int(put[2]) == CF_TEXT, f"Content-Format {put[2]}"
    assert bytes(put[3]) == b"-05:30"
    assert dev.value((3, 0, 14)) == "-05:30"
