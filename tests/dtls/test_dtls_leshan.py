# SPDX-License-Identifier: Apache-2.0
"""A whole LwM2M life over DTLS with Leshan's client library (Scandium DTLS, not OpenSSL):
register, reads, a write read back, execute, an observation whose notifications reach Kafka,
cancel, update and de-register -- with PSK, with X.509, and plain CoAP for comparison. The
management requests go through Kafka (iot.<gw>.management.req/rep), as every zeelos user does."""
from __future__ import annotations

import pytest

from dtls_peers import add_psk, metric, security
from gateway_proc import unique, wait_until
from kafka_helpers import branch, execute_body, write_body
from leshan_peer import LeshanClient, build

pytestmark = [pytest.mark.gateway]


@pytest.fixture(scope="module")
def jar():
    return build()


def value_of(rec):
    return branch(branch(rec.value["rep"]["body"])[1]["content"])[1]["value"]


def life(env, client: LeshanClient):
    ep = client.ep
    client.wait_line("REGISTERED")
    env.registration(ep, "NEW")
    r = env.mgmt.request(ep, "read", "/3/0/0", "TLV", timeout=30)
    assert r.value["rep"]["code"] == "CONTENT", r.value
    assert branch(r.value["rep"]["body"])[1]["content"] and "Leshan" in str(r.value["rep"]["body"])
    w = env.mgmt.request(ep, "write", "/3/0/15", "TLV", body=write_body("/3/0/15", "Europe/Athens", "STRING"),
                         timeout=30)
    assert w.value["rep"]["code"] == "CHANGED", w.value
    back = env.mgmt.request(ep, "read", "/3/0/15", "TEXT_CODE", timeout=30)
    assert value_of(back) == "Europe/Athens", back.value
    ex = env.mgmt.request(ep, "execute", "/3/0/4", body=execute_body(), timeout=30)
    assert ex.value["rep"]["code"] == "CHANGED", ex.value
    client.wait_line("REBOOT")
    ticket = env.mgmt.send(ep, "observe", "/3303/0/5700", "TLV")
    assert env.mgmt.wait_response(ticket, 30).value["rep"]["code"] == "CONTENT"
    notes = env.obs.wait_for_n(lambda x: x.value["ticket"] == ticket, 3, timeout=20)
    assert len({value_of(n) for n in notes}) >= 2, [value_of(n) for n in notes]  # the value moves
    c = env.mgmt.request(ep, "observeCancel", "/3303/0/5700", "TLV", timeout=30)
    assert c.value["rep"]["code"] == "CHANGED", c.value
    n = client.command("update")
    client.wait_line("UPDATED", after=n)
    env.registration(ep, "UPDATE")
    n = client.command("deregister")
    client.wait_line("DEREGISTERED", after=n)
    env.registration(ep, "DELETE")
    assert client.proc.wait(15) == 0


def test_leshan_client_psk(gateway_factory, jar, tmp_path):
    env = gateway_factory()
    ep = unique("leshan-psk-")
    key = bytes(range(16))
    add_psk(env, ep, ep + "-id", key)
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    c = LeshanClient(jar, f"coaps://127.0.0.1:{env.gw.coaps_port}", ep, "--psk-id", ep + "-id", "--psk-key",
                     key.hex(), log_dir=tmp_path)
    try:
        life(env, c)
        assert metric(env, 'zeelos_dtls_handshakes_total{result="ok"}') >= 1
        assert metric(env, 'zeelos_dtls_records_total{dir="in"}') >= 10
    finally:
        c.stop()


def test_leshan_client_x509(gateway_factory, jar, certs, tmp_path):
    env = gateway_factory(["--dtls-cert", str(certs.server), "--dtls-key", str(certs.server_key),
                           "--dtls-ca", str(certs.ca)])
    ep = unique("leshan-x509-")
    p = security(env, "add", ep, "--x509")
    assert p.returncode == 0, p.stderr
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    crt, key = certs.issue(ep)
    c = LeshanClient(jar, f"coaps://127.0.0.1:{env.gw.coaps_port}", ep, "--cert", str(crt), "--key", str(key),
                     "--server-cert-ca", str(certs.ca), log_dir=tmp_path)
    try:
        life(env, c)
    finally:
        c.stop()


def test_leshan_client_refusals(gateway_factory, jar, tmp_path):
    """Plain CoAP for an endpoint with credentials: 4.03 to Leshan too; a wrong key: no session."""
    env = gateway_factory()
    ep = unique("leshan-")
    add_psk(env, ep, ep, b"right")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    plain = LeshanClient(jar, f"coap://127.0.0.1:{env.gw.coap_port}", ep, log_dir=tmp_path)
    wrong = LeshanClient(jar, f"coaps://127.0.0.1:{env.gw.coaps_port}", ep, "--psk-id", ep, "--psk-key",
                         b"wrong".hex(), log_dir=tmp_path)
    try:
        assert plain.wait_line("REGISTRATION_FAILED", "REGISTERED").startswith("REGISTRATION_FAILED 4.03")
        assert wrong.wait_line("REGISTRATION_FAILED", "REGISTRATION_TIMEOUT", "REGISTERED") != "REGISTERED"
        assert metric(env, "zeelos_registrations_total") == 0
    finally:
        plain.stop()
        wrong.stop()
