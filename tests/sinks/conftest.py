# SPDX-License-Identifier: Apache-2.0
"""The sink suite: `zeelos sink` end to end, from records in Kafka to rows and points read back
with the stores' own clients (influx, psql, sqlite3).

Servers, once per session: the e2e fixtures' Kafka broker (KAFKA_PORT, default 9092; started by
scripts/kafka.sh when nothing answers there, stopped at the end then) and `zeelos registry`
(tests/e2e/conftest.py); InfluxDB 1.x (scripts/influxdb.sh) on SINKS_INFLUX_PORT (8186, RPC
SINKS_INFLUX_RPC_PORT 8189) and PostgreSQL 15 (scripts/postgres.sh) on SINKS_PG_PORT (5442), their
run dirs under SINKS_TEST_RUN_DIR (.zeelos-run-sinks), started when a selected test needs them and
stopped at the end.  Isolation: every test has its own topics (a gateway id of its own), consumer
group, InfluxDB database and PostgreSQL database (or SQLite file).

Nothing is skipped: a missing zeelos binary ($ZEELOS_BIN, default build-asan/zeelos) without
`zeelos sink`, or a missing influx / psql / sqlite3 client, fails the run before the first test."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "e2e"
ROOT = E2E.parents[1]
os.environ.setdefault("ZEELOS_BIN", str(ROOT / "build-asan" / "zeelos"))
sys.path.insert(0, str(E2E))
sys.path.insert(0, str(HERE))

# the session fixtures of the e2e suite: the Kafka broker and the schema registry
from gateway_proc import e2e_conftest  # noqa: E402

_e2e = e2e_conftest()
kafka_bootstrap = _e2e.kafka_bootstrap
registry_url = _e2e.registry_url

from gateway_proc import unique, zeelos_bin  # noqa: E402
from sink_helpers import Feed, InfluxServer, PgServer, Sink, SqliteDB  # noqa: E402

RUN = Path(os.environ.get("SINKS_TEST_RUN_DIR", ROOT / ".zeelos-run-sinks"))
INFLUX_PORT = int(os.environ.get("SINKS_INFLUX_PORT", 8186))
INFLUX_RPC_PORT = int(os.environ.get("SINKS_INFLUX_RPC_PORT", 8189))
PG_PORT = int(os.environ.get("SINKS_PG_PORT", 5442))

# fixture -> the client the tests using it read the store with
_CLIENTS = {"influx": "influx", "influx_db": "influx", "postgres": "psql", "pg_db": "psql", "sqlite_db": "sqlite3"}


def _missing(items) -> list[str]:
    out = []
    exe = zeelos_bin()
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        out.append(f"the zeelos binary {exe} does not exist or is not executable (make asan; or set ZEELOS_BIN)")
    else:
        p = subprocess.run([str(exe), "sink", "--help"], capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            out.append(f"{exe} has no `sink` command (`zeelos sink --help` exit {p.returncode}: "
                       f"{(p.stderr or p.stdout).strip().splitlines()[:1]})")
    needed = {_CLIENTS[f] for item in items for f in getattr(item, "fixturenames", ()) if f in _CLIENTS}
    for item in items:  # tests that pick their store at run time name its client: @pytest.mark.clients(...)
        for m in item.iter_markers("clients"):
            needed.update(m.args)
    for tool in sorted(needed):
        if shutil.which(tool) is None:
            out.append(f"the {tool} client is not installed (scripts/install-deps.sh: influxdb-client, "
                       f"postgresql-client, sqlite3)")
    return out


def pytest_configure(config):
    config.addinivalue_line("markers", "clients(*names): the store clients (influx, psql, sqlite3) a test reads with")


def pytest_collection_modifyitems(session, config, items):
    missing = _missing(items)
    if missing and items:
        pytest.exit("sinks: a required binary is missing, the run fails:\n  " + "\n  ".join(missing),
                    returncode=pytest.ExitCode.TESTS_FAILED)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    if rep.failed or os.environ.get("ZEELOS_E2E_KEEP_LOGS") == "1":
        for s in getattr(item, "_zeelos_sinks", []):
            rep.sections.append((f"{s.name} log ({rep.when})", s.log_tail(80)))


# ------------------------------------------------------------------ stores
def _rmdir_if_empty(d: Path) -> None:
    try:
        d.rmdir()
    except OSError:
        pass


@pytest.fixture(scope="session")
def influx():
    srv = InfluxServer(INFLUX_PORT, INFLUX_RPC_PORT, RUN / "influxdb")
    srv.down()  # what an interrupted session left
    t0 = time.monotonic()
    srv.up()
    sys.__stderr__.write(f"\n[tests/sinks] influxdb up: {time.monotonic() - t0:.1f} s\n")
    yield srv
    p = srv.down()
    _rmdir_if_empty(RUN)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.fixture(scope="session")
def postgres():
    srv = PgServer(PG_PORT, RUN / "postgres")
    srv.down()
    t0 = time.monotonic()
    srv.up()
    sys.__stderr__.write(f"\n[tests/sinks] postgres up: {time.monotonic() - t0:.1f} s\n")
    yield srv
    p = srv.down()
    _rmdir_if_empty(RUN)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.fixture
def influx_db(influx):
    """A database name of this test's own (the sink creates it: sink.influxdb.database)."""
    return influx.db(unique("sinkt_"))


@pytest.fixture
def pg_db(postgres):
    """An empty PostgreSQL database of this test's own (the sink creates its tables)."""
    name = unique("sinkt_")
    db = postgres.createdb(name)
    yield db
    try:
        postgres.dropdb(name)
    except Exception:  # noqa: BLE001 - a server a failed fault test left down
        pass


@pytest.fixture
def sqlite_db(tmp_path):
    return SqliteDB(tmp_path / "zeelos-sink.db")


# ------------------------------------------------------------------ Kafka side
@pytest.fixture
def feed_factory(kafka_bootstrap, registry_url):
    """feed_factory(partitions=1, fmt='avro', gw=None) -> Feed: the topics of a gateway of the test's own."""
    feeds = []

    def make(partitions: int = 1, fmt: str = "avro", gw: str | None = None, create: bool = True) -> Feed:
        f = Feed(kafka_bootstrap, registry_url, gw=gw, partitions=partitions, fmt=fmt, create=create)
        feeds.append(f)
        return f

    yield make
    for f in feeds:
        f.close()


@pytest.fixture
def feed(feed_factory) -> Feed:
    return feed_factory()


@pytest.fixture
def sink_factory(request, kafka_bootstrap, registry_url, tmp_path, influx_url_or_none):
    """sink_factory(store, topics, props={...}, group=None, fmt='avro', start=True, name='sink') -> Sink.
    Defaults: a group and a dead-letter topic of the test's own, small batches and a short linger
    and backoff, InfluxDB's URL when the test has an InfluxDB.  At the end every sink gets SIGTERM
    and must exit 0 (a crash or a sanitizer report fails the test)."""
    sinks: list[Sink] = []
    request.node._zeelos_sinks = sinks
    group = unique("sinkt-g-")
    dlq = unique("zeelos.sink.dlq.t")

    def make(store, topics: str, props: dict | None = None, group: str = group, fmt: str = "avro",
             start: bool = True, name: str | None = None) -> Sink:
        p = {"sink.batch.linger.ms": 50, "sink.retry.backoff.ms": 100, "sink.retry.backoff.max.ms": 1000,
             "sink.dlq.topic": dlq}
        if influx_url_or_none:
            p["sink.influxdb.url"] = influx_url_or_none
        p.update(props or {})
        s = Sink(kafka_bootstrap, registry_url, store, topics, group, tmp_path / "logs", p, fmt=fmt,
                 name=name or f"sink{len(sinks) + 1}", cwd=tmp_path)
        sinks.append(s)
        return s.start() if start else s

    yield make

    problems = []
    for s in sinks:
        crashed = s.proc is not None and s.proc.poll() is not None and not s.killed and not getattr(s, "stopped", False)
        rc = s.stop()
        if crashed:
            problems.append(f"{s.name} died during the test (exit {rc})")
        elif rc not in (0, None) and not s.killed:
            problems.append(f"{s.name} exited with {rc} on SIGTERM (expected a clean 0)")
    call = getattr(request.node, "rep_call", None)
    if problems and (call is None or call.passed):
        pytest.fail("; ".join(problems) + "\n" + "\n".join(s.log_tail() for s in sinks), pytrace=False)


@pytest.fixture
def influx_url_or_none(request):
    """InfluxDB's URL when the test uses the influx fixture (so sink_factory needs no server it does not use)."""
    if "influx" in request.fixturenames or "influx_db" in request.fixturenames:
        return request.getfixturevalue("influx").url
    return None
