# SPDX-License-Identifier: Apache-2.0
"""The fault suite runs the end-to-end fixtures (tests/e2e/conftest.py) against a broker of its
own, which it kills, freezes and stops: KAFKA_PORT 9392 / controller 9393 and its own state
directory, so a developer's broker on 9092 is never touched.  The e2e session fixture starts
that broker (scripts/kafka.sh) and stops it at the end."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

E2E = Path(__file__).resolve().parents[1] / "e2e"
ROOT = E2E.parents[1]
os.environ["KAFKA_PORT"] = os.environ.get("FAULTS_KAFKA_PORT", "9392")
os.environ["ZEELOS_KAFKA_PORT"] = os.environ["KAFKA_PORT"]
os.environ["KAFKA_CONTROLLER_PORT"] = os.environ.get("FAULTS_KAFKA_CONTROLLER_PORT", "9393")
os.environ["ZEELOS_KAFKA_CONTROLLER_PORT"] = os.environ["KAFKA_CONTROLLER_PORT"]
os.environ["ZEELOS_RUN_DIR"] = str(ROOT / ".zeelos-run-faults")
sys.path.insert(0, str(E2E))

_spec = importlib.util.spec_from_file_location("e2e_conftest", E2E / "conftest.py")
_e2e = importlib.util.module_from_spec(_spec)
sys.modules["e2e_conftest"] = _e2e
_spec.loader.exec_module(_e2e)
globals().update({k: v for k, v in vars(_e2e).items() if not k.startswith("__")})


def pytest_terminal_summary(terminalreporter):
    from faultlib import RESULTS
    if not RESULTS:
        return
    tr = terminalreporter
    tr.section("fault suite: sent vs in Kafka")
    cols = ["case", "sent", "acked", "in_kafka", "lost", "dup", "foreign"]
    tr.write_line(" | ".join(cols))
    for r in RESULTS:
        tr.write_line(" | ".join(str(r[c]) for c in cols))
