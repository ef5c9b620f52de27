# SPDX-License-Identifier: Apache-2.0
"""Hijack attempts under load (issue 10): while 20 devices stream notifications, a host at
another address (127.0.0.2) tries, for each of them, an Update and a De-register of its
registration (the location is public: it is on the registrations topic) and a Register of its
endpoint name.  Every attempt is refused (4.00 / 4.03) and counted; no device loses its
registration or a notification, and Kafka holds no event the intruder caused."""
from __future__ import annotations

import socket

import pytest

import coap_raw as C
from faultlib import Fleet

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


class Intruder(C.RawCoap):
    def __init__(self, server_port: int):
        super().__init__(server_port)
        self.sock.close()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.2", 0))
        self.port = self.sock.getsockname()[1]


def test_hijack_attempts_under_load(gateway_factory):
    env = gateway_factory()
    fleet, bad = Fleet(env, 20), Intruder(env.gw.coap_port)
    try:
        fleet.run(2, 100)
        answers = []
        for d in fleet.devs:
            answers.append(bad.request(C.POST, d.loc, {"lt": 30}).code_str)
            answers.append(bad.request(C.DELETE, d.loc).code_str)
            answers.append(bad.register(d.ep, lt=600, links=b"</3303/0>").code_str)
            fleet.run(0.05, 100)
        fleet.run(3, 100)
        row = fleet.account("hijack attempts from another host during 100 NON/s", wait=60)
        m = env.gw.metrics()
    finally:
        fleet.close()
        bad.close()
    assert answers == ["4.00", "4.00", "4.03"] * 20, answers
    assert m["zeelos_refused_registration_total"] == 60, m
    assert m["zeelos_registrations"] == 20 and m["zeelos_observations"] == 20, m
    assert (row["lost"], row["dup"], row["foreign"]) == (0, 0, 0), (row, row["missing"])
    env.settle()
    kinds = [r.value["kind"] for r in env.regs.records
             if isinstance(r.key, dict) and r.key.get("ep", "").startswith("flt-")]
    assert kinds.count("NEW") == 20 and "UPDATE" not in kinds and "DELETE" not in kinds, kinds
