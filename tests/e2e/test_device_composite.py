# SPDX-License-Identifier: Apache-2.0
"""`zeelos device` answers the LwM2M 1.1 composite operations (FETCH / and iPATCH / with SenML JSON
or CBOR) that the gateway sends for Kafka requests with payload.paths / payload.resources:
Read-Composite returns the device's own values, Write-Composite changes them all or not at all,
Observe-Composite notifies on the ticking temperature and stops on an active cancel.  The errors
the gateway never lets through (wrong formats, undecodable lists) are checked over raw CoAP.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import cbor2
import pytest

import coap_raw as C
from gateway_proc import start_zeelos_device, unique
from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

SENML_JSON, SENML_CBOR = 110, 112
FETCH, IPATCH = 5, 7
OPT_ACCEPT = 17


class ZDevice:
    def __init__(self, ep: str, port: int, proc: subprocess.Popen):
        self.ep, self.port, self.proc = ep, port, proc


@pytest.fixture
def zdev(gwenv, tmp_path):
    """One `zeelos device` registered with the gateway (its CoAP port from the registration)."""
    ep = unique("zdevc-")
    log = open(tmp_path / f"{ep}.log", "w")
    proc = start_zeelos_device(gwenv.gw.coap_port, "--ep", ep, "--device-lifetime", "60", stderr=log)
    try:
        new = branch(gwenv.registration(ep, "NEW", timeout=15).value["body"])[1]
        assert new["ver"] == "1.1"
        yield ZDevice(ep, new["port"], proc)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def flat(rec) -> dict:
    """rep.resources as {absolute path: (type, value)}, checking every entry is a single value."""
    out = {}
    for r in rec.value["rep"]["resources"]:
        assert r["kind"] == "SINGLE_RESOURCE" and r["path"].startswith("/"), r
        assert r["id"] == int(r["path"].rsplit("/", 1)[1]), r
        assert r["path"] not in out, f"{r['path']} twice"
        out[r["path"]] = (r["type"], r["value"])
    return out


def plain_read(gwenv, ep: str, path: str):
    """A single-path read: the value of a resource, or {path: (type, value)} of an instance."""
    rep = gwenv.mgmt.request(ep, "read", path, "TEXT_CODE" if path.count("/") == 3 else "TLV")
    assert rep.value["rep"]["code"] == "CONTENT", rep.value
    name, content = branch(branch(rep.value["rep"]["body"])[1]["content"])
    if name.endswith("AvroResource"):
        return content["value"]
    return {r["path"]: (r["type"], r["value"]) for r in content["resources"]}


def resource(path: str, avro_type: str, value) -> dict:
    return {"id": int(path.rsplit("/", 1)[1]), "path": path, "kind": "SINGLE_RESOURCE",
            "type": avro_type, "value": value}


@pytest.mark.parametrize("cf", [SENML_JSON, SENML_CBOR])
def test_read_composite_returns_the_devices_values(gwenv, zdev, cf):
    """A resource, an instance and a resource of the other instance in one FETCH: the values are
    the ones plain reads see; paths the device lacks are left out, a value named twice once."""
    paths = ["/3/0/0", "/3/0/2", "/3303/0/5700", "/3303/1", "/3303/1/5701", "/3303/7", "/3/0/99"]
    for _ in range(5):  # the temperatures move every 1 s / 2 s: retry if one moved mid-way
        before = plain_read(gwenv, zdev.ep, "/3303/1")
        t0_before = plain_read(gwenv, zdev.ep, "/3303/0/5700")
        rep = gwenv.mgmt.request(zdev.ep, "read", "/", paths=paths, contentFormatCode=cf)
        t0_after = plain_read(gwenv, zdev.ep, "/3303/0/5700")
        after = plain_read(gwenv, zdev.ep, "/3303/1")
        if before == after and t0_before == t0_after:
            break
    v = rep.value
    assert v["rep"]["code"] == "CONTENT" and v["rep"]["kind"] == "read", v
    assert v["path"] == ",".join(paths) and v["rep"]["body"] is None
    got = flat(rep)
    assert len(v["rep"]["resources"]) == 7
    assert got == {"/3/0/0": ("STRING", "zeelos"), "/3/0/2": ("STRING", zdev.ep),
                   "/3303/0/5700": ("FLOAT", t0_before), **before}
    assert set(before) == {"/3303/1/5700", "/3303/1/5601", "/3303/1/5602", "/3303/1/5701"}
    assert before["/3303/1/5701"] == ("STRING", "cel")
    assert isinstance(t0_before, float) and 19.0 <= t0_before <= 108.0, t0_before


def test_write_composite_all_or_nothing(gwenv, zdev):
    """Write-Composite sets both writable resources of 3/0 (SenML JSON, then CBOR) and plain reads
    see them; a write that names an absent or a read-only resource gets the device's code and
    changes nothing, not even the writable resource named before it."""
    ep = zdev.ep
    assert plain_read(gwenv, ep, "/3/0/14") == "+00:00" and plain_read(gwenv, ep, "/3/0/15") == "UTC"
    for cf, off, tz in ((SENML_JSON, "+05:30", "Asia/Kolkata"), (SENML_CBOR, "-03:00", "America/Recife")):
        res = [resource("/3/0/14", "STRING", off), resource("/3/0/15", "STRING", tz)]
        rep = gwenv.mgmt.request(ep, "write", "/", resources=res, contentFormatCode=cf)
        assert rep.value["rep"]["code"] == "CHANGED" and rep.value["rep"]["kind"] == "write", rep.value
        assert plain_read(gwenv, ep, "/3/0/14") == off and plain_read(gwenv, ep, "/3/0/15") == tz
        rep = gwenv.mgmt.request(ep, "read", "/", paths=["/3/0/14", "/3/0/15"], contentFormatCode=cf)
        assert flat(rep) == {"/3/0/14": ("STRING", off), "/3/0/15": ("STRING", tz)}

    first = resource("/3/0/14", "STRING", "-01:00")
    bad = [
        (resource("/3/0/0", "STRING", "someone else"), "METHOD_NOT_ALLOWED"),  # read-only
        (resource("/3303/0/5700", "FLOAT", 99.5), "METHOD_NOT_ALLOWED"),     # read-only sensor
        (resource("/3303/5/5700", "FLOAT", 1.5), "NOT_FOUND"),               # absent instance
        (resource("/3/0/99", "INTEGER", 7), "NOT_FOUND"),                    # absent resource
        (resource("/3/0/15", "STRING", "x" * 40), "BAD_REQUEST"),            # does not fit
    ]
    for cf in (SENML_JSON, SENML_CBOR):
        for other, code in bad:
            rep = gwenv.mgmt.request(ep, "write", "/", resources=[first, other], contentFormatCode=cf)
            assert rep.value["rep"]["code"] == code, (other, rep.value)
    assert plain_read(gwenv, ep, "/3/0/14") == "-03:00" and plain_read(gwenv, ep, "/3/0/15") == "America/Recife"
    assert plain_read(gwenv, ep, "/3/0/0") == "zeelos"


def test_observe_composite_notifies_and_active_cancel_stops(gwenv, zdev):
    """Observe-Composite on the 1 s temperature and two constant values: every notification has all
    three; a plain observation of the same temperature runs alongside.  observeCancel with the same
    paths ends the composite one on the device itself (no more notifications reach the gateway,
    which would answer them with RST) and leaves the plain one alone."""
    ep = zdev.ep
    paths = ["/3303/0/5700", "/3/0/2", "/3303/1/5701"]
    rep = gwenv.mgmt.request(ep, "observe", "/", paths=paths, contentFormatCode=SENML_CBOR)
    assert rep.value["rep"]["code"] == "CONTENT" and rep.value["rep"]["kind"] == "observe", rep.value
    first = flat(rep)
    assert set(first) == set(paths) and first["/3303/0/5700"][0] == "FLOAT"
    assert first["/3/0/2"] == ("STRING", ep) and first["/3303/1/5701"] == ("STRING", "cel")
    ticket = rep.value["ticket"]
    plain = gwenv.mgmt.request(ep, "observe", "/3303/0/5700", "TEXT_CODE")
    assert plain.value["rep"]["code"] == "CONTENT", plain.value
    assert gwenv.gw.metrics().get("zeelos_observations") == 2

    notes = gwenv.obs.wait_for_n(lambda r: r.value["ticket"] == ticket, 4, timeout=15,
                                 what="composite notifications")
    temps = []
    for n in notes:
        assert n.value["path"] == ",".join(paths) and n.value["rep"]["code"] == "CONTENT", n.value
        assert n.value["rep"]["body"] is None and n.value["rep"]["kind"] == "observe"
        got = flat(n)
        assert set(got) == set(paths), got
        assert got["/3/0/2"] == ("STRING", ep) and got["/3303/1/5701"] == ("STRING", "cel")
        assert got["/3303/0/5700"][0] == "FLOAT"
        temps.append(got["/3303/0/5700"][1])
    assert len(set(temps)) > 1, f"the composite notifications do not follow the sensor: {temps}"

    cancel = gwenv.mgmt.request(ep, "observeCancel", "/", paths=paths)
    assert cancel.value["rep"]["code"] == "CHANGED", cancel.value
    assert gwenv.gw.metrics().get("zeelos_observations") == 1
    gwenv.settle(ep)  # handled and read: a notification already on its way when the device got the cancel
    metrics = gwenv.gw.metrics()
    assert "zeelos_coap_rst_sent_total" in metrics
    rst_before = metrics["zeelos_coap_rst_sent_total"]
    seen = len(gwenv.obs.matching(lambda r: r.value["ticket"] == ticket))
    plain_seen = len(gwenv.obs.matching(lambda r: r.value["ticket"] == plain.value["ticket"]))
    # two more notifications of the plain observation: the device kept sampling meanwhile
    gwenv.obs.wait_for_n(lambda r: r.value["ticket"] == plain.value["ticket"], plain_seen + 2, timeout=15,
                         what="plain notifications after the cancel")
    gwenv.settle(ep)
    assert len(gwenv.obs.matching(lambda r: r.value["ticket"] == ticket)) == seen
    assert gwenv.gw.metrics().get("zeelos_coap_rst_sent_total", 0) == rst_before, \
        "the device kept notifying after the active cancel"
    assert len(gwenv.obs.matching(lambda r: r.value["ticket"] == plain.value["ticket"])) >= plain_seen + 2


def _fetch(coap: C.RawCoap, code: int, options: list, payload: bytes) -> C.Msg:
    mid, token = coap.next_mid(), os.urandom(4)
    coap.send_raw(C.encode(C.CON, code, mid, token, options, payload))
    deadline = time.time() + 3
    while (left := deadline - time.time()) > 0:
        m = coap.recv(left)
        if m is not None and m.token == token:
            return m
    raise TimeoutError("the device did not answer")


def test_composite_errors_over_raw_coap(gwenv, zdev):
    """What the gateway never sends: formats other than SenML (4.15 / 4.06), an undecodable list
    (4.00 with the reason as diagnostic payload), and the SenML CBOR answer to an Accept that
    differs from the request's format."""
    coap = C.RawCoap(zdev.port)
    try:
        names = json.dumps([{"n": "/3/0/0"}]).encode()
        cf = C.OPT_CONTENT_FORMAT
        assert _fetch(coap, FETCH, [(cf, 11542)], names).code_str == "4.15"
        assert _fetch(coap, FETCH, [(cf, SENML_JSON), (OPT_ACCEPT, 11542)], names).code_str == "4.06"
        bad = _fetch(coap, FETCH, [(cf, SENML_JSON)], b'[{"n":"/3/x"}]')
        assert bad.code_str == "4.00" and bad.payload, bad
        assert _fetch(coap, IPATCH, [(cf, 0)], b"x").code_str == "4.15"
        bad = _fetch(coap, IPATCH, [(cf, SENML_JSON)], b'[{"n":"/3/0/14","vs":')
        assert bad.code_str == "4.00" and bad.payload, bad

        ok = _fetch(coap, FETCH, [(cf, SENML_JSON), (OPT_ACCEPT, SENML_CBOR)], names)
        assert ok.code_str == "2.05" and ok.opts(cf) == [bytes([SENML_CBOR])], ok
        recs = cbor2.loads(ok.payload)
        assert [(r.get(-2, "") + r[0], r[3]) for r in recs] == [("/3/0/0", "zeelos")]
    finally:
        coap.close()


def test_server_object_matches_the_registration(gwenv, zdev):
    """/1/0, which the device registers, is served: Short Server ID 1, the lifetime it registered
    with (60), binding U; Read-Composite across /1/0/1 and /3/0/0 works too."""
    rep = gwenv.mgmt.request(zdev.ep, "read", "/1/0")
    assert rep.value["rep"]["code"] == "CONTENT", rep.value
    inst = rep.value["rep"]["body"][1]["content"][1]
    got = {r["id"]: (r["type"], r["value"]) for r in inst["resources"]}
    assert got == {0: ("INTEGER", 1), 1: ("INTEGER", 60), 6: ("BOOLEAN", False), 7: ("STRING", "U")}, got
    rep = gwenv.mgmt.request(zdev.ep, "read", "/", paths=["/1/0/1", "/3/0/0"])
    assert flat(rep) == {"/1/0/1": ("INTEGER", 60), "/3/0/0": ("STRING", "zeelos")}


def test_min_max_follow_the_temperature(gwenv, zdev):
    """3303/x 5601/5602 (min/max measured value) bracket every reading the device reported."""
    import time
    seen = []
    for _ in range(4):
        vals = plain_read(gwenv, zdev.ep, "/3303/1")
        seen.append(vals["/3303/1/5700"][1])
        time.sleep(1.1)  # time passing is the point: readings spread over the 2 s sine period
    vals = plain_read(gwenv, zdev.ep, "/3303/1")
    lo, hi = vals["/3303/1/5601"][1], vals["/3303/1/5602"][1]
    assert lo <= min(seen) and hi >= max(seen), (lo, hi, seen)
    assert lo < hi, (lo, hi)  # instance 1 moves on a sine wave every 2 s
