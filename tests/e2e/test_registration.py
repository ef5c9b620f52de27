# SPDX-License-Identifier: Apache-2.0
"""Registration interface (LwM2M 1.0 §5.3) -> iot.<gw>.registrations (contract §4.2)."""
from __future__ import annotations

import json
import time

import pytest

import coap_raw as C
import contract_schemas
from gateway_proc import ROOT, coap_client, free_udp_port, now_ms, unique
from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

LINKS = [{"url": "/1/0", "at": {}}, {"url": "/3/0", "at": {}},
         {"url": "/3303/0", "at": {}}, {"url": "/3303/1", "at": {}}]


def body_of(rec, expected_branch):
    name, body = branch(rec.value["body"])
    assert name == expected_branch, f"body branch {name}, wanted {expected_branch}: {rec}"
    return body


def assert_recent(ms: int, t0: int, t1: int, slack_ms: int = 3000):
    assert t0 - slack_ms <= ms <= t1 + slack_ms, f"{ms} not within [{t0}, {t1}] ± {slack_ms} ms (epoch ms)"


def test_register_update_deregister(gwenv):
    """LightweightM2M-1.1-int-101 / int-102 / int-103 - Initial Registration / Registration Update /
    Deregistration, the gateway's side: Register, Update without and with lt and links, De-register,
    each answered (2.01, 2.04, 2.02) and published as a registration record."""
    dev = gwenv.device()
    t0 = now_ms()
    r = dev.register(lt=60)
    t1 = now_ms()
    assert r.code == "2.01", r
    assert r.location.startswith("rd/") and r.reg_id, f"Location-Path {r.location!r}"

    rec = gwenv.registration(dev.ep, "NEW")
    assert rec.key == {"ep": dev.ep}
    new = body_of(rec, "AvroRegistrationNew")
    assert new["ep"] == dev.ep
    assert new["serverId"] == gwenv.id
    assert new["regId"] == r.reg_id
    assert new["lt"] == 60
    assert new["ver"] == "1.0"
    assert new["bnd"] == "U"
    assert new["sms"] is None
    assert new["address"] == "127.0.0.1"
    assert new["port"] == dev.port
    # regAddr/regPort: the server endpoint the registration arrived on (the gateway binds 127.0.0.1)
    assert new["regAddr"] == "127.0.0.1"
    assert new["regPort"] == gwenv.gw.coap_port
    assert new["links"] == LINKS
    assert new["root"] == "/"
    # contract §4.2: the additional-attributes map is always present (empty here)
    assert new["attributes"] == {}
    assert_recent(new["regDate"], t0, t1)
    assert_recent(new["lastUp"], t0, t1)
    assert new["lastUp"] >= new["regDate"]

    # Update without parameters: only regId/address/port/lastUp carry values
    time.sleep(0.05)  # time passing is the point: the Update's lastUp is a later millisecond
    t2 = now_ms()
    u = dev.update()
    assert u.code == "2.04", u
    rec = gwenv.registration(dev.ep, "UPDATE")
    assert rec.key == {"ep": dev.ep}
    up = body_of(rec, "AvroRegistrationUpdate")
    assert up["ep"] == dev.ep and up["serverId"] == gwenv.id and up["regId"] == r.reg_id
    assert up["address"] == "127.0.0.1" and up["port"] == dev.port
    assert (up["lt"], up["sms"], up["bnd"], up["links"], up["attributes"]) == (None, None, None, None, None)
    assert_recent(up["lastUp"], t2, now_ms())
    assert up["lastUp"] >= new["lastUp"]

    # Update with a new lifetime and new links
    off = rec.offset
    u = dev.update(lt=120, links=b"</3/0>,</3303/0>")
    assert u.code == "2.04", u
    up2 = body_of(gwenv.registration(dev.ep, "UPDATE", after_offset=off), "AvroRegistrationUpdate")
    assert up2["lt"] == 120
    assert up2["links"] == [{"url": "/3/0", "at": {}}, {"url": "/3303/0", "at": {}}]
    assert up2["regId"] == r.reg_id

    # Deregister
    d = dev.deregister()
    assert d.code == "2.02", d
    rec = gwenv.registration(dev.ep, "DELETE")
    assert rec.key == {"ep": dev.ep}
    de = body_of(rec, "AvroRegistrationDelete")
    assert de == {"ep": dev.ep, "serverId": gwenv.id, "expired": False, "lastUp": de["lastUp"]}
    # lastUp: the registration's last update (the seed) or the deregistration time; both fit here
    assert up2["lastUp"] <= de["lastUp"] <= now_ms() + 1000

    # the registration is gone: an update for it is 4.04, exactly one NEW/DELETE each was produced
    assert dev.update().code == "4.04"
    gwenv.settle()
    kinds = [r.value["kind"] for r in gwenv.regs.records if r.key == {"ep": dev.ep}]
    assert kinds == ["NEW", "UPDATE", "UPDATE", "DELETE"]


def test_registration_defaults_and_link_attributes(gwenv):
    """No lt -> 86400 (LwM2M default); link attributes become strings without quotes."""
    dev = gwenv.device()
    r = dev.register(lt=None, links=b'</1/0>,</3/0>;ver="1.0",</3303/0>;rt="oma.temp";ct=11542')
    assert r.code == "2.01", r
    new = body_of(gwenv.registration(dev.ep, "NEW"), "AvroRegistrationNew")
    assert new["lt"] == 86400
    assert new["links"] == [{"url": "/1/0", "at": {}}, {"url": "/3/0", "at": {"ver": "1.0"}},
                            {"url": "/3303/0", "at": {"rt": "oma.temp", "ct": "11542"}}]


def test_reregistration_same_endpoint_replaces(gwenv):
    """A second Register from the same endpoint name replaces the first registration: the old
    registration id is no longer valid, the new one is."""
    dev = gwenv.device()
    r1 = dev.register(lt=60)
    assert r1.code == "2.01"
    gwenv.registration(dev.ep, "NEW")
    r2 = dev.register(lt=60)
    assert r2.code == "2.01" and r2.reg_id
    recs = gwenv.regs.wait_for_n(lambda r: r.key == {"ep": dev.ep} and r.value["kind"] == "NEW", 2, 10)
    assert body_of(recs[1], "AvroRegistrationNew")["regId"] == r2.reg_id
    assert dev.update(location=r2.location).code == "2.04"
    if r2.reg_id != r1.reg_id:
        assert dev.update(location=r1.location).code == "4.04"


@pytest.mark.slow
def test_registration_expires(gwenv):
    """LightweightM2M-1.1-int-105 - Discarded Register Update, the gateway's side: the registration
    expires after its lifetime (a DELETE record with expired=true), so the device's next Update gets
    4.04 Not Found."""
    dev = gwenv.device()
    t0 = time.time()
    r = dev.register(lt=2)
    assert r.code == "2.01", r
    gwenv.registration(dev.ep, "NEW")
    rec = gwenv.registration(dev.ep, "DELETE", timeout=2 + 2 + 3)
    took = rec.received_at - t0
    de = body_of(rec, "AvroRegistrationDelete")
    assert de["expired"] is True
    assert de["ep"] == dev.ep and de["serverId"] == gwenv.id
    # expiry = last update + lt (2 s); sweep every 0.5 s in these tests
    assert 1.8 <= took <= 2 + 2 + 1, f"expired after {took:.2f}s"
    assert dev.update().code == "4.04"


@pytest.mark.coap_client
def test_register_with_libcoap_client(gwenv):
    ep = unique("cc-")
    port = free_udp_port()  # both invocations send from it: /rd/<id> only obeys its registrant
    code, loc, out = coap_client("post", f"coap://127.0.0.1:{gwenv.gw.coap_port}/rd?ep={ep}&lt=60",
                                 payload="</3/0>", content_format=40, local_port=port)
    assert code == "2.01", out
    assert len(loc) == 2 and loc[0] == "rd" and loc[1], out
    new = body_of(gwenv.registration(ep, "NEW"), "AvroRegistrationNew")
    assert new["regId"] == loc[1]
    assert new["links"] == [{"url": "/3/0", "at": {}}]
    assert (new["lt"], new["ver"], new["bnd"]) == (60, "1.0", "U")  # lwm2m and b default to 1.0 / U
    code, _, out = coap_client("delete", f"coap://127.0.0.1:{gwenv.gw.coap_port}/rd/{loc[1]}")
    assert code == "4.00", out  # from another port: forbidden (test_device_input.py)
    code, _, out = coap_client("delete", f"coap://127.0.0.1:{gwenv.gw.coap_port}/rd/{loc[1]}", local_port=port)
    assert code == "2.02", out
    assert body_of(gwenv.registration(ep, "DELETE"), "AvroRegistrationDelete")["expired"] is False


def test_registered_schemas_are_the_contract_texts(gwenv):
    """Contract §14.6: the gateway registers the §2.4 text (same identity as the Java seed) for
    keys, and for registrations and management responses the zeelos 1.1 extension of the §2.4
    text (schemas/extended/, optional fields only: test_composite.py checks it is FULL-compatible)."""
    dev = gwenv.device()
    assert dev.register(lt=60).code == "2.01"
    rec = gwenv.registration(dev.ep, "NEW")
    assert json.loads(gwenv.sr.schema_text(rec.key_schema_id)) == json.loads(contract_schemas.AVRO_KEY)
    ext_reg = (ROOT / "schemas" / "extended" /
               "io.zeelos.leshan.avro.registration.AvroRegistrationResponse.avsc").read_text()
    assert json.loads(gwenv.sr.schema_text(rec.value_schema_id)) == json.loads(ext_reg)
    subjects = gwenv.sr.subjects()
    assert f"{gwenv.topics['registrations']}-value" in subjects
    assert f"{gwenv.topics['registrations']}-key" in subjects
    # the warm-up answers (management.rep) were written with the AvroResponse text
    rep = gwenv.mgmt.rep.records[0]
    extended = (ROOT / "schemas" / "extended" / "io.zeelos.leshan.avro.response.AvroResponse.avsc").read_text()
    assert json.loads(gwenv.sr.schema_text(rep.value_schema_id)) == json.loads(extended)
    assert json.loads(gwenv.sr.schema_text(rep.key_schema_id)) == json.loads(contract_schemas.AVRO_KEY)


def test_raw_register_reply_codes(gwenv):
    """LightweightM2M-1.1-int-101 / int-102 / int-103 - Initial Registration / Registration Update /
    Deregistration: the exact CoAP codes for the registration interface, seen on the wire."""
    c = C.RawCoap(gwenv.gw.coap_port)
    try:
        ep = unique("raw-")
        m = c.register(ep, lt=30, links=b"</3/0>")
        assert m.mtype == C.ACK and m.code_str == "2.01"
        loc = m.location_path
        assert loc.startswith("rd/") and len(loc) > 3
        m = c.request(C.POST, "/" + loc)
        assert m.code_str == "2.04"
        m = c.request(C.DELETE, "/" + loc)
        assert m.code_str == "2.02"
        m = c.request(C.DELETE, "/" + loc)
        assert m.code_str == "4.04"
    finally:
        c.close()
