# SPDX-License-Identifier: Apache-2.0
"""The security suite: TLS for Kafka and the schema registry, end to end.

Once per session: a CA and certificates from scripts/certs.sh (random keystore password), and a
broker of its own from scripts/kafka.sh with a PLAINTEXT listener (SECURITY_KAFKA_PORT, 9792,
super user ANONYMOUS), its controller (9793) and an SSL listener that requires a client
certificate (SECURITY_KAFKA_SSL_PORT, 9794), a SASL/SCRAM-SHA-256 listener (SECURITY_KAFKA_SCRAM_PORT,
9795), KRaft StandardAuthorizer on (no ACL = denied; super
users admin and registry), state in .zeelos-run-security (cleaned before and after).  Two
`zeelos registry` instances over HTTPS whose state topics live on the SSL listener (the registry
certificate): one that requires client certificates (SECURITY_REGISTRY_PORT, 18081) and one with
basic auth on writes (18082).

Peers: confluent-kafka (its own librdkafka) over SSL, requests and curl over HTTPS, aiocoap
devices; the zeelos binary is $ZEELOS_BIN (default build-asan/zeelos).  Nothing is skipped."""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "e2e"
ROOT = HERE.parents[1]
os.environ.setdefault("ZEELOS_BIN", str(ROOT / "build-asan" / "zeelos"))
sys.path.insert(0, str(E2E))

from gateway_proc import child_env, stop_process, zeelos_bin  # noqa: E402
from lwm2m_device import AsyncRunner  # noqa: E402

KAFKA_PORT = int(os.environ.get("SECURITY_KAFKA_PORT", 9792))
CONTROLLER_PORT = int(os.environ.get("SECURITY_KAFKA_CONTROLLER_PORT", 9793))
SSL_PORT = int(os.environ.get("SECURITY_KAFKA_SSL_PORT", 9794))
SCRAM_PORT = int(os.environ.get("SECURITY_KAFKA_SCRAM_PORT", 9795))
REGISTRY_PORT = int(os.environ.get("SECURITY_REGISTRY_PORT", 18081))
REGISTRY_AUTH_PORT = int(os.environ.get("SECURITY_REGISTRY_AUTH_PORT", 18082))
RUN = Path(os.environ.get("SECURITY_TEST_RUN_DIR", ROOT / ".zeelos-run-security"))
PLAIN = f"127.0.0.1:{KAFKA_PORT}"
SSL = f"127.0.0.1:{SSL_PORT}"
REG_USER, REG_PASSWORD = "schema-admin", "s3cret-" + os.urandom(6).hex()


def pytest_collection_modifyitems(session, config, items):
    exe = zeelos_bin()
    missing = [] if exe.is_file() and os.access(exe, os.X_OK) else [f"{exe} (make asan; or set ZEELOS_BIN)"]
    for tool in ("openssl", "keytool", "java", "curl"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode:
            missing.append(tool)
    if missing:
        pytest.exit("security: missing, the run fails: " + ", ".join(missing), returncode=pytest.ExitCode.TESTS_FAILED)


def kafka_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZEELOS_", "KAFKA_"))}
    env.update(ZEELOS_RUN_DIR=str(RUN), ZEELOS_KAFKA_PORT=str(KAFKA_PORT),
               ZEELOS_KAFKA_CONTROLLER_PORT=str(CONTROLLER_PORT), **extra)
    return env


def kafka_sh(cmd: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "kafka.sh"), cmd], env=env, capture_output=True,
                          text=True, timeout=timeout)


# ------------------------------------------------------------------ certificates and broker
@pytest.fixture(scope="session")
def certs() -> Path:
    d = RUN / "certs"
    p = subprocess.run(["bash", str(ROOT / "scripts" / "certs.sh"), "--force", str(d)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    yield d
    shutil.rmtree(d, ignore_errors=True)  # private keys: not left behind


def ssl_conf(certs: Path, role: str | None, bootstrap: str = SSL) -> dict:
    """confluent-kafka settings for the SSL listener, with role's certificate (None: none)."""
    c = {"bootstrap.servers": bootstrap, "security.protocol": "ssl", "ssl.ca.location": str(certs / "ca.pem"),
         "log_level": 2}
    if role:
        c.update({"ssl.certificate.location": str(certs / f"{role}.pem"),
                  "ssl.key.location": str(certs / f"{role}.key")})
    return c


def zeelos_ssl_args(certs: Path, role: str) -> list[str]:
    """The kafka.* passthrough of a zeelos role for the SSL listener as role."""
    return ["-X", "kafka.security.protocol=ssl",
            "-X", f"kafka.ssl.ca.location={certs / 'ca.pem'}",
            "-X", f"kafka.ssl.certificate.location={certs / f'{role}.pem'}",
            "-X", f"kafka.ssl.key.location={certs / f'{role}.key'}"]


@pytest.fixture(scope="session")
def broker(certs):
    env = kafka_env(ZEELOS_KAFKA_SSL_PORT=str(SSL_PORT), ZEELOS_KAFKA_CERTS=str(certs), ZEELOS_KAFKA_ACL="1",
                    ZEELOS_KAFKA_SCRAM_PORT=str(SCRAM_PORT))
    kafka_sh("clean", env, 90)  # a broker left over by an aborted run, and its data
    p = kafka_sh("up", env)
    assert p.returncode == 0, f"scripts/kafka.sh up failed:\n{p.stdout}\n{p.stderr}"
    yield {"plain": PLAIN, "ssl": SSL, "scram": f"127.0.0.1:{SCRAM_PORT}"}
    kafka_sh("clean", env, 90)


# ------------------------------------------------------------------ registries
class TlsRegistry:
    """`zeelos registry` over HTTPS; its Kafka state on the SSL listener as User:registry."""

    def __init__(self, certs: Path, port: int, topic: str, log_dir: Path, extra: list[str]):
        self.certs, self.port, self.topic = certs, port, topic
        self.log_path = log_dir / f"registry-{port}.log"
        self.argv = [str(zeelos_bin()), "registry", "--kafka", SSL, "--topic", topic, "-X", "registry.host=127.0.0.1",
                     "--port", str(port), *zeelos_ssl_args(certs, "registry"),
                     "-X", f"registry.tls.cert={certs / 'broker.pem'}",
                     "-X", f"registry.tls.key={certs / 'broker.key'}", *extra]
        self.proc = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def start(self, timeout: float = 60) -> "TlsRegistry":
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(self.argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=child_env())
        deadline = time.time() + timeout
        while True:  # /healthz is open: no client certificate, no password
            assert self.proc.poll() is None, f"registry exited with {self.proc.returncode}:\n{self.log_tail()}"
            try:
                if requests.get(f"{self.url}/healthz", verify=str(self.certs / "ca.pem"), timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            assert time.time() < deadline, f"registry {self.url} not healthy in {timeout}s:\n{self.log_tail()}"
            time.sleep(0.1)

    def stop(self):
        return stop_process(self.proc)


def pbkdf2_line(user: str, password: str, iterations: int = 1000) -> str:
    salt = os.urandom(16)
    h = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    return f"{user}:$pbkdf2-sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(h).decode()}\n"


@pytest.fixture(scope="session")
def registry_mtls(broker, certs, tmp_path_factory):
    """A registry that requires client certificates signed by the CA."""
    reg = TlsRegistry(certs, REGISTRY_PORT, f"_schemas-sec-{os.getpid()}", tmp_path_factory.mktemp("reg"),
                      ["-X", f"registry.tls.ca={certs / 'ca.pem'}"]).start()
    yield reg
    rc = reg.stop()
    assert rc == 0, reg.log_tail()


@pytest.fixture(scope="session")
def registry_auth(broker, certs, tmp_path_factory):
    """A registry with basic auth on writes (users file with a PBKDF2 hash), no client certificates."""
    d = tmp_path_factory.mktemp("reg-auth")
    users = d / "users"
    users.write_text("# registry users\n" + pbkdf2_line(REG_USER, REG_PASSWORD))
    users.chmod(0o600)
    reg = TlsRegistry(certs, REGISTRY_AUTH_PORT, f"_schemas-sec-auth-{os.getpid()}", d,
                      ["-X", f"registry.auth.users={users}"]).start()
    reg.user, reg.password = REG_USER, REG_PASSWORD
    yield reg
    rc = reg.stop()
    assert rc == 0, reg.log_tail()


@pytest.fixture(scope="session")
def runner():
    r = AsyncRunner()
    yield r
    r.close()
