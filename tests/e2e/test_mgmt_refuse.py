# SPDX-License-Identifier: Apache-2.0
"""Every management record with a readable ticket gets an answer (issue 10).

Records built with fastavro (and patched bytes for what fastavro refuses to write) that the
gateway used to log as undecodable, or to serve as something else, now get a BAD_REQUEST
naming the field; a record without a readable ticket is counted and its offset released, so
the requests after it are still answered; an answer too big for the broker becomes a
REQUEST_ENTITY_TOO_LARGE answer that fits."""
from __future__ import annotations

import io
import uuid

from fastavro import schemaless_writer

from kafka_helpers import request_value


def encoded(env, value: dict) -> bytes:
    return env.mgmt.encode(value)


def ticket() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def answer(env, t: str):
    return env.mgmt.wait_response(t, timeout=20).value


def refused_with(env, value: dict, raw: bytes | None = None) -> str:
    env.mgmt.produce_raw(raw if raw is not None else encoded(env, value))
    rep = answer(env, value["ticket"])
    assert rep["rep"]["code"] == "BAD_REQUEST", rep
    return message(rep)


def message(rep: dict) -> str:
    name, body = rep["rep"]["body"]
    assert name.endswith("AvroGenericResponse"), name
    return body["message"]


def avro_str(s: str) -> bytes:
    buf = io.BytesIO()
    schemaless_writer(buf, {"type": "string"}, s)
    return buf.getvalue()


def test_bad_fields_are_answered_naming_the_field(gwenv):
    env = gwenv
    dev = env.registered_device()
    gw = env.id
    cases = [
        (request_value(gw, dev.ep + "\x00x", ticket(), "read", "/3/0/0"), "ep: contains a NUL byte"),
        (request_value(gw, dev.ep, ticket(), "read", "/3/0\x00/7"), "payload.path: contains a NUL byte"),
        (request_value(gw, dev.ep, ticket(), "read", "/3/" + "0" * 900_000), "payload.path: longer than 255"),
        (request_value(gw, dev.ep, ticket(), "read", "/3/00"), "leading zero"),
        (request_value(gw, "e" * 300, ticket(), "read", "/3/0"), "ep: longer than 256"),
        (request_value("someone-else", dev.ep, ticket(), "read", "/3/0"), "serverId 'someone-else'"),
    ]
    for value, why in cases:
        msg = refused_with(env, value)
        assert why in msg, (why, msg)


def test_trailing_bytes_and_out_of_range_enum_are_answered(gwenv):
    env = gwenv
    dev = env.registered_device()
    v = request_value(env.id, dev.ep, ticket(), "read", "/3/0/0")
    msg = refused_with(env, v, encoded(env, v) + b"\x02\x41")
    assert "bytes after the end of the record" in msg, msg
    # payload.kind is the first field after the three strings: patch its index out of range
    v = request_value(env.id, dev.ep, ticket(), "read", "/3/0/0")
    raw = encoded(env, v)
    at = 5 + len(avro_str(v["serverId"])) + len(avro_str(v["ep"])) + len(avro_str(v["ticket"]))
    assert raw[at] < 0x80  # a one-byte zigzag varint
    patched = raw[:at] + b"\xc8\x01" + raw[at + 1:]  # index 100
    msg = refused_with(env, v, patched)
    assert "Avro binary" in msg, msg


def test_ticketless_record_is_counted_and_does_not_block_the_next(gwenv):
    env = gwenv
    dev = env.registered_device()
    before = env.gw.metrics().get("zeelos_mgmt_requests_invalid_total", 0)
    bad = request_value(env.id, dev.ep, "tick\x00et", "read", "/3/0/0")
    env.mgmt.produce_raw(encoded(env, bad))
    env.mgmt.produce_raw(b"\x00\x00\x00\x00")  # not even a header
    rep = env.mgmt.request(dev.ep, "read", "/3/0/0", timeout=20)
    assert rep.value["rep"]["code"] == "CONTENT"
    env.gw.wait_metric("zeelos_mgmt_requests_invalid_total", lambda x: x >= before + 2)
    # and nothing answered the unreadable ticket
    env.settle()
    assert not [r for r in env.mgmt.rep.records if isinstance(r.value, dict) and r.value["ticket"].startswith("tick")]


def test_answer_over_the_limit_becomes_an_error_that_fits(gateway_factory):
    env = gateway_factory(["-X", "management.response.max.bytes=4096"])
    dev = env.registered_device()
    dev.set((3, 0, 0), "x" * 6000, notify=False)
    rep = env.mgmt.request(dev.ep, "read", "/3/0/0", timeout=30).value
    assert rep["rep"]["code"] == "REQUEST_ENTITY_TOO_LARGE", rep["rep"]["code"]
    msg = message(rep)
    assert "exceeds management.response.max.bytes (4096)" in msg
    assert env.gw.metrics().get("zeelos_mgmt_responses_too_large_total") == 1
    # a small answer still goes through
    assert env.mgmt.request(dev.ep, "read", "/3/0/1", timeout=20).value["rep"]["code"] == "CONTENT"
