#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Puts `zeelos bench`'s load on a running Leshan server demo and measures it the same way.

`zeelos bench` counts what reaches Kafka; Leshan's demo does not write to Kafka, so what it
"handled" is counted where the demo hands its data on: its Server-Sent-Events stream
(GET /api/event, the feed of its web UI). Phases, as in src/roles/bench/bench.c:

  1. registrations: start the same fleet command bench starts (`zeelos device --device-bench
     --device-ramp 0 ...`) against Leshan and count REGISTRATION events of its endpoints;
     rate = (N - 1) / (last - first), both times when this process read the event.
  2. observe /3303/0 of every device through the REST API
     (POST /api/clients/<ep>/3303/0/observe?format=TLV), a few HTTP connections in parallel.
  3. notifications for --duration s: NOTIFICATION events whose send time (the device's
     /3303/0/5700, epoch microseconds) lies in the window; per-device sequence numbers (5601)
     give missing / duplicated / late exactly as cmd/benchstat.c does; latency = time read here
     - send time.
  4. drain --drain-ms, heap of the JVM (jcmd GC.heap_info before and after a GC.run), stop the
     fleet with SIGINT (it de-registers) and wait for it.
VmRSS and CPU (utime+stime) of the server process are sampled every second, per phase.
Output: a JSON document (--out) and one summary line on stdout.
"""
import argparse
import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

CLK_TCK = os.sysconf("SC_CLK_TCK")


def now_us():
    return time.time_ns() // 1000


def read_proc(pid):
    """(cpu seconds, VmRSS MiB) of pid, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return cpu, int(line.split()[1]) / 1024.0
    except (OSError, IndexError, ValueError):
        return None
    return None


class SeqStats:
    """Per-device sequence accounting, the rules of zl_seq_add (src/roles/bench/benchstat.c)."""

    def __init__(self, n):
        self.last = [None] * n
        self.window = [0] * n
        self.delivered = self.missing = self.duplicated = self.late = 0

    def add(self, i, seq):
        self.delivered += 1
        last = self.last[i]
        if last is None:
            self.last[i], self.window[i] = seq, 1
        elif seq > last:
            gap = seq - last - 1
            self.window[i] = ((0 if gap + 1 >= 64 else self.window[i] << (gap + 1)) | 1) & (2**64 - 1)
            self.last[i] = seq
            self.missing += gap
        else:
            back = last - seq
            if back < 64 and not self.window[i] >> back & 1:
                self.window[i] |= 1 << back
                if self.missing:
                    self.missing -= 1
                self.late += 1
            else:
                self.duplicated += 1


class Hist:
    """Exact latency quantiles (the runs here hold at most a few hundred thousand values)."""

    def __init__(self):
        self.v = []

    def add(self, x):
        self.v.append(x)

    def summary_ms(self):
        if not self.v:
            return {"count": 0}
        s = sorted(self.v)

        def q(p):
            return s[min(len(s) - 1, max(0, int(p * len(s) + 0.999999) - 1))] / 1000.0

        return {"count": len(s), "p50": q(0.5), "p99": q(0.99), "p99_9": q(0.999), "max": s[-1] / 1000.0}


class EventStream(threading.Thread):
    """Reads the demo's event stream (HTTP/1.0, so the body is not chunked) and counts."""

    EVENT = re.compile(rb"event: ?(\w+)\r?\ndata: ?([^\r\n]*)\r?\n\r?\n")
    REG_EP = re.compile(rb'"endpoint":"([^"]*)"')
    NOTIF_EP = re.compile(rb'^\{"ep":"([^"]*)"')
    R5700 = re.compile(rb'"id":5700,"value":([-+0-9.Ee]+)')
    R5601 = re.compile(rb'"id":5601,"value":([-+0-9.Ee]+)')

    def __init__(self, host, port, prefix, count):
        super().__init__(daemon=True)
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.sendall(f"GET /api/event HTTP/1.0\r\nHost: {host}:{port}\r\n"
                          "Accept: text/event-stream\r\n\r\n".encode())
        self.prefix = prefix.encode() + b"-"
        self.count = count
        self.registered = bytearray(count)
        self.reg_new = self.reg_other = 0
        self.reg_first_us = self.reg_last_us = 0
        self.seq = SeqStats(count)
        self.win_lo = self.win_hi = 0
        self.in_window = 0
        self.e2e = Hist()
        self.foreign = self.other_events = 0
        self.bytes = 0
        self.closed = False
        self.types = {}
        self.examples = {}  # the first event of each kind, in the JSON output

    def dev_index(self, ep):
        if not ep.startswith(self.prefix):
            return -1
        tail = ep[len(self.prefix):]
        if not tail.isdigit():
            return -1
        i = int(tail)
        return i if i < self.count else -1

    def on_event(self, kind, data, t_us):
        if kind not in self.types:
            self.types[kind] = 0
            self.examples[kind.decode()] = data[:400].decode(errors="replace")
        self.types[kind] += 1
        if kind == b"NOTIFICATION":
            m = self.NOTIF_EP.match(data)
            i = self.dev_index(m.group(1)) if m else -1
            t = self.R5700.search(data) if i >= 0 else None
            q = self.R5601.search(data) if t else None
            if not q:
                self.foreign += 1
                return
            send_us = int(float(t.group(1)))
            self.seq.add(i, int(float(q.group(1))))
            if self.win_lo and self.win_lo <= send_us < self.win_hi:
                self.in_window += 1
                self.e2e.add(t_us - send_us)
        elif kind == b"REGISTRATION":
            m = self.REG_EP.search(data)
            i = self.dev_index(m.group(1)) if m else -1
            if i < 0:
                self.reg_other += 1
                return
            if self.registered[i]:
                return
            self.registered[i] = 1
            if not self.reg_new:
                self.reg_first_us = t_us
            self.reg_new += 1
            self.reg_last_us = t_us
        else:
            self.other_events += 1

    def run(self):
        self.sock.settimeout(None)
        buf = b""
        header_done = False
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except OSError:
                break
            if not chunk:
                break
            t_us = now_us()
            self.bytes += len(chunk)
            buf += chunk
            if not header_done:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    continue
                head = buf[:end].lower()
                if b" 200 " not in head.split(b"\r\n", 1)[0] or b"transfer-encoding: chunked" in head:
                    sys.stderr.write(f"leshan_load: unexpected event stream answer: {buf[:end]!r}\n")
                    break
                buf = buf[end + 4:]
                header_done = True
            last = 0
            for m in self.EVENT.finditer(buf):
                self.on_event(m.group(1), m.group(2), t_us)
                last = m.end()
            buf = buf[last:]
        self.closed = True


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.phase = "setup"
        self.samples = []  # (t, phase, cpu %, rss MiB)
        self.t0 = time.monotonic()
        self.stop = threading.Event()

    def sample(self):
        r = read_proc(self.pid)
        if r is None:
            return
        t = time.monotonic() - self.t0
        if self.samples:
            pt, _, _, _, pcpu = self.samples[-1]
            pct = 100.0 * (r[0] - pcpu) / (t - pt) if t > pt else 0.0
        else:
            pct = 0.0
        self.samples.append((t, self.phase, pct, r[1], r[0]))

    def run(self):
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(1.0)

    def phase_stats(self, phase):
        s = [x for x in self.samples[1:] if x[1] == phase]
        if not s:
            return {"cpu_avg_pct": 0.0, "cpu_peak_pct": 0.0, "rss_max_mib": 0.0}
        return {"cpu_avg_pct": sum(x[2] for x in s) / len(s), "cpu_peak_pct": max(x[2] for x in s),
                "rss_max_mib": max(x[3] for x in s)}


def jcmd(pid, *args):
    try:
        return subprocess.run(["jcmd", str(pid), *args], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"jcmd failed: {e}"


def heap_used_mib(text):
    """The 'used' of the garbage-first / serial / parallel heap line of GC.heap_info, MiB."""
    m = re.search(r"heap\s+total\s+(\d+)K,\s+used\s+(\d+)K", text)
    return (int(m.group(2)) / 1024.0, int(m.group(1)) / 1024.0) if m else (None, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zeelos", required=True, help="the zeelos binary (its `device` command is the fleet)")
    ap.add_argument("--server", required=True, help="Leshan's CoAP URI, e.g. coap://127.0.0.1:15691")
    ap.add_argument("--web", default="127.0.0.1:18691", help="host:port of the demo's REST API")
    ap.add_argument("--pid", type=int, required=True, help="the Leshan JVM (sampled)")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--notify-ms", type=int, default=1000)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--drain-ms", type=int, default=3000)
    ap.add_argument("--ep", default="bench")
    ap.add_argument("--observers", type=int, default=16, help="parallel HTTP connections for the observes")
    ap.add_argument("--observe-timeout", type=int, default=120,
                    help="s for the observe phase; devices not observed by then are skipped (counted)")
    ap.add_argument("--fleet-log", default="leshan-fleet.log")
    ap.add_argument("--out", default="")
    a = ap.parse_args()

    host, port = a.web.rsplit(":", 1)
    port = int(port)
    t_start = time.time()
    ev = EventStream(host, port, a.ep, a.count)
    ev.start()
    smp = Sampler(a.pid)
    smp.start()
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    def progress(phase, extra=""):
        s = smp.samples[-1] if smp.samples else (0, "", 0, 0, 0)
        sys.stderr.write(f"leshan {phase:<13} {time.time() - t_start:5.0f}s reg {ev.reg_new}/{a.count} "
                         f"notif {ev.seq.delivered} missing {ev.seq.missing} dup {ev.seq.duplicated} "
                         f"leshan {s[2]:.0f}% {s[3]:.1f} MiB{extra}\n")

    time.sleep(1.1)
    idle_rss = smp.samples[-1][3] if smp.samples else 0.0
    heap_idle = heap_used_mib(jcmd(a.pid, "GC.heap_info"))

    # 1. registrations: the argv of start_fleet() in src/roles/bench/bench.c, with Leshan as the server
    smp.phase = "registrations"
    argv = [a.zeelos, "device", "--server", a.server, "--ep", a.ep, "--count", str(a.count),
            "--device-ramp", "0", "--device-notify-ms", str(a.notify_ms), "--device-lifetime", "3600",
            "--device-workers", "0", "--device-bench", "--log-level", "warn"]
    fleet_start_us = now_us()
    with open(a.fleet_log, "w") as log:
        fleet = subprocess.Popen(argv, stdout=log, stderr=log)
    last, idle_since, next_progress = -1, time.monotonic(), 0
    while not stopping.is_set() and ev.reg_new < a.count:
        time.sleep(0.05)
        if ev.reg_new != last:
            last, idle_since = ev.reg_new, time.monotonic()
        if time.monotonic() - idle_since > 30:
            sys.stderr.write(f"leshan_load: registrations stalled at {ev.reg_new}/{a.count}\n")
            break
        if fleet.poll() is not None:
            sys.stderr.write(f"leshan_load: the fleet exited (see {a.fleet_log})\n")
            break
        if time.monotonic() > next_progress:
            progress("registrations")
            next_progress = time.monotonic() + 1
    r = read_proc(a.pid)  # a sample now, with the fleet registered
    reg_rss = max(r[1] if r else 0.0, smp.phase_stats("registrations")["rss_max_mib"])

    # 2. observe /3303/0 of every device over the REST API
    smp.phase = "observe"
    width = len(str(a.count - 1))
    obs_ok = obs_err = obs_skipped = 0
    obs_lock = threading.Lock()
    local = threading.local()
    errors = {}

    obs_deadline = time.monotonic() + a.observe_timeout

    def observe(i):
        nonlocal obs_ok, obs_err, obs_skipped
        if stopping.is_set() or time.monotonic() > obs_deadline:
            with obs_lock:
                obs_skipped += 1
            return
        ep = f"{a.ep}-{i:0{width}d}"
        for attempt in (1, 2):
            try:
                if not hasattr(local, "c"):
                    local.c = http.client.HTTPConnection(host, port, timeout=30)
                local.c.request("POST", f"/api/clients/{ep}/3303/0/observe?format=TLV&timeout=10")
                r = local.c.getresponse()
                body = r.read()
                ok = r.status == 200 and b'"success":true' in body
                with obs_lock:
                    if ok:
                        obs_ok += 1
                    else:
                        obs_err += 1
                        key = f"{r.status} {body[:80]!r}"
                        errors[key] = errors.get(key, 0) + 1
                return
            except (OSError, http.client.HTTPException) as e:
                local.__dict__.pop("c", None)
                if attempt == 2:
                    with obs_lock:
                        obs_err += 1
                        errors[repr(e)] = errors.get(repr(e), 0) + 1

    t_obs = time.monotonic()
    with ThreadPoolExecutor(a.observers) as pool:
        fut = [pool.submit(observe, i) for i in range(a.count) if ev.registered[i]]
        while any(not f.done() for f in fut[-a.observers:]) and not stopping.is_set():
            time.sleep(1)
            progress("observe", f" observed {obs_ok} ok {obs_err} err {obs_skipped} skipped")
    obs_s = time.monotonic() - t_obs

    # 3. notifications
    smp.phase = "notifications"
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    ev.win_lo = now_us()
    ev.win_hi = ev.win_lo + a.duration * 1_000_000
    while not stopping.is_set() and now_us() < ev.win_hi:
        time.sleep(1)
        progress("notifications")
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    consumer_pct = 100.0 * ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)) / a.duration
    smp.phase = "drain"
    end = time.monotonic() + a.drain_ms / 1000
    while not stopping.is_set() and time.monotonic() < end:
        time.sleep(0.2)
    notif_rss = smp.phase_stats("notifications")["rss_max_mib"]

    # 4. heap, then stop the fleet (it de-registers)
    smp.phase = "stop"
    heap_before = heap_used_mib(jcmd(a.pid, "GC.heap_info"))
    jcmd(a.pid, "GC.run")
    heap_live = heap_used_mib(jcmd(a.pid, "GC.heap_info"))
    histo = [l.strip() for l in jcmd(a.pid, "GC.class_histogram").splitlines()[1:14]]
    fleet.send_signal(signal.SIGINT)
    try:
        fleet.wait(120)
    except subprocess.TimeoutExpired:
        fleet.kill()
        fleet.wait()
    smp.stop.set()
    smp.join()

    reg_span = (ev.reg_last_us - ev.reg_first_us) / 1e6
    reg_rate = (ev.reg_new - 1) / reg_span if ev.reg_new > 1 and reg_span > 0 else 0.0
    reg_all = (ev.reg_last_us - fleet_start_us) / 1e6 if ev.reg_new else 0.0
    notif_rate = ev.in_window / a.duration
    expected = a.count * 1000.0 / a.notify_ms
    phases = ("registrations", "observe", "notifications")
    res = {
        "date_utc": int(t_start),
        "server": "leshan-server-demo",
        "devices": a.count,
        "notify_ms": a.notify_ms,
        "duration_s": a.duration,
        "fleet_argv": argv,
        "registrations": {"count": ev.reg_new, "per_s": reg_rate, "all_registered_s": reg_all},
        "observe": {"ok": obs_ok, "error": obs_err, "skipped_after_timeout": obs_skipped, "seconds": obs_s,
                    "errors": errors},
        "notifications": {"delivered_in_window": ev.in_window, "per_s": notif_rate, "expected_per_s": expected,
                          "delivered": ev.seq.delivered, "missing": ev.seq.missing,
                          "duplicated": ev.seq.duplicated, "late": ev.seq.late, "foreign": ev.foreign,
                          "latency_e2e_ms": ev.e2e.summary_ms()},
        "consumer_cpu_pct_during_window": consumer_pct,
        "events": {k.decode(): v for k, v in ev.types.items()},
        "event_examples": ev.examples,
        "server_process": {"pid": a.pid, "idle_rss_mib": idle_rss, "rss_after_registrations_mib": reg_rss,
                           "rss_max_notifications_mib": notif_rss,
                           "heap_used_mib": {"idle": heap_idle[0], "end": heap_before[0],
                                             "end_after_gc": heap_live[0]},
                           "heap_committed_mib_end_after_gc": heap_live[1],
                           "class_histogram_top": histo,
                           **{p: smp.phase_stats(p) for p in phases},
                           "samples": [{"t": round(t, 2), "phase": ph, "cpu_pct": round(c, 1),
                                        "rss_mib": round(r, 1)} for t, ph, c, r, _ in smp.samples]},
    }
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
    print(f"leshan: {ev.reg_new}/{a.count} registered, {reg_rate:.0f}/s; observed {obs_ok} ok {obs_err} err "
          f"in {obs_s:.1f} s; notifications {notif_rate:.0f}/s of {expected:.0f}/s offered, missing "
          f"{ev.seq.missing} dup {ev.seq.duplicated}; RSS idle {idle_rss:.1f} / registered {reg_rss:.1f} / "
          f"notifications max {notif_rss:.1f} MiB; live heap {heap_live[0]} MiB")
    return 0 if ev.reg_new == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
