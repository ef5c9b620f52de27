#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The Markdown table of bench/side_by_side.sh from its raw results:
   sbs_table.py ZEELOS_JSON LESHAN_JSON CONTEXT_TXT RUN SYS_TXT
ZEELOS_JSON is `zeelos bench --out`, LESHAN_JSON is bench/leshan_load.py --out, SYS_TXT has lines
"<server> <UDP receive-buffer drops> <host CPU busy %>" for the span of each server's run."""
import json
import sys


def main(zpath, lpath, ctxpath, run, syspath):
    z, l = (json.load(open(p)) for p in (zpath, lpath))
    sysd = {}
    for f in (line.split() for line in open(syspath)):
        if len(f) == 3:
            sysd[f[0]] = (int(f[1]), int(f[2]))
    zp, lp = z["gateway_process"], l["server_process"]
    zn, ln = z["notifications"], l["notifications"]

    def us_per_notif(cpu_pct, per_s):
        return 1e4 * cpu_pct / per_s if per_s >= 1 else None

    def lat(n):
        h = n["latency_e2e_ms"]
        return f'{h["p50"]:.1f} / {h["p99"]:.1f}' if h.get("count") else "none in the window"

    # (label, zeelos, Leshan, format, ratio column: "x" = zeelos / Leshan, "" = none)
    rows = [
        ("Registrations/s (first to last event)", z["registrations"]["per_s"], l["registrations"]["per_s"],
         "{:,.0f}", "x"),
        ("All N registered, s from fleet start", z["registrations"]["all_registered_s"],
         l["registrations"]["all_registered_s"], "{:.2f}", "x"),
        ("Notifications/s handled (sent in the window, reached the consumer)", zn["per_s"], ln["per_s"],
         "{:,.0f}", "x"),
        ("Missing / duplicated (whole run)", f'{zn["missing"]:,} / {zn["duplicated"]:,}',
         f'{ln["missing"]:,} / {ln["duplicated"]:,}', "{}", ""),
        ("Latency device send -> consumer p50 / p99, ms", lat(zn), lat(ln), "{}", ""),
        ("Server CPU during the window, % of a core (avg)", zp["notifications"]["cpu_avg_pct"],
         lp["notifications"]["cpu_avg_pct"], "{:.0f}", "x"),
        ("Server CPU per notification handled, us", us_per_notif(zp["notifications"]["cpu_avg_pct"], zn["per_s"]),
         us_per_notif(lp["notifications"]["cpu_avg_pct"], ln["per_s"]), "{:.0f}", "x"),
        ("UDP receive-buffer drops on the host during the run", sysd.get("zeelos", (None,))[0],
         sysd.get("leshan", (None,))[0], "{:,}", ""),
        ("All CPUs of the host busy during the run, %", sysd.get("zeelos", (0, None))[1],
         sysd.get("leshan", (0, None))[1], "{}", ""),
        ("RSS idle, MiB", zp["idle_rss_mib"], lp["idle_rss_mib"], "{:.1f}", "x"),
        ("RSS max with N registered, MiB", zp["registrations"]["rss_max_mib"], lp["rss_after_registrations_mib"],
         "{:.1f}", "x"),
        ("RSS max during the window, MiB", zp["notifications"]["rss_max_mib"], lp["rss_max_notifications_mib"],
         "{:.1f}", "x"),
    ]
    n = z["devices"]
    print(f"### {run}: {n:,} devices x {z['notify_ms']} ms ({n * 1000 // z['notify_ms']:,}/s offered), "
          f"{z['duration_s']} s window\n")
    print("| | zeelos gateway | Leshan server demo | zeelos / Leshan |\n|---|---|---|---|")
    for name, a, b, fmt, kind in rows:
        fa = fmt.format(a) if a is not None else "n/a"
        fb = fmt.format(b) if b is not None else "n/a"
        r = ""
        if kind == "x":
            r = f"{a / b:.2f}" if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a and b else "n/a"
        print(f"| {name} | {fa} | {fb} | {r} |")
    h = {k: (f"{v:.0f} MiB" if v is not None else "?") for k, v in lp["heap_used_mib"].items()}
    o = l["observe"]
    print(f"\nLeshan Java heap used (jcmd GC.heap_info): idle {h['idle']}, end of run {h['end']}, "
          f"after a full GC {h['end_after_gc']} (with {l['registrations']['count']:,} registrations and "
          f"{o['ok']:,} observations). Observe of all devices: Leshan over REST {o['seconds']:.1f} s, "
          f"{o['ok']:,} ok, {o['error']} errors, {o.get('skipped_after_timeout', 0)} not tried (phase timeout); "
          f"zeelos over Kafka {z['observe']['ok']:,} ok, {z['observe']['error']} errors. Leshan's event-stream "
          f"reader used {l.get('consumer_cpu_pct_during_window', 0):.0f} % of a core during the window.\n")
    print(open(ctxpath).read().split("## ")[0].strip())


if __name__ == "__main__":
    main(*sys.argv[1:6])
