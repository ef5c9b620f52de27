# SPDX-License-Identifier: Apache-2.0
"""DTLS-PSK with aiocoap's tinydtls transport (tests/dtls/aiocoap_peer.py): registration, a read
and an observation whose notifications reach Kafka, all over the device's own DTLS session, then
de-registration; and a wrong key that never gets a registration."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dtls_peers import add_psk, metric
from gateway_proc import child_env, unique, wait_until
from kafka_helpers import branch

pytestmark = [pytest.mark.gateway]

PEER = Path(__file__).resolve().parent / "aiocoap_peer.py"


def start(env, ep: str, identity: str, key: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(PEER), str(env.gw.coaps_port), ep, identity, key],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env())


def first_line(p: subprocess.Popen) -> str:
    line = p.stdout.readline().strip()
    return line


def value_of(rec):
    return branch(branch(rec.value["rep"]["body"])[1]["content"])[1]["value"]


def test_aiocoap_tinydtls_psk_life(gateway_factory):
    env = gateway_factory()
    ep = unique("aiocoap-psk-")
    key = "tinydtls-" + ep[-7:]  # tinydtls takes keys of at most 16 bytes (DTLS_PSK_MAX_KEY_LEN)
    add_psk(env, ep, ep + "-id", key.encode())
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    p = start(env, ep, ep + "-id", key)
    try:
        line = first_line(p)
        assert line.startswith("REGISTERED rd/"), line
        env.registration(ep, "NEW")
        r = env.mgmt.request(ep, "read", "/3/0/0", "TEXT_CODE", timeout=30)
        assert r.value["rep"]["code"] == "CONTENT", r.value
        assert value_of(r) == "aiocoap over tinydtls", r.value
        ticket = env.mgmt.send(ep, "observe", "/3303/0/5700", "TEXT_CODE")
        assert env.mgmt.wait_response(ticket, 30).value["rep"]["code"] == "CONTENT"
        notes = env.obs.wait_for_n(lambda x: x.value["ticket"] == ticket, 3, timeout=20)
        values = [value_of(n) for n in notes]
        assert len(set(values)) >= 2 and all(isinstance(v, float) for v in values), values
        p.send_signal(signal.SIGTERM)
        assert p.wait(20) == 0
        assert "DEREGISTERED 2.02" in p.stdout.read()
        env.registration(ep, "DELETE")
    finally:
        if p.poll() is None:
            p.kill()


def test_aiocoap_tinydtls_wrong_key_never_registers(gateway_factory):
    env = gateway_factory()
    ep = unique("aiocoap-bad-")
    add_psk(env, ep, ep, b"the-right-key")
    wait_until(lambda: metric(env, "zeelos_security_credentials") >= 1, 10, what="credentials applied")
    p = start(env, ep, ep, "a-wrong-key!!")
    try:
        line = first_line(p)
        assert line.startswith("FAILED"), line
        assert p.wait(20) == 3
        assert metric(env, 'zeelos_dtls_handshakes_total{result="ok"}') == 0
        assert metric(env, "zeelos_registrations") == 0
    finally:
        if p.poll() is None:
            p.kill()
