/* SPDX-License-Identifier: Apache-2.0 */
/* The InfluxDB 1.x store: every value of an observation becomes one point of
 * line protocol, a batch is one POST /write.
 *
 * Why replays are harmless: a point is identified by its series (measurement
 * + tags) and its timestamp, and writing the same point again overwrites it.
 * The timestamp is the notification's (ms) plus the record's Kafka offset
 * modulo 10^6 in nanoseconds, so two notifications of one resource within
 * the same millisecond stay two points, and a replay lands on the same ones.
 * One field per value type (value_float, value_int, value_bool, value_str):
 * InfluxDB fixes a field's type per shard, and one "value" field would make
 * the first integer resource refuse every float after it. */
#include "roles/sink/sink_int.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/num.h"

#define MAX_STRING 65535 /* InfluxDB 1.x refuses longer string fields */

typedef struct {
    sink_store_t base;
    const zl_sink_conf_t *c;
    CURL *curl;
    char *write_url;
    zl_buf_t body, reply;
} influx_t;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx) {
    zl_buf_t *b = ctx;
    size_t n = size * nmemb;
    if (b->len < 4096) zl_buf_append(b, p, n > 4096 ? 4096 : n); /* enough for an error message */
    return n;
}

/* POSTs body to url; the HTTP status, or -1 (errstr) when there was no answer. */
static long post(influx_t *x, const char *url, const char *body, size_t len, char *errstr, size_t n) {
    zl_buf_reset(&x->reply);
    curl_easy_setopt(x->curl, CURLOPT_URL, url);
    curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, &x->reply);
    curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS, (long)x->c->timeout_ms);
    curl_easy_setopt(x->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)x->c->timeout_ms);
    curl_easy_setopt(x->curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(x->curl);
    if (rc != CURLE_OK) {
        snprintf(errstr, n, "%s: %s", x->c->influx_url, curl_easy_strerror(rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
    snprintf(errstr, n, "HTTP %ld: %.*s", status, (int)(x->reply.len > 300 ? 300 : x->reply.len),
             x->reply.data ? (const char *)x->reply.data : "");
    return status;
}

static zl_err_t create_db(influx_t *x, char *errstr, size_t n) {
    char stmt[512], url[1024];
    snprintf(stmt, sizeof stmt, "CREATE DATABASE \"%s\"", x->c->influx_db);
    char *q = curl_easy_escape(x->curl, stmt, 0);
    zl_buf_t body;
    zl_buf_init(&body, 0);
    zl_buf_printf(&body, "q=%s", q ? q : "");
    curl_free(q);
    snprintf(url, sizeof url, "%s/query", x->c->influx_url);
    long st = post(x, url, (const char *)body.data, body.len, errstr, n);
    zl_buf_free(&body);
    if (st < 0 || st >= 500) return ZL_ERR_IO;
    return st == 200 ? ZL_OK : ZL_ERR_INVALID;
}

/* ---- line protocol -------------------------------------------------------- */

/* Escapes for a measurement (commas, spaces) or a tag key/value (also '='). */
static void put_escaped(zl_buf_t *b, const char *s, size_t len, bool tag) {
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ',' || c == ' ' || (tag && c == '=') || c == '\\') zl_buf_putc(b, '\\');
        zl_buf_putc(b, (uint8_t)c);
    }
}

static void put_tag(zl_buf_t *b, const char *key, const char *v, size_t len) {
    if (!len) return; /* InfluxDB has no empty tag values */
    zl_buf_printf(b, ",%s=", key);
    put_escaped(b, v, len, true);
}

static bool bad_tag(const char *s) { return strpbrk(s, "\n\r") != NULL; }

static bool influx_fits(sink_store_t *st, const zl_observe_t *o, char *why, size_t n) {
    (void)st;
    if (bad_tag(o->ep) || bad_tag(o->server_id)) {
        snprintf(why, n, "an endpoint or gateway name with a line break cannot be an InfluxDB tag");
        return false;
    }
    for (size_t i = 0; i < o->n_points; i++) {
        const zl_point_t *p = &o->points[i];
        if (p->kind == ZL_PV_DOUBLE && !isfinite(p->d)) {
            snprintf(why, n, "%s: %s is not a number InfluxDB can store", p->path, isnan(p->d) ? "NaN" : "infinity");
            return false;
        }
        if (p->kind == ZL_PV_STRING && p->s_len > MAX_STRING) {
            snprintf(why, n, "%s: a string of %zu bytes (InfluxDB takes at most %d)", p->path, p->s_len, MAX_STRING);
            return false;
        }
        if (bad_tag(p->path) || !p->path[0]) {
            snprintf(why, n, "a path that cannot be an InfluxDB tag");
            return false;
        }
    }
    return true;
}

static zl_err_t influx_begin(sink_store_t *st, const zl_sub_pos_t *pos, size_t n_pos, int64_t *next, char *errstr,
                             size_t n) {
    influx_t *x = (influx_t *)st;
    (void)pos;
    (void)errstr;
    (void)n;
    for (size_t i = 0; i < n_pos; i++) next[i] = -1; /* replays overwrite */
    zl_buf_reset(&x->body);
    return ZL_OK;
}

static void put_point(influx_t *x, const zl_observe_t *o, const zl_point_t *p, int64_t ts_ns) {
    zl_buf_t *b = &x->body;
    put_escaped(b, x->c->measurement, strlen(x->c->measurement), false);
    /* the path's parts: "/3303/0/5700" -> object 3303, instance 0, resource 5700 */
    const char *part[4] = {0};
    size_t plen[4] = {0};
    const char *s = p->path;
    for (int k = 0; k < 4 && *s == '/'; k++) {
        part[k] = ++s;
        while (*s && *s != '/') s++;
        plen[k] = (size_t)(s - part[k]);
    }
    put_tag(b, "endpoint", o->ep, strlen(o->ep));
    put_tag(b, "gateway", o->server_id, strlen(o->server_id));
    put_tag(b, "instance", part[1], plen[1]);
    put_tag(b, "object", part[0], plen[0]);
    put_tag(b, "path", p->path, strlen(p->path));
    put_tag(b, "resource", part[2], plen[2]);
    put_tag(b, "resource_instance", part[3], plen[3]);
    put_tag(b, "type", p->type, strlen(p->type));
    switch (p->kind) {
    case ZL_PV_DOUBLE: zl_buf_printf(b, " value_float=%.*g", zl_double_precision(p->d), p->d); break;
    case ZL_PV_LONG: zl_buf_printf(b, " value_int=%lldi", (long long)p->l); break;
    case ZL_PV_BOOLEAN: zl_buf_printf(b, " value_bool=%s", p->b ? "true" : "false"); break;
    case ZL_PV_STRING:
        zl_buf_append(b, " value_str=\"", 12);
        for (size_t i = 0; i < p->s_len; i++) {
            if (p->s[i] == '"' || p->s[i] == '\\') zl_buf_putc(b, '\\');
            zl_buf_putc(b, (uint8_t)p->s[i]);
        }
        zl_buf_putc(b, '"');
        break;
    }
    zl_buf_printf(b, " %lld\n", (long long)ts_ns);
}

static zl_err_t influx_add_observe(sink_store_t *st, const sink_batch_t *b, const sink_rec_t *r,
                                   const zl_observe_t *o, char *errstr, size_t n) {
    influx_t *x = (influx_t *)st;
    (void)b;
    (void)errstr;
    (void)n;
    int64_t ms = o->timestamp > 0 ? o->timestamp : r->ts_ms;
    int64_t ts_ns = ms * 1000000 + r->offset % 1000000;
    for (size_t i = 0; i < o->n_points; i++) put_point(x, o, &o->points[i], ts_ns);
    return ZL_OK;
}

static zl_err_t influx_commit(sink_store_t *st, const zl_sub_pos_t *pos, size_t n_pos, char *errstr, size_t n) {
    influx_t *x = (influx_t *)st;
    (void)pos;
    (void)n_pos;
    if (x->body.len == 0) return ZL_OK;
    long status = post(x, x->write_url, (const char *)x->body.data, x->body.len, errstr, n);
    if (status == 204) return ZL_OK;
    if (status == 404) { /* the database went away: make it again, then retry */
        char ignore[256];
        create_db(x, ignore, sizeof ignore);
        return ZL_ERR_IO;
    }
    if (status == 400 || status == 413) return ZL_ERR_INVALID;
    return ZL_ERR_IO; /* no answer, 5xx, 401/403 (fixable outside): try again later */
}

static void influx_abort(sink_store_t *st) { zl_buf_reset(&((influx_t *)st)->body); }

static void influx_close(sink_store_t *st) {
    influx_t *x = (influx_t *)st;
    if (x->curl) curl_easy_cleanup(x->curl);
    free(x->write_url);
    zl_buf_free(&x->body);
    zl_buf_free(&x->reply);
    free(x);
}

static const sink_store_ops_t influx_ops = {
    .name = "InfluxDB",
    .fits = influx_fits,
    .begin = influx_begin,
    .add_observe = influx_add_observe,
    .add_registration = NULL, /* the asset model lives in the SQL stores */
    .commit = influx_commit,
    .abort = influx_abort,
    .close = influx_close,
};

zl_err_t sink_influx_open(const zl_sink_conf_t *c, sink_store_t **out, char *errstr, size_t n) {
    influx_t *x = calloc(1, sizeof *x);
    if (!x) return ZL_ERR_NOMEM;
    x->base.ops = &influx_ops;
    x->c = c;
    zl_buf_init(&x->body, 0);
    zl_buf_init(&x->reply, 0);
    if (!(x->curl = curl_easy_init())) {
        influx_close(&x->base);
        snprintf(errstr, n, "curl_easy_init failed");
        return ZL_ERR_NOMEM;
    }
    char *db = curl_easy_escape(x->curl, c->influx_db, 0);
    char *rp = curl_easy_escape(x->curl, c->influx_rp ? c->influx_rp : "", 0);
    zl_buf_t u;
    zl_buf_init(&u, 0);
    zl_buf_printf(&u, "%s/write?db=%s&precision=ns%s%s", c->influx_url, db, rp && rp[0] ? "&rp=" : "", rp ? rp : "");
    x->write_url = strdup(zl_buf_cstr(&u));
    zl_buf_free(&u);
    curl_free(db);
    curl_free(rp);
    zl_err_t e = create_db(x, errstr, n);
    if (e) {
        influx_close(&x->base);
        return e;
    }
    ZL_INFO("sink", "InfluxDB at %s, database %s, measurement %s", c->influx_url, c->influx_db, c->measurement);
    *out = &x->base;
    return ZL_OK;
}
