// SPDX-License-Identifier: Apache-2.0
package io.zeelos.bench;

import java.util.ArrayList;
import java.util.List;

/** One analytics job (docs/ANALYTICS.md "Job file"), from a preset or the generic flags. */
final class Job {
    String name;
    String filter = "";
    String[] segs = new String[0];
    String groupBy = "endpoint+path";
    boolean hopping;
    long sizeMs, advanceMs, graceMs = 5000;
    String output;
    boolean maxRecord;

    static List<Job> preset(String preset, String gw) {
        List<Job> jobs = new ArrayList<>();
        switch (preset) {
            case "max-temp-30s":
                jobs.add(make("max-temp-30s", "/3303/*/5700", "endpoint+path", 30000, true,
                        "analytics." + gw + ".observations.maxper30sec"));
                break;
            case "per-minute":
                jobs.add(make("per-minute-endpoint", "", "endpoint", 60000, false,
                        "analytics." + gw + ".observations.perminute.endpoint"));
                jobs.add(make("per-minute-endpoint-path", "", "endpoint+path", 60000, false,
                        "analytics." + gw + ".observations.perminute.endpoint-path"));
                break;
            default:
                throw new IllegalArgumentException("unknown preset \"" + preset + "\" (max-temp-30s or per-minute)");
        }
        return jobs;
    }

    private static Job make(String name, String filter, String group, long size, boolean maxRecord, String out) {
        Job j = new Job();
        j.name = name;
        j.setFilter(filter);
        j.groupBy = group;
        j.sizeMs = j.advanceMs = size;
        j.maxRecord = maxRecord;
        j.output = out;
        return j;
    }

    /** A path pattern: starts with '/', does not end with one, segments are numbers or '*'. */
    void setFilter(String f) {
        filter = f;
        if (f.isEmpty()) {
            segs = new String[0];
            return;
        }
        if (f.charAt(0) != '/' || f.endsWith("/"))
            throw new IllegalArgumentException("filter \"" + f + "\": a path pattern starts with / and does not end with one");
        List<String> s = new ArrayList<>();
        for (String seg : f.substring(1).split("/")) {
            if (seg.isEmpty()) continue; // strtok skips empty segments
            if (!seg.equals("*") && !seg.chars().allMatch(c -> c >= '0' && c <= '9'))
                throw new IllegalArgumentException("filter \"" + f + "\": segment \"" + seg + "\" is neither a number nor *");
            s.add(seg);
        }
        segs = s.toArray(new String[0]);
    }

    void setGroupBy(String g) {
        switch (g) {
            case "endpoint": case "endpoint+path": case "path": case "object": case "gateway":
                groupBy = g;
                return;
            default:
                throw new IllegalArgumentException("group_by must be endpoint, endpoint+path, path, object or gateway");
        }
    }

    /** Same length, each segment equal or '*'; no filter matches all. */
    boolean matches(String path) {
        if (segs.length == 0) return true;
        int p = 0, n = path.length();
        for (String s : segs) {
            if (p >= n || path.charAt(p) != '/') return false;
            p++;
            int end = path.indexOf('/', p);
            if (end < 0) end = n;
            if (end == p) return false;
            if (!s.equals("*") && (s.length() != end - p || !path.regionMatches(p, s, 0, s.length()))) return false;
            p = end;
        }
        return p == n;
    }

    /** The group key text, or null when there is none (an object group of an empty path). */
    String groupKey(String ep, String serverId, String path) {
        switch (groupBy) {
            case "endpoint":
                return ep;
            case "endpoint+path":
                return ep + "." + path;
            case "path":
                return path;
            case "object": {
                int from = path.startsWith("/") ? 1 : 0;
                int end = path.indexOf('/', from);
                if (end < 0) end = path.length();
                return end > from ? path.substring(from, end) : null;
            }
            default:
                return serverId;
        }
    }
}
