# SPDX-License-Identifier: Apache-2.0
"""Two instances of one application (same application id, their own instance ids and state
directories) share a 4-partition input; one is killed in the middle of the stream and the other
takes its partitions over, restoring their windows and stream time from the changelog: the output
is still exactly the model's."""
from __future__ import annotations

import gen
from analytics_helpers import OutputReader, diff_outputs, t0, wait_committed
from gateway_proc import unique, wait_until


def partitions(an) -> float:
    """The input partitions an instance holds (docs/ANALYTICS.md "Metrics")."""
    m = an.metrics()
    assert m.has("zeelos_analytics_partitions"), "no zeelos_analytics_partitions gauge on /metrics"
    return m.get("zeelos_analytics_partitions")


def test_two_instances_share_then_take_over(feed_factory, analytics_factory, registry_url, gw, tmp_path):
    feed = feed_factory(partitions=4)
    job = gen.window_job("group", type="hopping", advance_ms=5_000)
    recs = gen.big_stream(gw, t0(), 16_000, partitions=4, eps=40, seed=5)
    model = gen.run_model(job, recs, topic=feed.obs_topic)
    app = unique("ant-grp-")
    # the killed instance's open transaction blocks read_committed readers of the output (and the
    # offsets of its partitions) until it times out: 10 s (Kafka Streams' EOS default), not zeelos' 60 s
    props = {"kafka.transaction.timeout.ms": 10_000}
    a = analytics_factory(job=job, app_id=app, instance_id="one", name="one", props=props)
    b = analytics_factory(job=job, app_id=app, instance_id="two", name="two", props=props)
    seen = {}

    def shared():
        seen["a"], seen["b"] = partitions(a), partitions(b)
        return seen["a"] > 0 and seen["b"] > 0 and seen["a"] + seen["b"] == 4
    try:
        wait_until(shared, 90, 0.2, "both instances to hold partitions of the 4")
    except AssertionError as e:
        raise AssertionError(f"{e}: zeelos_analytics_partitions {seen}") from None

    half = len(recs) // 2
    feed.send_all(recs[:half])
    wait_committed(feed.bootstrap, app, feed.obs_topic, procs=(a, b))
    for x in (a, b):
        assert x.metrics().get("zeelos_analytics_records_total") > 0, f"{x.name} processed nothing"
    # the second half; one instance dies while it handles its part
    a_done = a.metrics().get("zeelos_analytics_records_total")
    feed.send_all(recs[half:])
    a.wait_metric("zeelos_analytics_records_total", lambda v: v >= a_done + 300, 60)
    a.kill()
    wait_until(lambda: partitions(b) == 4, 90, 0.2, "the survivor to hold all 4 partitions")
    assert b.metrics().get("zeelos_analytics_restored_windows_total") > 0, "no window restored from the changelog"
    wait_committed(feed.bootstrap, app, feed.obs_topic, timeout=180, procs=(b,))
    out = OutputReader(feed.bootstrap, job.output_topic(gw), registry_url).read_to_end()
    d = diff_outputs(out, model.outputs)
    assert not d, f"two instances, one killed: the output differs from the model:\n{d}"
