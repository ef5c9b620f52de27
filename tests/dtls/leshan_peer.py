# SPDX-License-Identifier: Apache-2.0
"""An LwM2M client on Eclipse Leshan's client library (tests/peers/leshan-client): Californium's
Scandium DTLS against the gateway's OpenSSL. Started as a subprocess; its stdout lines
(READY, REGISTERED <id>, REGISTRATION_FAILED <code> <text>, UPDATED, DEREGISTERED, ...) are the
events the tests wait on; stdin takes `update`, `deregister`, `quit`."""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

from gateway_proc import ROOT, child_env

PEER = ROOT / "tests" / "peers" / "leshan-client"


def build() -> Path:
    """Builds the jar once (Maven, from Maven Central); its path."""
    p = subprocess.run(["bash", str(PEER / "build.sh")], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, f"tests/peers/leshan-client/build.sh failed:\n{p.stdout}\n{p.stderr}"
    jar = Path(p.stdout.strip().splitlines()[-1])
    assert jar.is_file(), jar
    return jar


class LeshanClient:
    def __init__(self, jar: Path, server: str, ep: str, *args: str, log_dir: Path):
        self.ep = ep
        self.lines: list[str] = []
        self.log = open(log_dir / f"leshan-{ep}.log", "w")
        argv = ["java", "-Xmx128m", "-jar", str(jar), "--server", server, "--ep", ep, "--timeout", "10",
                "--retry", "3", *args]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, env=child_env())
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def wait_line(self, *prefixes: str, timeout: float = 40.0, after: int = 0) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.lines[after:]:
                if line.startswith(prefixes):
                    return line
            if self.proc.poll() is not None and not any(l.startswith(prefixes) for l in self.lines[after:]):
                break
            time.sleep(0.05)
        raise AssertionError(f"leshan client {self.ep}: no {prefixes} line in {timeout} s; lines {self.lines}")

    def command(self, cmd: str) -> int:
        """Sends a stdin command; returns how many lines there were before it."""
        n = len(self.lines)
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return n

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.command("quit")
                self.proc.wait(10)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
