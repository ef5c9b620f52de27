# SPDX-License-Identifier: Apache-2.0
"""Values by the model (issue 9): a write's value is converted to the type the object model gives
its resource before the gateway encodes it, or refused with BAD_REQUEST before anything reaches
the device; values of an object without a model are typed from what the device wrote, the same
way in every instance and format.

* `write /1/0/1 120` as `zeelos request` sends it without --type (a STRING record; also through
  the CLI itself): the device
  (which decodes TLV by its own types) must store the integer 120, not the ASCII bytes "120" read
  as an integer (3,224,112).
* A create in SenML JSON whose values came as strings: the FLOAT travels as a SenML number.
* "12a" for /1/0/1 and "maybe" for the boolean /1/0/6: BAD_REQUEST naming path and type; the
  device sees no request.
* Object 32769 (no built-in model, no DDF), resource 1 = -30.0 in instances 0 and 1: a text/plain
  read gives FLOAT -30.0 (it was OPAQUE "LTMwLjA="), SenML JSON and SenML CBOR reads of the
  object (json / cbor2 here, not the gateway's codecs) give FLOAT -30.0 in both instances, and the
  integer -30 stays INTEGER.
"""
from __future__ import annotations

import json

import cbor2
import pytest
from aiocoap import Message, numbers

from kafka_helpers import branch, write_body
from lwm2m_device import FLOAT, INTEGER, _Node, default_objects

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

CF_SENML_JSON, CF_SENML_CBOR = 110, 112


def response(env, dev, kind: str, path: str, cf: str = "TLV", body=None):
    rec = env.mgmt.request(dev.ep, kind, path, cf, body=body)
    rep = rec.value["rep"]
    assert (rec.value["path"], rep["kind"]) == (path, kind), rec
    return rep["code"], branch(rep["body"])


def singles(node) -> dict:
    """{path: (type, value)} of every single resource in a read's content, at any depth."""
    out = {}
    if isinstance(node, tuple):
        node = node[1]
    if isinstance(node, list):
        for v in node:
            out.update(singles(v))
    elif isinstance(node, dict):
        if node.get("kind") == "SINGLE_RESOURCE":
            out[node["path"]] = (node["type"], node["value"])
        for v in node.values():
            if isinstance(v, (dict, tuple, list)):
                out.update(singles(v))
    return out


def test_write_without_type_is_converted_by_the_model(gwenv):
    dev = gwenv.registered_device()
    code, (name, body) = response(gwenv, dev, "write", "/1/0/1", body=write_body("/1/0/1", "120", "STRING"))
    assert (code, name) == ("CHANGED", "AvroGenericResponse"), body
    assert dev.value((1, 0, 1)) == 120  # not 3224112 ("120" as TLV integer bytes)
    put = [e for e in dev.log if e[0] == "PUT" and e[1] == (1, 0, 1)][-1]
    assert put[3] == b"\xc1\x01\x78", put  # TLV: resource 1, one byte, 120
    # a FLOAT resource from a string, written as text/plain
    code, _ = response(gwenv, dev, "write", "/3303/0/5700", "TEXT_CODE",
                       body=write_body("/3303/0/5700", "-30.5", "STRING"))
    assert code == "CHANGED"
    assert dev.value((3303, 0, 5700)) == -30.5
    # a boolean from "true": TLV one byte 1
    code, _ = response(gwenv, dev, "write", "/1/0/6", body=write_body("/1/0/6", "true", "STRING"))
    assert code == "CHANGED" and dev.value((1, 0, 6)) is True


def test_cli_write_without_type(gwenv):
    """The command of the report: `zeelos request … write /1/0/1 120`, no --type."""
    dev = gwenv.registered_device()
    p = gwenv.zeelos("request", "--ep", dev.ep, "write", "/1/0/1", "120")
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "CHANGED" in p.stdout + p.stderr, (p.stdout, p.stderr)
    assert dev.value((1, 0, 1)) == 120
    p = gwenv.zeelos("request", "--ep", dev.ep, "write", "/1/0/1", "12a")
    assert p.returncode != 0 and "/1/0/1" in p.stdout + p.stderr and "INTEGER" in p.stdout + p.stderr, \
        (p.stdout, p.stderr)
    assert dev.value((1, 0, 1)) == 120


@pytest.mark.parametrize("path,value,type_name", [("/1/0/1", "12a", "INTEGER"), ("/1/0/6", "maybe", "BOOLEAN"),
                                                  ("/3303/0/5700", "warm", "FLOAT")])
def test_value_the_model_refuses_is_bad_request(gwenv, path, value, type_name):
    dev = gwenv.registered_device()
    n_before = len(dev.log)
    code, (name, body) = response(gwenv, dev, "write", path, body=write_body(path, value, "STRING"))
    assert (code, name) == ("BAD_REQUEST", "AvroGenericResponse"), body
    msg = body["message"]
    assert msg.startswith(f"{path}: \"{value}\" is not a valid {type_name}"), msg
    assert dev.log[n_before:] == [], "nothing may be sent to the device for a refused value"


def string_create(iid: int, temp: str):
    """AvroCreateRequest of /3303 instance iid with every value typed STRING."""
    res = [{"id": 5700, "path": f"/3303/{iid}/5700", "kind": "SINGLE_RESOURCE", "type": "STRING",
            "value": ("string", temp)},
           {"id": 5701, "path": f"/3303/{iid}/5701", "kind": "SINGLE_RESOURCE", "type": "STRING",
            "value": ("string", "Cel")}]
    return ("io.zeelos.leshan.avro.request.AvroCreateRequest", {"instance": {
        "id": iid, "kind": "INSTANCE", "multipleResources": None, "resources": res}})


def test_create_values_are_converted_by_the_model(gwenv):
    """A create in SenML JSON whose values all came as strings: the device (json.loads) gets the
    FLOAT /3303/7/5700 as a number ("v"), the STRING unit as "vs"; "warm" is refused and nothing
    is posted."""
    dev = gwenv.device()
    got = []

    async def render_post(request):
        got.append(json.loads(request.payload))
        return Message(code=numbers.CREATED, location_path=("3303", "7"))

    dev.nodes[(3303,)].render_post = render_post
    gwenv.register(dev)
    rec = gwenv.mgmt.request(dev.ep, "create", "/3303", body=string_create(7, "12.5"),
                             contentFormatCode=CF_SENML_JSON)
    assert rec.value["rep"]["code"] == "CREATED", rec.value
    [recs] = got
    vals, bn = {}, ""
    for r in recs:
        bn = r.get("bn", bn)
        vals[bn + r.get("n", "")] = {k: r[k] for k in ("v", "vs", "vb", "vd") if k in r}
    assert vals == {"/3303/7/5700": {"v": 12.5}, "/3303/7/5701": {"vs": "Cel"}}, recs
    rec = gwenv.mgmt.request(dev.ep, "create", "/3303", body=string_create(8, "warm"),
                             contentFormatCode=CF_SENML_JSON)
    assert rec.value["rep"]["code"] == "BAD_REQUEST", rec.value
    msg = branch(rec.value["rep"]["body"])[1]["message"]
    assert msg.startswith('/3303/8/5700: "warm" is not a valid FLOAT'), msg
    assert len(got) == 1


class SenmlNode(_Node):
    """Answers GETs of object 32769 in dev.fmt (SenML JSON or CBOR), whatever the Accept."""

    def _render(self, request) -> Message:
        dev = self.dev
        if dev.fmt is None or self.path[0] != 32769:
            return super()._render(request)
        recs = []
        for (o, i), res in sorted(dev.objects.items()):
            if o != 32769 or (len(self.path) > 1 and i != self.path[1]):
                continue
            for rid, (_, v) in sorted(res.items()):
                recs.append((f"/{o}/{i}/{rid}", v))
        if dev.fmt == CF_SENML_JSON:
            payload = json.dumps([{"n": n, "v": v} for n, v in recs]).encode()
        else:
            payload = cbor2.dumps([{0: n, 2: v} for n, v in recs], canonical=True)
        return Message(code=numbers.CONTENT, payload=payload, content_format=dev.fmt)


def unknown_object_device(env):
    objs = default_objects()
    objs[(32769, 0)] = {1: [FLOAT, -30.0], 2: [INTEGER, -30]}
    objs[(32769, 1)] = {1: [FLOAT, -30.0], 2: [INTEGER, 7]}
    dev = env.device(objects=objs)
    dev.fmt = None
    for path in list(dev.nodes):
        if path[0] == 32769:
            dev.replace_node(path, SenmlNode(dev, path))
    return env.register(dev)


def test_object_without_model_is_typed_from_what_the_device_sent(gwenv):
    dev = unknown_object_device(gwenv)
    # text/plain: "-30.0" is FLOAT, "-30" INTEGER (before: OPAQUE "LTMwLjA=")
    code, (_, body) = response(gwenv, dev, "read", "/32769/0/1", "TEXT_CODE")
    assert code == "CONTENT", body
    assert singles(body["content"]) == {"/32769/0/1": ("FLOAT", -30.0)}
    code, (_, body) = response(gwenv, dev, "read", "/32769/0/2", "TEXT_CODE")
    assert singles(body["content"]) == {"/32769/0/2": ("INTEGER", -30)}
    want = {"/32769/0/1": ("FLOAT", -30.0), "/32769/0/2": ("INTEGER", -30),
            "/32769/1/1": ("FLOAT", -30.0), "/32769/1/2": ("INTEGER", 7)}
    for fmt in (CF_SENML_JSON, CF_SENML_CBOR):
        dev.fmt = fmt
        code, (_, body) = response(gwenv, dev, "read", "/32769")
        assert code == "CONTENT", (fmt, body)
        assert singles(body["content"]) == want, (fmt, body)
