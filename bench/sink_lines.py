# SPDX-License-Identifier: Apache-2.0
"""InfluxDB /query JSON (epoch=ns) on stdin -> the same points as line protocol, measurement
resources_copy: what bench/sink.sh posts in one request to measure InfluxDB's own ingest."""
import json
import sys

TAGS = ("endpoint", "gateway", "instance", "object", "path", "resource", "type")
series = json.load(sys.stdin)["results"][0]["series"][0]
cols = series["columns"]
for row in series["values"]:
    d = dict(zip(cols, row))
    tags = ",".join(f"{k}={d[k]}" for k in TAGS)
    print(f"resources_copy,{tags} value_float={d['value_float']} {d['time']}")
