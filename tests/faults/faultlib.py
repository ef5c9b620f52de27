# SPDX-License-Identifier: Apache-2.0
"""What the fault suite needs beyond the e2e helpers: the broker of the suite as a process to
kill, freeze and stop, and a fleet of hand-built CoAP devices (coap_raw) whose every
notification is known, so "sent (or acknowledged) vs in Kafka" is exact."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import coap_raw as C
from gateway_proc import unique

ROOT = Path(__file__).resolve().parents[2]
PATH = "/3303/0/5700"
RESULTS: list[dict] = []  # one row per case, printed at the end of the session (conftest)


class Broker:
    """The suite's broker (scripts/kafka.sh with the suite's port and state directory)."""

    def __init__(self):
        self.pidfile = Path(os.environ["ZEELOS_RUN_DIR"]) / "kafka" / "kafka.pid"

    def pid(self) -> int:
        return int(self.pidfile.read_text().strip())

    def kill(self):
        os.kill(self.pid(), signal.SIGKILL)

    def freeze(self):
        os.kill(self.pid(), signal.SIGSTOP)

    def thaw(self):
        os.kill(self.pid(), signal.SIGCONT)

    def down(self):
        subprocess.run([str(ROOT / "scripts" / "kafka.sh"), "down"], check=True, capture_output=True, timeout=120)

    def up(self):
        p = subprocess.run([str(ROOT / "scripts" / "kafka.sh"), "up"], capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr


@dataclass
class Device:
    sock: C.RawCoap
    ep: str
    token: bytes = b""
    ticket: str = ""
    seq: int = 2
    sent: list = field(default_factory=list)   # values sent (NON) or sent at least once (CON)
    acked: set = field(default_factory=set)    # CON values the gateway acknowledged
    pending: dict = field(default_factory=dict)  # CON mid -> [value, datagram, last send, tries]
    loc: str = ""                               # its registration's location (/rd/<id>)


class Fleet:
    """n raw devices, each registered and observed on /3303/0/5700 through Kafka; notifications
    carry increasing values (the value is the sequence number) as NON or CON."""

    def __init__(self, env, n: int, con: bool = False):
        self.env, self.con = env, con
        self.devs: list[Device] = []
        for _ in range(n):
            d = Device(C.RawCoap(env.gw.coap_port), unique("flt-"))
            r = d.sock.register(d.ep, lt=600, links=b"</3303/0>")
            assert r.code_str == "2.01"
            d.loc = r.location_path
            self.devs.append(d)
        for d in self.devs:
            d.ticket = env.mgmt.send(d.ep, "observe", PATH, "TEXT_CODE")
            get = None
            while get is None or get.code != C.GET:
                get = d.sock.recv(10)
                assert get is not None, f"no observe request reached {d.ep}"
            d.token = get.token
            d.sock.send_raw(C.encode(C.ACK, 0x45, get.mid, get.token, [(6, 1), (12, 0)], b"1"))
        for d in self.devs:
            assert env.mgmt.wait_response(d.ticket, 30).value["rep"]["code"] == "CONTENT"

    def _send(self, d: Device, value: int, mid: int, mtype: int) -> bytes:
        dg = C.encode(mtype, 0x45, mid, d.token, [(6, d.seq), (12, 0)], str(value).encode())
        d.sock.send_raw(dg)
        return dg

    def _drain(self):
        socks = {d.sock.sock: d for d in self.devs}
        while True:
            ready, _, _ = select.select(list(socks), [], [], 0)
            if not ready:
                return
            for s in ready:
                d = socks[s]
                try:
                    m = C.decode(s.recv(2048))
                except (OSError, ValueError):
                    continue
                if m.mtype == C.ACK and m.mid in d.pending:
                    d.acked.add(d.pending.pop(m.mid)[0])

    def run(self, seconds: float, rate: float):
        """Sends rate notifications a second, round robin, for seconds.  CON: like an RFC 7641
        server (§4.5), a device has at most one confirmable notification in flight per
        observation: while one waits for its ACK the device's turn passes (its value is not
        sampled); it is retransmitted every 2 s, up to 8 times, and acknowledged ones recorded."""
        end, k, period = time.monotonic() + seconds, 0, 1.0 / rate
        nxt = time.monotonic()
        while time.monotonic() < end:
            d = self.devs[k % len(self.devs)]
            k += 1
            if self.con and d.pending:
                self._drain()
                self._retransmit()
                nxt += period
                time.sleep(max(0.0, nxt - time.monotonic()))
                continue
            value = d.seq
            mid = d.sock.next_mid()
            dg = self._send(d, value, mid, C.CON if self.con else C.NON)
            d.sent.append(value)
            d.seq += 1
            if self.con:
                d.pending[mid] = [value, dg, time.monotonic(), 0]
            self._drain()
            self._retransmit()
            nxt += period
            time.sleep(max(0.0, nxt - time.monotonic()))

    def _retransmit(self):
        now = time.monotonic()
        for d in self.devs:
            for mid, p in list(d.pending.items()):
                if now - p[2] >= 2.0:
                    if p[3] >= 8:
                        del d.pending[mid]  # given up: never acknowledged, not counted as acked
                        continue
                    d.sock.send_raw(p[1])
                    p[2], p[3] = now, p[3] + 1

    def finish(self, timeout: float = 60.0):
        """Keeps retransmitting until every CON is acknowledged or given up."""
        end = time.monotonic() + timeout
        while any(d.pending for d in self.devs) and time.monotonic() < end:
            self._drain()
            self._retransmit()
            time.sleep(0.05)

    def close(self):
        for d in self.devs:
            d.sock.close()

    def in_kafka(self) -> Counter:
        """(ticket, value) -> how many records carry it."""
        self.env.obs.read_to_end(30)
        tickets = {d.ticket for d in self.devs}
        c = Counter()
        for r in self.env.obs.records:
            v = r.value
            if isinstance(v, dict) and v.get("ticket") in tickets and v["rep"]["code"] == "CONTENT":
                c[(v["ticket"], int(v["rep"]["body"][1]["content"][1]["value"]))] += 1
        return c

    def sequences(self) -> dict:
        """ticket -> [(value, Kafka timestamp ms)] in the order Kafka holds them (an endpoint's
        records share a key, hence a partition: offset order is the order consumers see)."""
        tickets = {d.ticket for d in self.devs}
        recs = sorted((r for r in self.env.obs.records
                       if isinstance(r.value, dict) and r.value.get("ticket") in tickets
                       and r.value["rep"]["code"] == "CONTENT"), key=lambda r: (r.partition, r.offset))
        out: dict = {}
        for r in recs:
            out.setdefault(r.value["ticket"], []).append(
                (int(r.value["rep"]["body"][1]["content"][1]["value"]), r.timestamp_ms))
        return out

    def out_of_order(self) -> int:
        """Records that reached Kafka after a younger one of the same device."""
        bad = 0
        for seq in self.sequences().values():
            top = -1
            for v, _ in seq:
                if v < top:
                    bad += 1
                top = max(top, v)
        return bad

    def order_report(self, n: int = 5) -> str:
        """The first n records that came after a younger one: (value, timestamp, the younger one)."""
        out = []
        for t, seq in self.sequences().items():
            top = (-1, 0)
            for v, ts in seq:
                if v < top[0] and len(out) < n:
                    out.append(f"{t}: {v} (ts {ts}) after {top[0]} (ts {top[1]})")
                top = max(top, (v, ts))
        return "; ".join(out)

    def promised(self, since: int = 0) -> set:
        """What must be in Kafka: every NON sent, or every CON acknowledged (values >= since)."""
        out = set()
        for d in self.devs:
            vals = d.acked if self.con else d.sent
            out |= {(d.ticket, v) for v in vals if v >= since}
        return out

    def account(self, case: str, wait: float = 120.0, since: int = 0, refused: float = 0) -> dict:
        """Waits until everything promised is in Kafka (or wait passed), then records and returns
        sent / acknowledged / in Kafka / lost / duplicated for the case."""
        want = self.promised(since)
        end = time.monotonic() + wait
        got = self.in_kafka()
        while not want <= set(got) and time.monotonic() < end:
            time.sleep(1)  # records still in the producer's retries; re-read
            got = self.in_kafka()
        sent = sum(len(d.sent) for d in self.devs)
        row = {"case": case, "sent": sent,
               "acked": sum(len(d.acked) for d in self.devs) if self.con else "-",
               "in_kafka": sum(got.values()), "lost": len(want - set(got)),
               "dup": sum(n - 1 for n in got.values() if n > 1),
               "foreign": len(set(got) - {(d.ticket, v) for d in self.devs for v in d.sent}),
               "refused": refused,
               "missing": sorted(want - set(got))[:10]}  # for the assertion message
        RESULTS.append(row)
        return row
