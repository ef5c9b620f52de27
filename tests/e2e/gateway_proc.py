# SPDX-License-Identifier: Apache-2.0
"""Runs `zeelos gateway` as a subprocess for black-box tests.

The gateway is started with flags only (every ZEELOS_* variable of the test environment is
removed from its environment: e.g. ZEELOS_KAFKA_PORT would otherwise reach librdkafka as the
unknown property "port"). It is ready when GET /healthz answers 200.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

import requests

ROOT = Path(__file__).resolve().parents[2]


def unique(prefix: str) -> str:
    """prefix + 10 random hex digits: endpoint names and gateway ids that never repeat."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def now_ms() -> int:
    return int(time.time() * 1000)


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05,
               what: str = "condition") -> Any:
    """Polls pred until it returns something true (returned) or timeout seconds passed (fails)."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def zeelos_bin() -> Path:
    p = Path(os.environ.get("ZEELOS_BIN", "build/zeelos"))
    return p if p.is_absolute() else ROOT / p


def child_env() -> dict[str, str]:
    """The environment for a zeelos process: os.environ without ZEELOS_* (see above)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ZEELOS_")}


def start_zeelos_device(coap_port: int, *args: str, stderr=subprocess.PIPE, text: bool = False) -> subprocess.Popen:
    """`zeelos device` against the gateway's CoAP port on 127.0.0.1; args: its other flags (--ep ...).
    The caller owns the process (SIGINT stops it and its workers)."""
    return subprocess.Popen([str(zeelos_bin()), "device", "--server", f"coap://127.0.0.1:{coap_port}", *args],
                            env=child_env(), stdout=subprocess.DEVNULL, stderr=stderr, text=text)


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text exposition -> {metric name: sum over all label sets}."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if m:
            try:
                out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(3))
            except ValueError:
                pass
    return out


def spawn_healthy(name: str, argv: list[str], log_path: Path, health_url: str, timeout: float,
                  log_tail, cwd: Optional[str] = None, echo_argv: bool = False) -> subprocess.Popen:
    """Starts argv (output to log_path) and waits until health_url answers 200.  A process that
    exits, or is not healthy within timeout (it is then killed), fails with log_tail()."""
    with open(log_path, "wb") as logf:
        if echo_argv:
            logf.write(("$ " + " ".join(argv) + "\n").encode())
            logf.flush()
        proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=child_env(), cwd=cwd)
    deadline = time.time() + timeout
    while True:
        rc = proc.poll()
        if rc is not None:
            raise AssertionError(f"{name} exited with {rc} during start-up:\n{log_tail()}")
        try:
            if requests.get(health_url, timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if time.time() > deadline:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            raise AssertionError(f"{name} {health_url} not 200 within {timeout}s:\n{log_tail()}")
        time.sleep(0.05)


class RoleProcess:
    """What every role-process wrapper (gateway, sink) shares: self.proc from spawn_healthy, and
    killed, set by kill() so teardown tells a crash from the test's own SIGKILL."""
    proc: Optional[subprocess.Popen] = None
    killed = False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n: int = 60) -> str:
        """The last n lines of every log this process wrote (self.log_paths, one per start)."""
        out = []
        for p in getattr(self, "log_paths", []):
            try:
                lines = p.read_text(errors="replace").splitlines()
            except OSError:
                continue
            out.append(f"---- {p} (last {n} lines)\n" + "\n".join(lines[-n:]))
        return "\n".join(out) or "(no log)"

    def kill(self) -> None:
        """SIGKILL, no flush, no commit: what a crash or a power cut looks like."""
        if self.alive():
            self.killed = True
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def stop_process(proc: Optional[subprocess.Popen], timeout: float = 15.0) -> Optional[int]:
    """SIGTERM and wait; SIGKILL after timeout. Returns the exit code (None: never started)."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


class Gateway(RoleProcess):
    def __init__(self, gw_id: str, kafka: str, registry_url: str, data_dir: Path, log_dir: Path,
                 extra_args: Optional[list[str]] = None, coap_port: Optional[int] = None,
                 http_port: Optional[int] = None, coaps_port: Optional[int] = None):
        self.id = gw_id
        self.kafka = kafka
        self.registry_url = registry_url
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir)
        self.extra_args = list(extra_args or [])
        self.coap_port = coap_port or free_udp_port()
        self.coaps_port = coaps_port or free_udp_port()  # DTLS (coaps), a port of its own too
        self.http_port = http_port or free_tcp_port()
        self.proc: Optional[subprocess.Popen] = None
        self.killed = False          # the current process was killed on purpose (kill -9)
        self.starts = 0
        self.log_path: Optional[Path] = None
        self.log_paths: list[Path] = []
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def argv(self) -> list[str]:
        return [str(zeelos_bin()), "gateway",
                "--id", self.id,
                "--coap-host", "127.0.0.1", "--coap-port", str(self.coap_port),
                "--coaps-port", str(self.coaps_port),
                "--http-host", "127.0.0.1", "--http-port", str(self.http_port),
                "--kafka", self.kafka,
                "--schema-registry", self.registry_url,
                "--data-dir", str(self.data_dir),
                *self.extra_args]

    def start(self, timeout: float = 30.0) -> "Gateway":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        self.killed = False
        self.log_path = self.log_dir / f"gateway-{self.id}-{self.starts}.log"
        self.log_paths.append(self.log_path)
        self.proc = spawn_healthy("gateway", self.argv(), self.log_path, f"{self.http}/healthz", timeout,
                                  self.log_tail, cwd=str(self.data_dir))
        return self

    def stop(self, timeout: float = 15.0) -> Optional[int]:
        """SIGTERM and wait; SIGKILL after timeout. Returns the exit code."""
        return stop_process(self.proc, timeout)

    def restart(self, timeout: float = 30.0) -> "Gateway":
        self.kill()
        return self.start(timeout)

    def metrics(self) -> dict[str, float]:
        r = requests.get(f"{self.http}/metrics", timeout=5)
        assert r.status_code == 200, f"/metrics answered {r.status_code}"
        return parse_metrics(r.text)

    def wait_metric(self, name: str, pred: Callable[[float], bool], timeout: float = 15.0,
                    what: str = "") -> float:
        """Polls /metrics until pred(value of name, 0 while absent) holds; returns the value."""
        seen: list[float] = []

        def ok():
            seen.append(self.metrics().get(name, 0.0))
            return pred(seen[-1])
        try:
            wait_until(ok, timeout, interval=0.05, what=what or name)
        except AssertionError as e:
            raise AssertionError(f"{e} ({name} last {seen[-1] if seen else None})") from None
        return seen[-1]

    def wait_producer_idle(self, timeout: float = 15.0) -> None:
        """Until Kafka acknowledged every record the gateway has produced so far (nothing in flight)."""
        self.wait_metric("zeelos_kafka_inflight_bytes", lambda v: v == 0, timeout, "the producer to drain")



def coap_client_bin() -> Optional[str]:
    for name in ("coap-client", "coap-client-notls", "coap-client-openssl", "coap-client-gnutls"):
        p = shutil.which(name)
        if p:
            return p
    return None


def coap_client(method: str, uri: str, payload: Optional[str] = None, content_format: Optional[int] = None,
                timeout: int = 5, local_port: Optional[int] = None) -> tuple[str, list[str], str]:
    """Runs libcoap's coap-client; returns (response code "2.01", Location-Path segments, output).
    local_port: send from this UDP port (-p), e.g. to update a registration from the address
    that made it."""
    exe = coap_client_bin()
    assert exe, "libcoap's coap-client is not installed (Debian: libcoap3-bin)"
    argv = [exe, "-m", method, "-v", "6", "-B", str(timeout)]
    if local_port is not None:
        argv += ["-p", str(local_port)]
    if content_format is not None:
        argv += ["-t", str(content_format)]
    if payload is not None:
        argv += ["-e", payload]
    argv.append(uri)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 5)
    out = p.stdout + p.stderr
    code, loc = "", []
    for line in out.splitlines():
        m = re.search(r"\bv:1 t:(ACK|CON|NON|RST) c:(\d\.\d\d)\b", line)
        if m:
            code = m.group(2)
            loc = re.findall(r"Location-Path:([^,\s\]]+)", line)
    return code, loc, out


def e2e_conftest():
    """The e2e suite's conftest.py as a module, loaded once, so that other suites (sinks,
    analytics, console, dtls) re-export its session fixtures: the broker, the registry."""
    import importlib.util
    import sys
    mod = sys.modules.get("e2e_conftest")
    if mod is None:
        spec = importlib.util.spec_from_file_location("e2e_conftest", Path(__file__).resolve().parent / "conftest.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["e2e_conftest"] = mod
        spec.loader.exec_module(mod)
    return mod
