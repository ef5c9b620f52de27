# SPDX-License-Identifier: Apache-2.0
"""LwM2M Send (device POST /dp with SenML JSON / CBOR, or LwM2M CBOR as LwM2M 1.2 allows): every
object instance becomes one AvroResponseObserve on iot.<gw>.observations (path "/o/i", ticket and
observationId "send"), and the device's 2.04 comes only after Kafka acknowledged the records.

LwM2M CBOR payloads are built here with cbor2 from LwM2M 1.2 TS Core section 7.4.6 (nested maps
keyed by path ids from the root, a key may be an array of several ids), never by the gateway."""
from __future__ import annotations

import json

import cbor2
import pytest
from aiocoap import numbers

from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

CF_SENML_JSON, CF_SENML_CBOR, CF_TLV, CF_LWM2M_CBOR = 110, 112, 11542, 11544


def send(dev, payload: bytes, cf: int):
    return dev.runner.run(dev._request(numbers.POST, f"{dev.server}/dp", payload, cf, 10), 15)


def send_records(gwenv, ep, n, timeout=0.5):
    """The Send records of ep already in Kafka (short timeout: the 2.04 promises they are)."""
    return gwenv.obs.wait_for_n(lambda r: r.key == {"ep": ep} and r.value["ticket"] == "send", n, timeout)


def content(rec):
    name, body = branch(rec.value["rep"]["body"])
    assert name == "AvroReadResponseBody"
    return branch(body["content"])


@pytest.mark.parametrize("fmt", ["json", "cbor"])
def test_send_is_published_before_the_device_gets_204(gwenv, fmt):
    """LightweightM2M-1.1-int-306 / int-311 - Send Operation / Send command, the gateway's side: a
    Send in SenML JSON or CBOR gets 2.04 only after its records are in Kafka."""
    dev = gwenv.registered_device()
    recs = [{"bn": "/3303/0/", "n": "5700", "v": 21.5}, {"n": "5701", "vs": "cel"},
            {"bn": "/3/0/", "n": "9", "v": 77}]
    if fmt == "json":
        r = send(dev, json.dumps(recs).encode(), CF_SENML_JSON)
    else:
        labels = {"bn": -2, "n": 0, "v": 2, "vs": 3}
        r = send(dev, cbor2.dumps([{labels[k]: v for k, v in rec.items()} for rec in recs]), CF_SENML_CBOR)
    assert r.code == "2.04", r
    got = {rec.value["path"]: rec for rec in send_records(gwenv, dev.ep, 2)}
    assert set(got) == {"/3303/0", "/3/0"}
    for rec in got.values():
        v = rec.value
        assert v["observationId"] == "send" and v["ep"] == dev.ep and v["serverId"] == gwenv.id
        assert v["rep"]["code"] == "CONTENT" and v["rep"]["kind"] == "observe"
    name, inst = content(got["/3303/0"])
    assert name == "AvroInstanceResource" and inst["id"] == 0
    by_id = {x["id"]: x for x in inst["resources"]}
    assert by_id[5700]["type"] == "FLOAT" and by_id[5700]["value"] == 21.5
    assert by_id[5701]["type"] == "STRING" and by_id[5701]["value"] == "cel"
    name, inst = content(got["/3/0"])
    assert {x["id"]: (x["type"], x["value"]) for x in inst["resources"]} == {9: ("INTEGER", 77)}
    assert gwenv.gw.metrics().get("zeelos_send_records_total") == 2


def test_send_errors(gwenv):
    dev = gwenv.registered_device()
    bad = send(dev, b'[{"n":"/3/0/9","v":"x"}]', CF_SENML_JSON)          # wrong value kind
    assert bad.code == "4.00" and b"not a number" in bad.payload, bad
    assert send(dev, b"</3/0>", 40).code == "4.15"                        # not SenML
    stranger = gwenv.device()                                            # never registered
    r = send(stranger, b'[{"n":"/3/0/9","v":1}]', CF_SENML_JSON)
    assert r.code == "4.03" and b"no registration" in r.payload, r
    assert gwenv.gw.metrics().get("zeelos_send_rejected_total") == 3
    # and a good Send still works afterwards
    assert send(dev, b'[{"n":"/3/0/9","v":5}]', CF_SENML_JSON).code == "2.04"
    assert send_records(gwenv, dev.ep, 1)[0].value["path"] == "/3/0"


def resources(rec) -> dict:
    name, inst = content(rec)
    assert name == "AvroInstanceResource"
    return {x["id"]: (x["type"], x["value"]) for x in inst["resources"]}


def test_send_lwm2m_cbor(gwenv):
    dev = gwenv.registered_device()
    # {3303: {0: {5700: 21.5, 5701: "cel"}, 1: {5700: 22}}, [3, 0, 9]: 77}: nested maps, an array
    # key naming a resource from the root, and an integer for the FLOAT resource /3303/1/5700
    payload = cbor2.dumps({3303: {0: {5700: 21.5, 5701: "cel"}, 1: {5700: 22}}, (3, 0, 9): 77})
    r = send(dev, payload, CF_LWM2M_CBOR)
    assert r.code == "2.04", r
    got = {rec.value["path"]: rec for rec in send_records(gwenv, dev.ep, 3)}
    assert set(got) == {"/3303/0", "/3303/1", "/3/0"}
    for rec in got.values():
        v = rec.value
        assert v["ticket"] == "send" and v["observationId"] == "send" and v["serverId"] == gwenv.id
        assert v["rep"]["code"] == "CONTENT" and v["rep"]["kind"] == "observe"
    assert resources(got["/3303/0"]) == {5700: ("FLOAT", 21.5), 5701: ("STRING", "cel")}
    assert resources(got["/3303/1"]) == {5700: ("FLOAT", 22.0)}
    assert resources(got["/3/0"]) == {9: ("INTEGER", 77)}
    name, inst = content(got["/3303/0"])
    assert inst["id"] == 0 and {x["path"] for x in inst["resources"]} == {"/3303/0/5700", "/3303/0/5701"}
    assert gwenv.gw.metrics().get("zeelos_send_records_total") == 3


def test_send_lwm2m_cbor_errors(gwenv):
    dev = gwenv.registered_device()
    good = cbor2.dumps({3303: {0: {5700: 19.25}}})
    bad = send(dev, good[:-3], CF_LWM2M_CBOR)                             # truncated float
    assert bad.code == "4.00" and b"truncated" in bad.payload, bad
    bad = send(dev, cbor2.dumps({3303: 21.5}), CF_LWM2M_CBOR)             # a value for an object
    assert bad.code == "4.00" and b"/3303 carries a value but is not a resource" in bad.payload, bad
    bad = send(dev, cbor2.dumps({3303: {0: {5700: "warm"}}}), CF_LWM2M_CBOR)  # wrong type
    assert bad.code == "4.00" and b"does not fit the model type FLOAT" in bad.payload, bad
    bad = send(dev, cbor2.dumps({}), CF_LWM2M_CBOR)                       # nothing in it
    assert bad.code == "4.00" and b"without any value" in bad.payload, bad
    r = send(dev, b"\x08\x00\x41\x05", CF_TLV)                            # TLV: not a Send format
    assert r.code == "4.15" and b"11544" in r.payload, r
    assert gwenv.gw.metrics().get("zeelos_send_rejected_total") == 5
    # the gateway keeps serving: the same device's good Send goes through
    assert send(dev, good, CF_LWM2M_CBOR).code == "2.04"
    (rec,) = send_records(gwenv, dev.ep, 1)
    assert rec.value["path"] == "/3303/0" and resources(rec) == {5700: ("FLOAT", 19.25)}
