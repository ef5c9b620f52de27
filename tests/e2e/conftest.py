# SPDX-License-Identifier: Apache-2.0
"""Black-box e2e harness: a real Kafka broker, a Schema Registry, the zeelos gateway binary as
a subprocess, LwM2M devices on aiocoap, raw CoAP and libcoap's coap-client.

Environment:
  KAFKA_PORT (or ZEELOS_KAFKA_PORT)   broker port on 127.0.0.1 (default 9092). If nothing answers
                                      there, scripts/kafka.sh up starts one and the session stops it.
  ZEELOS_TEST_SCHEMA_REGISTRY         URL of an existing registry; default: `zeelos registry` on a
                                      free port, its state in a fresh topic of the test broker.
  ZEELOS_BIN                          gateway binary (default build/zeelos).
  ZEELOS_E2E_KEEP_LOGS=1              print gateway logs for passing tests too.

Nothing is skipped for want of a peer: when a selected test needs the gateway binary (marker
`gateway`), libcoap's coap-client (marker `coap_client`) or a package of requirements.txt that is
absent, the run stops at once and fails, naming what is missing (a skip would let a broken build
or a half-installed machine pass green).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from confluent_kafka.admin import AdminClient  # noqa: E402

from gateway_proc import ROOT, Gateway, child_env, coap_client_bin, unique, zeelos_bin  # noqa: E402
from kafka_helpers import (AvroCodec, Management, SchemaRegistry, TopicReader,  # noqa: E402
                           create_topics, gateway_topics)
from lwm2m_device import AsyncRunner, LwM2MDevice  # noqa: E402
from registry_proc import Registry  # noqa: E402

# Small values so the suite stays fast; the tests rely on these.
COAP_REQUEST_TIMEOUT_MS = 3000
EXPIRY_SWEEP_MS = 500


def pytest_configure(config):
    config.addinivalue_line("markers", "gateway: needs the zeelos gateway binary (build/zeelos or $ZEELOS_BIN)")
    config.addinivalue_line("markers", "kafka: needs the Kafka broker")
    config.addinivalue_line("markers", "coap_client: needs libcoap's coap-client (libcoap3-bin)")
    config.addinivalue_line("markers", "slow: takes more than ~10 s")


def _missing_gateway():
    exe = zeelos_bin()
    if exe.is_file() and os.access(exe, os.X_OK):
        return None
    return f"the gateway binary {exe} does not exist or is not executable (build it: make asan; or set ZEELOS_BIN)"


def _missing_coap_client():
    if coap_client_bin() is not None:
        return None
    return "libcoap's coap-client is not installed (apt-get install libcoap3-bin)"


# marker -> check returning what is missing (None when present)
_REQUIRES = {"gateway": _missing_gateway, "coap_client": _missing_coap_client}


def pytest_collection_modifyitems(session, config, items):
    """Fails the run before the first test when a selected test needs something absent."""
    needed = {name for item in items for name in _REQUIRES if item.get_closest_marker(name)}
    if any("gateway_factory" in item.fixturenames for item in items):
        needed.add("gateway")
    missing = [m for name in sorted(needed) if (m := _REQUIRES[name]())]
    if missing:
        pytest.exit("e2e: a required binary or package is missing, the run fails:\n  " + "\n  ".join(missing),
                    returncode=pytest.ExitCode.TESTS_FAILED)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    # a failed test shows the logs of the gateways it ran
    if rep.failed or os.environ.get("ZEELOS_E2E_KEEP_LOGS") == "1":
        for env in getattr(item, "_zeelos_envs", []):
            rep.sections.append((f"gateway {env.id} log ({rep.when})", env.gw.log_tail()))


# ------------------------------------------------------------------ Kafka
def _broker_answers(bootstrap: str) -> bool:
    try:
        AdminClient({"bootstrap.servers": bootstrap, "socket.timeout.ms": 2000}).list_topics(timeout=3)
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap():
    port = os.environ.get("KAFKA_PORT") or os.environ.get("ZEELOS_KAFKA_PORT") or "9092"
    bootstrap = f"127.0.0.1:{port}"
    started = False
    if not _broker_answers(bootstrap):
        env = dict(os.environ, KAFKA_PORT=port)
        p = subprocess.run([str(ROOT / "scripts" / "kafka.sh"), "up"], env=env, capture_output=True,
                           text=True, timeout=600)
        if p.returncode != 0:
            pytest.fail(f"scripts/kafka.sh up failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        started = True
    yield bootstrap
    if started:
        subprocess.run([str(ROOT / "scripts" / "kafka.sh"), "down"], env=dict(os.environ, KAFKA_PORT=port),
                       capture_output=True, timeout=60)


# ------------------------------------------------------------------ Schema Registry
@pytest.fixture(scope="session")
def registry_url(kafka_bootstrap, tmp_path_factory):
    ext = os.environ.get("ZEELOS_TEST_SCHEMA_REGISTRY")
    if ext:
        yield ext.rstrip("/")
        return
    missing = _missing_gateway()
    assert missing is None, missing
    reg = Registry(kafka_bootstrap, f"_schemas-e2e-{os.getpid()}-{unique('s')}",
                   tmp_path_factory.mktemp("registry")).start()
    yield reg.url
    assert reg.stop() == 0, reg.log_tail()


@pytest.fixture(scope="session")
def sr(registry_url) -> SchemaRegistry:
    return SchemaRegistry(registry_url)


@pytest.fixture(scope="session")
def codec(sr) -> AvroCodec:
    return AvroCodec(sr)


# ------------------------------------------------------------------ CoAP devices
@pytest.fixture(scope="session")
def runner():
    r = AsyncRunner()
    yield r
    r.close()


# ------------------------------------------------------------------ gateway
class GatewayEnv:
    """One running gateway with its Kafka readers, request client and devices."""

    def __init__(self, gw: Gateway, bootstrap: str, sr: SchemaRegistry, codec: AvroCodec, runner: AsyncRunner):
        self.gw, self.bootstrap, self.sr, self.codec, self.runner = gw, bootstrap, sr, codec, runner
        self.id = gw.id
        self.topics = gateway_topics(gw.id)
        self.regs = TopicReader(bootstrap, self.topics["registrations"], codec)
        self.obs = TopicReader(bootstrap, self.topics["observations"], codec)
        self.mgmt = Management(bootstrap, sr, gw.id)
        self.devices: list[LwM2MDevice] = []

    def zeelos(self, command: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        """Runs `zeelos COMMAND` (request, tail, ...) against this gateway's id, broker and
        registry, with a ZEELOS_*-free environment; args follow the connection flags."""
        argv = [str(zeelos_bin()), command, "--gw", self.id, "--kafka", self.bootstrap,
                "--schema-registry", self.gw.registry_url, *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=child_env())

    def request_rep(self, *args: str, timeout: float = 90) -> dict:
        """`zeelos request ARGS`: the `rep` of the response it prints (asserts it printed one)."""
        p = self.zeelos("request", *args, timeout=timeout)
        lines = p.stdout.strip().splitlines()
        assert lines, (p.returncode, p.stderr)
        return json.loads(lines[-1])["rep"]

    def device(self, ep: str | None = None, cls=LwM2MDevice, **kw) -> LwM2MDevice:
        d = cls(self.runner, ep or unique("dev-"), self.gw.coap_port, **kw).start()
        self.devices.append(d)
        return d

    def register(self, dev: LwM2MDevice, **kw) -> LwM2MDevice:
        """Registers dev (2.01; kw: LwM2MDevice.register's arguments, lt=60 unless given) and
        waits for its NEW registration record in Kafka. Returns dev."""
        r = dev.register(**{"lt": 60, **kw})
        assert r.code == "2.01", r
        self.registration(dev.ep, "NEW")
        return dev

    def registered_device(self, ep: str | None = None, cls=LwM2MDevice, register: dict | None = None,
                          **kw) -> LwM2MDevice:
        """A started device (kw: LwM2MDevice's arguments), registered as register() does."""
        return self.register(self.device(ep, cls, **kw), **(register or {}))

    def raw_observed(self, c, prefix: str, path: str = "/3303/0/5700", lt: int = 60):
        """A raw CoAP device (coap_raw.RawCoap c) registered as prefix-<unique> and observed through
        Kafka: it answers the observe GET with 2.05, Observe 1, "20.5".  When this returns the
        observation is up and the producer idle.  Returns (ep, ticket, the observe GET)."""
        import coap_raw as C
        ep = unique(prefix)
        assert c.register(ep, lt=lt, links=b"</3303/0>").code_str == "2.01"
        ticket = self.mgmt.send(ep, "observe", path, "TEXT_CODE")
        get = None
        while get is None or get.code != C.GET:
            get = c.recv(10)
            assert get is not None, "the gateway sent no observe request"
        c.send_raw(C.encode(C.ACK, 0x45, get.mid, get.token, [(6, 1), (12, 0)], b"20.5"))
        assert self.mgmt.wait_response(ticket, 20).value["rep"]["code"] == "CONTENT"
        self.gw.wait_producer_idle()
        return ep, ticket, get

    def settle(self, ep: str | None = None, path: str = "/3/0/0", timeout: float = 15.0) -> None:
        """The barrier an absence check waits on instead of sleeping. With ep: a read of path on
        that device answered through Kafka, so the gateway has handled every datagram the device
        sent before it (one socket each side, in order). Then the producer drained and the
        gateway's topics are read to their ends: whatever the gateway published until then is in
        regs, obs and mgmt.rep."""
        if ep is not None:
            rep = self.mgmt.request(ep, "read", path, timeout=timeout)
            assert rep.value["rep"]["code"] == "CONTENT", rep
        self.gw.wait_producer_idle(timeout)
        for reader in (self.regs, self.obs, self.mgmt.rep):
            reader.read_to_end(timeout)

    def registration(self, ep: str, kind: str, timeout: float = 10.0, after_offset: int = -1):
        """The first registration record for ep of kind NEW/UPDATE/DELETE (offset > after_offset)."""
        return self.regs.wait_for(
            lambda r: r.offset > after_offset and r.key == {"ep": ep} and r.value["kind"] == kind,
            timeout, what=f"{kind} for ep {ep!r}")

    def close(self):
        for d in self.devices:
            try:
                d.stop()
            except Exception:  # noqa: BLE001
                pass
        self.mgmt.close()
        self.regs.close()
        self.obs.close()


@pytest.fixture
def gateway_factory(request, kafka_bootstrap, registry_url, sr, codec, runner, tmp_path):
    """gateway_factory(extra_args=[...], ready=True) -> GatewayEnv (started, consumer ready)."""
    envs: list[GatewayEnv] = []
    request.node._zeelos_envs = envs

    def make(extra_args=None, ready: bool = True, gw_id: str | None = None) -> GatewayEnv:
        gid = gw_id or unique("e2e")
        create_topics(kafka_bootstrap, list(gateway_topics(gid).values()))
        args = ["--coap-request-timeout-ms", str(COAP_REQUEST_TIMEOUT_MS),
                "--registration-expiry-sweep-ms", str(EXPIRY_SWEEP_MS),
                "--log-level", "debug", *(extra_args or [])]
        gw = Gateway(gid, kafka_bootstrap, registry_url, tmp_path / f"data-{gid}", tmp_path / "logs", args)
        gw.start()
        env = GatewayEnv(gw, kafka_bootstrap, sr, codec, runner)
        envs.append(env)
        if ready:
            env.mgmt.wait_ready()
        return env

    yield make

    problems = []
    for env in envs:
        crashed = env.gw.proc is not None and env.gw.proc.poll() is not None and not env.gw.killed
        env.close()
        rc = env.gw.stop()
        if crashed:
            problems.append(f"gateway {env.id} died during the test (exit {rc})")
        elif rc not in (0, None) and not env.gw.killed:
            problems.append(f"gateway {env.id} exited with {rc} on SIGTERM (expected a clean 0)")
    call = getattr(request.node, "rep_call", None)
    if problems and (call is None or call.passed):  # a failed test already says what went wrong
        pytest.fail("; ".join(problems) + "\n" + "\n".join(e.gw.log_tail() for e in envs), pytrace=False)


@pytest.fixture
def gwenv(gateway_factory) -> GatewayEnv:
    return gateway_factory()
