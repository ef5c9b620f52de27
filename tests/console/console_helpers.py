# SPDX-License-Identifier: Apache-2.0
"""Helpers of the console suite (tests/console): `zeelos console` and `zeelos console-user` as
subprocesses, an API client whose every answer is checked against docs/console-api.yaml
(openapi_check), a Server-Sent Events reader, the users and tokens files, and a reader of the
management requests the console wrote to Kafka (with their headers)."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

import requests
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from gateway_proc import (RoleProcess, child_env, free_tcp_port, parse_metrics, spawn_healthy, stop_process,
                          wait_until, zeelos_bin)
from console_env import PASSWORDS, REQUEST_TIMEOUT_MS, TOKENS  # noqa: F401 (re-exported)
from openapi_check import spec

# the line the spec gives: `console: one-time login: http://127.0.0.1:8088/#otl=<token>`
OTL_RE = re.compile(r"^console: one-time login: (http://127\.0\.0\.1:(\d+)/#otl=([A-Za-z0-9._~+/=-]+))$", re.M)
# what a parser that is not picky finds (test_auth.py asserts the exact form once)
OTL_LOOSE_RE = re.compile(r"one-time login[^\n]*?(http://127\.0\.0\.1:(\d+)/#otl=([A-Za-z0-9._~+/=-]+))")


def now_ms() -> int:
    return int(time.time() * 1000)


# ------------------------------------------------------------------ users and tokens
def console_user(*args: str, password: Optional[str] = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """`zeelos console-user ARGS` with password on stdin."""
    return subprocess.run([str(zeelos_bin()), "console-user", *args], input=(password + "\n") if password else "",
                          capture_output=True, text=True, timeout=timeout, env=child_env())


def add_user(users_file: Path, name: str, role: str, password: str) -> None:
    p = console_user("add", name, "--role", role, "--file", str(users_file), password=password)
    assert p.returncode == 0, f"zeelos console-user add {name} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"


def pbkdf2_line(name: str, role: str, password: str, iterations: int = 1000) -> str:
    """A users-file line made here (hashlib), in the documented format
    `name:role:$pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`."""
    salt = secrets.token_bytes(16)
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"{name}:{role}:$pbkdf2-sha256${iterations}${b64(salt)}${b64(dk)}"


def token_line(name: str, role: str, token: str) -> str:
    return f"{name}:{role}:{hashlib.sha256(token.encode()).hexdigest()}"


# ------------------------------------------------------------------ the console process
class Console(RoleProcess):
    def __init__(self, kafka: str, registry_url: str, gateways: list[str], state_dir: Path, log_dir: Path,
                 users_file: Optional[Path] = None, tokens_file: Optional[Path] = None,
                 extra_args: Optional[list[str]] = None, port: Optional[int] = None, name: str = "console"):
        self.kafka, self.registry_url, self.gateways = kafka, registry_url, list(gateways)
        self.state_dir, self.log_dir = Path(state_dir), Path(log_dir)
        self.users_file = Path(users_file) if users_file else self.state_dir / "users"
        self.tokens_file = tokens_file
        self.extra_args = list(extra_args or [])
        self.port = port or free_tcp_port()
        self.name = name
        self.proc: Optional[subprocess.Popen] = None
        self.log_paths: list[Path] = []
        self.starts = 0
        self.stopped = False
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def tls(self) -> Optional[str]:
        """The certificate file when started with console.tls.cert (HTTPS), else None."""
        a = self.extra_args
        return a[a.index("--console-tls-cert") + 1] if "--console-tls-cert" in a else None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        a = [str(zeelos_bin()), "console",
             "--kafka-bootstrap-servers", self.kafka,
             "--schema-registry-url", self.registry_url,
             "--console-host", "127.0.0.1", "--console-port", str(self.port),
             "--console-state-dir", str(self.state_dir),
             "--console-users-file", str(self.users_file),
             "--console-request-timeout-ms", str(REQUEST_TIMEOUT_MS),
             "--console-gateways", ",".join(self.gateways)]
        if self.tokens_file:
            a += ["--console-tokens-file", str(self.tokens_file)]
        return a + self.extra_args

    def start(self, timeout: float = 45.0) -> "Console":
        assert not self.alive(), "already running"
        self.starts += 1
        self.killed = self.stopped = False
        log = self.log_dir / f"{self.name}-{self.port}-{self.starts}.log"
        self.log_paths.append(log)
        if not self.tls:
            self.proc = spawn_healthy(self.name, self.argv(), log, f"{self.url}/readyz", timeout, self.log_tail,
                                      echo_argv=True)
            return self
        with open(log, "wb") as f:  # HTTPS: readiness asked with the test's certificate as the CA
            f.write(("$ " + " ".join(self.argv()) + "\n").encode())
            f.flush()
            self.proc = subprocess.Popen(self.argv(), stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=child_env())

        def ready():
            assert self.proc.poll() is None, f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
            try:
                return requests.get(f"{self.url}/readyz", timeout=1, verify=self.tls).status_code == 200
            except requests.RequestException:
                return False
        wait_until(ready, timeout, interval=0.1, what=f"{self.name} {self.url}/readyz")
        return self

    def stop(self, timeout: float = 15.0) -> Optional[int]:
        self.stopped = True
        return stop_process(self.proc, timeout)

    def log_text(self) -> str:
        return self.log_paths[-1].read_text(errors="replace") if self.log_paths else ""

    def one_time_login(self, timeout: float = 10.0, exact: bool = False) -> tuple[str, int, str]:
        """(url, port, token) of the one-time login line of the current run's output (exact: in
        the very form the spec gives, else any line that names a one-time login URL)."""
        m = wait_until(lambda: OTL_LOOSE_RE.search(self.log_text()), timeout,
                       what=f"{self.name}'s one-time login line")
        if exact:
            line = next((x for x in self.log_text().splitlines() if "one-time login" in x), "")
            assert OTL_RE.search(self.log_text()), \
                f"the one-time login line is {line!r}, not `console: one-time login: http://127.0.0.1:PORT/#otl=TOKEN`"
        return m.group(1), int(m.group(2)), m.group(3)

    def metrics(self) -> dict[str, float]:
        r = requests.get(f"{self.url}/metrics", timeout=5)
        assert r.status_code == 200
        return parse_metrics(r.text)


# ------------------------------------------------------------------ the API
class Api:
    """A client of one console: a requests session (cookie jar), the CSRF token of its login,
    or a bearer token. Every answer goes through openapi_check.check() unless check=False."""

    def __init__(self, base: str, bearer: Optional[str] = None, verify=True):
        self.base = base.rstrip("/")
        self.http = requests.Session()
        self.verify = verify  # per request: a session's verify loses to REQUESTS_CA_BUNDLE
        self.csrf: Optional[str] = None
        self.bearer = bearer
        self.session: Optional[dict] = None

    def login(self, user: str, password: str, expect: int = 200) -> requests.Response:
        r = self.call("POST", "/api/session", json={"user": user, "password": password}, csrf=False)
        assert r.status_code == expect, f"login {user}: {r.status_code} {r.text}"
        if r.status_code == 200:
            self.session = r.json()
            self.csrf = self.session["csrf"]
        return r

    def login_once(self, token: str) -> requests.Response:
        r = self.call("POST", "/api/session", json={"oneTimeToken": token}, csrf=False)
        if r.status_code == 200:
            self.session = r.json()
            self.csrf = self.session["csrf"]
        return r

    def call(self, method: str, path: str, *, params=None, json: Any = None, data=None, csrf: Any = True,
             headers: Optional[dict] = None, check: bool = True, timeout: float = 40, **kw) -> requests.Response:
        """csrf: True sends the session's token on POST/PUT/DELETE, False none, a string that one."""
        h = dict(headers or {})
        if self.bearer:
            h.setdefault("Authorization", f"Bearer {self.bearer}")
        if method.upper() in ("POST", "PUT", "DELETE", "PATCH"):
            tok = self.csrf if csrf is True else (csrf or None)
            if tok:
                h["X-CSRF-Token"] = tok
        kw.setdefault("verify", self.verify)
        r = self.http.request(method, self.base + path, params=params, json=json, data=data, headers=h,
                              timeout=timeout, **kw)
        if check:
            r.checked = spec().check(r)
        return r

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def put(self, path, **kw):
        return self.call("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    # ---- shortcuts: they assert the status and return the checked JSON
    def ok(self, method: str, path: str, status: int = 200, **kw) -> Any:
        r = self.call(method, path, **kw)
        assert r.status_code == status, f"{method} {path}: wanted {status}, got {r.status_code}: {r.text[:500]}"
        return r.json() if r.content and r.headers.get("Content-Type", "").startswith("application/json") else None

    def error(self, method: str, path: str, status: int, code: str, **kw) -> dict:
        """Asserts an error answer {code, message} with that status and code."""
        r = self.call(method, path, **kw)
        assert r.status_code == status, f"{method} {path}: wanted {status} {code}, got {r.status_code}: {r.text[:500]}"
        assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
        body = r.json()
        spec().validate(body, "#/components/schemas/Error", f"{method} {path} -> {status}")
        assert body["code"] == code, f"{method} {path}: code {body['code']!r}, wanted {code!r}: {body}"
        return body

    def wait_live(self, gw_ids: list[str], timeout: float = 20.0) -> None:
        """Until every gateway of gw_ids is listed with live true (its answers topic assigned:
        before that a device operation is refused 503)."""
        def live():
            got = {g["id"]: g["live"] for g in self.ok("GET", "/api/gateways")}
            return all(got.get(g) for g in gw_ids)
        wait_until(live, timeout, interval=0.1, what=f"gateways {gw_ids} live in the console")

    def client(self, ep: str, gateway: Optional[str] = None) -> dict:
        return self.ok("GET", f"/api/clients/{ep}", params={"gateway": gateway} if gateway else None)

    def wait_client(self, ep: str, pred: Callable[[dict], bool] = lambda c: True, gateway: Optional[str] = None,
                    timeout: float = 15.0, what: str = "") -> dict:
        """Polls GET /api/clients/{ep} until it answers 200 with a client pred accepts."""
        seen = []

        def probe():
            r = self.get(f"/api/clients/{ep}", params={"gateway": gateway} if gateway else None)
            seen[:] = [r.status_code, r.text[:400]]
            return r.status_code == 200 and pred(r.json()) and r.json()
        try:
            return wait_until(probe, timeout, interval=0.1, what=what or f"client {ep} in the console")
        except AssertionError as e:
            raise AssertionError(f"{e}; last answer {seen}") from None

    def op(self, method: str, ep: str, path: str, status: int = 200, **kw) -> dict:
        """A device operation on /api/clients/{ep}{path}; asserts the status; the checked JSON."""
        return self.ok(method, f"/api/clients/{ep}{path}", status, **kw)

    def log(self, limit: int = 1000, endpoint: Optional[str] = None) -> list[dict]:
        """GET /api/log. With endpoint, only the entries of that endpoint are checked against the
        document (the log is console-wide: another test's odd entry must not fail this one)."""
        if endpoint is None:
            return self.ok("GET", "/api/log", params={"limit": limit})
        r = self.get("/api/log", params={"limit": limit}, check=False)
        assert r.status_code == 200 and r.headers.get("Content-Type", "").startswith("application/json"), \
            (r.status_code, r.headers)
        entries = r.json()
        assert isinstance(entries, list), entries
        for i, e in enumerate(entries):
            if isinstance(e, dict) and e.get("endpoint") == endpoint:
                spec().validate(e, "#/components/schemas/LogEntry", f"GET /api/log entry {i}")
        return entries


# ------------------------------------------------------------------ Server-Sent Events
class SseStream:
    """Reads GET /api/events in a thread; keeps every event as (type, data) and checks each data
    against its documented schema (a mismatch is raised by wait_for / assert_clean)."""

    def __init__(self, api: Api, params: Optional[dict] = None):
        self.api = api
        self.events: list[tuple[str, Any]] = []
        self.comments: list[str] = []
        self.errors: list[str] = []
        self.cond = threading.Condition()
        h = {"Accept": "text/event-stream"}
        if api.bearer:
            h["Authorization"] = f"Bearer {api.bearer}"
        self.resp = api.http.get(api.base + "/api/events", params=params, headers=h, stream=True, timeout=(5, 120),
                                 verify=api.verify)
        self.status = self.resp.status_code
        self.content_type = self.resp.headers.get("Content-Type", "")
        self.closed = False
        if self.status == 200:
            spec().check(self.resp)  # status and media type only: the body never ends
            self.thread = threading.Thread(target=self._run, daemon=True, name="sse")
            self.thread.start()

    def _run(self):
        buf = ""
        try:
            for chunk in self.resp.iter_content(chunk_size=None, decode_unicode=False):
                if not chunk:
                    continue
                buf += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")
                while "\n\n" in buf:
                    block, buf = buf.split("\n\n", 1)
                    self._block(block)
        except Exception as e:  # noqa: BLE001 - closed by close(), or the server went away
            if not self.closed:
                with self.cond:
                    self.errors.append(f"stream ended: {e!r}")
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _block(self, block: str):
        etype, data = "message", []
        for line in block.split("\n"):
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                etype = value
            elif field == "data":
                data.append(value)
        if not data:
            return
        text = "\n".join(data)
        with self.cond:
            try:
                obj = json.loads(text)
                spec().check_event(etype, obj)
            except (ValueError, AssertionError) as e:
                self.errors.append(f"event {etype}: {e}")
                obj = text
            self.events.append((etype, obj))
            self.cond.notify_all()

    def assert_clean(self):
        assert not self.errors, "SSE problems:\n" + "\n".join(self.errors[:5])

    def wait_for(self, pred: Callable[[str, Any], bool], timeout: float = 15.0, what: str = "", start: int = 0):
        """The first event (type, data) from index start on for which pred holds; waits for it."""
        deadline = time.time() + timeout
        i = start
        with self.cond:
            while True:
                self.assert_clean()
                while i < len(self.events):
                    t, d = self.events[i]
                    i += 1
                    try:
                        if isinstance(d, dict) and pred(t, d):
                            return t, d
                    except (KeyError, TypeError, IndexError):
                        pass
                left = deadline - time.time()
                if left <= 0 or (self.closed and i >= len(self.events)):
                    tail = "\n  ".join(f"{t}: {json.dumps(d)[:300]}" for t, d in self.events[-8:])
                    raise AssertionError(f"no SSE event {what} within {timeout}s "
                                         f"({len(self.events)} events{', stream closed' if self.closed else ''}); "
                                         f"last ones:\n  {tail}")
                self.cond.wait(min(left, 0.5))

    def wait_n(self, pred: Callable[[str, Any], bool], n: int, timeout: float = 15.0, what: str = "") -> list:
        deadline = time.time() + timeout
        while True:
            got = self.matching(pred)
            if len(got) >= n:
                return got
            if time.time() > deadline:
                raise AssertionError(f"{len(got)} of {n} SSE events {what} within {timeout}s: {got[-5:]}")
            with self.cond:
                self.assert_clean()
                self.cond.wait(0.3)

    def matching(self, pred) -> list:
        out = []
        with self.cond:
            evs = list(self.events)
        for t, d in evs:
            try:
                if isinstance(d, dict) and pred(t, d):
                    out.append((t, d))
            except (KeyError, TypeError, IndexError):
                pass
        return out

    def close(self):
        """Ends the stream: the socket is shut down first (a close() alone waits for the reading
        thread, which waits for the next event)."""
        self.closed = True
        sock = None
        try:
            conn = getattr(self.resp.raw, "_connection", None)
            sock = getattr(conn, "sock", None)
            if sock is None:
                sock = self.resp.raw._fp.fp.raw._sock  # http.client's socket reader
        except AttributeError:
            pass
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        thread = getattr(self, "thread", None)
        if thread is not None:
            thread.join(5)
        try:
            self.resp.close()
        except Exception:  # noqa: BLE001
            pass


# ------------------------------------------------------------------ the requests in Kafka
def request_record(bootstrap: str, codec, topic: str, ticket: str, timeout: float = 15.0):
    """(decoded value, headers dict) of the record on topic whose value's ticket is ticket."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"console-t-{secrets.token_hex(6)}",
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        md = c.list_topics(topic, timeout=10)
        parts = sorted(md.topics[topic].partitions) if topic in md.topics else [0]
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
        deadline = time.time() + timeout
        seen = 0
        while time.time() < deadline:
            for m in c.consume(num_messages=500, timeout=0.3):
                if m.error():
                    continue
                seen += 1
                try:
                    _, value = codec.decode(m.value())
                except Exception:  # noqa: BLE001 - not ours to judge here
                    continue
                if isinstance(value, dict) and value.get("ticket") == ticket:
                    hdrs = {}
                    for k, v in m.headers() or []:
                        hdrs[k] = v.decode(errors="replace") if isinstance(v, bytes) else v
                    return value, hdrs
        raise AssertionError(f"no record with ticket {ticket!r} on {topic} within {timeout}s ({seen} records read)")
    finally:
        c.close()
