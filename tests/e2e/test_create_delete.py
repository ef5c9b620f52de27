# SPDX-License-Identifier: Apache-2.0
"""Create and Delete through Kafka against an aiocoap device: the gateway sends the new
instance as OMA-TLV (checked by the test device's TLV reader, independent of the gateway's), the
device's Location-Path becomes AvroCreateResponse.location, and Delete maps 2.02 to DELETED."""
from __future__ import annotations

import struct

import pytest
from aiocoap import Message, numbers

from kafka_helpers import branch
from lwm2m_device import tlv_decode

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


def create_body(iid: int, value: float):
    return ("io.zeelos.leshan.avro.request.AvroCreateRequest", {"instance": {
        "id": iid, "kind": "INSTANCE", "multipleResources": None,
        "resources": [{"id": 5700, "path": f"/3303/{iid}/5700", "kind": "SINGLE_RESOURCE",
                       "type": "FLOAT", "value": ("double", value)}]}})


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
