# SPDX-License-Identifier: Apache-2.0
"""A device (aiocoap CoAP server) that answers management requests with CoAP error codes and
diagnostic payloads (RFC 7252 §5.5.2): the management response carries the mapped
AvroResponseCode and an AvroGenericResponse whose message is the diagnostic payload
(docs/KAFKA.md: "errors -> AvroGenericResponse{message} with the device's diagnostic payload";
no payload -> the code name).

(libcoap's coap-server cannot play the device: an LwM2M device registers from the socket it
serves on, which coap-server does not do; aiocoap plays every device role here.)
"""
from __future__ import annotations

import pytest
from aiocoap import Message, numbers

from gateway_proc import now_ms
from kafka_helpers import branch, execute_body, write_body
from lwm2m_device import _Node

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


class ErrorNode(_Node):
    """Answers every GET/PUT/POST with self.reply = (aiocoap code, diagnostic payload bytes)."""

    def __init__(self, dev, path):
        super().__init__(dev, path)
        self.reply = (numbers.INTERNAL_SERVER_ERROR, b"")
        self.seen: list[tuple[str, object]] = []  # (method, Observe option)

    def _answer(self, method, request):
        self.seen.append((method, request.opt.observe))
        code, diag = self.reply
        return Message(code=code, payload=diag)

    async def render_get(self, request):
        return self._answer("GET", request)

    async def render_put(self, request):
        return self._answer("PUT", request)

    async def render_post(self, request):
        return self._answer("POST", request)


def error_device(gwenv, path=(3, 0, 0)):
    dev = gwenv.device()
    node = dev.replace_node(path, ErrorNode(dev, path))
    return gwenv.register(dev), node


def check_error(rec, gwenv, ep, ticket, path, kind, code, message, t0):
    v = rec.value
    assert rec.key == {"ep": ep}, rec
    assert (v["ticket"], v["serverId"], v["ep"], v["path"]) == (ticket, gwenv.id, ep, path), rec
    assert (v["rep"]["kind"], v["rep"]["code"]) == (kind, code), rec
    assert branch(v["rep"]["body"]) == ("AvroGenericResponse", {"message": message}), rec
    assert t0 - 1000 <= v["timestamp"] <= now_ms() + 1000


NO_CT = " (the device declared no content formats: no ct on its registration)"

# (CoAP code from the device, diagnostic payload, AvroResponseCode, expected message)
READ_CASES = [
    (numbers.NOT_FOUND, b"no instance 0 of object 3", "NOT_FOUND", "no instance 0 of object 3"),
    (numbers.METHOD_NOT_ALLOWED, b"resource 0 is write-only", "METHOD_NOT_ALLOWED", "resource 0 is write-only"),
    (numbers.INTERNAL_SERVER_ERROR, b"sensor bus error 0x2a (i2c timeout)", "INTERNAL_SERVER_ERROR",
     "sensor bus error 0x2a (i2c timeout)"),
    (numbers.BAD_REQUEST, b"bad Accept", "BAD_REQUEST", "bad Accept"),
    (numbers.UNAUTHORIZED, b"no ACL for server 123", "UNAUTHORIZED", "no ACL for server 123"),
    (numbers.FORBIDDEN, b"forbidden", "FORBIDDEN", "forbidden"),
    # format refusals also say what the device declared (here: nothing)
    (numbers.NOT_ACCEPTABLE, b"only TLV", "NOT_ACCEPTABLE", "only TLV" + NO_CT),
    (numbers.UNSUPPORTED_CONTENT_FORMAT, b"cf?", "UNSUPPORTED_CONTENT_FORMAT", "cf?" + NO_CT),
    # 5.03 has no AvroResponseCode symbol: UNKNOWN, the diagnostic still travels
    (numbers.SERVICE_UNAVAILABLE, b"busy, retry later", "UNKNOWN", "busy, retry later"),
    # no diagnostic payload: the message is the code name
    (numbers.NOT_FOUND, b"", "NOT_FOUND", "NOT_FOUND"),
    (numbers.INTERNAL_SERVER_ERROR, b"", "INTERNAL_SERVER_ERROR", "INTERNAL_SERVER_ERROR"),
    # a long diagnostic (200 printable characters) arrives whole
    (numbers.INTERNAL_SERVER_ERROR, ("E" + "0123456789" * 20)[:200].encode(), "INTERNAL_SERVER_ERROR",
     ("E" + "0123456789" * 20)[:200]),
]


def test_read_error_codes_and_diagnostics(gwenv):
    dev, node = error_device(gwenv)
    for coap_code, diag, code, message in READ_CASES:  # one at a time: the reply changes
        node.reply = (coap_code, diag)
        t0 = now_ms()
        ticket = gwenv.mgmt.send(dev.ep, "read", "/3/0/0", "TEXT_CODE")
        check_error(gwenv.mgmt.wait_response(ticket), gwenv, dev.ep, ticket, "/3/0/0", "read", code, message, t0)
    assert node.seen == [("GET", None)] * len(READ_CASES)


def test_write_execute_observe_errors(gwenv):
    """LightweightM2M-1.1-int-256 - Write Operation Failure, the gateway's side (a Write the device
    answers 4.05 is reported METHOD_NOT_ALLOWED); also errors of Execute, Observe and observeCancel."""
    dev, node = error_device(gwenv, (3, 0, 14))

    node.reply = (numbers.METHOD_NOT_ALLOWED, b"utc offset is read-only here")
    t0 = now_ms()
    ticket = gwenv.mgmt.send(dev.ep, "write", "/3/0/14", "TLV", body=write_body("/3/0/14", "+02:00", "STRING"))
    check_error(gwenv.mgmt.wait_response(ticket), gwenv, dev.ep, ticket, "/3/0/14", "write",
                "METHOD_NOT_ALLOWED", "utc offset is read-only here", t0)

    node.reply = (numbers.INTERNAL_SERVER_ERROR, b"reboot failed: watchdog busy")
    t0 = now_ms()
    ticket = gwenv.mgmt.send(dev.ep, "execute", "/3/0/14", body=execute_body(""))
    check_error(gwenv.mgmt.wait_response(ticket), gwenv, dev.ep, ticket, "/3/0/14", "execute",
                "INTERNAL_SERVER_ERROR", "reboot failed: watchdog busy", t0)

    # an observe answered with an error: the error is the response, no observation exists
    node.reply = (numbers.NOT_FOUND, b"gone")
    t0 = now_ms()
    ticket = gwenv.mgmt.send(dev.ep, "observe", "/3/0/14", "TEXT_CODE")
    check_error(gwenv.mgmt.wait_response(ticket), gwenv, dev.ep, ticket, "/3/0/14", "observe",
                "NOT_FOUND", "gone", t0)
    assert node.seen == [("PUT", None), ("POST", None), ("GET", 0)]
    assert gwenv.gw.metrics().get("zeelos_observations") == 0
    t0 = now_ms()
    ticket = gwenv.mgmt.send(dev.ep, "observeCancel", "/3/0/14")
    check_error(gwenv.mgmt.wait_response(ticket), gwenv, dev.ep, ticket, "/3/0/14", "observeCancel",
                "NOT_FOUND", f"no observation of /3/0/14 on '{dev.ep}'", t0)
    # the device is fine afterwards: a successful answer goes through
    node.reply = (numbers.CHANGED, b"")
    rec = gwenv.mgmt.request(dev.ep, "write", "/3/0/14", "TLV", body=write_body("/3/0/14", "+03:00", "STRING"))
    assert rec.value["rep"]["code"] == "CHANGED", rec


def test_utf8_diagnostic_payload(gwenv):
    dev, node = error_device(gwenv)
    diag = "Température hors limite: 85 °C"
    node.reply = (numbers.INTERNAL_SERVER_ERROR, diag.encode())
    t0 = now_ms()
    ticket = gwenv.mgmt.send(dev.ep, "read", "/3/0/0", "TEXT_CODE")
    check_error(gwenv.mgmt.wait_response(ticket), gwenv, dev.ep, ticket, "/3/0/0", "read",
                "INTERNAL_SERVER_ERROR", diag, t0)
