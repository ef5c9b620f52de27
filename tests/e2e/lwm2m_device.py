# SPDX-License-Identifier: Apache-2.0
"""A small LwM2M 1.0 client (device) on aiocoap, for black-box tests of the gateway.

The device serves its objects on a UDP socket bound to 127.0.0.1:<port> and sends its
registration through the SAME socket: an LwM2M server sends its requests to the address and
port the registration came from.

Objects: /1/0 (server), /3/0 (device: 0 "ACME", 4 Reboot executable, 14 UTC offset writable),
/3303/0 and /3303/1 (temperature; 5700 changes every `tick` seconds while ticking).
Formats: text/plain (0) for single resources, TLV (11542) for everything; no Accept means
text/plain for a resource and TLV for an instance or object; anything else is 4.06.
With senml_json_only=True the device is a LwM2M 1.1 client without TLV (optional since 1.1):
it declares ct=110 on a </> root link, answers reads in SenML JSON (110) only (any other Accept
is 4.06) and takes writes in SenML JSON only (any other Content-Format is 4.15).

Everything runs on one asyncio loop in a background thread (AsyncRunner); the device's methods
are synchronous for the tests.
"""
from __future__ import annotations

import asyncio
import base64
import json
import struct
import threading
import time
from dataclasses import dataclass
from typing import Optional

from aiocoap import Context, Message, resource
from aiocoap import numbers

from gateway_proc import free_udp_port

CF_TEXT, CF_LINK, CF_OPAQUE, CF_TLV, CF_JSON = 0, 40, 42, 11542, 11543
CF_SENML_JSON = 110

STRING, INTEGER, FLOAT, BOOLEAN, TIME, OPAQUE, EXEC = "STRING", "INTEGER", "FLOAT", "BOOLEAN", "TIME", "OPAQUE", "EXEC"


# ------------------------------------------------------------------ event loop thread
class AsyncRunner:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="aiocoap-loop", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn, *args):
        self.loop.call_soon_threadsafe(fn, *args)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# ------------------------------------------------------------------ paths: "/3/0/9" <-> (3, 0, 9)
def path_ids(path: str) -> tuple[int, ...]:
    return tuple(int(x) for x in path.strip("/").split("/") if x)


def path_str(ids: tuple) -> str:
    return "/" + "/".join(map(str, ids))


# ------------------------------------------------------------------ TLV (OMA-TS-LightweightM2M 1.0 §6.4.3)
def tlv_value(rtype: str, v) -> bytes:
    if rtype == STRING:
        return v.encode()
    if rtype in (INTEGER, TIME):
        for n in (1, 2, 4, 8):
            if -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
                return v.to_bytes(n, "big", signed=True)
        raise ValueError(v)
    if rtype == FLOAT:
        return struct.pack(">d", v)
    if rtype == BOOLEAN:
        return b"\x01" if v else b"\x00"
    if rtype == OPAQUE:
        return bytes(v)
    raise ValueError(rtype)


def tlv_entry(kind: int, ident: int, value: bytes) -> bytes:
    """kind: 0 object instance, 1 resource instance, 2 multiple resource, 3 resource with value."""
    t = kind << 6
    idb = bytes([ident]) if ident < 256 else struct.pack(">H", ident)
    if ident >= 256:
        t |= 0x20
    n = len(value)
    if n < 8:
        t |= n
        lb = b""
    elif n < 256:
        t |= 0x08
        lb = bytes([n])
    elif n < 65536:
        t |= 0x10
        lb = struct.pack(">H", n)
    else:
        t |= 0x18
        lb = n.to_bytes(3, "big")
    return bytes([t]) + idb + lb + value


def tlv_decode(data: bytes) -> list[tuple[int, int, bytes]]:
    """[(kind, id, value bytes)] of the top-level entries."""
    out, i = [], 0
    while i < len(data):
        t = data[i]
        i += 1
        kind = t >> 6
        if t & 0x20:
            ident = struct.unpack(">H", data[i:i + 2])[0]
            i += 2
        else:
            ident = data[i]
            i += 1
        lt = (t >> 3) & 3
        if lt == 0:
            n = t & 7
        else:
            n = int.from_bytes(data[i:i + lt], "big")
            i += lt
        if i + n > len(data):
            raise ValueError("truncated TLV")
        out.append((kind, ident, data[i:i + n]))
        i += n
    return out


def tlv_parse_value(rtype: str, b: bytes):
    if rtype == STRING:
        return b.decode()
    if rtype in (INTEGER, TIME):
        return int.from_bytes(b, "big", signed=True)
    if rtype == FLOAT:
        return struct.unpack(">f" if len(b) == 4 else ">d", b)[0]
    if rtype == BOOLEAN:
        return b != b"\x00"
    return bytes(b)


def text_value(rtype: str, v) -> bytes:
    if rtype == BOOLEAN:
        return b"1" if v else b"0"
    if rtype == FLOAT:
        return repr(float(v)).encode()
    if rtype == OPAQUE:
        raise ValueError("opaque has no text form")
    return str(v).encode()


def text_parse_value(rtype: str, b: bytes):
    s = b.decode()
    if rtype in (INTEGER, TIME):
        return int(s)
    if rtype == FLOAT:
        return float(s)
    if rtype == BOOLEAN:
        if s not in ("0", "1"):
            raise ValueError(s)
        return s == "1"
    return s


def default_objects() -> dict[tuple[int, int], dict[int, list]]:
    """(object id, instance id) -> {resource id: [type, value]}."""
    return {
        (1, 0): {0: [INTEGER, 123], 1: [INTEGER, 300], 6: [BOOLEAN, False], 7: [STRING, "U"]},
        (3, 0): {0: [STRING, "ACME"], 1: [STRING, "E2E-Model"], 2: [STRING, "SN-0001"],
                 3: [STRING, "1.0.0"], 4: [EXEC, None], 9: [INTEGER, 87], 13: [TIME, 1700000000],
                 14: [STRING, "+01:00"], 16: [STRING, "U"]},
        (3303, 0): {5700: [FLOAT, 21.5], 5701: [STRING, "Cel"]},
        (3303, 1): {5700: [FLOAT, 18.25], 5701: [STRING, "Cel"]},
    }


def senml_record(name: str, rtype: str, v) -> dict:
    """One SenML JSON record (RFC 8428, LwM2M 1.1 §7.4.4) for resource value v."""
    if rtype == STRING:
        return {"n": name, "vs": v}
    if rtype == BOOLEAN:
        return {"n": name, "vb": bool(v)}
    if rtype == OPAQUE:
        return {"n": name, "vd": base64.urlsafe_b64encode(bytes(v)).rstrip(b"=").decode()}
    return {"n": name, "v": v}


def senml_parse_value(rtype: str, rec: dict):
    if rtype == STRING:
        return str(rec["vs"])
    if rtype == BOOLEAN:
        return bool(rec["vb"])
    if rtype == OPAQUE:
        d = rec["vd"]
        return base64.urlsafe_b64decode(d + "=" * (-len(d) % 4))
    if rtype in (INTEGER, TIME):
        if rec["v"] != int(rec["v"]):
            raise ValueError(rec["v"])
        return int(rec["v"])
    return float(rec["v"])


# ------------------------------------------------------------------ resources
class _Node(resource.ObservableResource):
    """One LwM2M path (/o, /o/i or /o/i/r) of a device."""

    def __init__(self, dev: "LwM2MDevice", path: tuple):
        super().__init__()
        self.dev, self.path = dev, path

    def update_observation_count(self, newcount):
        self.dev.observers[self.path] = newcount

    def _instances(self):
        return sorted(k for k in self.dev.objects if k[0] == self.path[0])

    def _encode_instance(self, key) -> bytes:
        out = b""
        for rid, (rtype, v) in sorted(self.dev.objects[key].items()):
            if rtype != EXEC:
                out += tlv_entry(3, rid, tlv_value(rtype, v))
        return out

    def _render_senml(self, accept) -> Message:
        if accept not in (None, CF_SENML_JSON):
            return Message(code=numbers.NOT_ACCEPTABLE)
        keys = [self.path[:2]] if len(self.path) >= 2 else self._instances()
        recs = []
        for (o, i) in keys:
            for rid, (rtype, v) in sorted(self.dev.objects[(o, i)].items()):
                if len(self.path) == 3 and rid != self.path[2]:
                    continue
                if rtype == EXEC:
                    if len(self.path) == 3:
                        return Message(code=numbers.METHOD_NOT_ALLOWED)
                    continue
                recs.append(senml_record(f"/{o}/{i}/{rid}", rtype, v))
        return Message(code=numbers.CONTENT, payload=json.dumps(recs).encode(),
                       content_format=CF_SENML_JSON)

    def _write_senml(self, request) -> Message:
        cf = request.opt.content_format
        if cf is None or int(cf) != CF_SENML_JSON:
            return Message(code=numbers.UNSUPPORTED_CONTENT_FORMAT)
        key = self.path[:2]
        res = self.dev.objects[key]
        vals, bn = [], ""
        for rec in json.loads(request.payload):
            bn = rec.get("bn", bn)
            ids = path_ids(bn + rec.get("n", ""))
            if len(ids) != 3 or ids[:2] != key or ids[2] not in res or res[ids[2]][0] == EXEC:
                return Message(code=numbers.BAD_REQUEST)
            if ids[:len(self.path)] != self.path:
                return Message(code=numbers.BAD_REQUEST)
            vals.append((ids, senml_parse_value(res[ids[2]][0], rec)))
        if not vals:
            return Message(code=numbers.BAD_REQUEST)
        for ids, v in vals:
            self.dev.set(ids, v, notify=True)
        return Message(code=numbers.CHANGED)

    def _render(self, request) -> Message:
        accept = request.opt.accept
        accept = None if accept is None else int(accept)
        if self.dev.senml_json_only:
            return self._render_senml(accept)
        if len(self.path) == 3:
            o, i, r = self.path
            rtype, v = self.dev.objects[(o, i)][r]
            if rtype == EXEC:
                return Message(code=numbers.METHOD_NOT_ALLOWED)
            if accept in (None, CF_TEXT) and rtype != OPAQUE:
                return Message(code=numbers.CONTENT, payload=text_value(rtype, v), content_format=CF_TEXT)
            if accept in (None, CF_OPAQUE) and rtype == OPAQUE:
                return Message(code=numbers.CONTENT, payload=bytes(v), content_format=CF_OPAQUE)
            if accept == CF_TLV:
                return Message(code=numbers.CONTENT, payload=tlv_entry(3, r, tlv_value(rtype, v)),
                               content_format=CF_TLV)
            return Message(code=numbers.NOT_ACCEPTABLE)
        if accept not in (None, CF_TLV):
            return Message(code=numbers.NOT_ACCEPTABLE)
        if len(self.path) == 2:
            payload = self._encode_instance(self.path)
        else:
            payload = b"".join(tlv_entry(0, k[1], self._encode_instance(k)) for k in self._instances())
        return Message(code=numbers.CONTENT, payload=payload, content_format=CF_TLV)

    async def render_get(self, request):
        self.dev.log.append(("GET", self.path, request.opt.accept, request.opt.observe))
        self.dev.queries.append((self.path, tuple(request.opt.uri_query)))
        if request.opt.observe == 0:
            self.dev.observe_tokens.setdefault(self.path, []).append(request.token.hex())
        elif request.opt.observe == 1:
            self.dev.cancel_tokens.setdefault(self.path, []).append(request.token.hex())
        return self._render(request)

    async def render_put(self, request):
        self.dev.log.append(("PUT", self.path, request.opt.content_format, request.payload))
        if request.opt.uri_query and not request.payload:  # Write-Attributes
            self.dev.queries.append((self.path, tuple(request.opt.uri_query)))
            self.dev.attributes.setdefault(self.path, {}).update(
                dict(q.split("=", 1) if "=" in q else (q, None) for q in request.opt.uri_query))
            return Message(code=numbers.CHANGED)
        if len(self.path) != 3 and len(self.path) != 2:
            return Message(code=numbers.METHOD_NOT_ALLOWED)
        return self._write(request)

    def _write(self, request) -> Message:
        if self.dev.senml_json_only:
            try:
                return self._write_senml(request)
            except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
                return Message(code=numbers.BAD_REQUEST)
        cf = request.opt.content_format
        cf = None if cf is None else int(cf)
        key = self.path[:2]
        res = self.dev.objects[key]
        try:
            if len(self.path) == 3:
                rid = self.path[2]
                rtype = res[rid][0]
                if rtype == EXEC:
                    return Message(code=numbers.METHOD_NOT_ALLOWED)
                if cf == CF_TEXT:
                    val = text_parse_value(rtype, request.payload)
                elif cf == CF_TLV:
                    ents = tlv_decode(request.payload)
                    if len(ents) != 1 or ents[0][0] != 3 or ents[0][1] != rid:
                        return Message(code=numbers.BAD_REQUEST)
                    val = tlv_parse_value(rtype, ents[0][2])
                elif cf == CF_OPAQUE and rtype == OPAQUE:
                    val = bytes(request.payload)
                else:
                    return Message(code=numbers.UNSUPPORTED_CONTENT_FORMAT)
                self.dev.set(self.path, val, notify=True)
            else:
                if cf != CF_TLV:
                    return Message(code=numbers.UNSUPPORTED_CONTENT_FORMAT)
                for kind, rid, b in tlv_decode(request.payload):
                    if kind != 3 or rid not in res or res[rid][0] == EXEC:
                        return Message(code=numbers.BAD_REQUEST)
                    self.dev.set(key + (rid,), tlv_parse_value(res[rid][0], b), notify=True)
        except (ValueError, UnicodeDecodeError, struct.error):
            return Message(code=numbers.BAD_REQUEST)
        return Message(code=numbers.CHANGED)

    async def render_post(self, request):
        self.dev.log.append(("POST", self.path, request.opt.content_format, request.payload))
        if len(self.path) == 3:
            o, i, r = self.path
            if not self.dev.resource_post or self.dev.objects[(o, i)][r][0] != EXEC:
                return Message(code=numbers.METHOD_NOT_ALLOWED)
            self.dev.executions.append((self.path, bytes(request.payload)))
            return Message(code=numbers.CHANGED)
        if len(self.path) == 2:
            return self._write(request)
        return Message(code=numbers.METHOD_NOT_ALLOWED)

    async def render_delete(self, request):
        self.dev.log.append(("DELETE", self.path, None, request.payload))
        return Message(code=numbers.METHOD_NOT_ALLOWED)


@dataclass
class CoapResult:
    code: str                      # "2.01"
    location: str                  # "rd/abc" (Location-Path joined), "" if none
    payload: bytes

    @property
    def reg_id(self) -> str:
        parts = self.location.split("/")
        return parts[-1] if len(parts) == 2 and parts[0] == "rd" else ""


class LwM2MDevice:
    def __init__(self, runner: AsyncRunner, ep: str, server_port: int, server_host: str = "127.0.0.1",
                 objects: Optional[dict] = None, tick: float = 0.5, resource_post: bool = True,
                 senml_json_only: bool = False):
        """resource_post False: a client that refuses every POST on a single resource with 4.05
        (logged, never executed), so a write that reaches a resource as POST fails visibly.
        senml_json_only True: a LwM2M 1.1 client without TLV (see the module doc)."""
        self.runner, self.ep = runner, ep
        self.resource_post = resource_post
        self.senml_json_only = senml_json_only
        self.server = f"coap://{server_host}:{server_port}"
        self.objects = objects if objects is not None else default_objects()
        self.tick = tick
        self.port = 0
        self.ctx: Optional[Context] = None
        self.nodes: dict[tuple, _Node] = {}
        self.observers: dict[tuple, int] = {}
        self.observe_tokens: dict[tuple, list[str]] = {}  # tokens of GETs with Observe 0 (register)
        self.cancel_tokens: dict[tuple, list[str]] = {}   # tokens of GETs with Observe 1 (cancel)
        self.history: dict[tuple, list] = {}
        self.executions: list[tuple] = []
        self.log: list[tuple] = []
        self.queries: list[tuple] = []  # (path, Uri-Query options) of every GET and Write-Attributes
        self.attributes: dict[tuple, dict] = {}  # path -> attributes written (None = removed)
        self.location = ""
        self._ticker: Optional[asyncio.Task] = None

    # ---- lifecycle
    def start(self, port: int = 0) -> "LwM2MDevice":
        self.runner.run(self._start(port))
        return self

    def extra_resources(self) -> list:
        """[(uri path list, resource)] a subclass serves besides the objects."""
        return []

    async def _start(self, port: int):
        site = resource.Site()
        for path, res in self.extra_resources():
            site.add_resource(path, res)
        objs = sorted({k[0] for k in self.objects})
        for o in objs:
            self.nodes[(o,)] = _Node(self, (o,))
            site.add_resource([str(o)], self.nodes[(o,)])
        for (o, i), res in self.objects.items():
            self.nodes[(o, i)] = _Node(self, (o, i))
            site.add_resource([str(o), str(i)], self.nodes[(o, i)])
            for r, (rtype, v) in res.items():
                self.nodes[(o, i, r)] = _Node(self, (o, i, r))
                site.add_resource([str(o), str(i), str(r)], self.nodes[(o, i, r)])
                if rtype != EXEC:
                    self.history[(o, i, r)] = [v]
        last = None
        for _ in range(5):
            self.port = port or free_udp_port()
            try:
                self.ctx = await Context.create_server_context(site, bind=("127.0.0.1", self.port),
                                                               transports=["udp6"])
                return
            except OSError as e:  # lost a race for the free port: pick another
                last = e
                if port:
                    raise
        raise last

    def replace_node(self, path: tuple, node: resource.Resource) -> resource.Resource:
        """Serves node at path (/o, /o/i or /o/i/r) instead of the default one; returns node."""
        async def _swap():
            self.ctx.serversite.add_resource([str(p) for p in path], node)
            self.nodes[path] = node
        self.runner.run(_swap())
        return node

    def stop(self):
        self.stop_ticking()
        if self.ctx is not None:
            self.runner.run(self.ctx.shutdown())
            self.ctx = None

    # ---- model
    def value(self, path: tuple):
        o, i, r = path
        return self.objects[(o, i)][r][1]

    def set(self, path: tuple, value, notify: bool = True):
        """Sets a resource value (call from any thread); notifies observers of it and its parents."""
        def _do():
            o, i, r = path
            self.objects[(o, i)][r][1] = value
            self.history.setdefault(path, []).append(value)
            if notify:
                for p in (path, path[:2], path[:1]):
                    n = self.nodes.get(p)
                    if n is not None:
                        n.updated_state()
        if threading.current_thread() is self.runner.thread:
            _do()
        else:
            self.runner.run(self._async(_do))

    @staticmethod
    async def _async(fn):
        fn()

    def start_ticking(self, path: tuple = (3303, 0, 5700), step: float = 0.25):
        """Changes a FLOAT resource by `step` every self.tick seconds (notifying observers)."""
        async def _tick():
            while True:
                await asyncio.sleep(self.tick)
                self.set(path, round(self.value(path) + step, 2))
        self.runner.call(lambda: setattr(self, "_ticker", self.runner.loop.create_task(_tick())))

    def stop_ticking(self):
        t = self._ticker
        if t is not None:
            self.runner.call(t.cancel)
            self._ticker = None

    def links(self) -> bytes:
        root = b"</>;rt=\"oma.lwm2m\";ct=110," if self.senml_json_only else b""
        return root + ",".join(f"</{o}/{i}>" for (o, i) in sorted(self.objects)).encode()

    # ---- registration interface (client side), through the serving socket
    async def _request(self, code, uri: str, payload: bytes = b"", content_format=None, timeout: float = 10.0):
        msg = Message(code=code, uri=uri, payload=payload)
        if content_format is not None:
            msg.opt.content_format = content_format
        resp = await asyncio.wait_for(self.ctx.request(msg).response, timeout)
        loc = "/".join(resp.opt.location_path)
        return CoapResult(resp.code.dotted, loc, bytes(resp.payload))

    def register(self, lt: Optional[int] = 60, links: Optional[bytes] = None, binding: str = "U",
                 version: str = "1.0", extra: str = "", timeout: float = 10.0) -> CoapResult:
        q = f"ep={self.ep}"
        if lt is not None:
            q += f"&lt={lt}"
        q += f"&lwm2m={version}&b={binding}{extra}"
        r = self.runner.run(self._request(numbers.POST, f"{self.server}/rd?{q}",
                                          self.links() if links is None else links, CF_LINK, timeout),
                            timeout + 5)
        if r.code == "2.01":
            self.location = r.location
        return r

    def update(self, lt: Optional[int] = None, links: Optional[bytes] = None, location: Optional[str] = None,
               timeout: float = 10.0, binding: Optional[str] = None) -> CoapResult:
        loc = location or self.location
        q = ([f"lt={lt}"] if lt is not None else []) + ([f"b={binding}"] if binding is not None else [])
        uri = f"{self.server}/{loc}" + ("?" + "&".join(q) if q else "")
        return self.runner.run(self._request(numbers.POST, uri, links or b"",
                                             CF_LINK if links else None, timeout), timeout + 5)

    def deregister(self, location: Optional[str] = None, timeout: float = 10.0) -> CoapResult:
        loc = location or self.location
        return self.runner.run(self._request(numbers.DELETE, f"{self.server}/{loc}", timeout=timeout),
                               timeout + 5)

    def wait_observers(self, path: tuple, n: int, timeout: float = 10.0) -> None:
        deadline = time.time() + timeout
        while self.observers.get(path, 0) != n:
            if time.time() > deadline:
                raise AssertionError(f"{path}: {self.observers.get(path, 0)} observers, wanted {n}")
            time.sleep(0.05)
