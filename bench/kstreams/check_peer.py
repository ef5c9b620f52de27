#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks an analytics output topic against docs/ANALYTICS.md, computed here from a
gen_input.py --dump file: per input partition, stream time = the largest timestamp of the values
that pass the filter; a window [s, e) closes when stream time >= e + grace; values of closed
windows are late; every closed window is one output. Windows still open at the end are not
expected. Reads the topic (read_committed) from the beginning and compares window for window,
and the order too when the topic has one partition.

  check_peer.py --dump d.jsonl --bootstrap 127.0.0.1:9792 --topic ks.analytics.edge1.x \\
      --preset max-temp-30s            (or --job per-minute-endpoint, or --filter/--group-by/...)
Exit 0 when they agree; prints the expected windows with --print-expected.
"""
import argparse
import collections
import json
import sys

PRESETS = {
    "max-temp-30s": dict(filter="/3303/*/5700", group_by="endpoint+path", size=30000, advance=30000, grace=5000,
                         fmt="max-record"),
    "per-minute-endpoint": dict(filter="", group_by="endpoint", size=60000, advance=60000, grace=5000,
                                fmt="aggregate"),
    "per-minute-endpoint-path": dict(filter="", group_by="endpoint+path", size=60000, advance=60000, grace=5000,
                                     fmt="aggregate"),
}


def matches(pattern, path):
    if not pattern:
        return True
    ps = [s for s in pattern[1:].split("/") if s]
    if not path.startswith("/"):
        return False
    segs = path[1:].split("/")
    if len(segs) != len(ps) or any(s == "" for s in segs):
        return False
    return all(p == "*" or p == s for p, s in zip(ps, segs))


def group_key(gb, rec, path):
    if gb == "endpoint":
        return rec["ep"]
    if gb == "endpoint+path":
        return rec["ep"] + "." + path
    if gb == "path":
        return path
    if gb == "object":
        s = path[1:] if path.startswith("/") else path
        o = s.split("/")[0]
        return o or None
    return rec["serverId"]


def windows_for(ts, size, advance):
    last = ts - ts % advance
    first = last
    while first - advance + size > ts:
        first -= advance
    return range(first, last + 1, advance)


def expected(records, job, name, record_time):
    size, adv, grace = job["size"], job["advance"], job["grace"]
    parts = {}
    out, late = [], 0
    for rec in records:
        st_state = parts.setdefault(rec["partition"], {"st": None, "win": {}})
        ts = rec["record_ts"] if record_time else rec["ts"]
        win = st_state["win"]
        any_value = False
        for path, v in rec["values"]:
            if v is None or not matches(job["filter"], path):
                continue
            g = group_key(job["group_by"], rec, path)
            if g is None:
                continue
            any_value = True
            if st_state["st"] is None or ts > st_state["st"]:
                st_state["st"] = ts
            st = st_state["st"]
            for s in windows_for(ts, size, adv):
                if s + size + grace <= st:
                    late += 1
                    continue
                w = win.get((g, s))
                if w is None:
                    w = win[(g, s)] = {"count": 0}
                if job["fmt"] == "max-record" and (w["count"] == 0 or v > w["max"]):
                    w["maxrec"] = (rec["ticket"], rec["observationId"], rec["serverId"], rec["ep"], path, ts)
                if w["count"] == 0:
                    w.update(min=v, max=v, sum=v, last=v, lastTs=ts)
                else:
                    if v < w["min"]:
                        w["min"] = v
                    if v > w["max"]:
                        w["max"] = v
                    w["sum"] += v
                    if ts >= w["lastTs"]:
                        w["last"], w["lastTs"] = v, ts
                w["count"] += 1
        if not any_value:
            continue
        st = st_state["st"]
        closed = sorted((k for k in win if k[1] + size + grace <= st),
                        key=lambda k: (k[1] + size, k[0].encode(), k[1]))
        for g, s in closed:
            w = win.pop((g, s))
            key = {"group": g, "windowStart": s}
            if job["fmt"] == "max-record":
                t, o, sv, ep, path, wts = w["maxrec"]
                val = {"group": g, "windowStart": s, "windowEnd": s + size, "ticket": t, "observationId": o,
                       "serverId": sv, "ep": ep, "path": path + "-max", "timestamp": wts, "value": w["max"]}
            else:
                val = {"job": name, "group": g, "windowStart": s, "windowEnd": s + size, "count": w["count"],
                       "min": w["min"], "max": w["max"], "sum": w["sum"], "mean": w["sum"] / w["count"],
                       "last": w["last"], "lastTimestamp": w["lastTs"], "final": True}
            out.append((key, val))
    open_windows = sum(len(p["win"]) for p in parts.values())
    return out, late, open_windows


def read_topic(bootstrap, topic, timeout):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "check-peer", "enable.auto.commit": False,
                  "isolation.level": "read_committed", "auto.offset.reset": "earliest"})
    md = c.list_topics(topic, timeout=10)
    if topic not in md.topics or md.topics[topic].error is not None:
        sys.exit("check_peer.py: no topic %s" % topic)
    tps = [TopicPartition(topic, p, 0) for p in sorted(md.topics[topic].partitions)]
    ends = {}
    for tp in tps:
        lo, hi = c.get_watermark_offsets(tp, timeout=10)
        ends[tp.partition] = hi
    c.assign(tps)
    got = {tp.partition: [] for tp in tps}
    pos = {tp.partition: 0 for tp in tps}
    import time
    deadline = time.time() + timeout
    while any(pos[p] < ends[p] - 1 for p in pos) and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            # transaction markers: the last offsets may hold no record
            done = True
            for tp in c.position([TopicPartition(topic, p) for p in pos]):
                pos[tp.partition] = max(pos[tp.partition], tp.offset)
                done &= tp.offset >= ends[tp.partition]
            if done:
                break
            continue
        if m.error():
            continue
        pos[m.partition()] = m.offset()
        got[m.partition()].append((json.loads(m.key()), json.loads(m.value())))
    c.close()
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    ap.add_argument("--topic")
    ap.add_argument("--preset", help="max-temp-30s, per-minute-endpoint or per-minute-endpoint-path")
    ap.add_argument("--name", default="job")
    ap.add_argument("--filter", default="")
    ap.add_argument("--group-by", default="endpoint+path")
    ap.add_argument("--size-ms", type=int)
    ap.add_argument("--advance-ms", type=int)
    ap.add_argument("--grace-ms", type=int, default=5000)
    ap.add_argument("--output-format", default="aggregate")
    ap.add_argument("--time", default="event")
    ap.add_argument("--print-expected", action="store_true")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    if a.preset:
        job, name = PRESETS[a.preset], a.preset
    else:
        job = dict(filter=a.filter, group_by=a.group_by, size=a.size_ms, advance=a.advance_ms or a.size_ms,
                   grace=a.grace_ms, fmt=a.output_format)
        name = a.name
    with open(a.dump) as f:
        records = [json.loads(line) for line in f if line.strip()]
    exp, late, open_w = expected(records, job, name, a.time == "record")
    print("check_peer.py: %d records, %d expected windows, %d late (value, window) drops, %d windows left open" %
          (len(records), len(exp), late, open_w), file=sys.stderr)
    if a.print_expected:
        for k, v in exp:
            print(json.dumps(k), json.dumps(v))
    if not a.topic:
        return 0
    got = read_topic(a.bootstrap, a.topic, a.timeout)
    flat = [kv for p in sorted(got) for kv in got[p]]
    # a multiset: with several input partitions a group key may have one window per partition
    canon = lambda kv: json.dumps(kv, sort_keys=True)
    want = collections.Counter(canon(kv) for kv in exp)
    have = collections.Counter(canon(kv) for kv in flat)
    missing = list((want - have).elements())
    unexpected = list((have - want).elements())
    for what, lst in (("missing", missing), ("unexpected", unexpected)):
        for x in lst[:10]:
            print(what, x, file=sys.stderr)
    bad = len(missing) + len(unexpected)
    order = None
    single = len({r["partition"] for r in records}) <= 1 and len(got) == 1
    if single and not bad:
        order = [canon(kv) for kv in flat] == [canon(kv) for kv in exp]
    print("check_peer.py: %d outputs read, %d missing, %d unexpected%s" %
          (len(flat), len(missing), len(unexpected), "" if order is None else ", same order: %s" % order),
          file=sys.stderr)
    return 1 if bad or order is False else 0


if __name__ == "__main__":
    sys.exit(main())
