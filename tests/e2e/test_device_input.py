# SPDX-License-Identifier: Apache-2.0
"""What a device (or anyone who can send UDP) may make the gateway do (issue 10).

A registration's id is public (it is on the registrations topic), so an Update or
De-register is accepted only from the address that registered; a Register of a name held
by another host follows registration.takeover; device strings must be UTF-8 without control
characters; refusals are logged at a bounded rate; a datagram too big for the gateway's
buffer gets 4.13 with Size1.  Peers: hand-built CoAP datagrams (coap_raw.py)."""
from __future__ import annotations

import os
import socket
import time

from coap_raw import CON, DELETE, OPT_URI_PATH, OPT_URI_QUERY, OPT_CONTENT_FORMAT, POST, RawCoap, \
    code_str, encode


class RawFrom(RawCoap):
    """A RawCoap bound to another loopback address (another host, as far as the gateway knows)."""

    def __init__(self, server_port: int, source: str):
        super().__init__(server_port)
        self.sock.close()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.port = self.sock.getsockname()[1]


def registered(env, ep: str, dev: RawCoap) -> str:
    r = dev.register(ep)
    assert code_str(r.code) == "2.01", (code_str(r.code), r.payload)
    env.registration(ep, "NEW")
    return r.location_path


def refused(env) -> dict:
    return env.gw.metrics()


def test_update_and_deregister_only_from_the_registering_address(gwenv):
    env = gwenv
    dev, other = RawCoap(env.gw.coap_port), RawCoap(env.gw.coap_port)
    try:
        loc = registered(env, "own-" + os.urandom(3).hex(), dev)
        u = other.request(POST, loc, {"lt": 30})
        assert code_str(u.code) == "4.00" and b"forbidden" in u.payload, (code_str(u.code), u.payload)
        d = other.request(DELETE, loc)
        assert code_str(d.code) == "4.00" and b"forbidden" in d.payload
        env.gw.wait_metric("zeelos_refused_registration_total", lambda v: v >= 2)
        # the owner is still registered and served
        assert code_str(dev.request(POST, loc, {"lt": 30}).code) == "2.04"
        assert code_str(dev.request(DELETE, loc).code) == "2.02"
    finally:
        dev.close()
        other.close()


def test_takeover_from_another_host_refused_by_default(gwenv):
    env = gwenv
    ep = "take-" + os.urandom(3).hex()
    dev, intruder = RawCoap(env.gw.coap_port), RawFrom(env.gw.coap_port, "127.0.0.2")
    rebooted = RawCoap(env.gw.coap_port)
    try:
        loc = registered(env, ep, dev)
        r = intruder.register(ep)
        assert code_str(r.code) == "4.03", (code_str(r.code), r.payload)
        assert b"another address" in r.payload
        env.gw.wait_metric("zeelos_refused_registration_total", lambda v: v >= 1)
        # the same host from a new port (a device that rebooted) still replaces its registration
        r2 = rebooted.register(ep)
        assert code_str(r2.code) == "2.01" and r2.location_path != loc
    finally:
        for s in (dev, intruder, rebooted):
            s.close()


def test_takeover_replace_policy(gateway_factory):
    env = gateway_factory(["-X", "registration.takeover=replace"])
    ep = "repl-" + os.urandom(3).hex()
    dev, other = RawCoap(env.gw.coap_port), RawFrom(env.gw.coap_port, "127.0.0.2")
    try:
        loc = registered(env, ep, dev)
        r = other.register(ep)
        assert code_str(r.code) == "2.01"
        env.gw.wait_metric("zeelos_registration_takeovers_total", lambda v: v == 1)
        # the old location is gone
        assert code_str(dev.request(POST, loc, {"lt": 30}).code) == "4.04"
        assert "taken over" in env.gw.log_path.read_text()
    finally:
        dev.close()
        other.close()


def register_raw_query(dev: RawCoap, ep: bytes):
    mid, token = dev.next_mid(), os.urandom(4)
    opts = [(OPT_URI_PATH, "rd"), (OPT_URI_QUERY, b"ep=" + ep), (OPT_URI_QUERY, "lt=60"),
            (OPT_CONTENT_FORMAT, 40)]
    dev.send_raw(encode(CON, POST, mid, token, opts, b"</3/0>"))
    while True:
        m = dev.recv(3)
        assert m is not None, f"no answer to a Register with ep={ep!r}"
        if m.token == token:
            return m


def test_endpoint_names_are_validated(gwenv):
    env = gwenv
    dev = RawCoap(env.gw.coap_port)
    try:
        for bad, why in [(b"evil\nINFO forged line", b"control character"), (b"\xff\xfe", b"UTF-8"),
                         (b"tab\there", b"control character"), (b"x" * 300, b"1-256 bytes")]:
            m = register_raw_query(dev, bad)
            assert code_str(m.code) == "4.00" and why in m.payload, (bad, code_str(m.code), m.payload)
        ok = register_raw_query(dev, "température-ü".encode())
        assert code_str(ok.code) == "2.01"
        # the name never reached the log raw: no line starts with the forged text
        assert not [ln for ln in env.gw.log_path.read_text().splitlines() if ln.startswith("INFO forged")]
    finally:
        dev.close()


def test_refusals_are_logged_at_a_bounded_rate(gwenv):
    env = gwenv
    before = env.gw.metrics().get("zeelos_registration_rejected_total", 0)
    lines0 = env.gw.log_path.read_text().count("rejected:")
    flood = RawCoap(env.gw.coap_port)
    try:
        t0 = time.monotonic()
        for i in range(3000):
            flood.send_raw(encode(CON, POST, i, b"", [(OPT_URI_PATH, "rd"), (OPT_URI_PATH, "nosuchid")]))
        env.gw.wait_metric("zeelos_registration_rejected_total", lambda v: v >= before + 3000, timeout=30)
        elapsed = time.monotonic() - t0
    finally:
        flood.close()
    logged = env.gw.log_path.read_text().count("rejected:") - lines0
    assert logged <= 10 * (elapsed + 2), f"{logged} refusal lines for 3000 refusals in {elapsed:.1f}s"
    assert logged >= 1


def test_datagram_over_the_buffer_gets_413_with_size1(gwenv):
    env = gwenv
    dev = RawCoap(env.gw.coap_port)
    try:
        r = dev.request(POST, "/rd", {"ep": "big", "lt": 60}, b"<" + b"/3/0>," * 400, content_format=40)
        assert code_str(r.code) == "4.13", code_str(r.code)
        assert r.opts(60) == [b"\x04\x00"], r.options
        env.gw.wait_metric("zeelos_coap_too_large_total", lambda v: v >= 1)
    finally:
        dev.close()
