# SPDX-License-Identifier: Apache-2.0
"""Management requests through Kafka (contract §4.3-4.5): AvroRequest on iot.<gw>.management.req,
AvroResponse on iot.<gw>.management.rep, notifications on iot.<gw>.observations."""
from __future__ import annotations

import re
import time

import pytest

import coap_raw as C
from conftest import COAP_REQUEST_TIMEOUT_MS
from gateway_proc import now_ms, unique
from kafka_helpers import branch, execute_body, write_body
from lwm2m_device import CF_TEXT, CF_TLV

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

CF_NUM = {"TLV": CF_TLV, "TEXT_CODE": CF_TEXT}


def check_response(rec, gwenv, ep, ticket, path, kind, code, t0=None):
    """Common AvroResponse fields; returns (body branch name, body)."""
    v = rec.value
    assert rec.key == {"ep": ep}, rec
    assert v["ticket"] == ticket
    assert v["serverId"] == gwenv.id
    assert v["ep"] == ep
    assert v["path"] == path
    assert v["rep"]["kind"] == kind
    assert v["rep"]["code"] == code, rec
    if t0 is not None:
        assert t0 - 1000 <= v["timestamp"] <= now_ms() + 1000
    return branch(v["rep"]["body"])


def last_request(dev, method, path):
    for entry in reversed(dev.log):
        if entry[0] == method and entry[1] == path:
            return entry
    return None


@pytest.mark.parametrize("cf", ["TLV", "TEXT_CODE"])
def test_int_224_read_on_resource(gwenv, cf):
    """LightweightM2M-1.1-int-224 - Read on Resource: /3/0/0 with Accept TLV or text/plain; the
    TEXT_CODE case is also LightweightM2M-1.1-int-201 - Querying basic information in Plain Text
    format (Manufacturer only)."""
    # TEXT_CODE: the seed could not map the *_CODE formats (contract §13.5); the gateway must.
    dev = gwenv.registered_device()
    t0 = now_ms()
    ticket = gwenv.mgmt.send(dev.ep, "read", "/3/0/0", content_format=cf)
    rec = gwenv.mgmt.wait_response(ticket)
    name, body = check_response(rec, gwenv, dev.ep, ticket, "/3/0/0", "read", "CONTENT", t0)
    assert name == "AvroReadResponseBody"
    assert branch(body["content"]) == ("AvroResource", {
        "id": 0, "path": "/3/0/0", "kind": "SINGLE_RESOURCE", "type": "STRING", "value": "ACME"})
    get = last_request(dev, "GET", (3, 0, 0))
    assert get is not None and get[2] is not None and int(get[2]) == CF_NUM[cf], f"device saw {get}"


def test_read_float_resource_and_instance(gwenv):
    """LightweightM2M-1.1-int-224 / int-223 / int-203 - Read on Resource (a FLOAT) / Read on Object
    Instance / Querying basic information in TLV format (/3/0 with Accept TLV; this device has no
    Error Code /3/0/11)."""
    dev = gwenv.registered_device()
    rec = gwenv.mgmt.request(dev.ep, "read", "/3303/0/5700", "TLV")
    name, body = check_response(rec, gwenv, dev.ep, rec.value["ticket"], "/3303/0/5700", "read", "CONTENT")
    kind, res = branch(body["content"])
    assert kind == "AvroResource"
    assert res == {"id": 5700, "path": "/3303/0/5700", "kind": "SINGLE_RESOURCE", "type": "FLOAT", "value": 21.5}
    assert isinstance(res["value"], float)

    rec = gwenv.mgmt.request(dev.ep, "read", "/3/0", "TLV")
    name, body = check_response(rec, gwenv, dev.ep, rec.value["ticket"], "/3/0", "read", "CONTENT")
    kind, inst = branch(body["content"])
    assert kind == "AvroInstanceResource"
    assert (inst["id"], inst["kind"], inst["multipleResources"]) == (0, "INSTANCE", None)
    got = {r["id"]: r for r in inst["resources"]}
    want = {0: ("STRING", "ACME"), 1: ("STRING", "E2E-Model"), 2: ("STRING", "SN-0001"), 3: ("STRING", "1.0.0"),
            9: ("INTEGER", 87), 13: ("TIME", 1700000000 * 1000),  # TIME -> epoch ms (contract §4.4)
            14: ("STRING", "+01:00"), 16: ("STRING", "U")}
    assert sorted(got) == sorted(want)
    for rid, (typ, val) in want.items():
        assert got[rid] == {"id": rid, "path": f"/3/0/{rid}", "kind": "SINGLE_RESOURCE", "type": typ, "value": val}
        assert type(got[rid]["value"]) is type(val)


def test_read_unknown_endpoint(gwenv):
    # ASSUMPTION (deliberate deviation from the seed's quirk, contract §13.1): an error response
    # carries the request's ep in the value and in the key, not the gateway's serverId.
    ep = unique("nobody-")
    t0 = now_ms()
    ticket = gwenv.mgmt.send(ep, "read", "/3/0/0")
    rec = gwenv.mgmt.wait_response(ticket)
    name, body = check_response(rec, gwenv, ep, ticket, "/3/0/0", "read", "NOT_FOUND", t0)
    assert (name, body) == ("AvroGenericResponse", {"message": f"No registration for this endpoint '{ep}'"})


def test_malformed_path_is_bad_request(gwenv):
    dev = gwenv.registered_device()
    n_before = len(dev.log)
    ticket = gwenv.mgmt.send(dev.ep, "read", "/3/x/0")
    rec = gwenv.mgmt.wait_response(ticket)
    # the path is echoed as received (contract §4.3 step 2)
    name, body = check_response(rec, gwenv, dev.ep, ticket, "/3/x/0", "read", "BAD_REQUEST")
    assert name == "AvroGenericResponse" and body["message"].strip(), rec
    assert dev.log[n_before:] == [], "nothing may be sent to the device for an invalid path"


def test_int_227_write_replace_on_resource(gwenv):
    """LightweightM2M-1.1-int-227 - Write (replace) on Resource: PUT /3/0/14 in TLV changes the
    device's value, and a read through Kafka sees it."""
    dev = gwenv.registered_device()
    ticket = gwenv.mgmt.send(dev.ep, "write", "/3/0/14", "TLV", body=write_body("/3/0/14", "+02:00", "STRING"))
    rec = gwenv.mgmt.wait_response(ticket)
    name, body = check_response(rec, gwenv, dev.ep, ticket, "/3/0/14", "write", "CHANGED")
    assert (name, body) == ("AvroGenericResponse", {"message": "CHANGED"})
    assert dev.value((3, 0, 14)) == "+02:00"
    put = last_request(dev, "PUT", (3, 0, 14))
    assert put is not None and put[2] is not None and int(put[2]) == CF_TLV, put
    # read back through Kafka
    rec = gwenv.mgmt.request(dev.ep, "read", "/3/0/14", "TEXT_CODE")
    assert branch(branch(rec.value["rep"]["body"])[1]["content"])[1]["value"] == "+02:00"


def test_execute(gwenv):
    """LightweightM2M-1.1-int-241 - Executable Resource: Rebooting the device (the Execute of
    /3/0/4; the device does not reboot and re-register here). Also: an Execute on a readable
    resource is answered METHOD_NOT_ALLOWED."""
    dev = gwenv.registered_device()
    ticket = gwenv.mgmt.send(dev.ep, "execute", "/3/0/4", body=execute_body(""))
    rec = gwenv.mgmt.wait_response(ticket)
    name, body = check_response(rec, gwenv, dev.ep, ticket, "/3/0/4", "execute", "CHANGED")
    assert (name, body) == ("AvroGenericResponse", {"message": "CHANGED"})
    assert dev.executions == [((3, 0, 4), b"")]
    # executing a readable resource: the device answers 4.05, the response says so
    ticket = gwenv.mgmt.send(dev.ep, "execute", "/3/0/0", body=execute_body(""))
    rec = gwenv.mgmt.wait_response(ticket)
    name, body = check_response(rec, gwenv, dev.ep, ticket, "/3/0/0", "execute", "METHOD_NOT_ALLOWED")
    assert name == "AvroGenericResponse" and body["message"]
    assert dev.executions == [((3, 0, 4), b"")]


def test_observe_notifications_and_cancel(gwenv):
    """LightweightM2M-1.1-int-301 - Observation and Notification of parameter values: observe
    /3303/0/5700, every notification is published with the observation id, and observeCancel
    stops them (how the device is told: test_observe_cancel.py)."""
    dev = gwenv.registered_device()
    path = (3303, 0, 5700)
    ticket = gwenv.mgmt.send(dev.ep, "observe", "/3303/0/5700", "TLV")
    rec = gwenv.mgmt.wait_response(ticket)
    name, body = check_response(rec, gwenv, dev.ep, ticket, "/3303/0/5700", "observe", "CONTENT")
    assert name == "AvroReadResponseBody"
    first = branch(body["content"])[1]
    assert (first["type"], first["value"]) == ("FLOAT", 21.5)
    assert len(dev.observe_tokens.get(path, [])) == 1, dev.observe_tokens
    obs_id = f"[{dev.observe_tokens[path][0]}]"  # "[" + lowercase hex token + "]" (contract §4.4)

    dev.start_ticking(path)
    notes = gwenv.obs.wait_for_n(lambda r: r.value["ticket"] == ticket, 2, timeout=10, what=f"ticket {ticket}")
    values = []
    for n in notes:
        v = n.value
        assert n.key == {"ep": dev.ep}
        assert v["observationId"] == obs_id
        assert (v["serverId"], v["ep"], v["path"]) == (gwenv.id, dev.ep, "/3303/0/5700")
        assert (v["rep"]["kind"], v["rep"]["code"]) == ("observe", "CONTENT")
        bname, b = branch(v["rep"]["body"])
        assert bname == "AvroReadResponseBody"
        rname, res = branch(b["content"])
        assert rname == "AvroResource" and res["type"] == "FLOAT" and res["path"] == "/3303/0/5700"
        values.append(res["value"])
    assert len(set(values)) == len(values), f"notification values must change: {values}"
    assert all(v in dev.history[path] and v != 21.5 for v in values), (values, dev.history[path])

    # cancel: answered once, CHANGED (docs/KAFKA.md, deviation 2; the seed sent nothing) ...
    cancel = gwenv.mgmt.request(dev.ep, "observeCancel", "/3303/0/5700", "TLV")
    assert (cancel.value["rep"]["kind"], cancel.value["rep"]["code"]) == ("observeCancel", "CHANGED"), cancel
    # ... the device is told (RST on the next notification, or a GET with Observe: 1) ...
    dev.wait_observers(path, 0, timeout=6)
    # ... and no notification the gateway handled after the cancel is published (one handled
    # before it may still arrive after the answer): both timestamps come from the gateway's loop
    gwenv.settle(dev.ep)
    notes = [r for r in gwenv.obs.records if isinstance(r.value, dict) and r.value["observationId"] == obs_id]
    late = [r for r in notes if r.value["timestamp"] > cancel.value["timestamp"]]
    assert notes and not late, f"{len(late)} notifications after observeCancel: {late}"
    assert len(gwenv.mgmt.rep.matching(lambda r: r.value["ticket"] == cancel.value["ticket"])) == 1


def test_device_that_does_not_answer(gwenv):
    """Registered from a raw socket that then never answers: an error response after the CoAP
    request timeout (--coap-request-timeout-ms), mentioning the timeout."""
    raw = C.RawCoap(gwenv.gw.coap_port)
    try:
        ep = unique("mute-")
        m = raw.register(ep, lt=60, links=b"</3/0>")
        assert m.code_str == "2.01"
        gwenv.registration(ep, "NEW")
        t0 = time.time()
        ticket = gwenv.mgmt.send(ep, "read", "/3/0/0")
        # the request reaches the registration's source address and port
        got = raw.recv(timeout=5)
        assert got is not None and got.code == C.GET and got.uri_path == "/3/0/0", got
        limit = COAP_REQUEST_TIMEOUT_MS / 1000
        rec = gwenv.mgmt.wait_response(ticket, timeout=limit + 8)
        took = time.time() - t0
        name, body = check_response(rec, gwenv, ep, ticket, "/3/0/0", "read", "INTERNAL_SERVER_ERROR")
        assert name == "AvroGenericResponse"
        assert re.search(r"time[ds]?[ _-]?out", body["message"], re.I), body["message"]
        assert limit * 0.8 <= took <= limit + 5, f"error after {took:.1f}s, timeout is {limit}s"
    finally:
        raw.close()


def instance_update_body(path: str, rid: int, value: str):
    """AvroWriteRequest, mode UPDATE, of one STRING resource of the instance at path."""
    iid = int(path.rstrip("/").split("/")[-1])
    return ("io.zeelos.leshan.avro.request.AvroWriteRequest", {"mode": "UPDATE", "node": (
        "io.zeelos.leshan.avro.resource.AvroInstanceResource", {
            "id": iid, "kind": "INSTANCE", "multipleResources": None,
            "resources": [{"id": rid, "path": f"{path}/{rid}", "kind": "SINGLE_RESOURCE",
                           "type": "STRING", "value": value}]})})


def test_write_update_on_resource_is_refused(gwenv):
    """A partial update (write mode UPDATE) is a CoAP POST, and a POST to a resource is an
    Execute: UPDATE on /3/0/4 (Reboot) or /3/0/14 is answered BAD_REQUEST naming the path and the
    reason, and nothing reaches the device (no execution either). UPDATE on the instance /3/0
    still goes out as POST and changes only the resource it carries."""
    dev = gwenv.registered_device()
    n_before = len(dev.log)
    for path, value, typ in (("/3/0/4", "", "STRING"), ("/3/0/14", "+03:00", "STRING")):
        ticket = gwenv.mgmt.send(dev.ep, "write", path, "TLV", body=write_body(path, value, typ, mode="UPDATE"))
        rec = gwenv.mgmt.wait_response(ticket)
        name, body = check_response(rec, gwenv, dev.ep, ticket, path, "write", "BAD_REQUEST")
        assert name == "AvroGenericResponse", rec
        assert path in body["message"] and "UPDATE" in body["message"] and "instance" in body["message"], body
    gwenv.settle(dev.ep)  # a read answered after both: anything sent before it was logged
    assert [e for e in dev.log[n_before:] if e[0] != "GET"] == [], dev.log[n_before:]
    assert dev.executions == []
    assert dev.value((3, 0, 14)) == "+01:00"

    ticket = gwenv.mgmt.send(dev.ep, "write", "/3/0", "TLV", body=instance_update_body("/3/0", 14, "+04:00"))
    rec = gwenv.mgmt.wait_response(ticket)
    check_response(rec, gwenv, dev.ep, ticket, "/3/0", "write", "CHANGED")
    post = last_request(dev, "POST", (3, 0))
    assert post is not None and int(post[2]) == CF_TLV, dev.log
    assert dev.value((3, 0, 14)) == "+04:00" and dev.value((3, 0, 0)) == "ACME"


def test_no_write_to_a_resource_is_a_post(gwenv):
    """Against a client that refuses every POST on a single resource (4.05, as a client whose
    resources treat POST as Execute must be safe from writes): every write the gateway can send to
    a resource path - REPLACE in TLV and text, UPDATE (refused by the gateway) - reaches it as
    PUT or not at all; the REPLACE writes change the value."""
    dev = gwenv.registered_device(resource_post=False)
    n_before = len(dev.log)
    for cf, value in (("TLV", "+05:00"), ("TEXT_CODE", "+06:00")):
        rec = gwenv.mgmt.request(dev.ep, "write", "/3/0/14", cf, body=write_body("/3/0/14", value, "STRING"))
        assert rec.value["rep"]["code"] == "CHANGED", rec.value
        assert dev.value((3, 0, 14)) == value
    rec = gwenv.mgmt.request(dev.ep, "write", "/3/0/14", "TLV",
                             body=write_body("/3/0/14", "+07:00", "STRING", mode="UPDATE"))
    assert rec.value["rep"]["code"] == "BAD_REQUEST", rec.value
    gwenv.settle(dev.ep)
    to_resources = [e for e in dev.log[n_before:] if len(e[1]) == 3 and e[0] != "GET"]
    assert [(m, p) for m, p, *_ in to_resources] == [("PUT", (3, 0, 14))] * 2, dev.log[n_before:]
    assert dev.value((3, 0, 14)) == "+06:00" and dev.executions == []
