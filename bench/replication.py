#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Edge -> cloud replication through MirrorMaker 2 (issue 11 item 5), against the sites of
scripts/sites.sh (ZEELOS_GATEWAYS must include the gateway id used here, "bench"):

  1. steady lag: records produced to iot.bench.observations at the edge at a fixed rate for
     --seconds; each carries its send time; the lag of a record is when a cloud consumer got it
     minus when it was sent (one clock: one machine).  p50 / p99 / max per rate.
  2. catch-up: MirrorMaker stopped for --cut seconds while the edge keeps producing at the
     lower rate, then started again: how long until the cloud has every record, counted from
     the start command (MirrorMaker's own start-up included) and from its first copied record.
  3. resident memory of every process of the topology.

Usage: bench/replication.py [--rates 1000,10000] [--seconds 30] [--cut 300]
"""
from __future__ import annotations

import argparse
import os
import statistics
import struct
import subprocess
import threading
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[1]
EDGE, CLOUD = "127.0.0.1:9592", "127.0.0.1:9692"
TOPIC = "iot.bench.observations"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


class CloudReader(threading.Thread):
    """Consumes TOPIC in the cloud; records (run id -> [lag ms]) and arrival counts."""

    def __init__(self):
        super().__init__(daemon=True)
        self.lags: dict[bytes, list[float]] = {}
        self.first_at: dict[bytes, float] = {}
        self.stop = False
        self.c = Consumer({"bootstrap.servers": CLOUD, "group.id": f"bench-{uuid.uuid4().hex}",
                           "auto.offset.reset": "earliest", "fetch.wait.max.ms": 10})
        self.c.subscribe([TOPIC])

    def run(self):
        while not self.stop:
            m = self.c.poll(0.1)
            if m is None or m.error():
                continue
            now = time.time()
            run, sent = m.value()[:8], struct.unpack(">d", m.value()[8:16])[0]
            self.lags.setdefault(run, []).append((now - sent) * 1000)
            self.first_at.setdefault(run, now)
        self.c.close()


def produce(rate: int, seconds: float, run: bytes) -> int:
    p = Producer({"bootstrap.servers": EDGE, "linger.ms": 5, "enable.idempotence": True})
    n, t0 = 0, time.time()
    while True:
        now = time.time()
        if now - t0 >= seconds:
            break
        due = int((now - t0) * rate)
        while n < due:
            p.produce(TOPIC, key=f"dev-{n % 1000}".encode(), value=run + struct.pack(">d", time.time()) + b"x" * 100)
            n += 1
            if n % 1000 == 0:
                p.poll(0)
        time.sleep(0.001)
    assert p.flush(60) == 0
    return n


def wait_all(reader: CloudReader, run: bytes, n: int, timeout: float) -> None:
    end = time.time() + timeout
    while len(reader.lags.get(run, [])) < n and time.time() < end:
        time.sleep(0.05)


def rss_table() -> list[tuple[str, int]]:
    rows = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            rss = next(int(ln.split()[1]) for ln in Path(f"/proc/{pid}/status").read_text().splitlines()
                       if ln.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
        if "kafka.Kafka" in cmd:
            name = "Kafka broker (edge)" if "/edge/" in cmd else "Kafka broker (cloud)" if "/cloud/" in cmd else None
        elif "connect.mirror.MirrorMaker" in cmd:
            name = "MirrorMaker 2"
        elif " registry " in cmd and "--port 8581" in cmd:
            name = "zeelos registry (edge)"
        elif " registry " in cmd and "--port 8681" in cmd:
            name = "zeelos registry (cloud)"
        else:
            name = None
        if name:
            rows.append((name, rss))
    return sorted(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="1000,10000")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--cut", type=float, default=300)
    a = ap.parse_args()
    admin = AdminClient({"bootstrap.servers": EDGE})
    for f in admin.create_topics([NewTopic(TOPIC, 1, 1)]).values():
        try:
            f.result(15)
        except Exception:  # noqa: BLE001 - exists
            pass
    reader = CloudReader()
    reader.start()
    # MirrorMaker picks the topic up within refresh.topics.interval.seconds: warm up first
    warm = uuid.uuid4().bytes[:8]
    n = produce(100, 2, warm)
    wait_all(reader, warm, n, 60)
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())}, records of 116 bytes, keyed over 1000 keys")
    for rate in (int(r) for r in a.rates.split(",")):
        run = uuid.uuid4().bytes[:8]
        n = produce(rate, a.seconds, run)
        wait_all(reader, run, n, 120)
        lags = reader.lags.get(run, [])
        print(f"steady {rate}/s for {a.seconds:.0f} s: {len(lags)} of {n} arrived; lag p50 {pct(lags, 50):.0f} ms, "
              f"p99 {pct(lags, 99):.0f} ms, max {max(lags):.0f} ms, mean {statistics.mean(lags):.0f} ms")
    for name, rss in rss_table():
        print(f"memory {name}: {rss / 1024:.0f} MiB RSS")
    if a.cut > 0:
        rate = int(a.rates.split(",")[0])
        env = dict(os.environ, ZEELOS_GATEWAYS=os.environ.get("ZEELOS_GATEWAYS", "bench"))
        mirror = lambda cmd: subprocess.run(["bash", str(ROOT / "scripts" / "mirror.sh"), cmd], env=env,  # noqa: E731
                                            capture_output=True, text=True, check=True)
        run = uuid.uuid4().bytes[:8]
        mirror("down")
        n = produce(rate, a.cut, run)
        t_start = time.time()
        mirror("up")
        t_up = time.time()
        wait_all(reader, run, n, 600)
        got = len(reader.lags.get(run, []))
        done = time.time()
        first = reader.first_at.get(run, done)
        print(f"cut {a.cut:.0f} s at {rate}/s: {n} records waiting; all {got} in the cloud {done - t_start:.1f} s after "
              f"`mirror.sh up` (MirrorMaker start {t_up - t_start:.1f} s), {done - first:.1f} s after the first "
              f"copied one ({got / max(done - first, 0.001):.0f} records/s)")
    reader.stop = True
    reader.join(5)


if __name__ == "__main__":
    main()
