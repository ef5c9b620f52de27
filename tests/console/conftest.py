# SPDX-License-Identifier: Apache-2.0
"""The console suite: `zeelos console` black-box, its REST/SSE API with `requests` (every answer
checked against docs/console-api.yaml) and its web UI in headless Chromium (Selenium).

Servers, once per session: the e2e fixtures' Kafka broker (KAFKA_PORT, default 9092; started by
scripts/kafka.sh when nothing answers there, stopped at the end then) and `zeelos registry`
(tests/e2e/conftest.py); two gateways (`zeelos gateway`, ids of their own, so topics of their
own) and the console under test, which administers both, on free ports.  Devices are the e2e
suite's aiocoap LwM2M clients (tests/e2e/lwm2m_device.py), a fresh endpoint name per test.
Tests that need a console configured otherwise (no users, a restart) start their own.

    ZEELOS_BIN=$PWD/build/zeelos .venv/bin/python -m pytest -q tests/console

Environment: ZEELOS_BIN (default build/zeelos), KAFKA_PORT, ZEELOS_E2E_KEEP_LOGS=1 (logs of passing
tests too), ZEELOS_SCREENSHOT_DIR / ZEELOS_UPDATE_SCREENSHOTS=1 (test_browser.py).

Nothing is skipped: a zeelos binary without `console` / `console-user`, a missing Python package of
tests/e2e/requirements.txt, or (for test_browser.py) a missing /usr/bin/chromium or
/usr/bin/chromedriver fails the run before the first test."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "e2e"
ROOT = E2E.parents[1]
for p in (E2E, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

# the session fixtures of the e2e suite: the Kafka broker, the schema registry, the aiocoap loop
from gateway_proc import e2e_conftest  # noqa: E402

_e2e = e2e_conftest()
kafka_bootstrap = _e2e.kafka_bootstrap
registry_url = _e2e.registry_url
sr = _e2e.sr
codec = _e2e.codec
runner = _e2e.runner
GatewayEnv = _e2e.GatewayEnv

from gateway_proc import Gateway, unique, zeelos_bin  # noqa: E402
from kafka_helpers import create_topics, gateway_topics  # noqa: E402

PACKAGES = ["yaml", "jsonschema", "referencing", "openapi_spec_validator", "requests", "confluent_kafka",
            "aiocoap"]

from console_env import CHROMEDRIVER, CHROMIUM, GW_COAP_TIMEOUT_MS, PASSWORDS, QUEUE_AWAKE_MS, TOKENS  # noqa: E402

_LOGGED: list = []  # processes whose log tails a failed test shows


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the web UI in headless Chromium (Selenium)")
    for name in ("gateway", "kafka"):  # tests/e2e/test_composite.py (its CompositeDevice is used here)
        config.addinivalue_line("markers", f"{name}: (tests/e2e marker)")


# fixtures whose tests run zeelos (the others, e.g. the checks of docs/console-api.yaml, need none)
_NEEDS_ZEELOS = {"zeelos", "kafka_bootstrap", "registry_url", "gateways", "gw1", "gw2", "console", "console_factory",
                 "admin", "viewer", "api_factory", "devices", "access_files"}


def _missing(items) -> list[str]:
    out = []
    if not any(_NEEDS_ZEELOS & set(getattr(i, "fixturenames", ())) for i in items):
        return out
    for mod in PACKAGES + (["selenium"] if any(i.get_closest_marker("browser") for i in items) else []):
        try:
            importlib.import_module(mod)
        except ImportError as e:
            out.append(f"Python package {mod} is missing ({e}); run scripts/pydeps.sh (tests/e2e/requirements.txt)")
    exe = zeelos_bin()
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        out.append(f"the zeelos binary {exe} does not exist or is not executable (build it; or set ZEELOS_BIN)")
    else:
        for cmd in ("console", "console-user"):
            p = subprocess.run([str(exe), cmd, "--help"], capture_output=True, text=True, timeout=30)
            if p.returncode != 0:
                out.append(f"{exe} has no `{cmd}` command (`zeelos {cmd} --help` exit {p.returncode}: "
                           f"{(p.stderr or p.stdout).strip().splitlines()[:1]})")
    if any(i.get_closest_marker("browser") for i in items):
        for tool in (CHROMIUM, CHROMEDRIVER):
            if not os.access(tool, os.X_OK):
                out.append(f"{tool} is not installed (apt-get install chromium chromium-driver)")
    return out


@pytest.hookimpl(trylast=True)  # after -k / -m deselected what will not run
def pytest_collection_modifyitems(session, config, items):
    missing = _missing(items)
    if missing and items:
        pytest.exit("console: a required binary or package is missing, the run fails:\n  " + "\n  ".join(missing),
                    returncode=pytest.ExitCode.TESTS_FAILED)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    if rep.failed or os.environ.get("ZEELOS_E2E_KEEP_LOGS") == "1":
        for proc in list(_LOGGED) + list(getattr(item, "_zeelos_procs", [])):
            name = getattr(proc, "name", None) or f"gateway {getattr(proc, 'id', '?')}"
            rep.sections.append((f"{name} log ({rep.when})", proc.log_tail(40)))


@pytest.fixture(scope="session")
def zeelos() -> Path:
    """The zeelos binary (a test that runs it directly asks for this, so a missing one fails the run)."""
    return zeelos_bin()


# ------------------------------------------------------------------ gateways
@pytest.fixture(scope="session")
def gateways(kafka_bootstrap, registry_url, sr, codec, runner, tmp_path_factory):
    """Two running gateways [gw1, gw2] (GatewayEnv), ids of their own, consumers ready."""
    base = tmp_path_factory.mktemp("gateways")
    envs = []
    # ids sort as gw1 < gw2 (the console sorts by gateway)
    stem = unique("cn")
    for gid in (f"{stem}-a", f"{stem}-b"):
        create_topics(kafka_bootstrap, list(gateway_topics(gid).values()))
        gw = Gateway(gid, kafka_bootstrap, registry_url, base / f"data-{gid}", base / "logs",
                     ["--coap-request-timeout-ms", str(GW_COAP_TIMEOUT_MS), "--registration-expiry-sweep-ms", "500",
                      "--queue-awake-ms", str(QUEUE_AWAKE_MS), "--log-level", "debug"])
        gw.start()
        _LOGGED.append(gw)
        envs.append(GatewayEnv(gw, kafka_bootstrap, sr, codec, runner))
    for env in envs:
        env.mgmt.wait_ready()
    yield envs
    for env in envs:
        env.close()
        rc = env.gw.stop()
        assert rc == 0, f"gateway {env.id} exited with {rc} on SIGTERM:\n{env.gw.log_tail()}"


@pytest.fixture(scope="session")
def gw1(gateways):
    return gateways[0]


@pytest.fixture(scope="session")
def gw2(gateways):
    return gateways[1]


# ------------------------------------------------------------------ users, tokens, the console
@pytest.fixture(scope="session")
def access_files(tmp_path_factory):
    """(users file, tokens file): alice admin and victor viewer made by `zeelos console-user add`,
    carol (viewer) written here in the documented format; the tokens ci-admin and ci-viewer."""
    from console_helpers import add_user, pbkdf2_line, token_line
    d = tmp_path_factory.mktemp("access")
    users = d / "users"
    add_user(users, "alice", "admin", PASSWORDS["alice"])
    add_user(users, "victor", "viewer", PASSWORDS["victor"])
    with open(users, "a") as f:
        f.write(pbkdf2_line("carol", "viewer", PASSWORDS["carol"]) + "\n")
    tokens = d / "tokens"
    tokens.write_text(token_line("ci-admin", "admin", TOKENS["ci-admin"]) + "\n" +
                      token_line("ci-viewer", "viewer", TOKENS["ci-viewer"]) + "\n")
    return users, tokens


def console_args() -> list[str]:
    return ["--console-queue-awake-ms", str(QUEUE_AWAKE_MS), "--log-level", "debug"]


@pytest.fixture(scope="session")
def console(kafka_bootstrap, registry_url, gateways, access_files, tmp_path_factory):
    """The console under test: both gateways, the users and tokens, a one-time login printed
    although users exist (console.one.time.login=true)."""
    from console_helpers import Console
    users, tokens = access_files
    d = tmp_path_factory.mktemp("console")
    c = Console(kafka_bootstrap, registry_url, [g.id for g in gateways], d / "state", d / "logs", users, tokens,
                extra_args=console_args() + ["--console-one-time-login=true"], name="console")
    _LOGGED.append(c)
    c.start()
    from console_helpers import Api
    Api(c.url, bearer=TOKENS["ci-admin"]).wait_live([g.id for g in gateways])
    yield c
    rc = c.stop()
    _LOGGED.remove(c)
    assert rc == 0, f"the console exited with {rc} on SIGTERM:\n{c.log_tail()}"


@pytest.fixture
def console_factory(request, kafka_bootstrap, registry_url, tmp_path):
    """console_factory(gateways, users_file=None, tokens_file=None, extra=[], start=True) -> Console
    of the test's own; SIGTERM at the end must exit 0."""
    from console_helpers import Console
    procs = []
    request.node._zeelos_procs = procs

    def make(gw_ids, users_file=None, tokens_file=None, extra=None, start=True, name=None):
        n = name or f"console{len(procs) + 2}"
        c = Console(kafka_bootstrap, registry_url, gw_ids, tmp_path / f"{n}-state", tmp_path / "logs", users_file,
                    tokens_file, extra_args=console_args() + list(extra or []), name=n)
        procs.append(c)
        return c.start() if start else c

    yield make
    problems = []
    for c in procs:
        crashed = c.proc is not None and c.proc.poll() is not None and not c.killed and not c.stopped
        rc = c.stop()
        if crashed:
            problems.append(f"{c.name} died during the test (exit {rc})")
        elif rc not in (0, None):
            problems.append(f"{c.name} exited with {rc} on SIGTERM (expected a clean 0)")
    call = getattr(request.node, "rep_call", None)
    if problems and (call is None or call.passed):
        pytest.fail("; ".join(problems) + "\n" + "\n".join(c.log_tail() for c in procs), pytrace=False)


@pytest.fixture(scope="session")
def admin(console):
    """alice's logged-in API client (session-wide: tests that log out make their own)."""
    from console_helpers import Api
    api = Api(console.url)
    api.login("alice", PASSWORDS["alice"])
    return api


@pytest.fixture(scope="session")
def viewer(console):
    from console_helpers import Api
    api = Api(console.url)
    api.login("victor", PASSWORDS["victor"])
    return api


@pytest.fixture
def api_factory(console):
    """api_factory(user=None, bearer=None, base=console.url) -> Api (logged in as user when given)."""
    from console_helpers import Api

    def make(user=None, bearer=None, base=None):
        api = Api(base or console.url, bearer=bearer)
        if user:
            api.login(user, PASSWORDS[user])
        return api
    return make


# ------------------------------------------------------------------ devices and event streams
@pytest.fixture
def devices(runner):
    """devices(env, ep=None, register={...} or None to leave it unregistered, cls=LwM2MDevice,
    **device kwargs) -> a started device on env's gateway, registered (lt 60 unless given) and its
    NEW record read; stopped at the end of the test."""
    from lwm2m_device import LwM2MDevice
    made = []

    def make(env, ep=None, register=None, cls=LwM2MDevice, unregistered=False, **kw):
        d = cls(runner, ep or unique("cdev-"), env.gw.coap_port, **kw).start()
        made.append(d)
        if not unregistered:
            env.register(d, **(register or {}))
        return d

    yield make
    for d in made:
        try:
            d.stop()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture
def sse(request):
    """sse(api, **params) -> SseStream (open, reading); closed at the end, and no event of it may
    have broken docs/console-api.yaml (checked here when the test itself passed)."""
    from console_helpers import SseStream
    streams = []

    def make(api, **params):
        s = SseStream(api, params or None)
        assert s.status == 200, f"GET /api/events answered {s.status}: {s.resp.text[:300] if s.status != 200 else ''}"
        streams.append(s)
        return s

    yield make
    for s in streams:
        s.close()
    call = getattr(request.node, "rep_call", None)
    if call is None or call.passed:
        for s in streams:
            s.assert_clean()
