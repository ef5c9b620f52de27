# SPDX-License-Identifier: Apache-2.0
"""The reference model (gen.py) against cases computed by hand from docs/ANALYTICS.md, and against a
brute-force grouping for the scenarios without late values.  No Kafka, no zeelos: cheap, and what
the end-to-end tests trust when they compare zeelos' output with the model's."""
from __future__ import annotations

import random
from collections import defaultdict

import pytest

import gen
from gen import Job, Rec, run_model, windows_of

T0 = 1_700_000_040_000  # a multiple of 60 s
GW = "gw-model"
A, B = "dev-a./3303/0/5700", "dev-b./3303/0/5700"


def agg(job, group, start, size, vals, last, last_ts, final=True):
    """The aggregate record of the values vals (in processing order)."""
    s = 0.0
    for v in vals:
        s += v
    return {"job": job, "group": group, "windowStart": start, "windowEnd": start + size, "count": len(vals),
            "min": min(vals), "max": max(vals), "sum": s, "mean": s / len(vals), "last": last,
            "lastTimestamp": last_ts, "final": final}


def outs(res):
    return [(o.group, o.start, o.value) for o in res.outputs]


# ------------------------------------------------------------------ windows
def test_windows_tumbling_boundaries():
    j = Job("j", 10_000)
    assert windows_of(j, T0) == [(T0, T0 + 10_000)]
    assert windows_of(j, T0 + 9_999) == [(T0, T0 + 10_000)]
    assert windows_of(j, T0 + 10_000) == [(T0 + 10_000, T0 + 20_000)]
    assert windows_of(j, T0 - 1) == [(T0 - 10_000, T0)]
    assert windows_of(j, 0) == [(0, 10_000)]
    assert windows_of(j, -1) == [(-10_000, 0)]


def test_windows_hopping():
    j = Job("j", 10_000, type="hopping", advance_ms=5_000)
    assert windows_of(j, T0) == [(T0 - 5_000, T0 + 5_000), (T0, T0 + 10_000)]
    assert windows_of(j, T0 + 4_999) == [(T0 - 5_000, T0 + 5_000), (T0, T0 + 10_000)]
    assert windows_of(j, T0 + 5_000) == [(T0, T0 + 10_000), (T0 + 5_000, T0 + 15_000)]
    j3 = Job("j", 10_000, type="hopping", advance_ms=3_000)  # advance not dividing size
    assert windows_of(j3, 9_000) == [(0, 10_000), (3_000, 13_000), (6_000, 16_000), (9_000, 19_000)]
    assert windows_of(j3, 10_000) == [(3_000, 13_000), (6_000, 16_000), (9_000, 19_000)]
    jeq = Job("j", 10_000, type="hopping", advance_ms=10_000)  # advance = size: tumbling
    assert windows_of(jeq, T0 + 3) == [(T0, T0 + 10_000)]


def test_filter_match():
    m = gen.filter_match
    assert m("", "/3/0/7/1")
    assert m("/3303/*/5700", "/3303/0/5700") and m("/3303/*/5700", "/3303/12/5700")
    assert not m("/3303/*/5700", "/3303/0/5701")
    assert not m("/3303/*/5700", "/3303/0/5700/0")
    assert not m("/3303/*/5700", "/3303/0")
    assert not m("/3303/*/5700", "/33030/0/5700")
    assert m("/3/0/7/*", "/3/0/7/1") and not m("/3/0/7/*", "/3/0/7")


# ------------------------------------------------------------------ values
def test_values_of_every_body():
    recs = gen.mixed_values(GW, T0)
    flat = [[(p, b, v) for p, _, b, v in gen.values_of(r.value)] for r in recs]
    assert flat[5] == [("/3/0/7/0", "long", 3300), ("/3/0/7/1", "long", 5000)]
    assert flat[6] == [("/3303/0/5700", "double", 19.5), ("/3303/0/5601", "double", 17.25),
                       ("/3303/0/5701", "string", "Cel"), ("/3303/0/5750/0", "string", "x")]
    assert flat[7] == [("/3303/0/5700", "double", 20.25), ("/3303/1/5700", "double", -3.5),
                       ("/3303/1/5602", "double", 4.0)]
    assert [p for p, _, _ in flat[8]] == ["/3303/0/5700", "/3/0/0", "/3311/0/5850", "/3/0/7/1", "/5/0/0",
                                          "/1/0/10", "/3/0/9"]
    assert flat[9] == []  # NOT_FOUND, a generic message


# ------------------------------------------------------------------ hand-computed runs
def test_model_boundaries():
    j = gen.window_job("b")
    res = run_model(j, gen.boundaries(GW, T0))
    W = 10_000
    assert outs(res) == [
        (A, T0, agg("b", A, T0, W, [20.0, 21.5, 19.25, 18.5], 21.5, T0 + 9_999)),
        (B, T0, agg("b", B, T0, W, [10.0], 10.0, T0 + 4_000)),
        (A, T0 + W, agg("b", A, T0 + W, W, [23.0, 22.0, 24.0, 25.0], 25.0, T0 + 19_999)),
        (B, T0 + W, agg("b", B, T0 + W, W, [11.0, 12.0], 12.0, T0 + 13_000)),
        (A, T0 + 2 * W, agg("b", A, T0 + 2 * W, W, [26.0, 27.0], 27.0, T0 + 22_000)),
    ]
    assert res.late == 3
    assert res.skipped_not_numeric == 0
    assert list(res.open[("in", 0)]) == [(A, T0 + 4 * W)]
    assert res.stream_time[("in", 0)] == T0 + 45_000


def test_model_grace_zero():
    """grace 0: a window closes at stream time = its end; a reading at its last ms is on time."""
    j = Job("g0", 10_000, grace_ms=0)
    recs = [gen.temp(GW, "dev-a", T0 + 9_999, 1.0), gen.temp(GW, "dev-a", T0 + 10_000, 2.0),
            gen.temp(GW, "dev-a", T0 + 9_999, 3.0)]
    res = run_model(j, recs)
    assert outs(res) == [(A, T0, agg("g0", A, T0, 10_000, [1.0], 1.0, T0 + 9_999))]
    assert res.late == 1


def test_model_hopping():
    j = gen.window_job("h", type="hopping", advance_ms=5_000)
    res = run_model(j, gen.hopping_boundaries(GW, T0))
    W = 10_000
    assert outs(res) == [
        (A, T0 - 5_000, agg("h", A, T0 - 5_000, W, [1.0, 2.0], 2.0, T0 + 4_999)),
        (A, T0, agg("h", A, T0, W, [1.0, 2.0, 3.0, 4.0], 4.0, T0 + 9_999)),
        (A, T0 + 5_000, agg("h", A, T0 + 5_000, W, [3.0, 4.0, 5.0, 6.0, 9.0], 9.0, T0 + 14_000)),
        (A, T0 + 10_000, agg("h", A, T0 + 10_000, W, [5.0, 8.0, 9.0, 10.0], 10.0, T0 + 17_000)),
        (A, T0 + 15_000, agg("h", A, T0 + 15_000, W, [8.0, 10.0], 10.0, T0 + 17_000)),
    ]
    assert res.late == 3  # t0+7000 once (one of its two windows), t0+2000 twice


def test_model_mixed_values():
    j = gen.window_job("m")
    res = run_model(j, gen.mixed_values(GW, T0))
    W = 10_000
    a, b = "dev-a.", "dev-b."

    def w0(g, vals, last, lts):
        return (g, T0, agg("m", g, T0, W, vals, last, lts))

    def w1(g, vals, last, lts):
        return (g, T0 + W, agg("m", g, T0 + W, W, vals, last, lts))

    assert outs(res) == [
        w0(a + "/3/0/13", [1_600_000_000.0], 1_600_000_000.0, T0 + 1_600),
        w0(a + "/3/0/7/0", [3300.0, 3310.0], 3310.0, T0 + 6_000),
        w0(a + "/3/0/7/1", [5000.0, 4200.0, 4990.0], 4990.0, T0 + 6_000),
        w0(a + "/3/0/9", [87.0, 85.0], 85.0, T0 + 4_000),
        w0(a + "/3303/0/5700", [21.5, 22.75, 23.5], 23.5, T0 + 9_000),
        w0(b + "/3/0/13", [1_600_000_005.0], 1_600_000_005.0, T0 + 5_000),
        w0(b + "/3303/0/5601", [17.25], 17.25, T0 + 2_500),
        w0(b + "/3303/0/5700", [19.5, 20.25], 20.25, T0 + 3_000),
        w0(b + "/3303/1/5602", [4.0], 4.0, T0 + 3_000),
        w0(b + "/3303/1/5700", [-3.5], -3.5, T0 + 3_000),
        w1(a + "/3303/0/5700", [24.5], 24.5, T0 + 12_000),
        w1(b + "/3/0/9", [80.0], 80.0, T0 + 14_000),
        w1(b + "/3303/1/5700", [24.0], 24.0, T0 + 10_500),
    ]
    assert res.skipped_not_numeric == 9
    assert res.late == 0


def test_model_mixed_values_grouped_by_endpoint():
    """Several values of one record in one group: `last` is the one read later."""
    j = gen.window_job("e", group_by="endpoint")
    res = run_model(j, gen.mixed_values(GW, T0))
    o = {(x.group, x.start): x.value for x in res.outputs}
    va = o[("dev-a", T0)]
    assert va["count"] == 11  # 21.5, 87, 1.6e9, 3300, 5000, 22.75, 4200, 85, 3310, 4990, 23.5
    assert va["last"] == 23.5 and va["lastTimestamp"] == T0 + 9_000
    vb = o[("dev-b", T0)]
    # the object read at t0+3000 is dev-b's latest record in W0 but for /3/0/13 at t0+5000
    assert (vb["last"], vb["lastTimestamp"]) == (1_600_000_005.0, T0 + 5_000)
    # a record with several values at the same timestamp: the last one of the record wins
    recs = [Rec(0, "dev-c", gen.obs(GW, "dev-c", T0 + 1, node=gen.instance(0, [
        gen.resource("/3303/0/5700", "FLOAT", 5.0), gen.resource("/3303/0/5601", "FLOAT", 1.0)]), path="/3303/0")),
        gen.temp(GW, "dev-c", T0 + 20_000, 0.0)]
    r2 = run_model(gen.window_job("e", group_by="endpoint"), recs)
    assert (r2.outputs[0].value["last"], r2.outputs[0].value["count"]) == (1.0, 2)


def test_model_mixed_count_check():
    """dev-a W0 by endpoint: counted by hand."""
    j = gen.window_job("e", group_by="endpoint")
    res = run_model(j, gen.mixed_values(GW, T0))
    va = {(x.group, x.start): x.value for x in res.outputs}[("dev-a", T0)]
    vals = [21.5, 87, 1_600_000_000, 3300, 5000, 22.75, 4200, 85, 3310, 4990, 23.5]
    assert va["count"] == 11 and va["sum"] == sum(float(v) for v in vals)


def test_model_filter_and_stream_time():
    j = gen.window_job("f", filter="/3303/*/5700")
    res = run_model(j, gen.filter_scenario(GW, T0))
    A1 = "dev-a./3303/1/5700"
    assert outs(res) == [
        (A, T0, agg("f", A, T0, 10_000, [20.0, 22.0], 22.0, T0 + 5_000)),
        (A1, T0, agg("f", A1, T0, 10_000, [21.0], 21.0, T0 + 1_100)),
        (A, T0 + 10_000, agg("f", A, T0 + 10_000, 10_000, [23.0], 23.0, T0 + 13_000)),
    ]
    assert res.late == 0
    assert res.skipped_not_numeric == 1


def test_model_per_partition_stream_time():
    """Stream time is per partition: partition 1 far ahead closes nothing on partition 0."""
    recs = [gen.temp(GW, "dev-a", T0 + 1_000, 1.0, p=0), gen.temp(GW, "dev-b", T0 + 90_000, 2.0, p=1),
            gen.temp(GW, "dev-a", T0 + 2_000, 3.0, p=0), gen.temp(GW, "dev-a", T0 + 12_000, 4.0, p=0)]
    res = run_model(gen.window_job("pp"), recs)
    assert outs(res) == [(A, T0, agg("pp", A, T0, 10_000, [1.0, 3.0], 3.0, T0 + 2_000))]
    assert res.outputs[0].src == ("in", 0)


def test_model_max_record():
    [j] = gen.PRESETS["max-temp-30s"]
    recs = gen.max_temp_scenario(GW, T0)
    res = run_model(j, recs)
    got = [(o.group, o.start, o.value["path"], o.value["timestamp"], o.value["rep"]["body"][1]["content"][1]["value"])
           for o in res.outputs]
    assert got == [
        ("dev-a./3303/0/5700", T0, "/3303/0/5700-max", T0 + 2_000, 23.5),
        ("dev-a./3303/1/5700", T0, "/3303/1/5700-max", T0 + 4_000, 30.0),
        ("dev-b./3303/0/5700", T0, "/3303/0/5700-max", T0 + 6_000, 7.0),
        ("dev-a./3303/0/5700", T0 + 30_000, "/3303/0/5700-max", T0 + 35_000, 26.0),
        ("dev-b./3303/0/5700", T0 + 30_000, "/3303/0/5700-max", T0 + 31_000, 5.5),
    ]
    assert res.late == 1
    v = res.outputs[0].value
    assert v["ticket"] == recs[1].value["ticket"] and v["observationId"] == recs[1].value["observationId"]
    assert v["ep"] == "dev-a" and v["serverId"] == GW
    assert isinstance(res.outputs[2].value["rep"]["body"][1]["content"][1]["value"], float)


def test_model_max_record_tie_keeps_earlier():
    j = Job("mx", 10_000, grace_ms=0, output_format="max-record")
    recs = [gen.temp(GW, "dev-a", T0 + 1, 5.0), gen.temp(GW, "dev-a", T0 + 2, 5.0), gen.temp(GW, "dev-a", T0 + 10_000, 1.0)]
    res = run_model(j, recs)
    assert res.outputs[0].value["ticket"] == recs[0].value["ticket"]


def test_model_record_time():
    recs = gen.with_record_time(gen.boundaries(GW, T0), T0)
    res = run_model(gen.window_job("rt", time="record"), recs)
    ref = run_model(gen.window_job("rt"), gen.boundaries(GW, T0))
    assert outs(res) == outs(ref)
    ev = run_model(gen.window_job("rt"), recs)  # the payload's (reversed) times: something else
    assert outs(ev) != outs(ref)


def test_model_updates_prefixes():
    j = gen.window_job("u", emit="updates")
    phases = gen.updates_phases(GW, T0)
    res = run_model(j, [r for ph in phases for r in ph])
    pre = res.prefixes[(A, T0)]
    assert [p["count"] for p in pre] == [1, 2, 3] and not any(p["final"] for p in pre)
    assert pre[-1] == dict(res.outputs[0].value, final=False)
    assert res.outputs[0].value["final"] is True


def test_model_undecodable_counted():
    recs = [gen.temp(GW, "dev-a", T0, 1.0), Rec(0, "dev-a", None, raw=b"\x00\x00\x00\x00\x01garbage")]
    res = run_model(gen.window_job("x"), recs)
    assert res.undecodable == 1 and res.values == 1


# ------------------------------------------------------------------ brute force
def brute(job: Job, recs, name=None):
    """Every value grouped by (group, window) with no notion of time (valid when nothing is late
    and every window closes): {(group, start): aggregate}."""
    by = defaultdict(list)
    for r in recs:
        for path, _, br, v in gen.values_of(r.value):
            if br in ("double", "long") and gen.filter_match(job.filter or "", path):
                for s, e in windows_of(job, r.ts):
                    by[(gen.group_key(job, r.value, path), s)].append((r.ts, float(v)))
    out = {}
    for (g, s), xs in by.items():
        last = max(range(len(xs)), key=lambda i: (xs[i][0], i))
        out[(g, s)] = agg(name or job.name, g, s, job.size_ms, [v for _, v in xs], xs[last][1], xs[last][0])
    return out


@pytest.mark.parametrize("group_by", gen.GROUPS)
@pytest.mark.parametrize("wtype", ["tumbling", "hopping"])
def test_model_groups_against_brute_force(group_by, wtype):
    j = gen.window_job("g", group_by=group_by, type=wtype, advance_ms=5_000 if wtype == "hopping" else None)
    recs = gen.groups_scenario(GW, T0)
    res = run_model(j, recs)
    want = brute(j, recs[:-1])  # the last record only closes the rest
    assert res.late == 0
    assert {o.key: o.value for o in res.outputs} == want
    keys = {o.group for o in res.outputs}
    expect = {"endpoint": {"dev-a", "dev-b", "Dev-c"}, "gateway": {"gwA", "gwB"}, "object": {"3303", "3"},
              "path": {"/3303/0/5700", "/3303/1/5700", "/3/0/9", "/3/0/7/0", "/3/0/7/1"}}.get(group_by)
    if expect:
        assert keys == expect
    else:
        assert "Dev-c./3303/0/5700" in keys and "dev-a./3/0/7/1" in keys
    # emission order: by end, then group bytes, then start
    order = [(o.end, o.group.encode(), o.start) for o in res.outputs]
    assert order == sorted(order)


def test_model_big_stream_against_brute_force():
    """The EOS stream: the model's output = brute force over the values that were not late."""
    j = gen.window_job("big", type="hopping", advance_ms=5_000)
    recs = gen.big_stream(GW, T0, 6000, seed=7)
    res = run_model(j, recs)
    assert res.late > 0 and len(res.outputs) > 100
    # replay while tracking stream time to drop late (value, window) pairs, then brute-force the rest
    st, kept = {}, defaultdict(list)
    for r in recs:
        for s, e in windows_of(j, r.ts):
            if r.partition in st and st[r.partition] >= e + j.grace:
                continue
            path = gen.values_of(r.value)[0][0]
            kept[(f"{r.ep}.{path}", s)].append((r.ts, r.value["rep"]["body"][1]["content"][1]["value"][1]))
        st[r.partition] = max(st.get(r.partition, r.ts), r.ts)
    closed = {o.key for o in res.outputs}
    for k, o in ((o.key, o) for o in res.outputs):
        xs = kept[k]
        last = max(range(len(xs)), key=lambda i: (xs[i][0], i))
        assert o.value == agg("big", k[0], k[1], j.size_ms, [v for _, v in xs], xs[last][1], xs[last][0])
    open_keys = {k for p in res.open.values() for k in p}
    assert closed | open_keys == set(kept) and not closed & open_keys
    # values are multiples of 1/8: the sums do not depend on the order of the additions
    for o in res.outputs:
        assert (o.value["sum"] * 8).is_integer()


def test_generator_is_deterministic():
    a = gen.big_stream(GW, T0, 500, seed=3)
    b = gen.big_stream(GW, T0, 500, seed=3)
    assert [(r.partition, r.ep, r.value) for r in a] == [(r.partition, r.ep, r.value) for r in b]
    assert random.Random(3).random() == random.Random(3).random()


@pytest.mark.parametrize("group_by", ["path", "object", "gateway"])
def test_model_repartition_phases_never_late(group_by):
    """However the partitions of a phase interleave, nothing is late and the same windows close:
    the model over a few shuffled interleavings (phase by phase) gives the same output."""
    j = gen.Job("rp", 10_000, grace_ms=15_000, group_by=group_by)
    phases = gen.repartition_phases(GW, T0)
    # one repartition partition: the phases concatenated, as if read from one input partition
    ref = run_model(j, [gen.Rec(0, r.ep, r.value) for ph in phases for r in ph])
    assert ref.late == 0 and len(ref.outputs) >= 12
    rnd = random.Random(1)
    for _ in range(5):
        recs = []
        for ph in phases:
            by_p = defaultdict(list)
            for r in ph:
                by_p[r.partition].append(r)
            # a random merge of the partitions, each keeping its order
            queues = [list(v) for v in by_p.values()]
            while any(queues):
                q = rnd.choice([q for q in queues if q])
                recs.append(q.pop(0))
        got = run_model(j, [gen.Rec(0, r.ep, r.value) for r in recs])
        assert got.late == 0
        assert {o.key: o.value for o in got.outputs} == {o.key: o.value for o in ref.outputs}
