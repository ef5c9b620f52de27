# SPDX-License-Identifier: Apache-2.0
"""The command-line tools against a real gateway, broker and registry:
`zeelos request` reads a device nobody here wrote (aiocoap) through Kafka, `zeelos tail` decodes
what the gateway wrote, and `zeelos device` is observed through Kafka, decoded by fastavro."""
from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from gateway_proc import child_env, start_zeelos_device, unique, zeelos_bin
from kafka_helpers import branch

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


def cli(gwenv, *args, timeout=30):
    argv = [str(zeelos_bin()), args[0], "--gw", gwenv.id, "--kafka", gwenv.bootstrap,
            "--schema-registry", gwenv.gw.registry_url, *args[1:]]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=child_env())


def test_request_read_prints_the_response(gwenv):
    dev = gwenv.registered_device()
    p = cli(gwenv, "request", "--ep", dev.ep, "--ticket", "cli-read-1", "read", "/3/0/0")
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout.strip().splitlines()[-1])
    assert rep["ticket"] == "cli-read-1"
    assert rep["ep"] == dev.ep and rep["path"] == "/3/0/0"
    assert rep["rep"]["code"] == "CONTENT" and rep["rep"]["kind"] == "read"
    body = rep["rep"]["body"]["io.zeelos.leshan.avro.response.AvroReadResponseBody"]
    res = body["content"]["io.zeelos.leshan.avro.resource.AvroResource"]
    assert res["value"] == {"string": "ACME"} and res["type"] == "STRING"


def test_request_unknown_endpoint_exits_1_with_not_found(gwenv):
    p = cli(gwenv, "request", "--ep", "nobody-" + unique(""), "read", "/3/0/0")
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    rep = json.loads(p.stdout.strip().splitlines()[-1])
    assert rep["rep"]["code"] == "NOT_FOUND"
    assert "No registration for this endpoint" in json.dumps(rep)


def test_request_write_then_read_back(gwenv):
    dev = gwenv.registered_device()
    p = cli(gwenv, "request", "--ep", dev.ep, "--type", "STRING", "write", "/3/0/14", "+05:30")
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout.strip().splitlines()[-1])["rep"]["code"] == "CHANGED"
    p = cli(gwenv, "request", "--ep", dev.ep, "--format", "avro", "read", "/3/0/14")
    res = json.loads(p.stdout.strip().splitlines()[-1])["rep"]["body"][
        "io.zeelos.leshan.avro.response.AvroReadResponseBody"]["content"]["io.zeelos.leshan.avro.resource.AvroResource"]
    assert res["value"] == {"string": "+05:30"}


def test_tail_decodes_registrations(gwenv):
    dev = gwenv.registered_device()
    p = cli(gwenv, "tail", "registrations", "--from-beginning", "--max-messages", "1", "--timeout-ms", "15000")
    assert p.returncode == 0, p.stderr
    line = json.loads(p.stdout.strip().splitlines()[0])
    assert line["topic"] == f"iot.{gwenv.id}.registrations"
    assert line["key"] == {"ep": dev.ep}
    assert line["value"]["kind"] == "NEW"
    new = line["value"]["body"]["io.zeelos.leshan.avro.registration.AvroRegistrationNew"]
    assert new["ep"] == dev.ep and new["serverId"] == gwenv.id


def test_zeelos_device_is_observed_through_kafka(gwenv):
    """Our own virtual device, checked by the independent decoder: registration, a TLV instance
    read typed by the model, and notifications whose value moves."""
    ep = unique("zdev-")
    proc = start_zeelos_device(gwenv.gw.coap_port, "--ep", ep, "--device-lifetime", "60")
    try:
        new = gwenv.registration(ep, "NEW", timeout=15)
        links = [l["url"] for l in branch(new.value["body"])[1]["links"]]
        assert links == ["/1/0", "/3/0", "/3303/0", "/3303/1"]

        rec = gwenv.mgmt.request(ep, "read", "/3303/0")
        assert rec.value["rep"]["code"] == "CONTENT"
        name, inst = branch(branch(rec.value["rep"]["body"])[1]["content"])
        assert name == "AvroInstanceResource"
        by_id = {r["id"]: r for r in inst["resources"]}
        assert by_id[5700]["type"] == "FLOAT" and isinstance(by_id[5700]["value"], float)
        assert by_id[5701]["value"] == "cel"

        ticket = gwenv.mgmt.send(ep, "observe", "/3303/0/5700")
        assert gwenv.mgmt.wait_response(ticket).value["rep"]["code"] == "CONTENT"
        seen = []
        deadline = time.time() + 15
        while len(seen) < 3 and time.time() < deadline:
            for r in gwenv.obs.poll(1.0):
                if r.value["ticket"] == ticket:
                    seen.append(branch(branch(r.value["rep"]["body"])[1]["content"])[1]["value"])
        assert len(seen) >= 3, seen
        assert len(set(seen)) > 1, f"the 1 s sensor did not move: {seen}"

        proc.send_signal(signal.SIGINT)  # de-registers cleanly
        assert proc.wait(timeout=10) == 0
        gone = gwenv.registration(ep, "DELETE", timeout=10)
        assert branch(gone.value["body"])[1]["expired"] is False
    finally:
        if proc.poll() is None:
            proc.kill()
