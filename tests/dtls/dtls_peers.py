# SPDX-License-Identifier: Apache-2.0
"""Peers of the DTLS suite: certificates from the openssl CLI, libcoap's coap-client (OpenSSL and
GnuTLS builds) as a one-shot DTLS LwM2M requester, `zeelos security` for credentials, and DTLS 1.2
records built by hand (RFC 6347 section 4.1, 4.2) for what no library client sends."""
from __future__ import annotations

import re
import secrets
import socket
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import requests

from gateway_proc import child_env, zeelos_bin


# ------------------------------------------------------------------ certificates
class Certs:
    """EC P-256 CA, server and client certificates made with `openssl`, cached in a directory."""

    def __init__(self, d: Path):
        self.dir = Path(d)
        self.ca, self.ca_key = self._ca("ca", "zeelos test CA")
        self.rogue_ca, self.rogue_key = self._ca("rogue", "someone else's CA")
        self.server, self.server_key = self.issue("gateway", san="IP:127.0.0.1,DNS:localhost")

    def _run(self, *args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=self.dir)

    def _key(self, name: str) -> Path:
        k = self.dir / f"{name}.key"
        if not k.exists():
            self._run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", k.name)
        return k

    def _ca(self, name: str, cn: str) -> tuple[Path, Path]:
        key, crt = self._key(name), self.dir / f"{name}.pem"
        self._run("req", "-x509", "-new", "-key", key.name, "-subj", f"/CN={cn}", "-days", "2",
                  "-out", crt.name)
        return crt, key

    def issue(self, cn: str, san: Optional[str] = None, rogue: bool = False) -> tuple[Path, Path]:
        """A certificate with subject CN=cn signed by the CA (or the rogue CA): (pem, key)."""
        tag = ("rogue-" if rogue else "") + cn
        crt = self.dir / f"{tag}.pem"
        key = self._key(tag)
        if crt.exists():
            return crt, key
        ca, ca_key = (self.rogue_ca, self.rogue_key) if rogue else (self.ca, self.ca_key)
        self._run("req", "-new", "-key", key.name, "-subj", f"/CN={cn}", "-out", f"{tag}.csr")
        ext = self.dir / f"{tag}.ext"
        ext.write_text(f"subjectAltName={san}\n" if san else "basicConstraints=CA:FALSE\n")
        self._run("x509", "-req", "-in", f"{tag}.csr", "-CA", ca.name, "-CAkey", ca_key.name, "-CAcreateserial",
                  "-days", "2", "-extfile", ext.name, "-out", crt.name)
        return crt, key


# ------------------------------------------------------------------ coap-client
@dataclass
class CoapResult:
    code: Optional[str]      # "2.01", "4.03", ... None: no answer (handshake failed, timeout)
    location: list[str]
    diag: str
    log: str


_PDU = re.compile(r"^v:1 t:(ACK|CON|NON|RST) c:(\d\.\d\d)[^\[]*\[([^\]]*)\](?: :: '(.*)')?", re.M)


def coap(url: str, method: str = "post", payload: Optional[str] = None, cf: Optional[int] = 40,
         psk: Optional[tuple[str, str]] = None, cert: Optional[tuple[Path, Path]] = None,
         ca: Optional[Path] = None, flavor: str = "openssl", local_port: Optional[int] = None,
         timeout: float = 20) -> CoapResult:
    """One request with libcoap's coap-client-<flavor>; psk = (identity, key as text)."""
    argv = [f"coap-client-{flavor}", "-v", "6", "-m", method, "-B", "8"]
    if payload is not None:
        argv += ["-e", payload]
    if cf is not None and payload is not None:
        argv += ["-t", str(cf)]
    if psk:
        argv += ["-u", psk[0], "-k", psk[1]]
    if cert:
        argv += ["-c", str(cert[0]), "-j", str(cert[1])]
    if ca:
        argv += ["-C", str(ca)]
    if local_port:
        argv += ["-p", str(local_port)]
    argv.append(url)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=child_env())
    log = p.stdout + p.stderr
    answers = [m for m in _PDU.finditer(log) if m.group(2)[0] != "0"]  # responses, not the request
    if not answers:
        return CoapResult(None, [], "", log)
    m = answers[-1]
    loc = re.findall(r"Location-Path:([^,\]\s]+)", m.group(3))
    return CoapResult(m.group(2), loc, m.group(4) or "", log)


def register(port: int, ep: str, secure: bool = True, lt: int = 60, **kw) -> CoapResult:
    scheme = "coaps" if secure else "coap"
    kw.setdefault("flavor", "openssl" if secure else "notls")
    return coap(f"{scheme}://127.0.0.1:{port}/rd?ep={ep}&lt={lt}&b=U", payload="</1/0>,</3/0>", **kw)


# ------------------------------------------------------------------ metrics
def metric(env, name: str) -> float:
    """One series of the gateway's /metrics: name with its labels exactly as exposed
    ('zeelos_dtls_handshakes_total{result="ok"}'), 0 while absent."""
    text = requests.get(f"{env.gw.http}/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


# ------------------------------------------------------------------ zeelos security
def security(env, *args: str, extra_env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """`zeelos security ARGS` against env's gateway (its id, broker)."""
    e = child_env()
    e.update(extra_env or {})
    return subprocess.run([str(zeelos_bin()), "security", "--gw", env.id, "--kafka", env.bootstrap, *args],
                          capture_output=True, text=True, timeout=60, env=e)


def add_psk(env, ep: str, identity: str, key: bytes) -> None:
    p = security(env, "add", ep, "--psk-identity", identity, extra_env={"ZEELOS_PSK_KEY": key.hex()})
    assert p.returncode == 0, p.stderr


# ------------------------------------------------------------------ DTLS records by hand
PSK_AES128_CCM8 = 0xC0A8


def record(ctype: int, body: bytes, epoch: int = 0, seq: int = 0, version: bytes = b"\xfe\xfd") -> bytes:
    return struct.pack("!B2sH6sH", ctype, version, epoch, seq.to_bytes(6, "big"), len(body)) + body


def handshake(mtype: int, body: bytes, msg_seq: int = 0, frag_off: int = 0, frag_len: Optional[int] = None,
              length: Optional[int] = None) -> bytes:
    n = len(body) if length is None else length
    fl = len(body) if frag_len is None else frag_len
    return struct.pack("!B3sH3s3s", mtype, n.to_bytes(3, "big"), msg_seq, frag_off.to_bytes(3, "big"),
                       fl.to_bytes(3, "big")) + body


def client_hello_body(cookie: bytes = b"", suites=(PSK_AES128_CCM8,), extensions: bytes = b"",
                      random: Optional[bytes] = None, cookie_len: Optional[int] = None) -> bytes:
    cs = b"".join(struct.pack("!H", s) for s in suites)
    body = b"\xfe\xfd" + (random or secrets.token_bytes(32)) + b"\x00"
    body += bytes([len(cookie) if cookie_len is None else cookie_len]) + cookie
    body += struct.pack("!H", len(cs)) + cs + b"\x01\x00"
    if extensions:
        body += struct.pack("!H", len(extensions)) + extensions
    return body


def client_hello(cookie: bytes = b"", **kw) -> bytes:
    """The first ClientHello (no cookie: message and record sequence 0), or the second one,
    echoing the cookie (sequence 1), as RFC 6347 section 4.2.1 has a client send them."""
    n = 1 if cookie else 0
    return record(22, handshake(1, client_hello_body(cookie, **kw), msg_seq=n), seq=n)


def hello_verify_cookie(datagram: bytes) -> Optional[bytes]:
    """The cookie of a HelloVerifyRequest datagram (None if it is not one)."""
    if len(datagram) < 13 + 12 + 3 or datagram[0] != 22 or datagram[13] != 3:
        return None
    body = datagram[25:]
    n = body[2]
    return body[3:3 + n]


class RawDtls:
    """A UDP socket speaking hand-made DTLS records to the gateway's coaps port."""

    def __init__(self, port: int):
        self.addr = ("127.0.0.1", port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))

    def send(self, data: bytes) -> None:
        self.s.sendto(data, self.addr)

    def recv(self, timeout: float = 2.0) -> Optional[bytes]:
        self.s.settimeout(timeout)
        try:
            return self.s.recv(4096)
        except socket.timeout:
            return None

    def cookie(self) -> bytes:
        """Runs the cookie exchange (ClientHello, HelloVerifyRequest): the cookie."""
        self.send(client_hello())
        hvr = self.recv(5)
        assert hvr is not None, "no HelloVerifyRequest"
        c = hello_verify_cookie(hvr)
        assert c, hvr[:40].hex()
        return c

    def close(self) -> None:
        self.s.close()

