# SPDX-License-Identifier: Apache-2.0
"""Hand-built CoAP datagrams (RFC 7252) over a plain UDP socket, for tests that need full
control: malformed datagrams, a device that registers and then never answers, exact codes.
"""
from __future__ import annotations

import os
import random
import socket
import struct
import time
from dataclasses import dataclass, field

CON, NON, ACK, RST = 0, 1, 2, 3
GET, POST, PUT, DELETE = 1, 2, 3, 4

OPT_OBSERVE = 6
OPT_LOCATION_PATH = 8
OPT_URI_PATH = 11
OPT_CONTENT_FORMAT = 12
OPT_URI_QUERY = 15
OPT_ACCEPT = 17


def code_str(code: int) -> str:
    return f"{code >> 5}.{code & 0x1F:02d}"


def _opt_nibble(v: int):
    if v < 13:
        return v, b""
    if v < 269:
        return 13, bytes([v - 13])
    return 14, struct.pack(">H", v - 269)


def _uint(v: int) -> bytes:
    if v == 0:
        return b""
    n = (v.bit_length() + 7) // 8
    return v.to_bytes(n, "big")


def encode(mtype: int, code: int, mid: int, token: bytes = b"", options=(), payload: bytes = b"") -> bytes:
    """options: iterable of (number, bytes|str|int); sorted here (stable for repeated options)."""
    out = bytearray([0x40 | (mtype << 4) | len(token), code]) + struct.pack(">H", mid) + token
    prev = 0
    for num, val in sorted(options, key=lambda o: o[0]):
        if isinstance(val, str):
            val = val.encode()
        elif isinstance(val, int):
            val = _uint(val)
        d, dext = _opt_nibble(num - prev)
        ln, lext = _opt_nibble(len(val))
        out += bytes([(d << 4) | ln]) + dext + lext + val
        prev = num
    if payload:
        out += b"\xff" + payload
    return bytes(out)


@dataclass
class Msg:
    mtype: int
    code: int
    mid: int
    token: bytes
    options: list = field(default_factory=list)
    payload: bytes = b""

    @property
    def code_str(self) -> str:
        return code_str(self.code)

    def opts(self, num: int) -> list[bytes]:
        return [v for n, v in self.options if n == num]

    @property
    def location_path(self) -> str:
        return "/".join(v.decode() for v in self.opts(OPT_LOCATION_PATH))

    @property
    def uri_path(self) -> str:
        return "/" + "/".join(v.decode() for v in self.opts(OPT_URI_PATH))


def decode(data: bytes) -> Msg:
    if len(data) < 4:
        raise ValueError("short datagram")
    ver, mtype, tkl = data[0] >> 6, (data[0] >> 4) & 3, data[0] & 0xF
    if ver != 1 or tkl > 8:
        raise ValueError("bad header")
    code = data[1]
    (mid,) = struct.unpack(">H", data[2:4])
    token = data[4:4 + tkl]
    i = 4 + tkl
    opts = []
    num = 0
    while i < len(data):
        if data[i] == 0xFF:
            return Msg(mtype, code, mid, token, opts, data[i + 1:])
        d, ln = data[i] >> 4, data[i] & 0xF
        i += 1
        if d == 13:
            d = data[i] + 13; i += 1
        elif d == 14:
            d = struct.unpack(">H", data[i:i + 2])[0] + 269; i += 2
        if ln == 13:
            ln = data[i] + 13; i += 1
        elif ln == 14:
            ln = struct.unpack(">H", data[i:i + 2])[0] + 269; i += 2
        num += d
        opts.append((num, data[i:i + ln]))
        i += ln
    return Msg(mtype, code, mid, token, opts, b"")


def rd_options(path: str, query: dict | None = None, content_format: int | None = None):
    opts = [(OPT_URI_PATH, seg) for seg in path.strip("/").split("/") if seg]
    for k, v in (query or {}).items():
        opts.append((OPT_URI_QUERY, k if v is None else f"{k}={v}"))
    if content_format is not None:
        opts.append((OPT_CONTENT_FORMAT, content_format))
    return opts


class RawCoap:
    """A UDP socket on 127.0.0.1:<ephemeral>, talking to one server address."""

    def __init__(self, server_port: int, host: str = "127.0.0.1"):
        self.server = (host, server_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.mid = random.randint(1, 0xFFFF)

    def close(self):
        self.sock.close()

    def next_mid(self) -> int:
        self.mid = (self.mid + 1) & 0xFFFF
        return self.mid

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.server)

    def recv(self, timeout: float = 2.0) -> Msg | None:
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65536)
        except socket.timeout:
            return None
        return decode(data)

    def request(self, code: int, path: str, query: dict | None = None, payload: bytes = b"",
                content_format: int | None = None, timeout: float = 3.0, mtype: int = CON) -> Msg:
        """Sends one request and returns its response (piggybacked or separate), or raises."""
        mid, token = self.next_mid(), os.urandom(4)
        self.send_raw(encode(mtype, code, mid, token, rd_options(path, query, content_format), payload))
        deadline = time.time() + timeout
        while (left := deadline - time.time()) > 0:
            m = self.recv(left)
            if m is None:
                break
            if m.token == token and m.code != 0:
                if m.mtype == CON:  # separate response: acknowledge it
                    self.send_raw(encode(ACK, 0, m.mid))
                return m
            if m.mtype == RST and m.mid == mid:
                return m
        raise TimeoutError(f"no response to {code_str(code)} {path} from {self.server} in {timeout}s")

    def register(self, ep: str | None, lt: int | None = 60, links: bytes = b"</1/0>,</3/0>",
                 extra: dict | None = None, **kw) -> Msg:
        q = {}
        if ep is not None:
            q["ep"] = ep
        if lt is not None:
            q["lt"] = lt
        q.update({"lwm2m": "1.0", "b": "U"})
        q.update(extra or {})
        return self.request(POST, "/rd", q, links, content_format=40, **kw)
