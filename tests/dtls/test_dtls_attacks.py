# SPDX-License-Identifier: Apache-2.0
"""What an attacker on the device network can send to the coaps port, as hand-made DTLS records:
spoofed-source ClientHellos (answered statelessly, no amplification), handshake floods (bounded),
and the malformed-record classes of published DTLS CVEs (docs/SECURITY.md): cookie length
over-read (CVE-2022-35409 class), Connection ID length (CVE-2022-46393 class), unexpected
ChangeCipherSpec, invalid epochs, short ClientHellos, extension over-reads, an old-version hello.
After each, the gateway (ASan build in CI) still serves a real PSK client."""
from __future__ import annotations

import struct

import pytest

from dtls_peers import (RawDtls, add_psk, client_hello, client_hello_body, handshake, hello_verify_cookie,
                        metric, record, register)
from gateway_proc import unique, wait_until

pytestmark = [pytest.mark.gateway, pytest.mark.coap_client]


def still_serving(env):
    ep = unique("after-")
    add_psk(env, ep, ep, b"still-ok")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    r = register(env.gw.coaps_port, ep, psk=(ep, "still-ok"))
    assert r.code == "2.01", r.log[-2000:]
    assert env.gw.proc.poll() is None


def test_cookie_exchange_is_stateless_and_does_not_amplify(gateway_factory):
    env = gateway_factory()
    c = RawDtls(env.gw.coaps_port)
    try:
        for _ in range(50):  # as from 50 spoofed sources: each gets a challenge, nothing is kept
            hello = client_hello()
            c.send(hello)
            hvr = c.recv(5)
            assert hvr is not None and hello_verify_cookie(hvr), hvr
            assert len(hvr) <= len(hello), (len(hvr), len(hello))
        assert metric(env, "zeelos_dtls_hello_verify_total") >= 50
        assert metric(env, "zeelos_dtls_sessions") == 0
        # a wrong cookie is challenged again, never accepted
        c.send(client_hello(cookie=b"\x00" * 32))
        again = c.recv(5)
        assert again is not None and hello_verify_cookie(again)
        assert metric(env, "zeelos_dtls_sessions") == 0
    finally:
        c.close()
    still_serving(env)


def test_handshakes_in_progress_are_bounded_and_expire(gateway_factory):
    env = gateway_factory(["--dtls-max-handshakes", "3", "--dtls-handshake-timeout-ms", "6000"])
    socks = [RawDtls(env.gw.coaps_port) for _ in range(8)]
    try:
        answered = 0
        for s in socks:
            s.send(client_hello(cookie=s.cookie()))
            if s.recv(0.3) is not None:  # ServerHello flight: a session was created
                answered += 1
        assert answered == 3, answered
        assert metric(env, "zeelos_dtls_refused_total") == 5
        assert metric(env, "zeelos_dtls_handshakes_in_progress") == 3
        wait_until(lambda: metric(env, "zeelos_dtls_handshakes_in_progress") == 0, 10, what="handshakes expired")
        assert metric(env, 'zeelos_dtls_handshakes_total{result="timeout"}') == 3
        assert metric(env, "zeelos_dtls_sessions") == 0
    finally:
        for s in socks:
            s.close()
    still_serving(env)


def hostile_datagrams(cookie: bytes) -> dict[str, list[bytes]]:
    good = client_hello_body(cookie)
    return {
        # cookie length 255 with 3 bytes behind it (CVE-2022-35409: the cookie read past the record)
        "cookie length over-read": [record(22, handshake(1, good[:35] + b"\xff" + b"abc"))],
        # a record of the RFC 9146 tls12_cid type with a nonsense length (CVE-2022-46393 class)
        "connection id record": [struct.pack("!B2sH6s", 25, b"\xfe\xfd", 1, b"\0" * 6) + b"\xff" * 20,
                                 struct.pack("!B2sH6sH", 25, b"\xfe\xfd", 1, b"\0" * 6, 60000) + b"\x01" * 8],
        # ChangeCipherSpec before any handshake, and claiming epoch 1
        "unexpected ChangeCipherSpec": [record(20, b"\x01"), record(20, b"\x01", epoch=1)],
        # handshake and application data under epochs nobody negotiated
        "invalid epoch": [record(22, handshake(1, good), epoch=7), record(23, b"\x00" * 40, epoch=1),
                          record(23, b"\x00" * 40, epoch=65535, seq=2 ** 48 - 1)],
        # every truncation of a valid ClientHello (a header promising more than is there)
        "short ClientHello": [client_hello(cookie)[:n] for n in range(0, 90, 3)],
        # an extensions block longer than the message, and a fragment beyond the message
        "extension over-read": [record(22, handshake(1, good + b"\xff\xf0\x00\x0a\x00\x20"))],
        "fragment beyond length": [record(22, handshake(1, good, frag_off=5000, length=len(good))),
                                   record(22, handshake(1, good, frag_len=4000))],
        # a DTLS 1.0 hello with a cookie (the version cookie-bypass class): still 1.2 only
        "old version": [record(22, handshake(1, b"\xfe\xff" + good[2:]), version=b"\xfe\xff")],
        "empty and tiny": [b"", b"\x16", b"\x16\xfe\xfd", b"\x17\xfe\xfd\x00\x00" + b"\x00" * 8],
    }


def test_malformed_records_are_dropped(gateway_factory):
    env = gateway_factory()
    s = RawDtls(env.gw.coaps_port)
    try:
        cookie = s.cookie()
        for name, datagrams in hostile_datagrams(cookie).items():
            for d in datagrams:
                s.send(d)
            # a valid exchange on the same socket after each class: the gateway still parses
            s.send(client_hello())
            reply = None
            while (r := s.recv(3)) is not None:  # skip what the hostile datagrams provoked
                if hello_verify_cookie(r):
                    reply = r
                    break
            assert reply is not None, f"no HelloVerifyRequest after {name}"
        assert metric(env, "zeelos_dtls_no_session_total") >= 5
        assert metric(env, 'zeelos_dtls_handshakes_total{result="ok"}') == 0
    finally:
        s.close()
    still_serving(env)


def test_records_inside_a_handshake(gateway_factory):
    """A session in handshake fed a ChangeCipherSpec, an epoch-1 Finished and garbage: it fails
    or is ignored, and is freed; nothing of it is ever delivered as CoAP."""
    env = gateway_factory(["--dtls-handshake-timeout-ms", "1500"])
    s = RawDtls(env.gw.coaps_port)
    try:
        s.send(client_hello(cookie=s.cookie()))
        assert s.recv(3) is not None  # the ServerHello flight
        assert metric(env, "zeelos_dtls_handshakes_in_progress") == 1
        s.send(record(20, b"\x01"))
        s.send(record(22, b"\x14" + b"\x00" * 40, epoch=1, seq=0))
        s.send(record(23, b"\x40\x01\x12\x34", epoch=1))
        s.send(client_hello()[:20])
        wait_until(lambda: metric(env, "zeelos_dtls_handshakes_in_progress") == 0, 10, what="the handshake freed")
        assert metric(env, 'zeelos_dtls_records_total{dir="in"}') == 0
        assert metric(env, 'zeelos_dtls_handshakes_total{result="ok"}') == 0
    finally:
        s.close()
    still_serving(env)
