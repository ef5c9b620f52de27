#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Prints the gateway's own latency histograms from its /metrics as the upper bucket bound below
which 50 %, 99 % and 99.9 % of the observations fall:
  - notifications: zeelos_notification_gateway_seconds (datagram read -> record handed to the
    producer), the gateway-added latency of issue 16's P4;
  - management: zeelos_mgmt_gateway_seconds (request consumed -> sent to the device, plus the
    device's answer -> response queued), the gateway-added part of a management round trip, and
    zeelos_mgmt_request_duration_seconds (consumed -> response queued, the device's time included).
Usage: bench/gwlatency.py http://127.0.0.1:PORT/metrics"""
import re
import sys
import urllib.request

text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()


def report(metric: str, what: str) -> bool:
    buckets = [(float("inf") if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2)))
               for m in re.finditer(r'^' + metric + r'_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)]
    total = buckets[-1][1] if buckets else 0
    if not total:
        return False
    out = []
    for q in (0.5, 0.99, 0.999):
        bound = next(le for le, n in buckets if n >= q * total)
        out.append(f"p{q * 100:g} <= {bound * 1e3:g} ms")
    print(f"{what} over {int(total)}: " + ", ".join(out))
    return True


seen = report("zeelos_notification_gateway_seconds", "gateway-added latency, notifications")
seen = report("zeelos_mgmt_gateway_seconds", "gateway-added latency, management requests") or seen
seen = report("zeelos_mgmt_request_duration_seconds", "management requests consumed -> answered, device included") or seen
if not seen:
    sys.exit("no notifications or management requests observed")
