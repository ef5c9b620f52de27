# SPDX-License-Identifier: Apache-2.0
"""DTLS with X.509 certificates (ECDHE-ECDSA, P-256): the gateway's certificate checked by the
client, the device's checked against dtls.ca, its subject CN the endpoint name it may use."""
from __future__ import annotations

import pytest

from dtls_peers import metric, register, security
from gateway_proc import unique, wait_until

pytestmark = [pytest.mark.gateway, pytest.mark.coap_client]


@pytest.fixture
def x509_gw(gateway_factory, certs):
    return gateway_factory(["--dtls-cert", str(certs.server), "--dtls-key", str(certs.server_key),
                            "--dtls-ca", str(certs.ca)])


def add_x509(env, ep: str) -> None:
    p = security(env, "add", ep, "--x509")
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("flavor", ["openssl", "gnutls"])
def test_certificate_cn_is_the_endpoint(x509_gw, certs, flavor):
    env = x509_gw
    ep = unique("x509-")
    add_x509(env, ep)
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    mine = certs.issue(ep)
    r = register(env.gw.coaps_port, ep, cert=mine, ca=certs.ca, flavor=flavor)
    assert r.code == "2.01", r.log[-3000:]
    env.registration(ep, "NEW")
    # the same certificate cannot speak for another endpoint, even one with X.509 credentials
    other = unique("x509-")
    add_x509(env, other)
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 2, 10, what="credentials applied")
    r = register(env.gw.coaps_port, other, cert=mine, ca=certs.ca, flavor=flavor)
    assert r.code == "4.03" and "CN" in r.diag, r


def test_untrusted_or_missing_client_certificate_fails(x509_gw, certs):
    env = x509_gw
    ep = unique("x509-")
    add_x509(env, ep)
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    rogue = certs.issue(ep, rogue=True)  # right CN, wrong CA
    assert register(env.gw.coaps_port, ep, cert=rogue, ca=certs.ca).code is None
    # no client certificate at all, the server's certificate trusted
    assert register(env.gw.coaps_port, ep, ca=certs.ca).code is None
    wait_until(lambda: metric(env, 'zeelos_dtls_handshakes_total{result="failed"}') >= 1, 15,
               what="the failed handshakes counted")
    assert metric(env, 'zeelos_dtls_handshakes_total{result="ok"}') == 0
    assert metric(env, "zeelos_registrations_total") == 0


def test_psk_and_certificates_side_by_side(x509_gw, certs):
    """One coaps port serves PSK and certificate devices at once."""
    env = x509_gw
    a, b = unique("x509-"), unique("psk-")
    add_x509(env, a)
    p = security(env, "add", b, "--psk-identity", b, "--psk-key", b"kb".hex())
    assert p.returncode == 0, p.stderr
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 2, 10, what="credentials applied")
    assert register(env.gw.coaps_port, a, cert=certs.issue(a), ca=certs.ca).code == "2.01"
    assert register(env.gw.coaps_port, b, psk=(b, "kb")).code == "2.01"
