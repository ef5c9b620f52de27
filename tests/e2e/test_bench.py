# SPDX-License-Identifier: Apache-2.0
"""`zeelos bench` against a test gateway: a small fleet (20 devices, 5 s of notifications every
200 ms) is measured through Kafka with no record missing or duplicated, every device registered
and observed, management reads answered, and the JSON report written (--out). The accounting of
an injected gap or duplicate is unit-tested in tests/unit/test_benchstat.c."""
from __future__ import annotations

import json
import subprocess

import pytest

from gateway_proc import child_env, zeelos_bin

pytestmark = [pytest.mark.gateway, pytest.mark.kafka]


def test_bench_small_fleet_has_no_missing_or_duplicated_record(gwenv, tmp_path):
    gw = gwenv.gw
    out = tmp_path / "bench.json"
    p = subprocess.run([str(zeelos_bin()), "bench", "--gw", gw.id, "--kafka", gw.kafka,
                        "--schema-registry", gw.registry_url, "--server", f"coap://127.0.0.1:{gw.coap_port}",
                        "--ep", "bn", "--count", "20", "--duration", "5", "--device-notify-ms", "200",
                        "--mgmt-rate", "20", "--mgmt-duration", "2", "--bench-drain-ms", "2000",
                        "--gateway-pid", str(gw.proc.pid), "--out", str(out)],
                       env=child_env(), cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "notifications delivered" in p.stdout
    r = json.loads(out.read_text())
    assert r["registrations"]["count"] == 20
    assert r["observe"] == {"ok": 20, "error": 0}
    assert r["management"]["ok"] == 40 and r["management"]["error"] == 0
    n = r["notifications"]
    assert n["missing"] == 0 and n["duplicated"] == 0, n
    # the fleet stopped before the drain: everything it says it sent arrived
    assert n["fleet_sent"] == n["delivered"] and n["not_delivered"] == 0, n
    assert n["delivered_in_window"] >= 0.8 * 20 * 5 * 5, n  # 20 devices x 5/s x 5 s
    assert n["undecodable"] == 0 and n["foreign"] == 0
    assert n["latency_createtime_ms"]["count"] == n["delivered_in_window"]
    g = r["gateway_process"]
    assert g["pid"] == gw.proc.pid and g["idle_rss_mib"] > 0 and len(g["samples"]) >= 5
