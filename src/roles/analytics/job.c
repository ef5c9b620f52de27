/* SPDX-License-Identifier: Apache-2.0 */
/* Presets and job files of `zeelos analytics` (job.h).
 *
 * Why the presets are jobs like any other: the seed's two applications are
 * then just two documented job definitions, and everything the job file can
 * do is tested through them too. */
#include "roles/analytics/job.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"

#define DEFAULT_GRACE_MS 5000

static void job_free(an_job_t *j) {
    free(j->name);
    for (size_t i = 0; i < j->n_inputs; i++) {
        if (j->inputs[i].is_regex) regfree(&j->inputs[i].re);
        free(j->inputs[i].text);
    }
    free(j->inputs);
    free(j->filter);
    for (size_t i = 0; i < j->n_segs; i++) free(j->segs[i]);
    free(j->segs);
    free(j->output);
    free(j->print_label);
    free(j->repartition);
}

void an_jobs_free(an_jobs_t *js) {
    for (size_t i = 0; i < js->n; i++) job_free(&js->jobs[i]);
    free(js->jobs);
    js->jobs = NULL;
    js->n = 0;
}

/* glibc's regcomp copies a repeated subexpression once per repetition, so a
 * repetition of a repetition ("i+++", "(a{100}){100}") grows its tree past
 * gigabytes (the fuzzer's OOM).  A topic pattern needs neither: refuse
 * stacked quantifiers, bounds over 100 and patterns over 512 bytes.  NULL:
 * fine; else why not. */
static const char *pattern_too_costly(const char *re) {
    if (strlen(re) > 512) return "pattern longer than 512 bytes";
    bool after_quant = false, in_brackets = false;
    for (const char *c = re; *c; c++) {
        if (in_brackets) {
            if (*c == ']' && c[-1] != '[' && !(c[-1] == '^' && c[-2] == '[')) in_brackets = false;
            continue;
        }
        bool quant = *c == '*' || *c == '+' || *c == '?' || *c == '{';
        if (quant && after_quant) return "a repetition of a repetition (e.g. \"a++\")";
        if (*c == '{') {
            char *end;
            long lo = strtol(c + 1, &end, 10), hi = lo;
            if (*end == ',') hi = end[1] == '}' ? lo : strtol(end + 1, &end, 10);
            if (lo > 100 || hi > 100) return "a repetition bound over 100";
            const char *close = strchr(c, '}');
            if (close) c = close;
        } else if (*c == '\\' && c[1]) {
            c++;
        } else if (*c == '[') {
            in_brackets = true;
        }
        after_quant = quant;
    }
    return NULL;
}

static zl_err_t add_input(an_job_t *j, const char *text, char *errstr, size_t n) {
    an_input_t *in = realloc(j->inputs, (j->n_inputs + 1) * sizeof *in);
    if (!in) return ZL_ERR_NOMEM;
    j->inputs = in;
    in = &in[j->n_inputs];
    memset(in, 0, sizeof *in);
    if (!*text) {
        snprintf(errstr, n, "job %s: an empty input topic", j->name);
        return ZL_ERR_INVALID;
    }
    if (!(in->text = strdup(text))) return ZL_ERR_NOMEM;
    j->n_inputs++;
    const char *costly = text[0] == '^' ? pattern_too_costly(text) : NULL;
    if (costly) {
        snprintf(errstr, n, "job %s: input %s: %s", j->name, text, costly);
        free(in->text);
        j->n_inputs--;
        return ZL_ERR_INVALID;
    }
    if (text[0] == '^') {
        int rc = regcomp(&in->re, text, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char why[128];
            regerror(rc, &in->re, why, sizeof why);
            snprintf(errstr, n, "job %s: input %s: %s", j->name, text, why);
            free(in->text);
            j->n_inputs--;
            return ZL_ERR_INVALID;
        }
        in->is_regex = true;
    }
    return ZL_OK;
}

static zl_err_t set_filter(an_job_t *j, const char *f, char *errstr, size_t n) {
    if (!(j->filter = strdup(f))) return ZL_ERR_NOMEM;
    if (!*f) return ZL_OK;
    if (f[0] != '/' || f[strlen(f) - 1] == '/') {
        snprintf(errstr, n, "job %s: filter \"%s\": a path pattern starts with / and does not end with one "
                 "(e.g. /3303/*/5700)", j->name, f);
        return ZL_ERR_INVALID;
    }
    char *copy = strdup(f + 1), *save = NULL;
    if (!copy) return ZL_ERR_NOMEM;
    zl_err_t e = ZL_OK;
    for (char *s = strtok_r(copy, "/", &save); s && !e; s = strtok_r(NULL, "/", &save)) {
        bool digits = true;
        for (const char *c = s; *c; c++) digits = digits && isdigit((unsigned char)*c);
        if (strcmp(s, "*") && !digits) {
            snprintf(errstr, n, "job %s: filter \"%s\": segment \"%s\" is neither a number nor *", j->name, f, s);
            e = ZL_ERR_INVALID;
            break;
        }
        char **segs = realloc(j->segs, (j->n_segs + 1) * sizeof *segs);
        if (!segs || !(segs[j->n_segs] = strdup(s))) {
            if (segs) j->segs = segs;
            e = ZL_ERR_NOMEM;
            break;
        }
        j->segs = segs;
        j->n_segs++;
    }
    free(copy);
    return e;
}

static bool valid_name(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-') return false;
    return true;
}

/* ---- presets --------------------------------------------------------------- */

static zl_err_t preset_job(an_jobs_t *out, const char *name, const char *gw, const char *filter, an_group_t g,
                           int64_t size_ms, an_output_t fmt, const char *topic_suffix, const char *label,
                           char *errstr, size_t n) {
    an_job_t *jobs = realloc(out->jobs, (out->n + 1) * sizeof *jobs);
    if (!jobs) return ZL_ERR_NOMEM;
    out->jobs = jobs;
    an_job_t *j = memset(&jobs[out->n++], 0, sizeof *j);
    char topic[512];
    j->group = g;
    j->size_ms = j->advance_ms = size_ms;
    j->grace_ms = DEFAULT_GRACE_MS;
    j->out = fmt;
    snprintf(topic, sizeof topic, "analytics.%s.observations.%s", gw, topic_suffix);
    if (!(j->name = strdup(name)) || !(j->output = strdup(topic)) || !(j->print_label = strdup(label)))
        return ZL_ERR_NOMEM;
    snprintf(topic, sizeof topic, "iot.%s.observations", gw);
    zl_err_t e = add_input(j, topic, errstr, n);
    return e ? e : set_filter(j, filter, errstr, n);
}

zl_err_t an_jobs_preset(const char *preset, const char *gw, an_jobs_t *out, char *errstr, size_t n) {
    zl_err_t e;
    memset(out, 0, sizeof *out);
    if (!strcmp(preset, "max-temp-30s")) {
        e = preset_job(out, "max-temp-30s", gw, "/3303/*/5700", AN_GROUP_ENDPOINT_PATH, 30000, AN_OUT_MAX_RECORD,
                       "maxper30sec", "max", errstr, n);
    } else if (!strcmp(preset, "per-minute")) {
        e = preset_job(out, "per-minute-endpoint", gw, "", AN_GROUP_ENDPOINT, 60000, AN_OUT_AGGREGATE,
                       "perminute.endpoint", "aggr-ep", errstr, n);
        if (!e)
            e = preset_job(out, "per-minute-endpoint-path", gw, "", AN_GROUP_ENDPOINT_PATH, 60000, AN_OUT_AGGREGATE,
                           "perminute.endpoint-path", "aggr-ep-path", errstr, n);
    } else {
        snprintf(errstr, n, "unknown preset \"%s\" (max-temp-30s or per-minute)", preset);
        return ZL_ERR_INVALID;
    }
    if (e) {
        if (e == ZL_ERR_NOMEM) snprintf(errstr, n, "out of memory");
        an_jobs_free(out);
    }
    return e;
}

/* ---- job files ----------------------------------------------------------- */

static const char *const group_names[] = {"endpoint", "endpoint+path", "path", "object", "gateway"};

static zl_err_t bad(char *errstr, size_t n, const char *file, const char *job, const char *fmt, const char *what) {
    char msg[256];
    snprintf(msg, sizeof msg, fmt, what);
    snprintf(errstr, n, "%s: job %s: %s", file, job, msg);
    return ZL_ERR_INVALID;
}

static zl_err_t get_ms(json_t *obj, const char *key, int64_t def, int64_t *out, const char *file, const char *job,
                       char *errstr, size_t n) {
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (def < 0) return bad(errstr, n, file, job, "window.%s is required", key);
        *out = def;
        return ZL_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT64_C(31536000000))
        return bad(errstr, n, file, job, "window.%s must be an integer number of milliseconds (0 to one year)", key);
    *out = json_integer_value(v);
    return ZL_OK;
}

static zl_err_t parse_job(json_t *o, const char *gw, an_job_t *j, const char *file, char *errstr, size_t n) {
    static const char *const known[] = {"name", "input", "filter", "group_by", "window", "time", "emit",
                                        "output", "output_format", NULL};
    json_t *v = json_object_get(o, "name");
    const char *name = json_is_string(v) ? json_string_value(v) : NULL;
    if (!name || !valid_name(name)) {
        snprintf(errstr, n, "%s: every job needs a \"name\" of letters, digits, '.', '_' and '-'", file);
        return ZL_ERR_INVALID;
    }
    if (!(j->name = strdup(name))) return ZL_ERR_NOMEM;
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], key)) k++;
        if (!known[k]) return bad(errstr, n, file, name, "unknown field \"%s\"", key);
    }
    zl_err_t e;
    char topic[512];
    v = json_object_get(o, "input");
    if (!v) {
        snprintf(topic, sizeof topic, "iot.%s.observations", gw);
        if ((e = add_input(j, topic, errstr, n))) return e;
    } else if (json_is_string(v)) {
        if ((e = add_input(j, json_string_value(v), errstr, n))) return e;
    } else if (json_is_array(v) && json_array_size(v)) {
        size_t i;
        json_t *t;
        json_array_foreach(v, i, t) {
            if (!json_is_string(t)) return bad(errstr, n, file, name, "input must hold topic names%s", "");
            if ((e = add_input(j, json_string_value(t), errstr, n))) return e;
        }
    } else {
        return bad(errstr, n, file, name, "input must be a topic or a non-empty array of topics%s", "");
    }
    v = json_object_get(o, "filter");
    if (v && !json_is_string(v)) return bad(errstr, n, file, name, "filter must be a path pattern string%s", "");
    if ((e = set_filter(j, v ? json_string_value(v) : "", errstr, n))) return e;
    v = json_object_get(o, "group_by");
    j->group = AN_GROUP_ENDPOINT_PATH;
    if (v) {
        size_t g = 0;
        while (g < 5 && !(json_is_string(v) && !strcmp(json_string_value(v), group_names[g]))) g++;
        if (g == 5) return bad(errstr, n, file, name, "group_by must be endpoint, endpoint+path, path, object or gateway%s", "");
        j->group = (an_group_t)g;
    }
    json_t *w = json_object_get(o, "window");
    if (!json_is_object(w)) return bad(errstr, n, file, name, "\"window\" (an object with size_ms) is required%s", "");
    json_object_foreach(w, key, val) {
        if (strcmp(key, "type") && strcmp(key, "size_ms") && strcmp(key, "advance_ms") && strcmp(key, "grace_ms"))
            return bad(errstr, n, file, name, "unknown field window.%s", key);
    }
    v = json_object_get(w, "type");
    bool hopping = false;
    if (v && !(json_is_string(v) && ((hopping = !strcmp(json_string_value(v), "hopping")) ||
                                     !strcmp(json_string_value(v), "tumbling"))))
        return bad(errstr, n, file, name, "window.type must be tumbling or hopping%s", "");
    if ((e = get_ms(w, "size_ms", -1, &j->size_ms, file, name, errstr, n)) ||
        (e = get_ms(w, "grace_ms", DEFAULT_GRACE_MS, &j->grace_ms, file, name, errstr, n)) ||
        (e = get_ms(w, "advance_ms", j->size_ms, &j->advance_ms, file, name, errstr, n)))
        return e;
    if (j->size_ms <= 0) return bad(errstr, n, file, name, "window.size_ms must be positive%s", "");
    if (!hopping && j->advance_ms != j->size_ms)
        return bad(errstr, n, file, name, "window.advance_ms is for hopping windows%s", "");
    if (j->advance_ms <= 0 || j->advance_ms > j->size_ms)
        return bad(errstr, n, file, name, "window.advance_ms must be in (0, size_ms]%s", "");
    v = json_object_get(o, "time");
    if (v && !(json_is_string(v) && ((j->record_time = !strcmp(json_string_value(v), "record")) ||
                                     !strcmp(json_string_value(v), "event"))))
        return bad(errstr, n, file, name, "time must be event or record%s", "");
    v = json_object_get(o, "emit");
    if (v && !(json_is_string(v) && ((j->emit_updates = !strcmp(json_string_value(v), "updates")) ||
                                     !strcmp(json_string_value(v), "final"))))
        return bad(errstr, n, file, name, "emit must be final or updates%s", "");
    v = json_object_get(o, "output_format");
    if (v && !(json_is_string(v) && (!strcmp(json_string_value(v), "aggregate") ||
                                     (j->out = !strcmp(json_string_value(v), "max-record") ? AN_OUT_MAX_RECORD
                                                                                           : AN_OUT_AGGREGATE))))
        return bad(errstr, n, file, name, "output_format must be aggregate or max-record%s", "");
    v = json_object_get(o, "output");
    if (v && (!json_is_string(v) || !valid_name(json_string_value(v))))
        return bad(errstr, n, file, name, "output must be a topic name%s", "");
    snprintf(topic, sizeof topic, "analytics.%s.%s", gw, name);
    if (!(j->output = strdup(v ? json_string_value(v) : topic)) || !(j->print_label = strdup(name)))
        return ZL_ERR_NOMEM;
    return ZL_OK;
}

static zl_err_t parse_root(json_t *root, const char *path, const char *gw, an_jobs_t *out, char *errstr,
                           size_t n) {
    json_t *list = json_is_object(root) && json_object_get(root, "jobs") ? json_object_get(root, "jobs") : root;
    size_t count = json_is_array(list) ? json_array_size(list) : json_is_object(list) ? 1 : 0;
    zl_err_t e = ZL_OK;
    if (!count) {
        snprintf(errstr, n, "%s: expected a job object, an array of jobs or {\"jobs\": [...]}", path);
        e = ZL_ERR_INVALID;
    } else if (!(out->jobs = calloc(count, sizeof *out->jobs))) {
        e = ZL_ERR_NOMEM;
    }
    for (size_t i = 0; !e && i < count; i++) {
        json_t *o = json_is_array(list) ? json_array_get(list, i) : list;
        out->n = i + 1;
        if (!json_is_object(o)) {
            snprintf(errstr, n, "%s: job %zu is not an object", path, i + 1);
            e = ZL_ERR_INVALID;
        } else {
            e = parse_job(o, gw, &out->jobs[i], path, errstr, n);
        }
        for (size_t k = 0; !e && k < i; k++)
            if (!strcmp(out->jobs[k].name, out->jobs[i].name)) {
                snprintf(errstr, n, "%s: two jobs are named %s", path, out->jobs[i].name);
                e = ZL_ERR_INVALID;
            }
    }
    if (e == ZL_ERR_NOMEM) snprintf(errstr, n, "out of memory");
    if (e) an_jobs_free(out);
    return e;
}

zl_err_t an_jobs_load(const char *path, const char *gw, an_jobs_t *out, char *errstr, size_t n) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(errstr, n, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return ZL_ERR_INVALID;
    }
    zl_err_t e = parse_root(root, path, gw, out, errstr, n);
    json_decref(root);
    return e;
}

zl_err_t an_jobs_parse(const char *text, size_t len, const char *gw, an_jobs_t *out, char *errstr, size_t n) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(errstr, n, "job text:%d:%d: %s", je.line, je.column, je.text);
        return ZL_ERR_INVALID;
    }
    zl_err_t e = parse_root(root, "job text", gw, out, errstr, n);
    json_decref(root);
    return e;
}

char *an_jobs_topics(const an_jobs_t *js) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    for (size_t i = 0; i < js->n; i++)
        for (size_t k = 0; k < js->jobs[i].n_inputs; k++) {
            const char *t = js->jobs[i].inputs[k].text;
            bool seen = false;
            for (size_t pi = 0; pi <= i && !seen; pi++)
                for (size_t pk = 0; pk < (pi == i ? k : js->jobs[pi].n_inputs) && !seen; pk++)
                    seen = !strcmp(js->jobs[pi].inputs[pk].text, t);
            if (!seen && zl_buf_printf(&b, "%s%s", b.len ? "," : "", t)) {
                zl_buf_free(&b);
                return NULL;
            }
        }
    for (size_t i = 0; i < js->n; i++)
        if (js->jobs[i].repartition && zl_buf_printf(&b, "%s%s", b.len ? "," : "", js->jobs[i].repartition)) {
            zl_buf_free(&b);
            return NULL;
        }
    char *out = strdup(b.len ? (const char *)b.data : "");
    zl_buf_free(&b);
    return out;
}

/* ---- per value ----------------------------------------------------------- */

bool an_job_needs_repartition(const an_job_t *j) {
    return j->group != AN_GROUP_ENDPOINT && j->group != AN_GROUP_ENDPOINT_PATH;
}

bool an_job_reads(const an_job_t *j, const char *topic) {
    for (size_t i = 0; i < j->n_inputs; i++) {
        const an_input_t *in = &j->inputs[i];
        if (in->is_regex ? !regexec(&in->re, topic, 0, NULL, 0) : !strcmp(in->text, topic)) return true;
    }
    return false;
}

bool an_job_match(const an_job_t *j, const char *path) {
    if (!j->n_segs) return true;
    const char *p = path;
    for (size_t i = 0; i < j->n_segs; i++) {
        if (*p != '/') return false;
        p++;
        size_t len = strcspn(p, "/");
        if (!len) return false;
        const char *s = j->segs[i];
        if (!(s[0] == '*' && !s[1]) && (strlen(s) != len || memcmp(s, p, len))) return false;
        p += len;
    }
    return *p == '\0';
}

static size_t put(char *buf, size_t cap, size_t at, const char *s, size_t len) {
    if (at == (size_t)-1 || at + len + 1 > cap) return (size_t)-1;
    memcpy(buf + at, s, len);
    buf[at + len] = '\0';
    return at + len;
}

size_t an_job_group_key(const an_job_t *j, const zl_observe_t *o, const zl_point_t *p, char *buf, size_t cap) {
    const char *ep = o->ep ? o->ep : "";
    switch (j->group) {
    case AN_GROUP_ENDPOINT:
        return put(buf, cap, 0, ep, strlen(ep));
    case AN_GROUP_ENDPOINT_PATH: {
        size_t at = put(buf, cap, 0, ep, strlen(ep));
        at = put(buf, cap, at, ".", 1);
        return put(buf, cap, at, p->path, strlen(p->path));
    }
    case AN_GROUP_PATH:
        return put(buf, cap, 0, p->path, strlen(p->path));
    case AN_GROUP_OBJECT: {
        const char *s = p->path[0] == '/' ? p->path + 1 : p->path;
        size_t len = strcspn(s, "/");
        return len ? put(buf, cap, 0, s, len) : (size_t)-1;
    }
    case AN_GROUP_GATEWAY:
    default: {
        const char *gw = o->server_id ? o->server_id : "";
        return put(buf, cap, 0, gw, strlen(gw));
    }
    }
}

int64_t an_job_first_window(const an_job_t *j, int64_t ts) {
    /* the earliest start k*advance with start + size > ts (floor division: ts may be negative) */
    int64_t last = ts - ((ts % j->advance_ms) + j->advance_ms) % j->advance_ms;
    int64_t first = last;
    while (first - j->advance_ms + j->size_ms > ts) first -= j->advance_ms;
    return first;
}
