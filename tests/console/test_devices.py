# SPDX-License-Identifier: Apache-2.0
"""Devices through the console: the client list, every device operation of the API against an
aiocoap LwM2M device (tests/e2e/lwm2m_device.py; what reached the device is read from its own
log), the answers' shapes, the event stream and log, and who a request is attributed to."""
from __future__ import annotations

import json
import struct

import requests
from aiocoap import Message, numbers

from console_helpers import request_record
from gateway_proc import now_ms, unique, wait_until
from lwm2m_device import tlv_decode
from openapi_check import spec

STR14 = {"kind": "singleResource", "id": 14, "value": "+05:30"}


def vals(res: dict) -> dict:
    """{path: value} of an answer's values."""
    return {v["path"]: v["value"] for v in res.get("values") or []}


def types(res: dict) -> dict:
    return {v["path"]: v["type"] for v in res.get("values") or []}


def device_calls(dev, since: int = 0, methods=("GET", "PUT", "POST", "DELETE")):
    return [e for e in dev.log[since:] if e[0] in methods]


# ------------------------------------------------------------------ the client list
def test_registered_device_is_listed(gw1, gw2, devices, admin, sse):
    before = {g["id"]: g for g in admin.ok("GET", "/api/gateways")}
    dev = devices(gw1, unregistered=True)
    events = sse(admin, endpoint=dev.ep)
    t0 = now_ms()
    gw1.register(dev)
    _, ev = events.wait_for(lambda t, d: t == "registration", 15, "registration of the device")
    assert ev["gateway"] == gw1.id and ev["endpoint"] == dev.ep and ev["client"]["endpoint"] == dev.ep
    c = admin.wait_client(dev.ep)
    assert c == admin.ok("GET", "/api/clients", params={"q": dev.ep})[0] | {"lastSeen": c["lastSeen"],
                                                                            "status": c["status"]}
    assert c["gateway"] == gw1.id
    assert c["registrationId"] == dev.location.split("/")[-1], (c["registrationId"], dev.location)
    assert t0 - 2000 <= c["registrationDate"] <= now_ms() + 1000
    assert c["lastUpdate"] >= c["registrationDate"] and c["lastSeen"] >= c["registrationDate"]
    assert c["address"] == f"127.0.0.1:{dev.port}", c["address"]
    assert c["lwM2mVersion"] == "1.0" and c["bindingMode"] == "U" and c["queueMode"] is False
    assert c["lifetime"] == 60 and c["smsNumber"] is None and c["rootPath"] == "/"
    assert [link["url"] for link in c["objectLinks"]] == ["/1/0", "/3/0", "/3303/0", "/3303/1"], c["objectLinks"]
    assert c["status"] == "online" and c["deregistration"] is None
    assert ev["client"]["registrationId"] == c["registrationId"]

    # filters
    mine = lambda lst: [x for x in lst if x["endpoint"] == dev.ep]  # noqa: E731
    assert len(mine(admin.ok("GET", "/api/clients"))) == 1
    assert len(mine(admin.ok("GET", "/api/clients", params={"gateway": gw1.id}))) == 1
    assert mine(admin.ok("GET", "/api/clients", params={"gateway": gw2.id})) == []
    assert len(mine(admin.ok("GET", "/api/clients", params={"status": "online"}))) == 1
    assert mine(admin.ok("GET", "/api/clients", params={"status": "offline"})) == []
    found = admin.ok("GET", "/api/clients", params={"q": dev.ep[-7:]})
    assert [x["endpoint"] for x in found] == [dev.ep], "q= is a substring filter"
    everything = admin.ok("GET", "/api/clients")
    keys = [(x["gateway"], x["endpoint"]) for x in everything]
    assert keys == sorted(keys), "clients are not sorted by gateway then endpoint"

    # the gateway's counts
    after = {g["id"]: g for g in admin.ok("GET", "/api/gateways")}
    g = after[gw1.id]
    assert g["devices"]["total"] == before[gw1.id]["devices"]["total"] + 1, (before[gw1.id], g)
    assert g["devices"]["total"] == sum(g["devices"][k] for k in ("online", "sleeping", "offline"))
    assert g["devices"]["online"] >= 1 and g["lastSeen"] is not None and g["lastSeen"] >= t0 - 1000
    assert g["health"] == "ok", g
    # and the event log has the registration
    assert any(e["type"] == "registration" and e.get("endpoint") == dev.ep for e in admin.log(endpoint=dev.ep))


def test_gateways_list(gw1, gw2, admin):
    gws = admin.ok("GET", "/api/gateways")
    ids = [g["id"] for g in gws]
    assert ids == sorted(ids) and {gw1.id, gw2.id} <= set(ids), ids
    for env in (gw1, gw2):
        g = next(x for x in gws if x["id"] == env.id)
        assert g["topics"] == {"registrations": f"iot.{env.id}.registrations",
                               "observations": f"iot.{env.id}.observations",
                               "requests": f"iot.{env.id}.management.req",
                               "responses": f"iot.{env.id}.management.rep"}
        assert g["live"] is True and g["pendingRequests"] == 0, g
    assert set(ids) == {gw1.id, gw2.id}, "console.gateways lists two gateways; others were shown"


def test_unknown_endpoint_is_404(admin, gw1):
    ep = unique("nobody-")
    admin.error("GET", f"/api/clients/{ep}", 404, "not_found")
    admin.error("GET", f"/api/clients/{ep}/3/0/0", 404, "not_found")
    admin.error("PUT", f"/api/clients/{ep}/3/0/14", 404, "not_found", json=STR14)
    admin.error("POST", f"/api/clients/{ep}/3303/0/5700/observe", 404, "not_found")
    admin.error("GET", f"/api/clients/{ep}/composite", 404, "not_found", params={"paths": "/3/0/0"})


def test_update_and_send_events(gw1, devices, admin, sse):
    """A registration update is an `update` event with the new client; a LwM2M Send (POST /dp)
    is a `send` event with the values sent, not a notification."""
    dev = devices(gw1)
    c0 = admin.wait_client(dev.ep)
    events = sse(admin, endpoint=dev.ep)
    assert dev.update(lt=120).code == "2.04"
    _, ev = events.wait_for(lambda t, d: t == "update", 15, "the update")
    assert ev["client"]["lifetime"] == 120 and ev["client"]["registrationId"] == c0["registrationId"]
    c = admin.wait_client(dev.ep, lambda c: c["lifetime"] == 120)
    assert c["lastUpdate"] >= c0["lastUpdate"] and c["registrationDate"] == c0["registrationDate"]
    recs = [{"bn": "/3303/0/", "n": "5700", "v": 23.25}, {"bn": "/3/0/", "n": "9", "v": 66}]
    r = dev.runner.run(dev._request(numbers.POST, f"{dev.server}/dp", json.dumps(recs).encode(), 110, 10), 15)
    assert r.code == "2.04", r
    sent = events.wait_n(lambda t, d: t == "send", 2, 15, "the Send's instances")
    got = {}
    for _, d in sent:
        assert d["gateway"] == gw1.id and abs(d["timestamp"] - now_ms()) < 60_000
        got.update(vals(d))
    assert got.get("/3303/0/5700") == 23.25 and got.get("/3/0/9") == 66, got
    assert not events.matching(lambda t, d: t == "notification"), "a Send shown as a notification"


# ------------------------------------------------------------------ read
def test_read_resource_instance_object(gw1, devices, admin):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    t0 = now_ms()
    r = admin.op("GET", dev.ep, "/3/0/0")
    assert r["code"] == "CONTENT" and r["success"] is True and r["kind"] == "read" and r["path"] == "/3/0/0"
    assert r["endpoint"] == dev.ep and r["gateway"] == gw1.id and r["user"] == "alice"
    assert r["values"] == [{"path": "/3/0/0", "type": "STRING", "value": "ACME"}], r
    assert 0 <= r["elapsedMs"] <= now_ms() - t0 + 50
    assert r["ticket"].startswith("console-"), r["ticket"]
    t2 = admin.op("GET", dev.ep, "/3/0/0")["ticket"]
    assert t2 != r["ticket"], "two requests with the same ticket"

    inst = admin.op("GET", dev.ep, "/3/0")
    assert inst["code"] == "CONTENT" and inst["path"] == "/3/0"
    v, t = vals(inst), types(inst)
    assert v["/3/0/0"] == "ACME" and v["/3/0/9"] == 87 and v["/3/0/14"] == "+01:00", v
    assert t["/3/0/9"] == "INTEGER" and t["/3/0/0"] == "STRING", t
    assert v["/3/0/13"] == 1700000000 and t["/3/0/13"] == "TIME", (v, t)

    obj = admin.op("GET", dev.ep, "/3303")
    v = vals(obj)
    assert v["/3303/0/5700"] == 21.5 and v["/3303/1/5700"] == 18.25 and v["/3303/1/5701"] == "Cel", v
    assert types(obj)["/3303/0/5700"] == "FLOAT"


def test_read_formats(gw1, devices, admin):
    """format= reaches the device as the Accept option; an unknown format is refused."""
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    for fmt, accept in (("TEXT", 0), ("TLV", 11542), ("11542", 11542)):
        n = len(dev.log)
        r = admin.op("GET", dev.ep, "/3/0/0", params={"format": fmt})
        assert r["code"] == "CONTENT" and vals(r) == {"/3/0/0": "ACME"}, (fmt, r)
        gets = [e for e in dev.log[n:] if e[0] == "GET" and e[1] == (3, 0, 0)]
        assert gets and gets[-1][2] is not None and int(gets[-1][2]) == accept, (fmt, gets)
    r = admin.op("GET", dev.ep, "/3/0/0", params={"format": "SENML_JSON"})
    assert r["code"] == "NOT_ACCEPTABLE" and r["success"] is False and r["message"], r
    n = len(dev.log)
    admin.error("GET", f"/api/clients/{dev.ep}/3/0/0", 400, "bad_request", params={"format": "XML"}, check=False)
    assert device_calls(dev, n) == []


def test_read_of_an_absent_path(gw1, devices, admin):
    """The device's 4.04 is an answer: HTTP 200, code NOT_FOUND, success false, a message."""
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    r = admin.op("GET", dev.ep, "/3303/9/5700")
    assert r["code"] == "NOT_FOUND" and r["success"] is False and r["message"], r
    assert not r.get("values")
    r = admin.op("GET", dev.ep, "/3/0/4")  # executable: the device says 4.05
    assert r["code"] == "METHOD_NOT_ALLOWED" and r["success"] is False, r


def test_bad_requests_are_refused_before_anything_is_sent(gw1, devices, admin):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    ep = dev.ep
    n = len(dev.log)
    cases = [
        ("GET", f"/api/clients/{ep}/3/x", None, None),
        ("GET", f"/api/clients/{ep}/3/0/0/0/0", None, None),
        ("GET", f"/api/clients/{ep}/70000/0", None, None),
        ("GET", f"/api/clients/{ep}/3/-1", None, None),
        ("GET", f"/api/clients/{ep}/3/0/0", None, {"timeout": "0"}),
        ("GET", f"/api/clients/{ep}/3/0/0", None, {"timeout": "26"}),
        ("GET", f"/api/clients/{ep}/3/0/0", None, {"timeout": "soon"}),
        ("PUT", f"/api/clients/{ep}/3303/0/5700", {"kind": "singleResource", "id": 5700, "value": "hot"}, None),
        ("PUT", f"/api/clients/{ep}/3/0/14", {"kind": "singleResource", "id": 14}, None),
        ("PUT", f"/api/clients/{ep}/3/0/14", {"kind": "spaceship", "id": 14, "value": "x"}, None),
        ("PUT", f"/api/clients/{ep}/3/0/14", {"kind": "singleResource", "id": 14, "type": "WHATEVER",
                                              "value": "x"}, None),
        ("POST", f"/api/clients/{ep}/3/0/4", {"arguments": "0='unterminated"}, None),
        ("POST", f"/api/clients/{ep}/3/0/4", {"arguments": "x=1"}, None),
        ("PUT", f"/api/clients/{ep}/3303/0/5700/attributes", None, {"pmin": "soon"}),
        ("PUT", f"/api/clients/{ep}/3303/0/5700/attributes", None, {"pmin": "-1"}),
        ("GET", f"/api/clients/{ep}/composite", None, {"paths": "/3/x"}),
        ("GET", f"/api/clients/{ep}/composite", None, None),
    ]
    for method, path, body, params in cases:
        admin.error(method, path, 400, "bad_request", json=body, params=params, check=False)
    # a body that is no JSON at all
    r = admin.call("PUT", f"/api/clients/{ep}/3/0/14", data="{not json",
                   headers={"Content-Type": "application/json"}, check=False)
    assert r.status_code == 400 and r.json()["code"] == "bad_request", r.text
    assert device_calls(dev, n) == [], f"a refused call reached the device: {dev.log[n:]}"
    assert dev.value((3, 0, 14)) == "+01:00" and not dev.executions


# ------------------------------------------------------------------ write, execute
def test_write_then_read_back(gw1, devices, admin):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    n = len(dev.log)
    r = admin.op("PUT", dev.ep, "/3/0/14", json=STR14)
    assert r["code"] == "CHANGED" and r["success"] is True and r["kind"] == "write" and r["path"] == "/3/0/14", r
    assert dev.value((3, 0, 14)) == "+05:30"
    assert [e[0] for e in device_calls(dev, n)] == ["PUT"], dev.log[n:]
    assert vals(admin.op("GET", dev.ep, "/3/0/14")) == {"/3/0/14": "+05:30"}
    # the model's type is used when the body gives none; a float
    r = admin.op("PUT", dev.ep, "/3303/0/5700", json={"kind": "singleResource", "id": 5700, "value": 30.5})
    assert r["code"] == "CHANGED", r
    assert dev.value((3303, 0, 5700)) == 30.5
    assert vals(admin.op("GET", dev.ep, "/3303/0/5700")) == {"/3303/0/5700": 30.5}
    # TIME is epoch seconds both ways (the device stores seconds; the Kafka records carry ms)
    r = admin.op("PUT", dev.ep, "/3/0/13", json={"kind": "singleResource", "id": 13, "value": 1700000123})
    assert r["code"] == "CHANGED", r
    assert dev.value((3, 0, 13)) == 1700000123, f"TIME written as {dev.value((3, 0, 13))}, not epoch seconds"
    # an instance, replaced (PUT on the device) and updated (POST on the device)
    inst = {"kind": "instance", "id": 0, "resources": [{"kind": "singleResource", "id": 14, "type": "STRING",
                                                        "value": "-03:00"}]}
    n = len(dev.log)
    assert admin.op("PUT", dev.ep, "/3/0", json=inst)["code"] == "CHANGED"
    assert [(e[0], e[1]) for e in device_calls(dev, n)] == [("PUT", (3, 0))], dev.log[n:]
    assert dev.value((3, 0, 14)) == "-03:00"
    inst["resources"][0]["value"] = "-04:00"
    n = len(dev.log)
    assert admin.op("PUT", dev.ep, "/3/0", json=inst, params={"replace": "false"})["code"] == "CHANGED"
    assert [(e[0], e[1]) for e in device_calls(dev, n)] == [("POST", (3, 0))], \
        f"replace=false is a partial update (POST): {dev.log[n:]}"
    assert dev.value((3, 0, 14)) == "-04:00"


def test_execute(gw1, devices, admin):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    r = admin.op("POST", dev.ep, "/3/0/4", json={})
    assert r["code"] == "CHANGED" and r["success"] is True and r["kind"] == "execute" and r["path"] == "/3/0/4", r
    assert dev.executions == [((3, 0, 4), b"")]
    r = admin.op("POST", dev.ep, "/3/0/4", json={"arguments": "0='x',1"})
    assert r["code"] == "CHANGED"
    assert dev.executions[-1] == ((3, 0, 4), b"0='x',1"), dev.executions
    r = admin.op("POST", dev.ep, "/3/0/0", json={})  # not executable: the device says 4.05
    assert r["code"] == "METHOD_NOT_ALLOWED" and r["success"] is False


# ------------------------------------------------------------------ observe
def test_observe_notifications_and_cancel(gw1, devices, admin, sse):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    events = sse(admin, endpoint=dev.ep)
    everything = sse(admin)
    other_gw = sse(admin, gateway=unique("no-such-gw-"))
    r = admin.op("POST", dev.ep, "/3303/0/5700/observe")
    assert r["code"] == "CONTENT" and r["kind"] == "observe" and vals(r) == {"/3303/0/5700": 21.5}, r
    dev.wait_observers((3303, 0, 5700), 1)
    dev.start_ticking()
    notes = events.wait_n(lambda t, d: t == "notification" and d["path"] == "/3303/0/5700", 3, 15,
                          "notifications of /3303/0/5700")
    seq = [d["values"][0]["value"] for _, d in notes]
    assert all(b > a for a, b in zip(seq, seq[1:])), f"the notified values do not increase: {seq}"
    assert seq[0] > 21.5
    ids = {d["observationId"] for _, d in notes}
    assert len(ids) == 1, ids
    for _, d in notes:
        assert d["gateway"] == gw1.id and d["endpoint"] == dev.ep and d["code"] == "CONTENT"
        assert d["values"][0]["path"] == "/3303/0/5700" and d["values"][0]["type"] == "FLOAT"
        assert abs(d["timestamp"] - now_ms()) < 60_000
    # the unfiltered stream has them too; the stream of another gateway has nothing of this one
    everything.wait_for(lambda t, d: t == "notification" and d["endpoint"] == dev.ep, 10, "in the unfiltered stream")
    assert all(d.get("endpoint") == dev.ep for _, d in events.events if isinstance(d, dict)), "endpoint= filter leaks"
    assert all(d.get("endpoint") != dev.ep for _, d in other_gw.events if isinstance(d, dict)), "gateway= filter leaks"

    dev.stop_ticking()
    c = admin.op("DELETE", dev.ep, "/3303/0/5700/observe")
    assert c["success"] is True and c["kind"] == "observeCancel" and c["path"] == "/3303/0/5700", c
    dev.wait_observers((3303, 0, 5700), 0)
    # the request and the answer of the observe are in the stream too
    events.wait_for(lambda t, d: t == "request" and d["ticket"] == r["ticket"] and d["kind"] == "observe", 5)
    events.wait_for(lambda t, d: t == "response" and d["ticket"] == r["ticket"] and d["code"] == "CONTENT", 5)


def test_cancel_without_an_observation_is_not_found(gw1, devices, admin):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    r = admin.op("DELETE", dev.ep, "/3303/0/5700/observe")
    assert r["success"] is False and r["code"] == "NOT_FOUND", r


# ------------------------------------------------------------------ discover, attributes, create, delete
def test_discover(gw1, devices, admin):
    dev = devices(gw1)
    node = dev.nodes[(3, 0)]
    plain = node.render_get
    seen = []

    async def render_get(request):
        if request.opt.accept is not None and int(request.opt.accept) == 40:
            seen.append(tuple(request.opt.uri_query))
            return Message(code=numbers.CONTENT, payload=b"</3/0>,</3/0/0>,</3/0/4>,</3/0/14>", content_format=40)
        return await plain(request)

    node.render_get = render_get
    admin.wait_client(dev.ep)
    r = admin.op("GET", dev.ep, "/3/0/discover")
    assert r["code"] == "CONTENT" and r["kind"] == "discover" and r["path"] == "/3/0", r
    assert "</3/0/0>" in r["objectLinks"] and "</3/0/14>" in r["objectLinks"], r
    assert seen, "the device got no GET with Accept: application/link-format"


def test_write_attributes(gw1, devices, admin):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    r = admin.op("PUT", dev.ep, "/3303/0/5700/attributes", params={"pmin": "1", "pmax": "5", "gt": "30.5"})
    assert r["code"] == "CHANGED" and r["kind"] == "writeAttributes" and r["path"] == "/3303/0/5700", r
    attrs = dev.attributes[(3303, 0, 5700)]
    assert attrs.get("pmin") == "1" and attrs.get("pmax") == "5" and float(attrs.get("gt")) == 30.5, attrs


def test_create_and_delete(gw1, devices, admin):
    dev = devices(gw1)
    got = {}

    async def render_post(request):
        got["cf"] = int(request.opt.content_format)
        got["payload"] = bytes(request.payload)
        return Message(code=numbers.CREATED, location_path=("3303", "7"))

    async def render_delete(request):
        got["deleted"] = True
        return Message(code=numbers.DELETED)

    dev.nodes[(3303,)].render_post = render_post
    dev.nodes[(3303, 1)].render_delete = render_delete
    admin.wait_client(dev.ep)
    body = {"kind": "instance", "id": 7, "resources": [{"kind": "singleResource", "id": 5700, "value": 12.5}]}
    r = admin.op("POST", dev.ep, "/3303", json=body, params={"format": "TLV"})
    assert r["code"] == "CREATED" and r["success"] is True and r["kind"] == "create", r
    assert r["location"] == "/3303/7", r
    assert got["cf"] == 11542
    [(kind, iid, inner)] = tlv_decode(got["payload"])
    assert (kind, iid) == (0, 7)
    [(rkind, rid, raw)] = tlv_decode(inner)
    assert (rkind, rid) == (3, 5700) and struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0] == 12.5
    r = admin.op("DELETE", dev.ep, "/3303/1")
    assert r["code"] == "DELETED" and r["success"] is True and r["kind"] == "delete" and got.get("deleted"), r
    # the default device refuses to delete an object's only Device instance: its 4.05 comes back
    r = admin.op("DELETE", dev.ep, "/3/0")
    assert r["code"] == "METHOD_NOT_ALLOWED" and r["success"] is False


# ------------------------------------------------------------------ composite (LwM2M 1.1)
def test_composite_read_and_observe(gw1, devices, admin, sse):
    from test_composite import CompositeDevice  # tests/e2e: FETCH and iPATCH on "/" written with json/cbor2
    dev = devices(gw1, cls=CompositeDevice, register={"version": "1.1"})
    admin.wait_client(dev.ep)
    events = sse(admin, endpoint=dev.ep)
    r = admin.op("GET", dev.ep, "/composite", params={"paths": "/3/0/0,/3303/1/5700"})
    assert r["code"] == "CONTENT" and r["kind"] == "read", r
    assert vals(r) == {"/3/0/0": "ACME", "/3303/1/5700": 18.25}, r
    assert r["path"] == "/3/0/0,/3303/1/5700", r

    paths = "/3303/0/5700,/3/0/9"
    o = admin.op("POST", dev.ep, "/composite/observe", params={"paths": paths})
    assert o["code"] == "CONTENT" and vals(o) == {"/3303/0/5700": 21.5, "/3/0/9": 87}, o
    wait_until(lambda: dev.root_observers == 1, 10, what="the device to count the composite observer")
    dev.set((3303, 0, 5700), 25.75)
    _, n = events.wait_for(lambda t, d: t == "notification" and vals(d).get("/3303/0/5700") == 25.75, 10,
                           "a composite notification with 25.75")
    assert vals(n)["/3/0/9"] == 87 and n["path"] == paths, n
    c = admin.op("DELETE", dev.ep, "/composite/observe", params={"paths": paths})
    assert c["success"] is True, c
    wait_until(lambda: dev.root_observers == 0, 10, what="the device to drop the composite observer")


# ------------------------------------------------------------------ who did it
def test_requests_carry_the_user(console, gw1, devices, admin, viewer, kafka_bootstrap, codec):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    w = admin.op("PUT", dev.ep, "/3/0/14", json=STR14)
    value, headers = request_record(kafka_bootstrap, codec, f"iot.{gw1.id}.management.req", w["ticket"])
    assert headers.get("zeelos-user") == "alice", headers
    assert value["ep"] == dev.ep and value["payload"]["kind"] == "write" and value["payload"]["path"] == "/3/0/14"
    assert value["serverId"] == gw1.id, value
    rd = viewer.op("GET", dev.ep, "/3/0/0")
    _, headers = request_record(kafka_bootstrap, codec, f"iot.{gw1.id}.management.req", rd["ticket"])
    assert headers.get("zeelos-user") == "victor", headers
    log = admin.log(endpoint=dev.ep)
    req = [e for e in log if e.get("type") == "request" and e.get("ticket") == w["ticket"]]
    assert len(req) == 1, [e for e in log if e.get("ticket") == w["ticket"]]
    assert req[0]["user"] == "alice" and req[0]["kind"] == "write" and req[0]["path"] == "/3/0/14"
    assert req[0]["endpoint"] == dev.ep and req[0]["gateway"] == gw1.id
    rep = [e for e in log if e.get("type") == "response" and e.get("ticket") == w["ticket"]]
    assert len(rep) == 1 and rep[0]["code"] == "CHANGED" and rep[0]["user"] == "alice", rep
    line = f"alice write /3/0/14 on {gw1.id}/{dev.ep} ticket {w['ticket']}"
    wait_until(lambda: line in console.log_text(), 5, what=f"the log line {line!r}")


def test_log_limit_and_order(admin, gw1, devices):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    for _ in range(3):
        admin.op("GET", dev.ep, "/3/0/0")
    last = admin.log(limit=2, endpoint=dev.ep)
    assert len(last) == 2, last
    assert [e["type"] for e in last] == ["request", "response"], last
    full = admin.log(limit=1000, endpoint=dev.ep)
    assert full[-2:] == last, "limit=N is not the last N events"
    ats = [e["at"] for e in full]
    assert ats == sorted(ats), "the log is not oldest first"
    assert admin.log(limit=0, endpoint=dev.ep) == []


def test_objectspecs(admin):
    specs = admin.ok("GET", "/api/objectspecs")
    by_id = {o["id"]: o for o in specs}
    dev = by_id[3]
    assert dev["name"] == "Device" and dev["multiple"] is False
    res = {r["id"]: r for r in dev["resources"]}
    assert res[0]["name"] == "Manufacturer" and res[0]["type"] == "STRING" and res[0]["operations"] == "R"
    assert res[4]["type"] == "NONE" and res[4]["operations"] == "E", res[4]
    assert res[14]["operations"] == "RW" and res[14]["type"] == "STRING"
    assert res[7]["multiple"] is True and res[7]["type"] == "INTEGER", res[7]
    assert res[7]["units"] == "mV", f"the model's units are not given: {res[7]}"
    temp = {r["id"]: r for r in by_id[3303]["resources"]}
    assert temp[5700]["type"] == "FLOAT" and by_id[3303]["multiple"] is True
    assert temp[5701]["type"] == "STRING"


def test_body_too_large(console, gw1, devices, admin):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    big = {"kind": "singleResource", "id": 14, "value": "x" * (2 * 1024 * 1024)}
    r = admin.call("PUT", f"/api/clients/{dev.ep}/3/0/14", json=big, check=False)
    assert r.status_code == 413, r.status_code
    body = r.json()
    spec().validate(body, "#/components/schemas/TooLargeError", "PUT of 2 MiB -> 413")
    assert dev.value((3, 0, 14)) == "+01:00"
    # the console still serves
    assert requests.get(console.url + "/healthz", timeout=5).status_code == 200
