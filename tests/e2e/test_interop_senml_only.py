# SPDX-License-Identifier: Apache-2.0
"""Content-format negotiation: a LwM2M 1.1 client without TLV (optional since 1.1) that declares
ct=110 on its root link is read, written, observed and cancelled through `zeelos request` with no
format flag - the gateway picks SenML JSON from the declared formats, as Leshan does - while a
1.0 device keeps getting TLV, and a device that still refuses the chosen format gets an answer
naming the formats it declared.  The device's SenML JSON is json in lwm2m_device.py, nothing of
the gateway's."""
from __future__ import annotations

import json

import pytest
from aiocoap import Message, numbers

from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

SENML_JSON, SENML_CBOR, TLV = 110, 112, 11542


def cli(gwenv, *args, timeout=60):
    return gwenv.request_rep(*args, timeout=timeout)


def rec(u):
    """A record branch of a union: a (name, value) tuple (fastavro) or {"full.Name": value} (the
    Avro JSON `zeelos request` prints)."""
    if isinstance(u, dict) and len(u) == 1 and "." in next(iter(u)):
        return next(iter(u.values()))
    return branch(u)[1]


def content(rep):
    return rec(rec(rep["body"])["content"])


def accepts(dev, path):
    """The Accept option of every GET the device got for path."""
    return [None if e[2] is None else int(e[2]) for e in dev.log if e[0] == "GET" and e[1] == path]


@pytest.fixture
def sdev(gwenv):
    return gwenv.registered_device(senml_json_only=True, register={"version": "1.1"})


def test_read_resource_and_instance_without_a_format(gwenv, sdev):
    rep = cli(gwenv, "--ep", sdev.ep, "read", "/3/0/0")
    assert rep["code"] == "CONTENT", rep
    assert content(rep)["value"] == {"string": "ACME"}
    assert accepts(sdev, (3, 0, 0)) == [SENML_JSON]
    rep = cli(gwenv, "--ep", sdev.ep, "read", "/3303/0")
    assert rep["code"] == "CONTENT", rep
    inst = content(rep)
    values = {r["id"]: r["value"] for r in inst["resources"]}
    assert values == {5700: {"double": 21.5}, 5701: {"string": "Cel"}}
    assert accepts(sdev, (3303, 0)) == [SENML_JSON]


def test_write_without_a_format(gwenv, sdev):
    rep = cli(gwenv, "--ep", sdev.ep, "--type", "STRING", "write", "/3/0/14", "+05:30")
    assert rep["code"] == "CHANGED", rep
    assert sdev.value((3, 0, 14)) == "+05:30"
    puts = [e for e in sdev.log if e[0] == "PUT" and e[1] == (3, 0, 14)]
    assert [int(e[2]) for e in puts] == [SENML_JSON]


def test_observe_and_cancel_without_a_format(gwenv, sdev):
    rep = cli(gwenv, "--ep", sdev.ep, "--ticket", "senml-obs", "observe", "/3303/0/5700")
    assert rep["code"] == "CONTENT", rep
    sdev.wait_observers((3303, 0, 5700), 1)
    sdev.set((3303, 0, 5700), 30.5)
    n = gwenv.obs.wait_for(lambda r: r.value["ticket"] == "senml-obs" and
                           content(r.value["rep"])["value"] == 30.5,
                           timeout=10, what="the SenML JSON notification")
    assert n.value["path"] == "/3303/0/5700"
    rep = cli(gwenv, "--ep", sdev.ep, "observeCancel", "/3303/0/5700")
    assert rep["code"] == "CHANGED", rep


def test_pinned_tlv_is_refused_and_the_answer_names_the_declared_formats(gwenv, sdev):
    rep = cli(gwenv, "--ep", sdev.ep, "--cf", str(TLV), "read", "/3303/0")
    assert rep["code"] == "NOT_ACCEPTABLE", rep
    msg = json.dumps(rep)
    assert "declared content formats 110" in msg, msg


def test_lwm2m_1_0_device_keeps_getting_tlv(gwenv):
    """A 1.0 device - whether it declares nothing or a list with SenML - is read in TLV."""
    plain = gwenv.registered_device()
    listed = gwenv.registered_device(register={"links": b'</>;rt="oma.lwm2m";ct="110 11542 11543",</3303/0>'})
    for dev in (plain, listed):
        rep = cli(gwenv, "--ep", dev.ep, "read", "/3303/0")
        assert rep["code"] == "CONTENT", rep
        assert accepts(dev, (3303, 0)) == [TLV]


def test_lwm2m_1_1_device_gets_senml_cbor_first(gwenv):
    """A 1.1 device declaring ct="60 110 112 11542 11543" is asked in SenML CBOR (Leshan 2.x's
    choice); this TLV-only test device answers 4.06, and the answer names what it declared."""
    dev = gwenv.registered_device(register={
        "version": "1.1", "links": b'</>;rt="oma.lwm2m";ct="60 110 112 11542 11543",</3303/0>'})
    rep = cli(gwenv, "--ep", dev.ep, "read", "/3303/0")
    assert accepts(dev, (3303, 0)) == [SENML_CBOR]
    assert rep["code"] == "NOT_ACCEPTABLE", rep
    assert "declared content formats 60 110 112 11542 11543" in json.dumps(rep)


def test_create_and_delete_without_a_format(gwenv):
    """LightweightM2M-1.1-int-270 / int-290 against the SenML-only client: a create through
    `zeelos request` that pins no format reaches the device as SenML JSON (anything else it answers 4.15), values under the
    object path; a delete through `zeelos request` answers DELETED."""
    dev = gwenv.device(senml_json_only=True)
    got = []

    async def render_post(request):
        cf = request.opt.content_format
        got.append((None if cf is None else int(cf), bytes(request.payload)))
        if got[-1][0] != SENML_JSON:
            return Message(code=numbers.UNSUPPORTED_CONTENT_FORMAT)
        return Message(code=numbers.CREATED, location_path=("3303", "7"))

    async def render_delete(request):
        got.append(("DELETE",))
        return Message(code=numbers.DELETED)

    dev.nodes[(3303,)].render_post = render_post
    dev.nodes[(3303, 1)].render_delete = render_delete
    gwenv.register(dev, version="1.1")
    rep = cli(gwenv, "--ep", dev.ep, "create", "/3303/7", "5700=12.5")
    assert rep["code"] == "CREATED", rep
    assert rec(rep["body"])["location"] == "/3303/7"
    [(cf, payload)] = got
    assert cf == SENML_JSON
    bn, names = "", {}
    for r in json.loads(payload):
        bn = r.get("bn", bn)
        names[bn + r.get("n", "")] = r.get("v")
    assert names == {"/3303/7/5700": 12.5}
    rep = cli(gwenv, "--ep", dev.ep, "delete", "/3303/1")
    assert rep["code"] == "DELETED" and got[-1] == ("DELETE",), rep
