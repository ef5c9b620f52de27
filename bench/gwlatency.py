#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Prints the gateway-added notification latency (datagram read -> record handed to the producer)
from a gateway's /metrics: the zeelos_notification_gateway_seconds histogram, as the upper bucket
bound below which 50 %, 99 % and 99.9 % of the observations fall.
Usage: bench/gwlatency.py http://127.0.0.1:PORT/metrics"""
import re
import sys
import urllib.request

text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
buckets = [(float("inf") if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2)))
           for m in re.finditer(r'^zeelos_notification_gateway_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)]
total = buckets[-1][1] if buckets else 0
if not total:
    sys.exit("no notifications observed")
out = []
for q in (0.5, 0.99, 0.999):
    bound = next(le for le, n in buckets if n >= q * total)
    out.append(f"p{q * 100:g} <= {bound * 1e3:g} ms")
print(f"gateway-added latency over {int(total)} notifications: " + ", ".join(out))
