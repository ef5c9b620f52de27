# SPDX-License-Identifier: Apache-2.0
"""DTLS with pre-shared keys: registration over coaps with libcoap's OpenSSL and GnuTLS clients,
the identity bound to the endpoint name (Leshan's rules), plain CoAP refused for an endpoint with
credentials, and credentials that change or go taking the sessions and the registration along."""
from __future__ import annotations

import pytest

from dtls_peers import add_psk, coap, metric, register, security
from gateway_proc import free_udp_port, unique, wait_until

pytestmark = [pytest.mark.gateway, pytest.mark.coap_client]


def two_endpoints(env) -> tuple[str, str]:
    """Endpoints a and b with PSK credentials (identity = name, keys b"key-of-a", b"key-of-b")."""
    a, b = unique("psk-a-"), unique("psk-b-")
    add_psk(env, a, a, b"key-of-a")
    add_psk(env, b, b, b"key-of-b")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 2, 10, what="credentials applied")
    return a, b


@pytest.mark.parametrize("flavor", ["openssl", "gnutls"])
def test_psk_registration_reaches_kafka(gateway_factory, flavor):
    env = gateway_factory()
    ep = unique("psk-")
    add_psk(env, ep, ep + "-id", b"s3cret-" + ep.encode())
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    r = register(env.gw.coaps_port, ep, psk=(ep + "-id", "s3cret-" + ep), flavor=flavor)
    assert r.code == "2.01", r.log[-2000:]
    assert r.location[0] == "rd" and len(r.location) == 2
    env.registration(ep, "NEW")
    assert metric(env, 'zeelos_dtls_handshakes_total{result="ok"}') >= 1
    # the registration's later messages over the same identity are accepted (a new session
    # from a new port: coap-client exits; the location belongs to the identity, Leshan's rule
    # for Update is the same identity from the same address, so a new address is refused)
    upd = coap(f"coaps://127.0.0.1:{env.gw.coaps_port}/rd/{r.location[1]}", psk=(ep + "-id", "s3cret-" + ep),
               flavor=flavor, payload=None)
    assert upd.code == "4.00" and "address" in upd.diag, upd


def test_update_and_deregister_from_the_same_session(gateway_factory):
    """coap-client from a fixed local port: register, update and de-register under the same
    identity and address are accepted; the DELETE record reaches Kafka."""
    env = gateway_factory()
    ep = unique("psk-")
    add_psk(env, ep, ep, b"k" * 16)
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    port = free_udp_port()
    r = register(env.gw.coaps_port, ep, psk=(ep, "k" * 16), local_port=port)
    assert r.code == "2.01", r.log[-2000:]
    base = f"coaps://127.0.0.1:{env.gw.coaps_port}/rd/{r.location[1]}"
    u = coap(base + "?lt=90", psk=(ep, "k" * 16), local_port=port, payload=None)
    assert u.code == "2.04", u.log[-2000:]
    env.registration(ep, "UPDATE")
    d = coap(base, method="delete", psk=(ep, "k" * 16), local_port=port, payload=None)
    assert d.code == "2.02", d.log[-2000:]
    env.registration(ep, "DELETE")


def test_plain_coap_refused_for_an_endpoint_with_credentials(gateway_factory):
    env = gateway_factory()
    ep = unique("psk-")
    add_psk(env, ep, ep, b"0123456789abcdef")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    r = register(env.gw.coap_port, ep, secure=False)
    assert r.code == "4.03" and "DTLS" in r.diag, r
    assert metric(env, 'zeelos_refused_registration_total{reason="security"}') == 1
    # an endpoint without credentials still registers over plain CoAP
    other = unique("plain-")
    assert register(env.gw.coap_port, other, secure=False).code == "2.01"


def test_identity_of_another_endpoint_refused(gateway_factory):
    env = gateway_factory()
    a, b = two_endpoints(env)
    r = register(env.gw.coaps_port, b, psk=(a, "key-of-a"))  # a's valid session speaking as b
    assert r.code == "4.03" and "identity" in r.diag, r
    # and an endpoint with no credentials cannot register over DTLS either
    r = register(env.gw.coaps_port, unique("nocreds-"), psk=(a, "key-of-a"), flavor="gnutls")
    assert r.code == "4.03" and "no credentials" in r.diag, r
    assert metric(env, 'zeelos_refused_registration_total{reason="security"}') == 2


@pytest.mark.parametrize("flavor", ["openssl", "gnutls"])
def test_wrong_key_and_unknown_identity_fail_the_handshake(gateway_factory, flavor):
    env = gateway_factory()
    ep = unique("psk-")
    add_psk(env, ep, ep, b"right-key")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    assert register(env.gw.coaps_port, ep, psk=(ep, "wrong-key"), flavor=flavor).code is None
    assert register(env.gw.coaps_port, ep, psk=("nobody", "right-key"), flavor=flavor).code is None
    wait_until(lambda: metric(env, 'zeelos_dtls_handshakes_total{result="failed"}') +
               metric(env, 'zeelos_dtls_handshakes_total{result="timeout"}') >= 1, 15, what="failures counted")
    assert metric(env, "zeelos_security_unknown_identity_total") >= 1
    assert metric(env, 'zeelos_dtls_handshakes_total{result="ok"}') == 0
    assert metric(env, "zeelos_registrations_total") == 0
    # the right key still works afterwards
    assert register(env.gw.coaps_port, ep, psk=(ep, "right-key"), flavor=flavor).code == "2.01"


def test_update_from_another_identity_on_the_same_address_refused(gateway_factory):
    """Same source address, a new DTLS session under another endpoint's identity: the
    registration belongs to the identity that made it."""
    env = gateway_factory()
    a, b = two_endpoints(env)
    port = free_udp_port()
    r = register(env.gw.coaps_port, a, psk=(a, "key-of-a"), local_port=port)
    assert r.code == "2.01", r.log[-2000:]
    url = f"coaps://127.0.0.1:{env.gw.coaps_port}/rd/{r.location[1]}"
    u = coap(url, psk=(b, "key-of-b"), local_port=port, payload=None)
    assert u.code == "4.00" and "DTLS identity" in u.diag, u
    d = coap(url, method="delete", psk=(b, "key-of-b"), local_port=port, payload=None)
    assert d.code == "4.00", d
    # plain CoAP from that very address cannot touch it either
    p = coap(f"coap://127.0.0.1:{env.gw.coap_port}/rd/{r.location[1]}", method="delete", flavor="notls",
             local_port=port, payload=None)
    assert p.code == "4.00", p
    env.settle()
    assert not [x for x in env.regs.records if x.key == {"ep": a} and x.value["kind"] == "DELETE"]


def test_removed_credentials_end_session_and_registration(gateway_factory):
    env = gateway_factory()
    ep = unique("psk-")
    add_psk(env, ep, ep, b"k1")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    assert register(env.gw.coaps_port, ep, psk=(ep, "k1")).code == "2.01"
    env.registration(ep, "NEW")
    p = security(env, "remove", ep)
    assert p.returncode == 0, p.stderr
    env.registration(ep, "DELETE")
    wait_until(lambda: metric(env, "zeelos_security_credentials") == 0, 10, what="credentials removed")
    # gone from the gateway: the old key no longer opens a session
    assert register(env.gw.coaps_port, ep, psk=(ep, "k1")).code is None


def test_changed_key_drops_the_registration(gateway_factory):
    env = gateway_factory()
    ep = unique("psk-")
    add_psk(env, ep, ep, b"old-key")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    assert register(env.gw.coaps_port, ep, psk=(ep, "old-key")).code == "2.01"
    env.registration(ep, "NEW")
    add_psk(env, ep, ep, b"new-key")
    env.registration(ep, "DELETE")
    assert register(env.gw.coaps_port, ep, psk=(ep, "old-key")).code is None
    assert register(env.gw.coaps_port, ep, psk=(ep, "new-key")).code == "2.01"


def test_credentials_survive_a_restart_without_kafka_reread(gateway_factory):
    """The store keeps the credentials: a restarted gateway refuses plain CoAP for the endpoint
    and accepts its key before anything is read from the topic (security.topic empty)."""
    env = gateway_factory()
    ep = unique("psk-")
    add_psk(env, ep, ep, b"stored-key")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    env.gw.stop()
    env.gw.extra_args += ["--security-topic", ""]
    env.gw.start()
    assert metric(env, "zeelos_security_credentials") == 1
    assert register(env.gw.coap_port, ep, secure=False).code == "4.03"
    assert register(env.gw.coaps_port, ep, psk=(ep, "stored-key")).code == "2.01"


def test_cli_list_never_prints_keys(gateway_factory):
    env = gateway_factory()
    ep = unique("psk-")
    add_psk(env, ep, "ident-" + ep, b"very-secret-bytes")
    p = security(env, "add", unique("x-"), "--x509")
    assert p.returncode == 0, p.stderr
    out = security(env, "list")
    assert out.returncode == 0, out.stderr
    assert f'"identity":"ident-{ep}"' in out.stdout and '"mode":"x509"' in out.stdout
    assert b"very-secret-bytes".hex() not in out.stdout + out.stderr
    bad = security(env, "add", ep, "--psk-identity", "x", "--psk-key", "nothex")
    assert bad.returncode == 2 and "hexadecimal" in bad.stderr
    assert security(env, "add", ep).returncode == 2
    log = env.gw.log_path.read_text()
    assert b"very-secret-bytes".hex() not in log


def test_send_only_from_the_registered_identity(gateway_factory):
    """LwM2M Send (POST /dp) over DTLS: accepted from the session that registered, refused from
    another identity on the same address; the accepted value reaches the observations topic."""
    env = gateway_factory()
    a, b = two_endpoints(env)
    port = free_udp_port()
    r = coap(f"coaps://127.0.0.1:{env.gw.coaps_port}/rd?ep={a}&lt=60&lwm2m=1.1&b=U", payload="</3303/0>",
             psk=(a, "key-of-a"), local_port=port)
    assert r.code == "2.01", r.log[-2000:]
    senml = '[{"bn":"/3303/0/","n":"5700","v":21.5}]'
    url = f"coaps://127.0.0.1:{env.gw.coaps_port}/dp"
    ok = coap(url, payload=senml, cf=110, psk=(a, "key-of-a"), local_port=port)
    assert ok.code == "2.04", ok.log[-2000:]
    env.obs.wait_for(lambda rec: rec.key == {"ep": a}, 15, what="the Send record")
    bad = coap(url, payload=senml, cf=110, psk=(b, "key-of-b"), local_port=port)
    assert bad.code == "4.03", bad
