# SPDX-License-Identifier: Apache-2.0
"""The presets that replace the seed's Kafka Streams applications (docs/ANALYTICS.md "Presets"):
max-temp-30s (TemperatureStreamsApp: the maximum reading of /3303/*/5700 per endpoint+path and
30 s window, as an AvroResponseObserve with path <path>-max, on
analytics.<gw>.observations.maxper30sec) and per-minute (SimpleAnalyticsStreamsApp: aggregates
per endpoint and per endpoint+path and minute, two topics)."""
from __future__ import annotations

import json
import re

import gen
from analytics_helpers import OutputReader, check_keys_avro, diff_outputs, t0, wait_committed
from kafka_helpers import SchemaRegistry


def test_max_temp_30s(feed, analytics_factory, registry_url, gw):
    recs = gen.max_temp_scenario(gw, t0())
    [job] = gen.PRESETS["max-temp-30s"]
    an = analytics_factory(preset="max-temp-30s")
    feed.send_all(recs)
    wait_committed(feed.bootstrap, an.app_id, feed.obs_topic, procs=(an,))
    topic = f"analytics.{gw}.observations.maxper30sec"
    out = OutputReader(feed.bootstrap, topic, registry_url).read_to_end()
    model = gen.run_model(job, recs, topic=feed.obs_topic)
    d = diff_outputs(out, model.outputs, ordered=True)
    assert not d, f"{topic} differs from the model:\n{d}"
    check_keys_avro(out, registry_url)
    sr = SchemaRegistry(registry_url)
    for sid in {x.value_schema_id for x in out}:
        s = json.loads(sr.schema_text(sid))
        assert (s["namespace"], s["name"]) == ("io.zeelos.leshan.avro.response", "AvroResponseObserve"), s
    # the INTEGER maximum of dev-b comes out as a double
    b = [x for x in out if x.group == "dev-b./3303/0/5700" and x.start == model.outputs[2].start]
    assert b and isinstance(b[0].value["rep"]["body"][1]["content"][1]["value"], float), b
    assert an.metrics().get("zeelos_analytics_late_total") == model.late == 1


def test_per_minute(feed, analytics_factory, registry_url, gw):
    """Two jobs on one input: per endpoint and per endpoint+path, each on its own topic, with the
    same windows (tumbling 60 s, grace 5 s); --print writes the results on stdout too."""
    recs = gen.per_minute_scenario(gw, t0())
    an = analytics_factory(preset="per-minute", print_results=True)
    feed.send_all(recs)
    wait_committed(feed.bootstrap, an.app_id, feed.obs_topic, procs=(an,))
    names, printed = set(), []
    for job, topic in zip(gen.PRESETS["per-minute"], gen.PRESET_TOPICS["per-minute"]):
        topic = topic.format(gw=gw)
        out = OutputReader(feed.bootstrap, topic, registry_url).read_to_end()
        assert out, f"nothing on {topic}"
        jn = {x.value["job"] for x in out}
        assert len(jn) == 1 and "" not in jn, f"{topic}: job names {jn}"
        names |= jn
        model = gen.run_model(job, recs, topic=feed.obs_topic, job_name=jn.pop())
        d = diff_outputs(out, model.outputs, ordered=True)
        assert not d, f"{topic} ({job.group}) differs from the model:\n{d}"
        check_keys_avro(out, registry_url)
        printed.append(out)
    assert len(names) == 2, f"the two per-minute jobs have one name: {names}"
    assert an.metrics().get("zeelos_analytics_values_skipped_total", reason="not_numeric") in (3, 6)
    # --print: the seed's line per result, [<processor>]: [<group>@<start>/<end>], <count> (stdout may be
    # block-buffered when it is a file: read once the process exited)
    assert an.stop() == 0, an.log_tail()
    text = an.stdout_text()
    for out in printed:
        for x in out:
            line = rf"^\[[^\]]+\]: \[{re.escape(x.group)}@{x.start}/{x.start + 60_000}\], {x.value['count']}$"
            assert re.search(line, text, re.M), f"--print: no line {line!r} on stdout"
