/* SPDX-License-Identifier: Apache-2.0 */
/* The bench's reading of the observations topic, and `--consume-only`.
 *
 * Why its own file: at 10-20k notifications/s the bench shares 2 cores with
 * the broker, the gateway and the fleet, and it used to spend 5-6 us per
 * record (one poll per record, every record decoded to a JSON text and
 * searched), i.e. a tenth of a core that the gateway then lacked, and a
 * ceiling of ~170k records/s for the bench itself.  Here records come in
 * batches, an Avro record is read by the serde's schema-plan walker (no
 * generic value, no JSON text), a JSON record is searched for the three
 * fields in place (no jansson tree), and per-device state is a hash map by
 * endpoint name.  The consume-only mode measures exactly this path on an
 * existing topic (`bench/run.sh BUILD consume` fills one), without a gateway
 * or a fleet. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "roles/bench/bench_int.h"
#include "kafka/ktool.h"
#include "common/clock.h"
#include "common/conf.h"
#include "common/hmap.h"

/* ------------------------------------------------------------ devices */

typedef struct {
    zl_hnode_t node;
    zl_seq_t seq;
    size_t len;
    char ep[]; /* len bytes */
} bench_dev_t;

struct zl_bench_devs {
    zl_hmap_t map;
};

zl_bench_devs_t *zl_bench_devs_new(void) {
    zl_bench_devs_t *d = calloc(1, sizeof *d);
    if (d && zl_hmap_init(&d->map, 1024)) {
        free(d);
        return NULL;
    }
    return d;
}

static void dev_free(zl_hnode_t *n, void *ctx) {
    (void)ctx;
    free(ZL_CONTAINER_OF(n, bench_dev_t, node));
}

void zl_bench_devs_free(zl_bench_devs_t *d) {
    if (!d) return;
    zl_hmap_destroy(&d->map, dev_free, NULL);
    free(d);
}

zl_seq_t *zl_bench_devs_seq(zl_bench_devs_t *d, const char *ep, size_t len) {
    uint64_t h = zl_hash_bytes(d->map.seed, ep, len);
    for (zl_hnode_t *n = zl_hmap_first(&d->map, h); n; n = zl_hmap_next_same(n)) {
        bench_dev_t *v = ZL_CONTAINER_OF(n, bench_dev_t, node);
        if (v->len == len && !memcmp(v->ep, ep, len)) return &v->seq;
    }
    bench_dev_t *v = calloc(1, sizeof *v + len);
    if (!v) return NULL;
    v->len = len;
    memcpy(v->ep, ep, len);
    if (zl_hmap_insert(&d->map, &v->node, h)) {
        free(v);
        return NULL;
    }
    return &v->seq;
}

size_t zl_bench_devs_count(const zl_bench_devs_t *d) { return d->map.count; }

/* -------------------------------------------------------- observations */

/* The number after the first `"double":` that follows the string path in
 * the JSON text [p, end): 0 or -1.  (Avro JSON: a resource is
 * {"id":..,"path":"/3303/0/5700",..,"value":{"double":<v>}}.) */
static int json_double_after(const char *p, const char *end, const char *path, double *v) {
    const char *q = memmem(p, (size_t)(end - p), path, strlen(path));
    if (!q || !(q = memmem(q, (size_t)(end - q), "\"double\":", 9))) return -1;
    q += 9;
    char num[40];
    size_t n = 0;
    while (q + n < end && n + 1 < sizeof num && strchr("0123456789+-.eE", q[n]) && q[n]) num[n] = q[n], n++;
    num[n] = 0;
    char *e;
    *v = strtod(num, &e);
    return n && !*e ? 0 : -1;
}

/* JSON: the three fields in place.  The endpoint is the first "ep" member:
 * it precedes every value and, in the text, a member name cannot occur
 * inside a string (its quotes would be escaped). */
static int json_read(const zl_kmsg_t *m, zl_bench_obs_t *out) {
    const char *p = m->value, *end = p + m->value_len, *ep = memmem(p, m->value_len, "\"ep\":\"", 6);
    const char *ep_end = ep ? memchr(ep + 6, '"', (size_t)(end - ep - 6)) : NULL;
    if (!ep_end || *p != '{') return -1;
    out->ep = ep + 6;
    out->ep_len = (size_t)(ep_end - out->ep);
    double send, seq;
    if (json_double_after(ep_end, end, "\"/3303/0/5700\"", &send) ||
        json_double_after(ep_end, end, "\"/3303/0/5601\"", &seq))
        return 1;
    out->send_us = (int64_t)send;
    out->seq = (int64_t)seq;
    return 0;
}

int zl_bench_obs_read(zl_serde_t *s, zl_observe_t *scratch, const zl_kmsg_t *m, zl_bench_obs_t *out) {
    if (!m->value) return -1;
    if (zl_serde_format(s) == ZL_FORMAT_JSON) return json_read(m, out);
    char err[256];
    if (zl_serde_decode_observe(s, m->value, m->value_len, scratch, err, sizeof err)) return -1;
    out->ep = scratch->ep;
    out->ep_len = strlen(scratch->ep);
    int found = 0;
    for (size_t i = 0; i < scratch->n_points && found != 3; i++) {
        const zl_point_t *pt = &scratch->points[i];
        if (strncmp(pt->path, "/3303/0/5", 9)) continue;
        int64_t v = pt->kind == ZL_PV_DOUBLE ? (int64_t)pt->d : pt->kind == ZL_PV_LONG ? pt->l : -1;
        if (!strcmp(pt->path + 9, "700")) out->send_us = v, found |= 1;
        else if (!strcmp(pt->path + 9, "601")) out->seq = v, found |= 2;
    }
    return found == 3 ? 0 : 1;
}

/* ------------------------------------------------------- consume-only */

zl_ktool_t *zl_bench_consumer_new(const zl_kafka_conf_t *kc, char *err, size_t n) {
    /* Unless configured: the fetch must not sit out librdkafka's default
     * 500 ms on an idle topic (that would be measured as latency; the
     * gateway's own consumer uses 10 ms too), and once queued.min.messages
     * are waiting the fetcher must not pause for fetch.queue.backoff.ms'
     * default 1 s: the bench empties 100,000 records in a fraction of that,
     * and then waited (150k records/s at 1.5 us of CPU each, 890k/s without). */
    static const char *const props[][2] = {{"kafka.fetch.wait.max.ms", "10"}, {"kafka.fetch.queue.backoff.ms", "10"}};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
        if (!zl_conf_kafka(kc->props, props[i][0]) && zl_kafka_knows(props[i][0] + strlen("kafka.")) &&
            zl_conf_set(kc->props, props[i][0], props[i][1], err, n))
            return NULL;
    return zl_ktool_new(kc->props, ZL_KTOOL_CONSUMER, err, n);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

typedef struct {
    zl_serde_t *s;
    zl_observe_t scratch;
    zl_bench_devs_t *devs;
    zl_seq_stats_t st;
    long records, undecodable, foreign, nomem;
} consumer_t;

static void on_record(void *ctx, const zl_kmsg_t *m) {
    consumer_t *c = ctx;
    zl_bench_obs_t o;
    c->records++;
    int r = zl_bench_obs_read(c->s, &c->scratch, m, &o);
    if (r) {
        if (r < 0) c->undecodable++;
        else c->foreign++;
        return;
    }
    zl_seq_t *seq = zl_bench_devs_seq(c->devs, o.ep, o.ep_len);
    if (!seq) {
        c->nomem++;
        return;
    }
    zl_seq_add(seq, o.seq, &c->st);
}

static double cpu_s(double *user, double *sys) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru); /* every thread: librdkafka's fetcher included */
    *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return *user + *sys;
}

static void report(const zl_bench_conf_t *conf, const consumer_t *c, double wall, double cpu, double user,
                   double sys) {
    const char *fmt = zl_serde_format(c->s) == ZL_FORMAT_JSON ? "json" : "avro";
    double rate = wall > 0 ? (double)c->records / wall : 0, us = c->records ? cpu * 1e6 / (double)c->records : 0;
    printf("\n| zeelos bench --consume-only %s, format %s | |\n|---|---|\n", conf->consume_topic, fmt);
    printf("| %-30s | %ld (%ld undecodable, %ld not bench observations) |\n", "records", c->records,
           c->undecodable, c->foreign);
    printf("| %-30s | %zu; %llu delivered, %llu missing, %llu duplicated, %llu late |\n", "devices, sequences",
           zl_bench_devs_count(c->devs), (unsigned long long)c->st.delivered, (unsigned long long)c->st.missing,
           (unsigned long long)c->st.duplicated, (unsigned long long)c->st.reordered);
    printf("| %-30s | %.2f s = %.0f records/s |\n", "consumed in (first poll to last)", wall, rate);
    printf("| %-30s | %.2f s (user %.2f, system %.2f) = %.2f us/record |\n", "process CPU, all threads", cpu,
           user, sys, us);
    if (!*conf->out) return;
    json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "topic",
                          conf->consume_topic, "format", fmt, "records", (json_int_t)c->records, "undecodable",
                          (json_int_t)c->undecodable, "foreign", (json_int_t)c->foreign, "devices",
                          (json_int_t)zl_bench_devs_count(c->devs), "missing", (json_int_t)c->st.missing,
                          "duplicated", (json_int_t)c->st.duplicated, "late", (json_int_t)c->st.reordered,
                          "wall_s", wall, "records_per_s", rate, "cpu_s", cpu, "cpu_user_s", user, "cpu_sys_s",
                          sys, "cpu_us_per_record", us);
    if (!j || json_dump_file(j, conf->out, JSON_INDENT(1))) fprintf(stderr, "zeelos bench: cannot write %s\n", conf->out);
    json_decref(j);
}

int zl_bench_consume_only(const zl_bench_conf_t *conf) {
    consumer_t c = {0};
    char err[512] = "";
    const zl_kafka_conf_t *kc = &conf->kafka;
    zl_ktool_t *cons = NULL;
    int rc = 1;
    if (!(c.devs = zl_bench_devs_new())) {
        fprintf(stderr, "zeelos bench: out of memory\n");
        return 1;
    }
    if (!(c.s = zl_ktool_serde(kc, err, sizeof err)) ||
        !(cons = zl_bench_consumer_new(kc, err, sizeof err)) ||
        zl_ktool_assign(cons, conf->consume_topic, true, 10000, err, sizeof err)) {
        fprintf(stderr, "zeelos bench: %s\n", err);
        goto out;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    double user0, sys0, user = 0, sys = 0;
    double cpu0 = cpu_s(&user0, &sys0), cpu1 = cpu0;
    user = user0, sys = sys0;
    int64_t t0 = zl_now_ms(), last = t0, progress = t0 + 1000;
    while (!stop && zl_now_ms() - last < conf->drain_ms) {
        if (zl_ktool_consume_batch(cons, 100, 65536, on_record, &c) > 0) {
            last = zl_now_ms();
            cpu1 = cpu_s(&user, &sys);
        }
        if (zl_now_ms() >= progress) {
            progress += 1000;
            fprintf(stderr, "bench consume-only %lds: %ld records\n", (long)((zl_now_ms() - t0) / 1000), c.records);
        }
    }
    if (c.nomem) fprintf(stderr, "zeelos bench: out of memory for %ld records\n", c.nomem);
    report(conf, &c, (double)(last - t0) / 1e3, cpu1 - cpu0, user - user0, sys - sys0);
    rc = c.records && !c.undecodable ? 0 : 1;
out:
    zl_ktool_destroy(cons);
    zl_serde_destroy(c.s);
    zl_observe_free(&c.scratch);
    zl_bench_devs_free(c.devs);
    return rc;
}
