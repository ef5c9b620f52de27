# SPDX-License-Identifier: Apache-2.0
"""Bindings (LwM2M 1.0 §5.3.1.1, 1.1/1.2 §6.2.1.1): a client registering with any binding LwM2M
defines - Leshan 2.x's default b=UT, T, N, UN, or b=U with 1.1's separate Q parameter - gets
2.01 (LightweightM2M-1.1-int-101, Initial Registration, with those bindings), its registration
record carries the closest AvroBnd symbol in bnd and the exact binding in the zeelos 1.1 field
`binding`, and it answers reads through Kafka.  Garbage bindings get 4.00 naming the problem.
The extended registration schema stays compatible with the original one both ways (fastavro
schema resolution)."""
from __future__ import annotations

import io
import json

import fastavro
import pytest

from gateway_proc import ROOT
from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

REG_SCHEMA = "io.zeelos.leshan.avro.registration.AvroRegistrationResponse.avsc"
AWAKE_MS = 1500


def wait_sleeping(gwenv, ep, timeout=AWAKE_MS / 1000 + 5):
    """Until the gateway published ep's SLEEPING state (an UPDATE with attributes queue.state)."""
    def sleeping(r):
        if r.key != {"ep": ep} or r.value["kind"] != "UPDATE":
            return False
        attrs = branch(r.value["body"])[1]["attributes"]
        return bool(attrs) and attrs.get("queue.state") == "SLEEPING"
    gwenv.regs.wait_for(sleeping, timeout, what=f"SLEEPING for {ep}")


def new_body(gwenv, ep):
    name, body = branch(gwenv.registration(ep, "NEW").value["body"])
    assert name == "AvroRegistrationNew"
    return body


@pytest.mark.parametrize("b, extra, bnd", [
    ("UT", "", "U"), ("T", "", "U"), ("N", "", "U"), ("UN", "", "U"),
    ("U", "&Q", "UQ"), ("TQ", "", "UQ"), ("SN", "", "US"), ("UQS", "", "UQS"),
])
def test_register_with_every_binding_then_read(gwenv, b, extra, bnd):
    dev = gwenv.device()
    r = dev.register(lt=60, binding=b, version="1.1", extra=extra)
    assert r.code == "2.01", r
    body = new_body(gwenv, dev.ep)
    assert body["bnd"] == bnd
    assert body["binding"] == b
    # awake right after registering (a queue-mode device too, for its awake window)
    rep = gwenv.mgmt.request(dev.ep, "read", "/3/0/0")
    assert rep.value["rep"]["code"] == "CONTENT", rep.value


def test_queue_mode_follows_the_q_parameter(gateway_factory):
    """LightweightM2M-1.1-int-109 with 1.1's b=U&Q instead of 1.0's b=UQ: the device falls asleep
    (SLEEPING record), a read for it is held, and goes out when it next talks (its Update)."""
    gwenv = gateway_factory(extra_args=["--queue-awake-ms", str(AWAKE_MS)])
    dev = gwenv.registered_device(register={"lt": 300, "binding": "U", "version": "1.1", "extra": "&Q"})
    body = new_body(gwenv, dev.ep)
    assert (body["bnd"], body["binding"]) == ("UQ", "U")
    wait_sleeping(gwenv, dev.ep)
    ticket = gwenv.mgmt.send(dev.ep, "read", "/3/0/0")
    gwenv.gw.wait_metric("zeelos_queue_held_total", lambda v: v == 1, 10, "the read to be held")
    assert not [e for e in dev.log if e[1] == (3, 0, 0)], "the sleeping device was asked"
    assert dev.update().code == "2.04"
    assert gwenv.mgmt.wait_response(ticket, timeout=10).value["rep"]["code"] == "CONTENT"


def test_update_with_binding(gwenv):
    """An Update's b=T is accepted; the UPDATE record says bnd U, binding T."""
    dev = gwenv.registered_device(register={"binding": "UT", "version": "1.1"})
    off = gwenv.registration(dev.ep, "NEW").offset
    r = dev.update(binding="T")
    assert r.code == "2.04", r
    name, body = branch(gwenv.registration(dev.ep, "UPDATE", after_offset=off).value["body"])
    assert name == "AvroRegistrationUpdate"
    assert branch(body["bnd"])[1] == "U" and body["binding"] == "T"  # (union: decoded as a named branch)
    assert gwenv.mgmt.request(dev.ep, "read", "/3/0/0").value["rep"]["code"] == "CONTENT"
    r = dev.update(binding="UZ")
    assert r.code == "4.00" and b"b=UZ" in r.payload, r


@pytest.mark.parametrize("b, why", [
    ("UX", "no LwM2M binding"), ("UU", "repeats"), ("Q", "no transport"), ("", "empty"),
    ("u", "no LwM2M binding"),
])
def test_garbage_binding_is_refused_with_a_precise_message(gwenv, b, why):
    dev = gwenv.device()
    r = dev.register(lt=60, binding=b, version="1.1")
    assert r.code == "4.00", r
    assert f"b={b}" in r.payload.decode() and why in r.payload.decode(), r.payload


def test_registration_schema_resolves_both_ways():
    """A record with `binding` decodes with the original schema as reader (the field is
    skipped), and one written with the original decodes with the extended (binding null)."""
    orig = fastavro.parse_schema(json.loads((ROOT / "schemas" / "registered" / REG_SCHEMA).read_text()))
    ext = fastavro.parse_schema(json.loads((ROOT / "schemas" / "extended" / REG_SCHEMA).read_text()))
    body = {"ep": "e", "serverId": "s", "regDate": 1, "address": "a", "port": 1, "regAddr": "r",
            "regPort": 2, "lt": 30, "sms": None, "ver": "1.1", "bnd": "U", "regId": "i", "links": [],
            "attributes": {}, "root": "/", "lastUp": 3}
    rec = {"kind": "NEW", "body": ("io.zeelos.leshan.avro.registration.AvroRegistrationNew",
                                   {**body, "binding": "UT"})}
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, ext, rec)
    old = fastavro.schemaless_reader(io.BytesIO(buf.getvalue()), ext, orig)
    assert old["body"] == body
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, orig, {"kind": "NEW", "body": (rec["body"][0], body)})
    new = fastavro.schemaless_reader(io.BytesIO(buf.getvalue()), orig, ext)
    assert new["body"]["binding"] is None and new["body"]["bnd"] == "U"


def test_ut_client_full_cycle_through_request(gwenv):
    """A LwM2M 1.1 client registering b=UT (Leshan 2.x's default) is read, written, observed,
    cancelled, created in and deleted from through `zeelos request` with no format flag."""
    from aiocoap import Message, numbers

    def cli(*args):
        return gwenv.request_rep("--ep", dev.ep, *args)

    dev = gwenv.device()
    created = []

    async def render_post(request):
        created.append(bytes(request.payload))
        return Message(code=numbers.CREATED, location_path=("3303", "7"))

    async def render_delete(request):
        created.append("DELETE")
        return Message(code=numbers.DELETED)

    dev.nodes[(3303,)].render_post = render_post
    dev.nodes[(3303, 1)].render_delete = render_delete
    r = dev.register(lt=60, binding="UT", version="1.1")
    assert r.code == "2.01", r
    assert new_body(gwenv, dev.ep)["binding"] == "UT"

    assert cli("read", "/3/0/0")["code"] == "CONTENT"
    assert cli("write", "/3/0/14", "+02:00")["code"] == "CHANGED"
    assert dev.value((3, 0, 14)) == "+02:00"
    assert cli("--ticket", "ut-obs", "observe", "/3303/0/5700")["code"] == "CONTENT"
    dev.wait_observers((3303, 0, 5700), 1)
    dev.set((3303, 0, 5700), 31.5)
    gwenv.obs.wait_for(lambda rec: rec.value["ticket"] == "ut-obs", timeout=10,
                       what="a notification of the b=UT client")
    assert cli("observe-cancel", "/3303/0/5700")["code"] == "CHANGED"
    assert cli("create", "/3303/7", "5700=12.5")["code"] == "CREATED"
    assert len(created) == 1 and created[0]
    assert cli("delete", "/3303/1")["code"] == "DELETED"
    assert created[-1] == "DELETE"
