# SPDX-License-Identifier: Apache-2.0
"""What happens around the requests: de-registration, a device that does not answer (504), a
sleeping queue-mode device (202 queued, the answer later on the stream), an endpoint name on two
gateways (409), and a console restart that rebuilds its picture from the registration topics."""
from __future__ import annotations

import time

from console_env import GW_COAP_TIMEOUT_MS, QUEUE_AWAKE_MS
from console_helpers import PASSWORDS, Api
from gateway_proc import now_ms, unique, wait_until


def gateway(api, gw_id):
    return next(g for g in api.ok("GET", "/api/gateways") if g["id"] == gw_id)


def test_deregistration(gw1, devices, admin, sse):
    dev = devices(gw1)
    admin.wait_client(dev.ep)
    events = sse(admin, endpoint=dev.ep)
    t0 = now_ms()
    assert dev.deregister().code == "2.02"
    _, ev = events.wait_for(lambda t, d: t == "deregistration", 15, "deregistration")
    assert ev == {"gateway": gw1.id, "endpoint": dev.ep, "expired": False}
    c = admin.wait_client(dev.ep, lambda c: c["status"] == "offline", what="the client to be offline")
    assert c["deregistration"]["expired"] is False and t0 - 1000 <= c["deregistration"]["at"] <= now_ms() + 1000, c
    assert [x["endpoint"] for x in admin.ok("GET", "/api/clients", params={"status": "offline", "q": dev.ep})] \
        == [dev.ep]
    assert admin.ok("GET", "/api/clients", params={"status": "online", "q": dev.ep}) == []
    g = gateway(admin, gw1.id)
    assert g["devices"]["offline"] >= 1
    log = admin.log(endpoint=dev.ep)
    assert any(e.get("type") == "deregistration" and e.get("endpoint") == dev.ep and e.get("expired") is False
               for e in log)


def test_silent_device_times_out(gw2, devices, admin, sse):
    """A device that stopped answering: 504 timeout after `timeout` seconds (not later than 2 s
    after), the gateway unresponsive meanwhile; the gateway's own answer, when it comes, is a
    `response` event of the same ticket and the gateway is ok again."""
    dev = devices(gw2)
    admin.wait_client(dev.ep)
    events = sse(admin, endpoint=dev.ep)
    dev.stop()
    t0 = time.monotonic()
    body = admin.error("GET", f"/api/clients/{dev.ep}/3/0/0", 504, "timeout", params={"timeout": "2"})
    took = time.monotonic() - t0
    assert 1.9 <= took <= 4.0, f"504 after {took:.1f} s for timeout=2"
    assert body["ticket"] and gw2.id in body["message"] and dev.ep in body["message"], body
    g = gateway(admin, gw2.id)
    assert g["health"] == "unresponsive", g
    _, late = events.wait_for(lambda t, d: t == "response" and d["ticket"] == body["ticket"],
                              GW_COAP_TIMEOUT_MS / 1000 + 10, "the gateway's late answer")
    assert late["success"] is False, late
    wait_until(lambda: gateway(admin, gw2.id)["health"] == "ok", 5, what="the gateway to be ok again")


def test_default_timeout_is_the_configured_one(gw2, devices, admin):
    """Without timeout=, console.request.timeout.ms (5 s here) applies."""
    dev = devices(gw2)
    admin.wait_client(dev.ep)
    dev.stop()
    t0 = time.monotonic()
    admin.error("PUT", f"/api/clients/{dev.ep}/3/0/14", 504, "timeout",
                json={"kind": "singleResource", "id": 14, "value": "+02:00"})
    took = time.monotonic() - t0
    assert 4.9 <= took <= 7.0, f"504 after {took:.1f} s with console.request.timeout.ms=5000"


def test_sleeping_device_gets_its_request_queued(gw1, devices, admin, sse):
    dev = devices(gw1, unregistered=True)
    events = sse(admin, endpoint=dev.ep)
    gw1.register(dev, lt=300, binding="UQ")
    c = admin.wait_client(dev.ep)
    assert c["queueMode"] is True and c["bindingMode"] == "UQ"
    c = admin.wait_client(dev.ep, lambda c: c["status"] == "sleeping", timeout=QUEUE_AWAKE_MS / 1000 + 6,
                          what="the queue-mode device to be sleeping")
    events.wait_for(lambda t, d: t == "sleeping", 5, "a sleeping event")
    assert any(x["endpoint"] == dev.ep for x in admin.ok("GET", "/api/clients", params={"status": "sleeping"}))
    assert gateway(admin, gw1.id)["devices"]["sleeping"] >= 1
    t0 = time.monotonic()
    q = admin.op("GET", dev.ep, "/3/0/0", status=202, params={"timeout": "1"})
    assert time.monotonic() - t0 < 3.5
    assert q["status"] == "queued" and dev.ep in q["message"] and gw1.id in q["message"], q
    assert not [e for e in dev.log if e[0] == "GET" and e[1] == (3, 0, 0)], "the sleeping device was asked"
    # it wakes up (an update): the gateway sends the held read, its answer reaches the stream
    assert dev.update().code == "2.04"
    _, rep = events.wait_for(lambda t, d: t == "response" and d["ticket"] == q["ticket"], 15,
                             "the answer to the queued read")
    assert rep["code"] == "CONTENT" and rep["values"] == [{"path": "/3/0/0", "type": "STRING", "value": "ACME"}]
    events.wait_for(lambda t, d: t == "awake", 5, "an awake event")


def test_same_endpoint_on_two_gateways(gw1, gw2, devices, admin):
    ep = unique("twin-")
    a = devices(gw1, ep=ep)
    b = devices(gw2, ep=ep)
    admin.wait_client(ep, gateway=gw1.id)
    admin.wait_client(ep, gateway=gw2.id)
    admin.error("GET", f"/api/clients/{ep}", 409, "conflict")
    admin.error("GET", f"/api/clients/{ep}/3/0/0", 409, "conflict")
    admin.error("PUT", f"/api/clients/{ep}/3/0/14", 409, "conflict",
                json={"kind": "singleResource", "id": 14, "value": "+06:00"})
    assert admin.client(ep, gateway=gw1.id)["gateway"] == gw1.id
    assert admin.client(ep, gateway=gw2.id)["address"] == f"127.0.0.1:{b.port}"
    r = admin.op("PUT", ep, "/3/0/14", params={"gateway": gw2.id},
                 json={"kind": "singleResource", "id": 14, "value": "+06:00"})
    assert r["gateway"] == gw2.id and r["code"] == "CHANGED"
    assert b.value((3, 0, 14)) == "+06:00" and a.value((3, 0, 14)) == "+01:00"
    r = admin.op("GET", ep, "/3/0/14", params={"gateway": gw1.id})
    assert r["gateway"] == gw1.id and r["values"][0]["value"] == "+01:00"
    both = admin.ok("GET", "/api/clients", params={"q": ep})
    assert [(x["gateway"], x["endpoint"]) for x in both] == [(gw1.id, ep), (gw2.id, ep)]
    admin.error("GET", f"/api/clients/{ep}", 404, "not_found", params={"gateway": unique("gw-none-")})


def test_restart_rebuilds_the_devices_from_the_registrations(console_factory, access_files, gw1, devices, admin):
    """A second console on gw1 knows the devices registered before it started (the registration
    topic read from the beginning) as soon as it is ready, with the same fields as the running
    console; restarted, it knows them again, and its sessions are gone."""
    kept = devices(gw1)
    gone = devices(gw1)
    admin.wait_client(kept.ep)
    assert gone.deregister().code == "2.02"
    admin.wait_client(gone.ep, lambda c: c["status"] == "offline")
    users, _ = access_files
    c2 = console_factory([gw1.id], users_file=users)
    api = Api(c2.url)
    api.login("alice", PASSWORDS["alice"])
    for run in (1, 2):
        if run == 2:
            api.login("alice", PASSWORDS["alice"])
        # ready means the registrations are read: no waiting here
        got = api.client(kept.ep)
        api.wait_live([gw1.id])  # (after the client check: it must not need the wait)
        ref = admin.client(kept.ep)
        for k in ("registrationId", "registrationDate", "address", "lwM2mVersion", "bindingMode", "lifetime",
                  "objectLinks", "status", "gateway"):
            assert got[k] == ref[k], (k, got[k], ref[k])
        off = api.client(gone.ep)
        assert off["status"] == "offline" and off["deregistration"]["expired"] is False, off
        assert [g["id"] for g in api.ok("GET", "/api/gateways")] == [gw1.id]
        assert api.op("GET", kept.ep, "/3/0/0")["values"][0]["value"] == "ACME"
        if run == 2:
            break
        rc = c2.stop()
        c2.start()  # on the same port
        api.error("GET", "/api/clients", 401, "unauthorized")  # sessions do not survive a restart
    assert rc == 0, f"the console exited with {rc} on SIGTERM:\n{c2.log_tail()}"
