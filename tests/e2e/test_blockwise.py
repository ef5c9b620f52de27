# SPDX-License-Identifier: Apache-2.0
"""Block-wise transfers (RFC 7959) through the gateway, against peers nobody here wrote:
libcoap's coap-client and aiocoap (plus hand-built datagrams for the error cases).

Block1: large registrations (the gateway reassembles, 2.31 Continue per block, one NEW record
with every link); a body over --coap-max-payload is 4.13; a gap in the block numbers is 4.08.
Block2: a large read answered block-wise by aiocoap (its automatic Block2 cache, 1024-byte
blocks) and by a resource that serves 64-byte blocks; a notification sent block-wise (first
block carries Observe, the gateway fetches the rest) should arrive complete on the observations
topic.
"""
from __future__ import annotations

import asyncio
import re
import subprocess

import pytest
from aiocoap import Message, numbers
from aiocoap.optiontypes import BlockOption

import coap_raw as C
from gateway_proc import coap_client_bin, unique
from kafka_helpers import branch
from lwm2m_device import CF_LINK, CF_TEXT, STRING, _Node, default_objects, tlv_entry

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]

OPT_BLOCK1 = 27


# ------------------------------------------------------------------ helpers
def links_payload(urls: list[str]) -> bytes:
    return ",".join(f"<{u}>" for u in urls).encode()


def new_body(rec) -> dict:
    name, body = branch(rec.value["body"])
    assert name == "AvroRegistrationNew", rec
    return body


def pattern(n: int, tag: str) -> str:
    """n printable characters in which every 16-byte chunk differs (a misplaced, repeated or
    missing block changes the value)."""
    out = []
    i = 0
    while sum(map(len, out)) < n:
        out.append(f"{tag}{i:06d}-abcdefghij"[:16])
        i += 1
    return "".join(out)[:n]


def block_opt(num: int, more: bool, szx: int) -> int:
    return (num << 4) | (int(more) << 3) | szx


def read_value(rec) -> dict:
    name, body = branch(rec.value["rep"]["body"])
    assert name == "AvroReadResponseBody", rec
    kind, res = branch(body["content"])
    assert kind == "AvroResource", rec
    return res


def run_coap_client(argv: list[str], timeout: int = 15) -> tuple[list[str], list[str], str]:
    """Runs coap-client (-v 7: every PDU is logged); returns (codes of all received responses
    in order, Location-Path segments of the last one, output)."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    codes, loc = [], []
    for line in out.splitlines():
        m = re.search(r"\bv:1 t:(ACK|CON|NON|RST) c:(\d\.\d\d)\b", line)
        if m:
            codes.append(m.group(2))
            loc = re.findall(r"Location-Path:([^,\s\]]+)", line)
    return codes, loc, out


class SmallBlockNode(_Node):
    """A device resource that does its own Block2 with 2**(szx+4)-byte blocks (aiocoap's
    automatic Block2 cuts at 1024 bytes and does not cut notifications at all): every GET,
    notification or not, is answered with the requested block (block 0 without Block2)
    of the resource's current representation."""

    def __init__(self, dev, path, szx: int):
        super().__init__(dev, path)
        self.szx = szx
        self.blocks_served: list[int] = []
        self.requests: list[tuple] = []  # (block number, token hex, Observe) of every GET

    async def needs_blockwise_assembly(self, request):
        return False

    async def render_get(self, request):
        whole = await super().render_get(request)
        size = 16 << self.szx
        num = request.opt.block2.block_number if request.opt.block2 is not None else 0
        if request.opt.block2 is not None and request.opt.block2.size_exponent != self.szx:
            return Message(code=numbers.BAD_OPTION)
        self.blocks_served.append(num)
        self.requests.append((num, request.token.hex(), request.opt.observe))
        chunk = whole.payload[num * size:(num + 1) * size]
        more = len(whole.payload) > (num + 1) * size
        resp = Message(code=whole.code, payload=chunk, content_format=whole.opt.content_format)
        resp.opt.block2 = BlockOption.BlockwiseTuple(num, more, self.szx)
        return resp


def install_small_blocks(dev, path: tuple, szx: int) -> SmallBlockNode:
    return dev.replace_node(path, SmallBlockNode(dev, path, szx))


def register_blockwise(dev, links: bytes, szx: int, lt: int = 60, timeout: float = 15.0) -> Message:
    """A Register from the device's socket; aiocoap cuts the payload in 2**(szx+4)-byte blocks."""
    async def _go():
        msg = Message(code=numbers.POST, uri=f"{dev.server}/rd?ep={dev.ep}&lt={lt}&lwm2m=1.0&b=U",
                      payload=links, content_format=CF_LINK)
        msg.remote.maximum_block_size_exp = szx
        return await asyncio.wait_for(dev.ctx.request(msg).response, timeout)
    return dev.runner.run(_go(), timeout + 5)


def device_with_value(gwenv, value: str):
    objs = default_objects()
    objs[(3, 0)][0] = [STRING, value]
    return gwenv.device(objects=objs)


# ------------------------------------------------------------------ Block1: registrations
URLS_300 = [f"/3303/{i}" for i in range(300)]


@pytest.mark.coap_client
def test_block1_registration_from_coap_client(gwenv, tmp_path):
    payload = links_payload(URLS_300)
    assert len(payload) == 3489
    f = tmp_path / "links.txt"
    f.write_bytes(payload)
    ep = unique("blk1cc-")
    codes, loc, out = run_coap_client(
        [coap_client_bin(), "-m", "post", "-b", "64", "-t", "40", "-f", str(f), "-v", "7", "-B", "10",
         f"coap://127.0.0.1:{gwenv.gw.coap_port}/rd?ep={ep}&lt=60"])
    n_blocks = -(-len(payload) // 64)  # 55
    # one 2.31 Continue per block but the last, then the 2.01 for the reassembled request
    assert codes == ["2.31"] * (n_blocks - 1) + ["2.01"], out[-3000:]
    assert len(loc) == 2 and loc[0] == "rd" and loc[1], out[-2000:]
    new = new_body(gwenv.registration(ep, "NEW"))
    assert new["regId"] == loc[1]
    assert new["links"] == [{"url": u, "at": {}} for u in URLS_300]
    assert (new["lt"], new["ver"], new["bnd"]) == (60, "1.0", "U")
    # exactly one NEW for the 55 blocks
    gwenv.settle()
    assert [r.value["kind"] for r in gwenv.regs.records if r.key == {"ep": ep}] == ["NEW"]


def test_block1_registration_from_aiocoap(gwenv):
    payload = links_payload(URLS_300)
    for szx in (2, 6):  # 64-byte blocks (55 of them), 1024-byte blocks (4)
        dev = gwenv.device()
        resp = register_blockwise(dev, payload, szx)
        assert resp.code.dotted == "2.01", (szx, resp)
        # (aiocoap removes Block1 from the final response it returns: the Block1 echo is
        # checked on the wire in the coap-client and raw tests)
        loc = list(resp.opt.location_path)
        assert len(loc) == 2 and loc[0] == "rd" and loc[1]
        new = new_body(gwenv.registration(dev.ep, "NEW"))
        assert new["regId"] == loc[1]
        assert new["links"] == [{"url": u, "at": {}} for u in URLS_300]
        assert new["port"] == dev.port
        # the registration works: a read goes to the device's socket
        rec = gwenv.mgmt.request(dev.ep, "read", "/3/0/0", "TEXT_CODE")
        assert rec.value["rep"]["code"] == "CONTENT"
        assert read_value(rec)["value"] == "ACME"


def _links_of_size(n: int) -> tuple[bytes, list[str]]:
    """A link-format payload of exactly n bytes: </3303/0>,</3303/1>,... then one </x...> link
    padded to fit."""
    urls, body = [], b""
    i = 0
    while True:
        nxt = links_payload(urls + [f"/3303/{i}"])
        if len(nxt) + len(b",</9/0>") > n:
            break
        urls.append(f"/3303/{i}")
        body = nxt
        i += 1
    pad = n - len(body) - len(b",</>")
    last = "/" + "9" * pad
    urls.append(last)
    body = links_payload(urls)
    assert len(body) == n
    return body, urls


def test_block1_over_max_payload_is_413(gateway_factory):
    gwenv = gateway_factory(extra_args=["--coap-max-payload", "1024"])
    # exactly the limit: accepted
    dev = gwenv.device()
    body, urls = _links_of_size(1024)
    resp = register_blockwise(dev, body, 2)
    assert resp.code.dotted == "2.01", resp
    assert new_body(gwenv.registration(dev.ep, "NEW"))["links"] == [{"url": u, "at": {}} for u in urls]

    # one byte more, in 64-byte blocks: blocks 0..15 get 2.31, block 16 (bytes 1024..1025)
    # overflows -> 4.13, seen on the wire
    raw = C.RawCoap(gwenv.gw.coap_port)
    try:
        ep = unique("big-")
        body, _ = _links_of_size(1025)
        opts = C.rd_options("/rd", {"ep": ep, "lt": 60}, 40)
        token = b"\x13\x13"
        for num in range(17):
            chunk = body[num * 64:(num + 1) * 64]
            more = (num + 1) * 64 < len(body)
            mid = raw.next_mid()
            raw.send_raw(C.encode(C.CON, C.POST, mid, token, opts + [(OPT_BLOCK1, block_opt(num, more, 2))], chunk))
            m = raw.recv(3)
            assert m is not None and m.mid == mid and m.token == token, (num, m)
            if num < 16:
                assert m.code_str == "2.31", (num, m)
                assert m.opts(OPT_BLOCK1) == [C._uint(block_opt(num, True, 2))], (num, m)
            else:
                assert m.code_str == "4.13", (num, m)
        # aiocoap, 1024-byte blocks: the second block overflows
        dev2 = gwenv.device()
        resp = register_blockwise(dev2, links_payload(URLS_300), 6)
        assert resp.code.dotted == "4.13", resp

        # the gateway keeps serving: a normal registration works
        gwenv.registered_device()
        gwenv.settle()  # whatever the gateway published for the refused registrations is read
        eps = {r.key["ep"] for r in gwenv.regs.records}
        assert ep not in eps and dev2.ep not in eps
    finally:
        raw.close()
    assert gwenv.gw.alive()


def test_block1_out_of_order_is_408(gwenv):
    raw = C.RawCoap(gwenv.gw.coap_port)
    try:
        ep = unique("ooo-")
        body = links_payload(URLS_300[:18])
        assert len(body) == 187  # blocks 0, 1 of 64 bytes and 2 of 59
        opts = C.rd_options("/rd", {"ep": ep, "lt": 60}, 40)
        token = b"\x0b\x10"

        def send(num, more):
            mid = raw.next_mid()
            raw.send_raw(C.encode(C.CON, C.POST, mid, token, opts + [(OPT_BLOCK1, block_opt(num, more, 2))],
                                  body[num * 64:(num + 1) * 64]))
            m = raw.recv(3)
            assert m is not None and m.mid == mid and m.token == token, (num, m)
            return m

        m = send(0, True)
        assert m.code_str == "2.31" and m.opts(OPT_BLOCK1) == [C._uint(block_opt(0, True, 2))], m
        m = send(2, False)  # block 1 skipped
        assert m.code_str == "4.08", m
        # the assembly is gone: block 1 now is out of order too
        m = send(1, True)
        assert m.code_str == "4.08", m
        gwenv.settle()
        assert [r for r in gwenv.regs.records if r.key == {"ep": ep}] == []

        # starting over from block 0 works
        assert send(0, True).code_str == "2.31"
        assert send(1, True).code_str == "2.31"
        m = send(2, False)
        assert m.code_str == "2.01", m
        # the final response echoes the last block's Block1 (RFC 7959 §2.3)
        assert m.opts(OPT_BLOCK1) == [C._uint(block_opt(2, False, 2))], m
        assert new_body(gwenv.registration(ep, "NEW"))["links"] == [{"url": u, "at": {}} for u in URLS_300[:18]]
    finally:
        raw.close()


# ------------------------------------------------------------------ Block2: reads
BIG = pattern(4096, "R")


def test_block2_read_aiocoap_automatic(gwenv):
    """aiocoap's own Block2: 1024-byte blocks, later blocks from its response cache."""
    dev = device_with_value(gwenv, BIG)
    gwenv.register(dev)
    for cf in ("TEXT_CODE", "TLV"):
        rec = gwenv.mgmt.request(dev.ep, "read", "/3/0/0", cf)
        assert rec.value["rep"]["code"] == "CONTENT", rec
        res = read_value(rec)
        assert (res["id"], res["path"], res["kind"], res["type"]) == (0, "/3/0/0", "SINGLE_RESOURCE", "STRING")
        assert len(res["value"]) == 4096, cf
        assert res["value"] == BIG, cf


def test_block2_read_small_blocks(gwenv):
    dev = device_with_value(gwenv, BIG)
    node = install_small_blocks(dev, (3, 0, 0), szx=2)  # 64-byte blocks
    gwenv.register(dev)
    for cf, size in (("TEXT_CODE", 4096), ("TLV", len(tlv_entry(3, 0, BIG.encode())))):
        node.blocks_served.clear()
        rec = gwenv.mgmt.request(dev.ep, "read", "/3/0/0", cf)
        assert rec.value["rep"]["code"] == "CONTENT", rec
        assert read_value(rec)["value"] == BIG, cf
        # every block asked for once, in order (TLV: 4 header bytes -> 65 blocks)
        assert node.blocks_served == list(range(-(-size // 64))), (cf, node.blocks_served)


def test_block2_read_over_max_payload(gateway_factory):
    """A Block2 answer larger than --coap-max-payload is not reassembled: an error response,
    and the device is asked for no block past the limit."""
    gwenv = gateway_factory(extra_args=["--coap-max-payload", "1024"])
    dev = device_with_value(gwenv, pattern(2048, "X"))
    node = install_small_blocks(dev, (3, 0, 0), szx=4)  # 256-byte blocks
    gwenv.register(dev)
    rec = gwenv.mgmt.request(dev.ep, "read", "/3/0/0", "TEXT_CODE")
    assert rec.value["rep"]["code"] == "REQUEST_ENTITY_TOO_LARGE", rec
    name, body = branch(rec.value["rep"]["body"])
    assert (name, body) == ("AvroGenericResponse", {"message": f"request to '{dev.ep}' failed: too large"}), rec
    assert node.blocks_served == [0, 1, 2, 3, 4], node.blocks_served
    # the gateway still serves this device
    dev.set((3, 0, 0), "short", notify=False)
    rec = gwenv.mgmt.request(dev.ep, "read", "/3/0/0", "TEXT_CODE")
    assert read_value(rec)["value"] == "short"


# ------------------------------------------------------------------ Block2: notifications
def test_block2_notifications(gwenv):
    first, second, third = pattern(2048, "A"), pattern(2100, "B"), pattern(1999, "C")
    dev = device_with_value(gwenv, first)
    node = install_small_blocks(dev, (3, 0, 0), szx=5)  # 512-byte blocks: 4 or 5 per value
    gwenv.register(dev)
    ticket = gwenv.mgmt.send(dev.ep, "observe", "/3/0/0", "TEXT_CODE")
    rec = gwenv.mgmt.wait_response(ticket)
    assert rec.value["rep"]["code"] == "CONTENT", rec
    assert read_value(rec)["value"] == first
    assert node.blocks_served == [0, 1, 2, 3]
    obs_token = dev.observe_tokens[(3, 0, 0)][0]
    follow_ups = [(num, tok, obs) for num, tok, obs in node.requests if num > 0]
    assert [(num, obs) for num, _, obs in follow_ups] == [(1, None), (2, None), (3, None)], node.requests
    assert all(tok != obs_token for _, tok, _ in follow_ups), \
        f"Block2 follow-ups carry the observation's token {obs_token}: {node.requests}"
    dev.wait_observers((3, 0, 0), 1, timeout=2)
    obs_id = f"[{obs_token}]"

    for value in (second, third):
        node.blocks_served.clear()
        dev.set((3, 0, 0), value)
        n = gwenv.obs.wait_for(lambda r: r.value["ticket"] == ticket and read_value(r)["value"] == value,
                               timeout=10, what=f"notification of {len(value)} bytes")
        assert n.value["observationId"] == obs_id
        assert (n.value["rep"]["kind"], n.value["rep"]["code"]) == ("observe", "CONTENT")
        assert node.blocks_served == list(range(-(-len(value) // 512))), node.blocks_served
        dev.wait_observers((3, 0, 0), 1, timeout=2)
    # nothing else (no partial value) was published for this observation
    gwenv.settle()
    values = [read_value(r)["value"] for r in gwenv.obs.records if r.value["ticket"] == ticket]
    assert values == [second, third]


OPT_BLOCK2 = 23


def test_block2_notifications_raw_device(gwenv):
    """The same exchange with a hand-built device that does not mind the token of the
    follow-ups: the gateway reassembles the first answer and each block-wise notification
    (Observe only in block 0, RFC 7959 §3.4) and publishes the complete values."""
    raw = C.RawCoap(gwenv.gw.coap_port)
    values = [pattern(600, "P"), pattern(700, "Q"), pattern(513, "S")]
    szx, size = 4, 256
    asked: list[tuple[int, bool]] = []  # (block number, Observe present) of every GET

    def answer_blocks(value: str, first_seq: int | None, obs_token: bytes, notify_mid: int | None = None):
        """Serves GETs (block 0 only when first_seq is set and the GET observes) until the
        last block of value was sent."""
        body = value.encode()
        last = -(-len(body) // size) - 1
        while True:
            m = raw.recv(5)
            assert m is not None, f"no request from the gateway; asked so far {asked}"
            if m.code == 0:  # the empty ACK of a CON notification
                assert m.mtype == C.ACK and m.mid == notify_mid, m
                continue
            assert m.code == C.GET and m.uri_path == "/3/0/0", m
            b2 = m.opts(OPT_BLOCK2)
            num = int.from_bytes(b2[0], "big") >> 4 if b2 else 0
            observe = bool(m.opts(C.OPT_OBSERVE))
            asked.append((num, observe))
            opts = [(C.OPT_CONTENT_FORMAT, CF_TEXT),
                    (OPT_BLOCK2, block_opt(num, num < last, szx))]
            if observe and first_seq is not None:
                opts.append((C.OPT_OBSERVE, first_seq))
            raw.send_raw(C.encode(C.ACK, 0x45, m.mid, m.token, opts, body[num * size:(num + 1) * size]))
            if num == last:
                return m.token

    try:
        ep = unique("rawobs-")
        assert raw.register(ep, lt=60, links=b"</3/0>").code_str == "2.01"
        gwenv.registration(ep, "NEW")
        ticket = gwenv.mgmt.send(ep, "observe", "/3/0/0", "TEXT_CODE")
        m = raw.recv(5)
        assert m is not None and m.code == C.GET and m.opts(C.OPT_OBSERVE) == [b""], m
        obs_token = m.token
        # block 0 of the first value with Observe, then the follow-ups
        body = values[0].encode()
        raw.send_raw(C.encode(C.ACK, 0x45, m.mid, m.token,
                              [(C.OPT_OBSERVE, 7), (C.OPT_CONTENT_FORMAT, CF_TEXT),
                               (OPT_BLOCK2, block_opt(0, True, szx))], body[:size]))
        answer_blocks(values[0], None, obs_token)
        assert asked == [(1, False), (2, False)], asked
        rec = gwenv.mgmt.wait_response(ticket)
        assert rec.value["rep"]["code"] == "CONTENT", rec
        assert read_value(rec)["value"] == values[0]
        assert gwenv.gw.metrics().get("zeelos_observations") == 1, "the observation was not registered"

        for seq, value in ((8, values[1]), (9, values[2])):
            asked.clear()
            body = value.encode()
            mid = raw.next_mid()
            raw.send_raw(C.encode(C.CON, 0x45, mid, obs_token,
                                  [(C.OPT_OBSERVE, seq), (C.OPT_CONTENT_FORMAT, CF_TEXT),
                                   (OPT_BLOCK2, block_opt(0, True, szx))], body[:size]))
            answer_blocks(value, None, obs_token, notify_mid=mid)
            assert asked == [(n, False) for n in range(1, -(-len(body) // size))], asked
            n = gwenv.obs.wait_for(lambda r: r.value["ticket"] == ticket and read_value(r)["value"] == value,
                                   timeout=10, what=f"notification of {len(value)} bytes")
            assert n.value["observationId"] == f"[{obs_token.hex()}]"
            assert (n.value["rep"]["kind"], n.value["rep"]["code"]) == ("observe", "CONTENT")
        gwenv.settle()
        got = [read_value(r)["value"] for r in gwenv.obs.records if r.value["ticket"] == ticket]
        assert got == values[1:]
    finally:
        raw.close()


# ------------------------------------------------------------------ Block1: large writes
def test_block1_large_write_to_aiocoap_device(gwenv):
    """A write too big for one datagram (a 5,000-byte OPAQUE firmware package in TLV) leaves the
    gateway in Block1 blocks (RFC 7959 §2.5); aiocoap reassembles them and the device has the
    exact bytes."""
    import os

    from kafka_helpers import write_body
    from lwm2m_device import OPAQUE, default_objects
    objs = default_objects()
    objs[(5, 0)] = {0: [OPAQUE, b""]}
    dev = gwenv.registered_device(objects=objs)
    package = os.urandom(5000)
    import base64
    rep = gwenv.mgmt.request(dev.ep, "write", "/5/0/0", "TLV",
                             body=write_body("/5/0/0", base64.b64encode(package).decode(), "OPAQUE"))
    assert rep.value["rep"]["code"] == "CHANGED", rep.value
    assert bytes(dev.value((5, 0, 0))) == package
