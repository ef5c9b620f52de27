# SPDX-License-Identifier: Apache-2.0
"""The command-line tools against a real gateway, broker and registry:
`zeelos request` reads a device nobody here wrote (aiocoap) through Kafka, `zeelos tail` decodes
what the gateway wrote, and `zeelos device` is observed through Kafka, decoded by fastavro."""
from __future__ import annotations

import json
import signal
import struct
import subprocess
import time

import pytest
from aiocoap import Message, numbers

import coap_raw as C
from gateway_proc import child_env, start_zeelos_device, unique, zeelos_bin
from kafka_helpers import branch
from lwm2m_device import tlv_decode

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


def cli(gwenv, *args, timeout=30):
    return gwenv.zeelos(args[0], *args[1:], timeout=timeout)


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


def last_json(p):
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_request_help_shows_every_kind_with_an_example():
    p = subprocess.run([str(zeelos_bin()), "request", "--help"], capture_output=True, text=True, timeout=10,
                       env=child_env())
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "KIND PATH [VALUE]" in out.splitlines()[0]
    for example in ("read /3/0/0", "discover /3/0", "write /3/0/14 -03:00", "create /3303/7 '5700=21.5,5701=Cel'",
                    "delete /3303/7", "execute /9/0/4 \"0='app1',1\"", "observe /3303/0/5700",
                    "observe-cancel /3303/0/5700", "write-attributes /3303/0/5700 'pmin=1&pmax=5'"):
        assert example in out, example
    # the --cf line is whole and says who picks the format without it
    cf = next(l for l in out.splitlines() if l.startswith("  --content-format, --cf N"))
    assert "11544 LwM2M CBOR; -1: chosen by the gateway)" in cf, cf
    assert "(default: 75000)" in out


def test_request_negative_value_and_kebab_case_kinds(gwenv):
    dev = gwenv.registered_device()
    p = cli(gwenv, "request", "--ep", dev.ep, "write", "/3/0/14", "-03:00")
    assert p.returncode == 0, p.stdout + p.stderr
    assert last_json(p)["rep"]["code"] == "CHANGED"
    assert dev.value((3, 0, 14)) == "-03:00"
    # any VALUE starting with '-', options after it included
    p = cli(gwenv, "request", "--ep", dev.ep, "write", "/3/0/14", "-high", "--type", "STRING")
    assert p.returncode == 0, p.stdout + p.stderr
    assert dev.value((3, 0, 14)) == "-high"
    p = cli(gwenv, "request", "--ep", dev.ep, "write-attributes", "/3303/0/5700", "pmin=1&pmax=5")
    assert p.returncode == 0, p.stdout + p.stderr
    assert last_json(p)["rep"]["kind"] == "writeAttributes"
    assert dev.attributes[(3303, 0, 5700)] == {"pmin": "1", "pmax": "5"}
    p = cli(gwenv, "request", "--ep", dev.ep, "write-attribute", "/3303/0/5700", "pmin=1")
    assert p.returncode == 2 and "unknown KIND: write-attribute" in p.stderr, p.stderr


def test_request_execute_arguments_are_checked(gwenv):
    """LwM2M 1.1 Execute arguments: 0='a',1 reaches the device as is; "a,b" is refused before sending."""
    dev = gwenv.registered_device()
    p = cli(gwenv, "request", "--ep", dev.ep, "execute", "/3/0/4", "a,b")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "invalid execute arguments 'a,b'" in p.stderr and "DIGIT='VALUE'" in p.stderr
    p = cli(gwenv, "request", "--ep", dev.ep, "execute", "/3/0/4", "0='a',1")
    assert p.returncode == 0, p.stdout + p.stderr
    assert last_json(p)["rep"]["code"] == "CHANGED"
    assert dev.executions == [((3, 0, 4), b"0='a',1")]


def test_request_create_with_a_value_list(gwenv):
    """create /3303/7 '5700=21.5,5701=Cel': one TLV object instance 7, 5700 a float (typed by the
    model), 5701 a string, decoded by the test device's own TLV reader."""
    dev = gwenv.device()
    got = {}

    async def render_post(request):
        got["payload"] = bytes(request.payload)
        return Message(code=numbers.CREATED, location_path=("3303", "7"))

    dev.nodes[(3303,)].render_post = render_post
    gwenv.register(dev)
    p = cli(gwenv, "request", "--ep", dev.ep, "create", "/3303/7", "5700=21.5,5701=Cel")
    assert p.returncode == 0, p.stdout + p.stderr
    rep = last_json(p)
    assert rep["rep"]["code"] == "CREATED" and rep["path"] == "/3303", rep
    [(kind, iid, inner)] = tlv_decode(got["payload"])
    assert (kind, iid) == (0, 7)
    res = {rid: raw for _, rid, raw in tlv_decode(inner)}
    assert struct.unpack(">f" if len(res[5700]) == 4 else ">d", res[5700])[0] == 21.5
    assert res[5701] == b"Cel"
    # /3303 alone: the device picks the id (TLV with the bare resources)
    p = cli(gwenv, "request", "--ep", dev.ep, "create", "/3303", "5700=-4.5")
    assert p.returncode == 0, p.stdout + p.stderr
    [(kind, rid, raw)] = tlv_decode(got["payload"])
    assert (kind, rid) == (3, 5700)
    assert struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0] == -4.5
    p = cli(gwenv, "request", "--ep", dev.ep, "create", "/3303", "5700=warm")
    assert p.returncode == 2 and "'warm' is not a valid FLOAT value for resource 5700" in p.stderr, p.stderr


def test_request_format_refused_hints_at_cf(gwenv):
    dev = gwenv.registered_device()
    p = cli(gwenv, "request", "--ep", dev.ep, "--cf", "112", "read", "/3/0/0")
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert last_json(p)["rep"]["code"] == "NOT_ACCEPTABLE"
    assert "refused the content format (NOT_ACCEPTABLE" in p.stderr and "--cf N" in p.stderr, p.stderr


def test_request_silent_device_composite_timeout_and_give_up(gwenv):
    """A device that never answers: the gateway's timeout response of a composite read names its
    paths; a CLI wait shorter than the gateway's says the device may still answer (exit 3)."""
    raw = C.RawCoap(gwenv.gw.coap_port)
    try:
        ep = unique("mute-")
        assert raw.register(ep, lt=60, links=b"</3/0>,</3303/0>").code_str == "2.01"
        gwenv.registration(ep, "NEW")
        p = cli(gwenv, "request", "--ep", ep, "read", "/3/0/0,/3303/0")
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        msg = next(iter(last_json(p)["rep"]["body"].values()))["message"]
        assert "did not answer /3/0/0,/3303/0 within" in msg, msg
        p = cli(gwenv, "request", "--ep", ep, "--timeout-ms", "1000", "read", "/3/0/0")
        assert p.returncode == 3, (p.returncode, p.stdout, p.stderr)
        assert "The device may still be answering" in p.stderr, p.stderr
    finally:
        raw.close()


def test_tail_prints_shortest_doubles(gwenv):
    """19.2 and 20.3 have no exact double: tail must print them as request does, not as
    19.199999999999999 (jansson's 17 digits), on management.rep and on notifications."""
    dev = gwenv.registered_device()
    dev.set((3303, 0, 5700), 19.2, notify=False)
    p = cli(gwenv, "request", "--ep", dev.ep, "--ticket", "cli-obs-19", "observe", "/3303/0/5700")
    assert p.returncode == 0, p.stderr
    assert '{"double":19.2}' in p.stdout, p.stdout
    dev.wait_observers((3303, 0, 5700), 1)
    dev.set((3303, 0, 5700), 20.3)
    gwenv.obs.wait_for(lambda r: r.value["ticket"] == "cli-obs-19", what="the 20.3 notification")
    p = cli(gwenv, "tail", "management.rep", "observations", "--from-beginning", "--max-messages", "3",
            "--timeout-ms", "15000")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 3, p.stdout  # the fixture's warm-up answer, the observe answer, the notification
    text = "\n".join(lines)
    assert '{"double":19.2}' in text and '{"double":20.3}' in text, text
    assert "0000000" not in text and "9999999" not in text, text
