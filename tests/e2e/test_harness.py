# SPDX-License-Identifier: Apache-2.0
"""Self-tests of the e2e harness against real peers (no gateway needed): the registry,
Confluent-framed Avro through the real broker, the aiocoap device against hand-built CoAP and
libcoap's coap-client. If these fail, the gateway tests cannot be trusted."""
from __future__ import annotations

import json
import socket
import threading

import fastavro
import pytest
import requests

import coap_raw as C
import contract_schemas
from gateway_proc import coap_client
from kafka_helpers import (Management, TopicReader, branch, create_topics, execute_body, gateway_topics,
                           write_body)
from lwm2m_device import CF_TLV, LwM2MDevice, tlv_decode, tlv_entry
from gateway_proc import unique


def test_registry_semantics(registry_url):
    s = requests.Session()
    key = contract_schemas.AVRO_KEY
    subj_a, subj_b = unique("a-") + "-key", unique("b-") + "-key"
    r1 = s.post(f"{registry_url}/subjects/{subj_a}/versions", json={"schema": key}).json()
    # same schema, other whitespace and key order: same global id, no new version
    same = json.dumps(json.loads(key), indent=2, sort_keys=True)
    r2 = s.post(f"{registry_url}/subjects/{subj_b}/versions", json={"schema": same}).json()
    r3 = s.post(f"{registry_url}/subjects/{subj_a}/versions", json={"schema": key}).json()
    assert r1["id"] == r2["id"] == r3["id"]
    assert s.get(f"{registry_url}/subjects/{subj_a}/versions").json() == [1]
    # the avro.java.string property is part of the identity (as in Confluent's registry)
    plain = json.dumps({"type": "record", "name": "AvroKey", "namespace": "io.zeelos.leshan.avro",
                        "fields": [{"name": "ep", "type": "string"}]})
    r4 = s.post(f"{registry_url}/subjects/{subj_a}/versions", json={"schema": plain}).json()
    assert r4["id"] != r1["id"]
    assert s.get(f"{registry_url}/subjects/{subj_a}/versions").json() == [1, 2]
    latest = s.get(f"{registry_url}/subjects/{subj_a}/versions/latest").json()
    assert latest == {"subject": subj_a, "version": 2, "id": r4["id"], "schema": plain}
    assert json.loads(s.get(f"{registry_url}/schemas/ids/{r1['id']}").json()["schema"]) == json.loads(key)
    assert subj_a in s.get(f"{registry_url}/subjects").json()
    nf = s.get(f"{registry_url}/schemas/ids/987654")
    assert nf.status_code == 404 and nf.json()["error_code"] == 40403
    bad = s.post(f"{registry_url}/subjects/{subj_a}/versions", json={"schema": '{"type":"nope"}'})
    assert bad.status_code == 422 and bad.json()["error_code"] == 42201
    c = s.post(f"{registry_url}/compatibility/subjects/{subj_a}/versions/latest", json={"schema": key})
    assert c.status_code == 200 and c.json() == {"is_compatible": True}


def test_contract_schemas_parse():
    for name, text in contract_schemas.ALL.items():
        parsed = fastavro.parse_schema(json.loads(text))
        assert parsed["name"] == name


@pytest.mark.kafka
def test_framed_avro_roundtrip_through_kafka(kafka_bootstrap, sr, codec):
    gw = unique("harness")
    topics = gateway_topics(gw)
    create_topics(kafka_bootstrap, list(topics.values()))
    m = Management(kafka_bootstrap, sr, gw)
    try:
        t1 = m.send("dev-1", "write", "/3/0/14", body=write_body("/3/0/14", "+02:00", "STRING"))
        t2 = m.send("dev-1", "execute", "/3/0/4", body=execute_body("a,b"))
        t3 = m.send("dev-1", "read", "/3303/0/5700", content_format="TEXT_CODE")
        reader = TopicReader(kafka_bootstrap, topics["req"], codec)
        try:
            reader.wait_for(lambda r: r.value["ticket"] == t3, 15)
            vals = {r.value["ticket"]: r for r in reader.records}
            w = vals[t1]
            assert w.key is None and w.value_schema_id == m.schema_id
            assert w.raw_value[0] == 0 and int.from_bytes(w.raw_value[1:5], "big") == m.schema_id
            assert w.value["serverId"] == gw and w.value["ep"] == "dev-1"
            name, body = branch(w.value["payload"]["body"])
            assert name == "AvroWriteRequest" and body["mode"] == "REPLACE"
            assert branch(body["node"]) == ("AvroResource", {"id": 14, "path": "/3/0/14", "kind": "SINGLE_RESOURCE",
                                                            "type": "STRING", "value": "+02:00"})
            assert branch(vals[t2].value["payload"]["body"]) == ("AvroExecuteRequest", {"parameters": "a,b"})
            assert vals[t3].value["payload"] == {"kind": "read", "path": "/3303/0/5700",
                                                 "contentFormat": "TEXT_CODE", "body": None}
        finally:
            reader.close()
    finally:
        m.close()
    # the registry holds the request schema under the TopicNameStrategy subject
    latest = sr.latest(f"{topics['req']}-value")
    assert latest["id"] == m.schema_id
    assert json.loads(latest["schema"]) == json.loads(contract_schemas.AVRO_REQUEST)


class _FakeServer:
    """A hand-built CoAP 'LwM2M server' on a raw socket: answers the registration with 2.01."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.reg = None
        self.mid = 3000
        threading.Thread(target=self._rd, daemon=True).start()

    def _rd(self):
        data, addr = self.sock.recvfrom(4096)
        m = C.decode(data)
        self.reg = (m, addr)
        self.sock.sendto(C.encode(C.ACK, 65, m.mid, m.token,
                                  [(C.OPT_LOCATION_PATH, "rd"), (C.OPT_LOCATION_PATH, "r1")]), addr)

    def request(self, code, path, opts=(), payload=b"", token=b"\x01\x02"):
        self.mid += 1
        o = [(C.OPT_URI_PATH, s) for s in path.strip("/").split("/")] + list(opts)
        self.sock.sendto(C.encode(C.CON, code, self.mid, token, o, payload), self.reg[1])
        self.sock.settimeout(3)
        return C.decode(self.sock.recvfrom(4096)[0])


def test_device_registers_from_its_serving_socket(runner):
    srv = _FakeServer()
    dev = LwM2MDevice(runner, "harness-dev", srv.port).start()
    try:
        r = dev.register(lt=30)
        assert (r.code, r.location, r.reg_id) == ("2.01", "rd/r1", "r1")
        m, addr = srv.reg
        assert addr == ("127.0.0.1", dev.port)
        assert m.uri_path == "/rd" and m.opts(C.OPT_CONTENT_FORMAT) == [bytes([40])]
        assert m.opts(C.OPT_URI_QUERY) == [b"ep=harness-dev", b"lt=30", b"lwm2m=1.0", b"b=U"]
        assert m.payload == b"</1/0>,</3/0>,</3303/0>,</3303/1>"
        # the same socket serves the objects
        x = srv.request(C.GET, "/3/0/0")
        assert (x.code_str, x.payload) == ("2.05", b"ACME")
        x = srv.request(C.GET, "/3/0/0", [(C.OPT_ACCEPT, CF_TLV)])
        assert (x.code_str, tlv_decode(x.payload)) == ("2.05", [(3, 0, b"ACME")])
        x = srv.request(C.PUT, "/3/0/14", [(C.OPT_CONTENT_FORMAT, CF_TLV)], tlv_entry(3, 14, b"+02:00"))
        assert x.code_str == "2.04" and dev.value((3, 0, 14)) == "+02:00"
        x = srv.request(C.POST, "/3/0/4")
        assert x.code_str == "2.04" and dev.executions == [((3, 0, 4), b"")]
        x = srv.request(C.GET, "/3303/0/5700", [(C.OPT_OBSERVE, 0)], token=b"\xab\xcd")
        assert x.code_str == "2.05" and x.payload == b"21.5"
        assert dev.observe_tokens[(3303, 0, 5700)] == ["abcd"]
        dev.start_ticking()
        n1 = C.decode(srv.sock.recvfrom(4096)[0])
        assert n1.token == b"\xab\xcd" and n1.payload == b"21.75"
        # rejecting a notification ends the observation on the device
        srv.sock.sendto(C.encode(C.RST, 0, n1.mid), srv.reg[1])
        dev.wait_observers((3303, 0, 5700), 0, 5)
    finally:
        dev.stop()


@pytest.mark.coap_client
def test_coap_client_helper_against_device(runner):
    srv = _FakeServer()
    dev = LwM2MDevice(runner, "harness-cc", srv.port).start()
    try:
        code, _, out = coap_client("get", f"coap://127.0.0.1:{dev.port}/3/0/0", timeout=3)
        assert code == "2.05", out
        assert "ACME" in out
        code, _, out = coap_client("put", f"coap://127.0.0.1:{dev.port}/3/0/14", payload="+05:00",
                                   content_format=0, timeout=3)
        assert code == "2.04", out
        assert dev.value((3, 0, 14)) == "+05:00"
    finally:
        dev.stop()


@pytest.mark.coap_client
def test_coap_client_helper_parses_location():
    srv = _FakeServer()
    code, loc, out = coap_client("post", f"coap://127.0.0.1:{srv.port}/rd?ep=cc1&lt=60", payload="</3/0>",
                                 content_format=40, timeout=3)
    assert (code, loc) == ("2.01", ["rd", "r1"]), out
    m, _ = srv.reg
    assert m.opts(C.OPT_URI_QUERY) == [b"ep=cc1", b"lt=60"] and m.payload == b"</3/0>"


def test_raw_coap_codec_roundtrip():
    d = C.encode(C.CON, C.POST, 0x1234, b"\x01\x02", [(C.OPT_URI_PATH, "rd"), (C.OPT_URI_QUERY, "ep=x"),
                                                      (C.OPT_CONTENT_FORMAT, 40)], b"</3/0>")
    m = C.decode(d)
    assert (m.mtype, m.code_str, m.mid, m.token, m.payload) == (C.CON, "0.02", 0x1234, b"\x01\x02", b"</3/0>")
    assert m.uri_path == "/rd" and m.opts(C.OPT_URI_QUERY) == [b"ep=x"]
