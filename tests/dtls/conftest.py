# SPDX-License-Identifier: Apache-2.0
"""The DTLS suite: `zeelos gateway` on coaps (DTLS 1.2, OpenSSL 3.0) driven by peers nobody here
wrote: libcoap's coap-client built against OpenSSL and against GnuTLS (Debian's libcoap3-bin),
an LwM2M client on Eclipse Leshan's client library (Californium Scandium DTLS,
tests/peers/leshan-client), one on aiocoap's tinydtls transport (tests/dtls/aiocoap_peer.py), and hand-made DTLS records from Python for the refusals a library
client cannot be made to send (CVE classes of docs/SECURITY.md).

Credentials go through `zeelos security` onto the gateway's security topic, as an operator does.
The session fixtures are the e2e suite's (a broker on KAFKA_PORT, `zeelos registry`).

    ZEELOS_BIN=$PWD/build-asan/zeelos .venv/bin/python -m pytest -q tests/dtls

Nothing is skipped: a missing coap-client-openssl / coap-client-gnutls, openssl CLI or the
Leshan peer's jar (built by tests/peers/leshan-client/build.sh) fails the run."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
E2E = HERE.parent / "e2e"
for p in (E2E, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from gateway_proc import e2e_conftest  # noqa: E402

_e2e = e2e_conftest()

kafka_bootstrap = _e2e.kafka_bootstrap
registry_url = _e2e.registry_url
sr = _e2e.sr
codec = _e2e.codec
runner = _e2e.runner
gateway_factory = _e2e.gateway_factory
pytest_configure = _e2e.pytest_configure
pytest_runtest_makereport = _e2e.pytest_runtest_makereport

from dtls_peers import Certs  # noqa: E402

TOOLS = ["coap-client-openssl", "coap-client-gnutls", "coap-client-notls", "openssl"]


def pytest_collection_modifyitems(session, config, items):
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.exit("dtls: missing peers, the run fails: " + ", ".join(missing) +
                    " (apt-get install libcoap3-bin openssl)", returncode=pytest.ExitCode.TESTS_FAILED)


@pytest.fixture(scope="session")
def certs(tmp_path_factory) -> Certs:
    """A CA, the gateway's server certificate and device certificates, made with the openssl CLI;
    and a second, untrusted CA with a device certificate of its own."""
    return Certs(tmp_path_factory.mktemp("certs"))
