# SPDX-License-Identifier: Apache-2.0
"""Create and Delete through Kafka against an aiocoap device: the gateway sends the new
instance as OMA-TLV (checked by the test device's TLV reader, independent of the gateway's) or in
every other format LwM2M allows for Create (SenML JSON/CBOR, LwM2M JSON/CBOR, read here with json
and cbor2), the device's Location-Path becomes AvroCreateResponse.location (without one, the
instance the request created), and Delete maps 2.02 to DELETED."""
from __future__ import annotations

import json
import struct

import cbor2
import pytest
from aiocoap import Message, numbers

from kafka_helpers import branch
from lwm2m_device import tlv_decode

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


NO_ID = 65535  # the instance id that leaves the choice to the device (docs/KAFKA.md)
SENML_JSON, SENML_CBOR, LWM2M_JSON, LWM2M_CBOR, TLV = 110, 112, 11543, 11544, 11542


def create_body(iid: int, value: float, unit: str | None = None):
    res = [{"id": 5700, "path": f"/3303/{iid}/5700", "kind": "SINGLE_RESOURCE",
            "type": "FLOAT", "value": ("double", value)}]
    if unit is not None:
        res.append({"id": 5701, "path": f"/3303/{iid}/5701", "kind": "SINGLE_RESOURCE",
                    "type": "STRING", "value": ("string", unit)})
    return ("io.zeelos.leshan.avro.request.AvroCreateRequest", {"instance": {
        "id": iid, "kind": "INSTANCE", "multipleResources": None, "resources": res}})


def create_values(cf: int, payload: bytes) -> dict[str, object]:
    """The device's reading of a create body on /3303: {absolute path: value}, names resolved as
    RFC 8428 §4.5.1 (SenML: bn sticky, + n) and LwM2M 1.1 §7.4 (LwM2M JSON bn + n; LwM2M CBOR
    nested maps keyed by path ids, or arrays of ids, from the root)."""
    out: dict[str, object] = {}
    if cf in (SENML_JSON, SENML_CBOR):
        recs = json.loads(payload) if cf == SENML_JSON else cbor2.loads(payload)
        bn = ""
        for r in recs:
            bn = r.get("bn", r.get(-2, bn))
            name = bn + r.get("n", r.get(0, ""))
            out[name] = next(r[k] for k in ("v", 2, "vs", 3, "vb", 4, "vd", 8) if k in r)
    elif cf == LWM2M_JSON:
        doc = json.loads(payload)
        for e in doc["e"]:
            out[doc["bn"] + e["n"]] = next(e[k] for k in ("v", "sv", "bv", "ov") if k in e)
    elif cf == LWM2M_CBOR:
        def walk(prefix: tuple, node):
            if not isinstance(node, dict):
                out["/" + "/".join(map(str, prefix))] = node
                return
            for k, v in node.items():
                walk(prefix + (tuple(k) if isinstance(k, (list, tuple)) else (k,)), v)
        walk((), cbor2.loads(payload))
    else:
        for kind, iid, inner in tlv_decode(payload):
            assert kind == 0, "a create with an instance id carries one object-instance TLV"
            for rkind, rid, raw in tlv_decode(inner):
                assert rkind == 3
                out[f"/3303/{iid}/{rid}"] = (struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0]
                                             if rid == 5700 else raw.decode())
    return out


def test_create_then_delete(gwenv):
    """LightweightM2M-1.1-int-270 / int-290 - Create Object Instance / Delete Object Instance: a
    create of /3303 instance 7 in TLV (2.01, Location-Path), a delete (2.02), and a create on an
    instance path answered BAD_REQUEST."""
    dev = gwenv.device()
    got = {}

    async def render_post(request):
        got["cf"] = request.opt.content_format
        got["payload"] = bytes(request.payload)
        return Message(code=numbers.CREATED, location_path=("3303", "7"))

    async def render_delete(request):
        got["deleted"] = True
        return Message(code=numbers.DELETED)

    dev.nodes[(3303,)].render_post = render_post
    dev.nodes[(3303, 1)].render_delete = render_delete
    gwenv.register(dev)

    rec = gwenv.mgmt.request(dev.ep, "create", "/3303", "TLV", body=create_body(7, 12.5))
    v = rec.value
    assert v["rep"]["code"] == "CREATED" and v["rep"]["kind"] == "create", v
    name, body = branch(v["rep"]["body"])
    assert name == "AvroCreateResponse" and body["location"] == "/3303/7"
    assert int(got["cf"]) == 11542
    [(kind, iid, inner)] = tlv_decode(got["payload"])      # one object-instance TLV
    assert (kind, iid) == (0, 7)
    [(rkind, rid, raw)] = tlv_decode(inner)                 # one resource with a value
    assert (rkind, rid) == (3, 5700)
    assert struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0] == 12.5

    rec = gwenv.mgmt.request(dev.ep, "delete", "/3303/1")
    assert rec.value["rep"]["code"] == "DELETED" and got.get("deleted")
    assert branch(rec.value["rep"]["body"])[1]["message"] == "DELETED"

    bad = gwenv.mgmt.request(dev.ep, "create", "/3303/0", "TLV", body=create_body(7, 1.0))
    assert bad.value["rep"]["code"] == "BAD_REQUEST"
    assert "object path" in branch(bad.value["rep"]["body"])[1]["message"]


@pytest.mark.parametrize("cf", [TLV, SENML_JSON, SENML_CBOR, LWM2M_JSON, LWM2M_CBOR])
def test_int_270_create_in_every_format(gwenv, cf):
    """LightweightM2M-1.1-int-270 - Create Object Instance, in each content format LwM2M allows
    for Create: the device, decoding with json/cbor2 (or its own TLV reader), finds the values of
    instance 7 under /3303 (SenML names relative to the object path: bn "/3303/", n "7/5700").
    The device answers 2.01 without Location-Path: the response names the instance the request
    created (/3303/7), not the object path."""
    dev = gwenv.device()
    got = []

    async def render_post(request):
        got.append((int(request.opt.content_format), bytes(request.payload)))
        return Message(code=numbers.CREATED)

    dev.nodes[(3303,)].render_post = render_post
    gwenv.register(dev)
    if cf == LWM2M_JSON:  # the seed's own symbol for it
        rec = gwenv.mgmt.request(dev.ep, "create", "/3303", "JSON_CODE", body=create_body(7, 12.5, "Cel"))
    else:
        rec = gwenv.mgmt.request(dev.ep, "create", "/3303", body=create_body(7, 12.5, "Cel"),
                                 contentFormatCode=cf)
    v = rec.value
    assert v["rep"]["code"] == "CREATED" and v["path"] == "/3303", v
    assert branch(v["rep"]["body"]) == ("AvroCreateResponse", {"location": "/3303/7"}), v
    [(sent_cf, payload)] = got
    assert sent_cf == cf
    assert create_values(cf, payload) == {"/3303/7/5700": 12.5, "/3303/7/5701": "Cel"}, payload


def test_create_without_instance_id(gwenv):
    """A create whose instance id is 65535 leaves the id to the device: in TLV the body is the
    bare resources (no object-instance TLV). A device that then sends no Location-Path gets a
    CREATED answer that says the new instance is unknown (not a made-up location). The name-based
    formats cannot leave the id out: BAD_REQUEST before anything is sent, as for a create in a
    single-value format (text)."""
    dev = gwenv.device()
    got = []

    async def render_post(request):
        got.append((int(request.opt.content_format), bytes(request.payload)))
        return Message(code=numbers.CREATED)

    dev.nodes[(3303,)].render_post = render_post
    gwenv.register(dev)
    rec = gwenv.mgmt.request(dev.ep, "create", "/3303", "TLV", body=create_body(NO_ID, 3.0))
    v = rec.value
    assert v["rep"]["code"] == "CREATED", v
    name, body = branch(v["rep"]["body"])
    assert name == "AvroGenericResponse" and "Location-Path" in body["message"], v
    [(sent_cf, payload)] = got
    [(kind, rid, raw)] = tlv_decode(payload)
    assert sent_cf == TLV and (kind, rid) == (3, 5700)
    assert struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0] == 3.0

    bad = gwenv.mgmt.request(dev.ep, "create", "/3303", body=create_body(NO_ID, 3.0),
                             contentFormatCode=SENML_JSON)
    assert bad.value["rep"]["code"] == "BAD_REQUEST", bad.value
    assert "instance id" in branch(bad.value["rep"]["body"])[1]["message"]
    bad = gwenv.mgmt.request(dev.ep, "create", "/3303", "TEXT_CODE", body=create_body(7, 3.0))
    assert bad.value["rep"]["code"] == "BAD_REQUEST", bad.value
    assert "single value" in branch(bad.value["rep"]["body"])[1]["message"]
    assert len(got) == 1, "nothing may reach the device for a refused create"
