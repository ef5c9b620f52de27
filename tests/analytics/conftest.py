# SPDX-License-Identifier: Apache-2.0
"""The analytics suite: `zeelos analytics` end to end, from observation records in Kafka to the
window records it writes, read back read_committed with confluent-kafka and decoded with fastavro
(writer schema from the registry by id) or json, and compared with the reference model of
docs/ANALYTICS.md (gen.py).

Servers, once per session: the e2e fixtures' Kafka broker (KAFKA_PORT, default 9092; started by
scripts/kafka.sh when nothing answers there, stopped at the end then) and `zeelos registry`
(tests/e2e/conftest.py).  Isolation: every test has its own gateway id (so its own topics),
application ids and state directories.

Nothing is skipped: when a selected test needs Kafka, a missing zeelos binary ($ZEELOS_BIN,
default build-asan/zeelos) or one without `zeelos analytics` fails the run before the first test;
the Kafka Streams agreement tests (marker kstreams) fail when Java, Maven or bench/kstreams.sh are
missing.  test_model.py needs none of them."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "e2e"
SINKS = HERE.parent / "sinks"
ROOT = E2E.parents[1]
os.environ.setdefault("ZEELOS_BIN", str(ROOT / "build-asan" / "zeelos"))
for p in (E2E, SINKS, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

# the session fixtures of the e2e suite: the Kafka broker and the schema registry
from gateway_proc import e2e_conftest  # noqa: E402

_e2e = e2e_conftest()
kafka_bootstrap = _e2e.kafka_bootstrap
registry_url = _e2e.registry_url

from gateway_proc import unique, zeelos_bin  # noqa: E402
from analytics_helpers import AnFeed, Analytics, write_job  # noqa: E402

# fixtures whose tests run zeelos against Kafka
_NEEDS_ZEELOS = {"kafka_bootstrap", "registry_url", "analytics_factory", "feed_factory", "feed"}


def _missing_zeelos() -> list[str]:
    exe = zeelos_bin()
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        return [f"the zeelos binary {exe} does not exist or is not executable (make asan; or set ZEELOS_BIN)"]
    p = subprocess.run([str(exe), "analytics", "--help"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        return [f"{exe} has no `analytics` command (`zeelos analytics --help` exit {p.returncode}: "
                f"{(p.stderr or p.stdout).strip().splitlines()[:1]})"]
    return []


def missing_kstreams() -> list[str]:
    out = []
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            out.append(f"{tool} is not installed (the Kafka Streams peer of bench/kstreams.sh needs a JDK and Maven)")
    if not (ROOT / "bench" / "kstreams.sh").is_file():
        out.append("bench/kstreams.sh does not exist (the Kafka Streams peer)")
    return out


def pytest_configure(config):
    config.addinivalue_line("markers", "kstreams: compares zeelos with the Kafka Streams peer (bench/kstreams.sh)")
    config.addinivalue_line("markers", "slow: takes more than ~10 s")


def pytest_collection_modifyitems(session, config, items):
    missing = []
    if any(_NEEDS_ZEELOS & set(getattr(i, "fixturenames", ())) for i in items):
        missing += _missing_zeelos()
    if any(i.get_closest_marker("kstreams") for i in items):
        missing += missing_kstreams()
    if missing and items:
        pytest.exit("analytics: a required binary is missing, the run fails:\n  " + "\n  ".join(missing),
                    returncode=pytest.ExitCode.TESTS_FAILED)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    if rep.failed or os.environ.get("ZEELOS_E2E_KEEP_LOGS") == "1":
        for a in getattr(item, "_zeelos_analytics", []):
            rep.sections.append((f"{a.name} log ({rep.when})", a.log_tail(60)))


# ------------------------------------------------------------------ Kafka side
@pytest.fixture
def gw() -> str:
    """A gateway id of the test's own: its input topic iot.<gw>.observations, its output topics."""
    return unique("ant")


@pytest.fixture
def feed_factory(kafka_bootstrap, registry_url, gw):
    """feed_factory(partitions=1, fmt='avro', gw=<the test's>) -> AnFeed (topics created)."""
    feeds = []

    def make(partitions: int = 1, fmt: str = "avro", gw: str = gw) -> AnFeed:
        f = AnFeed(kafka_bootstrap, registry_url if fmt == "avro" else None, gw=gw, partitions=partitions, fmt=fmt)
        feeds.append(f)
        return f

    yield make
    for f in feeds:
        f.close()


@pytest.fixture
def feed(feed_factory) -> AnFeed:
    return feed_factory()


@pytest.fixture
def analytics_factory(request, kafka_bootstrap, registry_url, tmp_path, gw):
    """analytics_factory(job=gen.Job | preset='...', app_id=None, instance_id=None, state_dir=None,
    fmt='avro', props={}, start=True, name=None, gw=<the test's>) -> Analytics.  A job is written
    to a job file.  Default application id: one of the test's own.  At the end every process gets
    SIGTERM and must exit 0 (a crash or a sanitizer report fails the test)."""
    procs: list[Analytics] = []
    request.node._zeelos_analytics = procs

    def make(job=None, preset: str | None = None, app_id: str | None = None, instance_id: str | None = None,
             state_dir: Path | None = None, fmt: str = "avro", props: dict | None = None, start: bool = True,
             name: str | None = None, gw: str = gw, print_results: bool = False, extra: list | None = None) -> Analytics:
        name = name or f"analytics{len(procs) + 1}"
        path = None
        if job is not None:
            path = write_job(tmp_path / f"job-{name}.json", job)
        a = Analytics(kafka_bootstrap, registry_url, tmp_path / "logs", gw, preset=preset, job=path,
                      app_id=app_id or unique("ant-app-"), instance_id=instance_id,
                      state_dir=state_dir or tmp_path / f"state-{name}", fmt=fmt, props=props, name=name,
                      print_results=print_results, extra=extra)
        procs.append(a)
        return a.start() if start else a

    yield make

    problems = []
    for a in procs:
        crashed = a.proc is not None and a.proc.poll() is not None and not a.killed and not a.stopped
        rc = a.stop()
        if crashed:
            problems.append(f"{a.name} died during the test (exit {rc})")
        elif rc not in (0, None) and not a.killed:
            problems.append(f"{a.name} exited with {rc} on SIGTERM (expected a clean 0)")
    call = getattr(request.node, "rep_call", None)
    if problems and (call is None or call.passed):
        pytest.fail("; ".join(problems) + "\n" + "\n".join(a.log_tail() for a in procs), pytrace=False)
