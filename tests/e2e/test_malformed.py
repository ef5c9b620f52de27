# SPDX-License-Identifier: Apache-2.0
"""Hostile input on both sides: malformed CoAP datagrams and registrations, undecodable Kafka
request records. The gateway answers what deserves an answer, counts the rest, and keeps serving."""
from __future__ import annotations

import os
import struct

import pytest

import coap_raw as C
from gateway_proc import unique
from kafka_helpers import request_value

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


def test_malformed_datagrams_and_registrations(gwenv):
    raw = C.RawCoap(gwenv.gw.coap_port)
    try:
        base = gwenv.gw.metrics().get("zeelos_coap_malformed_total", 0)
        # 1. shorter than the 4-byte header
        raw.send_raw(b"\x40")
        # 2. CON with token length 9 (reserved: message format error)
        raw.send_raw(bytes([0x49, C.GET]) + struct.pack(">H", 0x4242) + os.urandom(9))
        # 3. CON with an option delta of 15 (reserved, not the payload marker)
        raw.send_raw(bytes([0x40, C.GET]) + struct.pack(">H", 0x4343) + b"\xf1x")
        # a format error in a CON may be answered with RST (RFC 7252 §4.2) -- never with a response
        while (m := raw.recv(timeout=0.5)) is not None:
            assert m.mtype == C.RST and m.code == 0, f"unexpected answer to a malformed datagram: {m}"
        assert gwenv.gw.alive(), "a malformed datagram killed the gateway"

        # registration without ep -> 4.00
        m = raw.register(None, lt=60, links=b"</3/0>")
        assert m.code_str == "4.00", m
        # registration with an invalid link-format payload -> 4.00
        m = raw.register(unique("badlink-"), lt=60, links=b"</3/0")
        assert m.code_str == "4.00", m
        m = raw.register(unique("badlink-"), lt=60, links=b"\xff\xfe not a link")
        assert m.code_str == "4.00", m
        # registration with a non-numeric lifetime -> 4.00
        m = raw.register(unique("badlt-"), lt=None, links=b"</3/0>", extra={"lt": "soon"})
        assert m.code_str == "4.00", m
        # update / deregister of an unknown registration id -> 4.04
        assert raw.request(C.POST, "/rd/doesnotexist").code_str == "4.04"
        assert raw.request(C.DELETE, "/rd/doesnotexist").code_str == "4.04"

        # still serving: a valid registration works and reaches Kafka
        ep = unique("ok-")
        m = raw.register(ep, lt=60, links=b"</3/0>")
        assert m.code_str == "2.01", m
        gwenv.registration(ep, "NEW")
        # none of the rejected registrations produced a record
        gwenv.settle()
        bad = [r for r in gwenv.regs.records if r.key["ep"].startswith(("badlink-", "badlt-"))]
        assert bad == []

        delta = gwenv.gw.metrics().get("zeelos_coap_malformed_total", 0) - base
        assert delta >= 3, f"zeelos_coap_malformed_total grew by {delta}, 3 malformed datagrams were sent"
    finally:
        raw.close()
    assert gwenv.gw.alive()


def test_undecodable_requests_are_dropped_and_counted(gwenv):
    mg = gwenv.mgmt
    base = gwenv.gw.metrics().get("zeelos_mgmt_requests_invalid_total", 0)
    valid = mg.encode(request_value(gwenv.id, "x", "t-never", "read", "/3/0/0"))
    # 1. random bytes (no Confluent framing)
    mg.produce_raw(b"\x07" + os.urandom(40))
    # 2. bad magic byte, otherwise a valid record
    mg.produce_raw(b"\x01" + valid[1:])
    # 3. valid magic, schema id the registry does not know
    mg.produce_raw(b"\x00" + struct.pack(">I", 987654) + valid[5:])
    # 4. valid framing and schema id, truncated Avro datum
    mg.produce_raw(valid[:12])
    # 5. an empty value: not answered either (counting it is the gateway's choice)
    mg.produce_raw(b"")

    # a valid request after them is answered
    ep = unique("nobody-")
    ticket = mg.send(ep, "read", "/3/0/0")
    rec = mg.wait_response(ticket, timeout=20)
    assert rec.value["rep"]["code"] == "NOT_FOUND"

    # nothing was answered for the undecodable records: every response belongs to a valid request
    # (the valid request came after them on the one partition: they are handled, and published)
    gwenv.settle()
    strays = [r for r in mg.rep.records if r.value["ticket"] not in mg.sent_tickets]
    assert strays == [], strays
    assert gwenv.gw.alive()
    gwenv.gw.wait_metric("zeelos_mgmt_requests_invalid_total", lambda v: v - base >= 4, 5,
                         "4 undecodable records counted in zeelos_mgmt_requests_invalid_total")
