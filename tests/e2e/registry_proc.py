# SPDX-License-Identifier: Apache-2.0
"""`zeelos registry` as a subprocess for the tests: started on a free port with its state topic on
the test broker, stopped (SIGTERM) or killed (SIGKILL) on demand, restartable on the same topic."""
from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Optional

import requests

from gateway_proc import free_tcp_port, parse_metrics, spawn_healthy, stop_process, zeelos_bin


class Registry:
    def __init__(self, kafka: str, topic: str, log_dir: Path, port: Optional[int] = None,
                 extra_args: Optional[list[str]] = None):
        self.kafka, self.topic = kafka, topic
        self.port = port or free_tcp_port()
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.extra_args = list(extra_args or [])
        self.proc: Optional[subprocess.Popen] = None
        self.starts = 0
        self.log_path: Optional[Path] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return [str(zeelos_bin()), "registry", "--kafka", self.kafka, "--topic", self.topic,
                "-X", "registry.host=127.0.0.1", "--port", str(self.port), *self.extra_args]

    def start(self, timeout: float = 60.0) -> "Registry":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        self.log_path = self.log_dir / f"registry-{self.port}-{self.starts}.log"
        # it serves HTTP only once it has read its topic to the end
        self.proc = spawn_healthy("registry", self.argv(), self.log_path, f"{self.url}/healthz", timeout,
                                  self.log_tail)
        return self

    def stop(self, timeout: float = 15.0) -> Optional[int]:
        return stop_process(self.proc, timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def metrics(self) -> dict[str, float]:
        r = requests.get(f"{self.url}/metrics", timeout=5)
        assert r.status_code == 200
        return parse_metrics(r.text)

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except (OSError, AttributeError):
            return "(no log)"
