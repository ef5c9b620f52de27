# SPDX-License-Identifier: Apache-2.0
"""`zeelos analytics` agrees with Kafka Streams 4.4 (the peer of bench/kstreams.sh: the same jobs
written with the Streams DSL, TimeWindows.ofSizeAndGrace + EmitStrategy.onWindowClose, exactly
once v2) window for window: the same keys (group, window start), window ends and values, on the
same 1-partition input, for both presets and a hopping job.  The reference model (gen.py) is
compared too, so a disagreement says which side departs from docs/ANALYTICS.md.

Doubles are compared exactly.  Why that is right here: with one input partition, both processors
add a window's values in input order (the peer repartitions every value to the partition of its
input partition, --repartition input, so its aggregation task sees them in offset order too), so
each sum is the same sequence of IEEE additions and mean the same division; the peer prints
doubles with Java's shortest round-trip representation, which Python's json parses back to the
same double.  The input holds values that are not binary fractions (multiples of 0.1), so a
different summation order would show.  (With several input partitions feeding one group, the
interleaving of the partitions could differ and sums would only agree within a few ulps; these
tests do not do that.)

Nothing here is skipped: a missing Java or Maven, or a peer that does not build, fails."""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

import gen
from analytics_helpers import OutputReader, t0, wait_committed
from gateway_proc import ROOT, child_env, unique

pytestmark = pytest.mark.kstreams
KSTREAMS = ROOT / "bench" / "kstreams.sh"


@pytest.fixture(scope="session")
def kstreams_peer():
    """Builds the peer once (bash bench/kstreams.sh build); a failed build fails the test."""
    t = time.time()
    p = subprocess.run(["bash", str(KSTREAMS), "build"], capture_output=True, text=True, timeout=1800,
                       env=child_env())
    assert p.returncode == 0, f"bench/kstreams.sh build failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    return time.time() - t


def run_peer(bootstrap: str, registry_url: str, args: list[str], expect: int, tmp_path, timeout: int = 300) -> dict:
    """Runs the peer until it processed and committed `expect` input records; its stats line."""
    argv = ["bash", str(KSTREAMS), "run", "--bootstrap", bootstrap, "--registry", registry_url,
            "--output-prefix", "ks.", "--app-id", unique("ks-app-"), "--state-dir", str(tmp_path / unique("ks-state-")),
            "--expect", str(expect), "--timeout-s", str(timeout - 30), *args]
    env = dict(child_env(), KSPEER_JAVA_OPTS=os.environ.get("KSPEER_JAVA_OPTS", "-Xmx512m"))
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    assert p.returncode == 0, f"the Kafka Streams peer failed ({p.returncode}): {' '.join(argv)}\n" \
                              f"{p.stdout[-3000:]}\n{p.stderr[-5000:]}"
    lines = [x for x in p.stdout.splitlines() if x.startswith("{")]
    assert lines, f"no stats line from the peer:\n{p.stdout}\n{p.stderr[-3000:]}"
    return json.loads(lines[-1])


def agreement_input(gw: str, base: int) -> list[gen.Rec]:
    """Every kind of body, boundaries, out-of-order and late readings, and a random stream whose
    values are multiples of 0.1 (order-sensitive sums); pieces 10 minutes apart."""
    recs = gen.mixed_values(gw, base)
    recs += gen.boundaries(gw, base + 600_000)
    recs += gen.max_temp_scenario(gw, base + 1_200_000)
    recs += gen.per_minute_scenario(gw, base + 1_800_000)
    recs += gen.hopping_boundaries(gw, base + 2_400_000)
    recs += gen.big_stream(gw, base + 3_000_000, 4_000, partitions=1, eps=5, seed=99, denominator=10)
    recs.append(gen.temp(gw, "dev-a", base + 3_000_000 + 4_000 * 40 + 600_000, 0.0))  # closes what is left
    return recs


def view(value: dict, group: str, start: int, size: int) -> dict:
    """A result as the peer's JSON writes it: an aggregate as is, a max-record as {group,
    windowStart, windowEnd, ticket, observationId, serverId, ep, path, timestamp, value}."""
    if "rep" not in value:
        return dict(value)
    body = value["rep"]["body"]
    res = body[1]["content"][1] if isinstance(body, tuple) else None
    return {"group": group, "windowStart": start, "windowEnd": start + size, "ticket": value["ticket"],
            "observationId": value["observationId"], "serverId": value["serverId"], "ep": value["ep"],
            "path": value["path"], "timestamp": value["timestamp"], "value": res["value"] if res else None}


def agree(zeelos: list, ks: list, model: gen.ModelResult, size: int, what: str) -> None:
    z = {r.key: view(r.value, r.group, r.start, size) for r in zeelos}
    k = {r.key: r.value for r in ks}
    m = {o.key: view(o.value, o.group, o.start, size) for o in model.outputs}
    assert len(z) == len(zeelos) and len(k) == len(ks), f"{what}: a window written twice"
    problems = []
    for key in sorted(set(z) | set(k) | set(m)):
        zv, kv, mv = z.get(key), k.get(key), m.get(key)
        if zv == kv == mv:
            continue
        fields = sorted(set(zv or {}) | set(kv or {}) | set(mv or {}))
        diffs = {f: {"zeelos": (zv or {}).get(f, "<none>"), "kstreams": (kv or {}).get(f, "<none>"),
                     "model": (mv or {}).get(f, "<none>")}
                 for f in fields if not ((zv or {}).get(f) == (kv or {}).get(f) == (mv or {}).get(f))}
        problems.append(f"  {key}: " + ("absent from " + ", ".join(n for n, v in (("zeelos", zv), ("kstreams", kv),
                                                                               ("model", mv)) if v is None)
                                        if None in (zv, kv, mv) else json.dumps(diffs)))
    assert not problems, f"{what}: {len(problems)} of {len(set(z) | set(k) | set(m))} windows disagree " \
                         f"(zeelos {len(z)}, Kafka Streams {len(k)}, model {len(m)}):\n" + "\n".join(problems[:15])


def run_both(feed, analytics_factory, registry_url, tmp_path, jobs: list[gen.Job], topics: list[str],
             zeelos_kw: dict, peer_args: list[str], recs: list[gen.Rec]) -> None:
    an = analytics_factory(**zeelos_kw)
    feed.send_all(recs)
    wait_committed(feed.bootstrap, an.app_id, feed.obs_topic, procs=(an,))
    stats = run_peer(feed.bootstrap, registry_url, peer_args, len(recs), tmp_path)
    for job, topic in zip(jobs, topics):
        z = OutputReader(feed.bootstrap, topic, registry_url).read_to_end()
        k = OutputReader(feed.bootstrap, "ks." + topic, fmt="json").read_to_end()
        model = gen.run_model(job, recs, topic=feed.obs_topic)
        assert len(model.outputs) > 20 and model.late > 0, model
        agree(z, k, model, job.size_ms, f"{topic}")
    assert stats["records"] == len(recs), stats


def test_max_temp_30s_agrees(feed, analytics_factory, registry_url, gw, tmp_path, kstreams_peer):
    recs = agreement_input(gw, t0() - 3_600_000)
    run_both(feed, analytics_factory, registry_url, tmp_path, gen.PRESETS["max-temp-30s"],
             [t.format(gw=gw) for t in gen.PRESET_TOPICS["max-temp-30s"]], {"preset": "max-temp-30s"},
             ["--preset", "max-temp-30s", "--gw", gw], recs)


def test_per_minute_agrees(feed, analytics_factory, registry_url, gw, tmp_path, kstreams_peer):
    recs = agreement_input(gw, t0() - 3_600_000)
    run_both(feed, analytics_factory, registry_url, tmp_path, gen.PRESETS["per-minute"],
             [t.format(gw=gw) for t in gen.PRESET_TOPICS["per-minute"]], {"preset": "per-minute"},
             ["--preset", "per-minute", "--gw", gw], recs)


def test_hopping_job_agrees(feed, analytics_factory, registry_url, gw, tmp_path, kstreams_peer):
    job = gen.Job("hop-ks", 10_000, type="hopping", advance_ms=5_000, grace_ms=2_000, group_by="path",
                  filter="/3303/*/5700")
    recs = agreement_input(gw, t0() - 3_600_000)
    run_both(feed, analytics_factory, registry_url, tmp_path, [job], [job.output_topic(gw)], {"job": job},
             ["--name", job.name, "--gw", gw, "--filter", job.filter, "--group-by", job.group_by,
              "--window", "hopping", "--size-ms", "10000", "--advance-ms", "5000", "--grace-ms", "2000"], recs)
