/* SPDX-License-Identifier: Apache-2.0 */
/* The analytics window engine (roles/analytics/window.c) and job files
 * (job.c) on values whose results are worked out by hand here: window
 * boundaries, hopping windows, grace and late values, the emission order,
 * the aggregates, max-record ties, and a changelog round trip that must
 * rebuild exactly the state it was written from. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "roles/analytics/job.h"
#include "roles/analytics/window.h"
#include "test.h"

static char err[512];

typedef struct {
    an_win_t w[64];
    char groups[64][64];
    size_t n;
} closed_t;

static void collect(void *ctx, an_win_t *w) {
    closed_t *c = ctx;
    if (c->n == 64) return;
    c->w[c->n] = *w;
    snprintf(c->groups[c->n], sizeof c->groups[0], "%s", w->group);
    c->n++;
}

static int add(an_state_t *s, const char *group, int64_t ts, double v) {
    an_value_t val = {.group = group, .group_len = strlen(group), .ts = ts, .v = v, .path = "/3303/0/5700"};
    return an_state_add(s, &val);
}

static an_jobs_t job(const char *text) {
    an_jobs_t js;
    if (an_jobs_parse(text, strlen(text), "gw", &js, err, sizeof err)) {
        fprintf(stderr, "job: %s\n", err);
        abort();
    }
    return js;
}

static void test_tumbling(void) {
    an_jobs_t js = job("{\"name\":\"t\",\"window\":{\"size_ms\":1000,\"grace_ms\":200}}");
    an_state_t *s = an_state_new(&js.jobs[0]);
    closed_t c = {0};
    CHECK_EQ_INT(add(s, "a", 0, 1), 0);
    CHECK_EQ_INT(add(s, "a", 999, 3), 0);     /* last ms of [0,1000) */
    CHECK_EQ_INT(add(s, "a", 1000, 10), 0);   /* first of [1000,2000) */
    CHECK_EQ_INT(add(s, "b", 500, -2), 0);    /* out of order, within grace */
    an_state_close(s, collect, &c);
    CHECK_EQ_INT(c.n, 0);                     /* stream time 1000 < 1000 + 200 */
    CHECK_EQ_INT(add(s, "a", 1199, 5), 0);
    an_state_close(s, collect, &c);
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(add(s, "a", 1200, 6), 0);    /* stream time reaches end + grace: [0,1000) closes */
    an_state_close(s, collect, &c);
    if (GUARD(c.n == 2)) { /* by end, then group */
        CHECK_STR(c.groups[0], "a");
        CHECK_EQ_INT(c.w[0].start, 0);
        CHECK_EQ_INT(c.w[0].end, 1000);
        CHECK_EQ_INT(c.w[0].count, 2);
        CHECK(c.w[0].min == 1 && c.w[0].max == 3 && c.w[0].sum == 4 && c.w[0].last == 3);
        CHECK_EQ_INT(c.w[0].last_ts, 999);
        CHECK_STR(c.groups[1], "b");
        CHECK(c.w[1].count == 1 && c.w[1].min == -2 && c.w[1].max == -2);
    }
    CHECK_EQ_INT(add(s, "a", 999, 100), 1);  /* late: its window closed */
    CHECK_EQ_INT(add(s, "c", 0, 100), 1);    /* late even for a group never seen */
    CHECK_EQ_INT(an_state_windows(s), 1);     /* [1000,2000) of a */
    CHECK_EQ_INT(an_state_stream_time(s), 1200);
    an_state_free(s);
    an_jobs_free(&js);
}

static void test_hopping_and_last(void) {
    an_jobs_t js = job("{\"name\":\"h\",\"window\":{\"type\":\"hopping\",\"size_ms\":1000,\"advance_ms\":500,"
                       "\"grace_ms\":0}}");
    an_state_t *s = an_state_new(&js.jobs[0]);
    closed_t c = {0};
    CHECK_EQ_INT(an_job_first_window(&js.jobs[0], 700), 0);   /* [0,1000) and [500,1500) */
    CHECK_EQ_INT(an_job_first_window(&js.jobs[0], -1), -1000); /* [-1000,0) and [-500,500) */
    CHECK_EQ_INT(add(s, "g", 100, 1), 0); /* [-500,500) is not a window: only [0,1000) */
    CHECK_EQ_INT(an_state_windows(s), 1);
    add(s, "g", 700, 7);
    add(s, "g", 700, 8); /* equal time: the value read later is `last` */
    CHECK_EQ_INT(an_state_windows(s), 2);
    add(s, "g", 1500, 1);
    an_state_close(s, collect, &c);
    if (GUARD(c.n == 2)) {
        CHECK(c.w[0].start == 0 && c.w[0].end == 1000 && c.w[0].count == 3 && c.w[0].last == 8 && c.w[0].min == 1);
        CHECK(c.w[1].start == 500 && c.w[1].end == 1500 && c.w[1].count == 2 && c.w[1].last == 8);
    }
    an_state_free(s);
    an_jobs_free(&js);
}

static void test_max_record(void) {
    an_jobs_t js = job("{\"name\":\"m\",\"output_format\":\"max-record\",\"window\":{\"size_ms\":100}}");
    an_state_t *s = an_state_new(&js.jobs[0]);
    zl_observe_t r1 = {.ticket = "t1", .observation_id = "[01]", .server_id = "gw", .ep = "e"};
    zl_observe_t r2 = {.ticket = "t2", .observation_id = "[02]", .server_id = "gw", .ep = "e"};
    an_value_t v = {.group = "e./1/0/1", .group_len = 8, .ts = 10, .v = 5, .rec = &r1, .path = "/1/0/1"};
    an_state_add(s, &v);
    v.ts = 20, v.rec = &r2; /* equal value: the earlier reading stays */
    an_state_add(s, &v);
    closed_t c = {0};
    an_state_flush(s, collect, &c, &(bool){false});
    if (GUARD(c.n == 1 && c.w[0].maxrec)) {
        CHECK_STR(c.w[0].maxrec->ticket, "t1");
        CHECK_EQ_INT(c.w[0].maxrec->ts, 10);
        CHECK_STR(c.w[0].maxrec->path, "/1/0/1");
    }
    an_state_free(s);
    an_jobs_free(&js);
}

/* The changelog records of the windows a flush hands over (window.h's encoding). */
typedef struct {
    zl_buf_t k[64], v[64];
    size_t n;
} log_t;

static void log_window(void *ctx, an_win_t *w) {
    log_t *l = ctx;
    if (l->n == 64) return;
    zl_buf_init(&l->k[l->n], 0);
    zl_buf_init(&l->v[l->n], 0);
    CHECK_EQ_INT(an_log_window_key(&l->k[l->n], "rt", "iot.gw.observations", 3, w), ZL_OK);
    CHECK_EQ_INT(an_log_window_value(&l->v[l->n], w), ZL_OK);
    l->n++;
}

/* Writes every window and the stream time as the processor's flush does,
 * replays the records into a fresh state, and compares what closes. */
static void test_changelog_round_trip(void) {
    an_jobs_t js = job("{\"name\":\"rt\",\"output_format\":\"max-record\",\"window\":{\"size_ms\":100,\"grace_ms\":0}}");
    an_state_t *a = an_state_new(&js.jobs[0]), *b = an_state_new(&js.jobs[0]);
    zl_observe_t r = {.ticket = "tk", .observation_id = "[aa]", .server_id = "gw", .ep = "dev"};
    const char *groups[] = {"dev./3303/0/5700", "dev./3303/1/5700", "other"};
    for (int i = 0; i < 30; i++) {
        an_value_t v = {.group = groups[i % 3], .group_len = strlen(groups[i % 3]), .ts = 1000 + i * 7,
                        .v = sin(i) * 10, .rec = &r, .path = "/3303/0/5700"};
        an_state_add(a, &v);
    }
    log_t lg = {0};
    bool st_changed = false;
    an_state_flush(a, log_window, &lg, &st_changed);
    CHECK(st_changed);
    CHECK_EQ_INT(lg.n, an_state_windows(a));
    zl_buf_t k, val;
    zl_buf_init(&k, 0);
    zl_buf_init(&val, 0);
    for (size_t i = 0; i < lg.n; i++) {
        bool bad = true;
        CHECK(an_state_restore(b, "rt", "iot.gw.observations", 3, lg.k[i].data, lg.k[i].len, lg.v[i].data,
                               lg.v[i].len, &bad));
        CHECK(!bad);
        /* another partition's and another job's records are not this state's */
        CHECK(!an_state_restore(b, "rt", "iot.gw.observations", 4, lg.k[i].data, lg.k[i].len, lg.v[i].data,
                                lg.v[i].len, &bad));
        CHECK(!an_state_restore(b, "rt2", "iot.gw.observations", 3, lg.k[i].data, lg.k[i].len, lg.v[i].data,
                                lg.v[i].len, &bad));
    }
    k.len = val.len = 0;
    an_log_time_key(&k, "rt", "iot.gw.observations", 3);
    an_log_time_value(&val, an_state_stream_time(a));
    bool bad = true;
    CHECK(an_state_restore(b, "rt", "iot.gw.observations", 3, k.data, k.len, val.data, val.len, &bad) && !bad);
    CHECK_EQ_INT(an_state_stream_time(b), an_state_stream_time(a));
    CHECK_EQ_INT(an_state_windows(b), an_state_windows(a));
    /* a truncated value is refused, not half applied */
    if (GUARD(lg.n > 0))
        CHECK(an_state_restore(b, "rt", "iot.gw.observations", 3, lg.k[0].data, lg.k[0].len, lg.v[0].data,
                               lg.v[0].len - 1, &bad) && bad);
    CHECK_EQ_INT(an_state_windows(b), an_state_windows(a));
    /* the same value added to both closes the same windows with the same results */
    an_value_t v = {.group = "x", .group_len = 1, .ts = 5000, .v = 1, .rec = &r, .path = "/1/0/0"};
    an_state_add(a, &v);
    an_state_add(b, &v);
    closed_t ca = {0}, cb = {0};
    an_state_close(a, collect, &ca);
    an_state_close(b, collect, &cb);
    if (GUARD(ca.n == cb.n && ca.n > 0))
        for (size_t i = 0; i < ca.n; i++) {
            CHECK_STR(ca.groups[i], cb.groups[i]);
            CHECK(ca.w[i].start == cb.w[i].start && ca.w[i].count == cb.w[i].count && ca.w[i].sum == cb.w[i].sum &&
                  ca.w[i].max == cb.w[i].max && ca.w[i].last == cb.w[i].last && ca.w[i].last_ts == cb.w[i].last_ts);
            CHECK(cb.w[i].logged); /* a restored window is in the changelog: its close writes a tombstone */
        }
    zl_buf_free(&k);
    zl_buf_free(&val);
    for (size_t i = 0; i < lg.n; i++) {
        zl_buf_free(&lg.k[i]);
        zl_buf_free(&lg.v[i]);
    }
    an_state_free(a);
    an_state_free(b);
    an_jobs_free(&js);
}

static void test_jobs(void) {
    an_jobs_t js = job("{\"jobs\":[{\"name\":\"a\",\"input\":[\"iot.x.observations\",\"^iot\\\\..*\\\\.observations$\"],"
                       "\"filter\":\"/3303/*/5700\",\"group_by\":\"object\",\"window\":{\"size_ms\":60000}}]}");
    const an_job_t *j = &js.jobs[0];
    CHECK_STR(j->output, "analytics.gw.a");
    CHECK_EQ_INT(j->grace_ms, 5000);
    CHECK(an_job_match(j, "/3303/0/5700") && an_job_match(j, "/3303/12/5700"));
    CHECK(!an_job_match(j, "/3303/0/5701") && !an_job_match(j, "/3303/0/5700/1") && !an_job_match(j, "/3303/0"));
    CHECK(an_job_reads(j, "iot.x.observations") && an_job_reads(j, "iot.y.observations"));
    CHECK(!an_job_reads(j, "iot.y.registrations"));
    CHECK(an_job_needs_repartition(j));
    zl_observe_t o = {.ep = "dev", .server_id = "gw"};
    zl_point_t pt = {.path = "/3303/0/5700"};
    char key[64];
    CHECK_EQ_INT(an_job_group_key(j, &o, &pt, key, sizeof key), 4);
    CHECK_STR(key, "3303");
    an_jobs_free(&js);
    static const char *const bad[] = {
        "{\"window\":{\"size_ms\":1}}",                                            /* no name */
        "{\"name\":\"x\"}",                                                        /* no window */
        "{\"name\":\"x\",\"window\":{\"size_ms\":0}}",
        "{\"name\":\"x\",\"window\":{\"size_ms\":10,\"advance_ms\":5}}",           /* advance on tumbling */
        "{\"name\":\"x\",\"window\":{\"type\":\"hopping\",\"size_ms\":10,\"advance_ms\":20}}",
        "{\"name\":\"x\",\"window\":{\"size_ms\":10},\"group_by\":\"room\"}",
        "{\"name\":\"x\",\"window\":{\"size_ms\":10},\"filter\":\"3303/*\"}",
        "{\"name\":\"x\",\"window\":{\"size_ms\":10},\"filter\":\"/3303/a\"}",
        "{\"name\":\"x\",\"window\":{\"size_ms\":10},\"colour\":\"red\"}",
        "{\"name\":\"x\",\"window\":{\"size_ms\":10},\"input\":\"^(\"}",
        "{\"name\":\"x\",\"window\":{\"size_ms\":10},\"input\":\"^i+++\"}", /* regcomp would blow up */
        "{\"name\":\"x\",\"window\":{\"size_ms\":10},\"input\":\"^(a{200})\"}",
        "[{\"name\":\"x\",\"window\":{\"size_ms\":10}},{\"name\":\"x\",\"window\":{\"size_ms\":10}}]",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        CHECK_EQ_INT(an_jobs_parse(bad[i], strlen(bad[i]), "gw", &js, err, sizeof err), ZL_ERR_INVALID);
        CHECK(err[0] != 0);
    }
    CHECK_EQ_INT(an_jobs_preset("max-temp-30s", "edge7", &js, err, sizeof err), ZL_OK);
    if (GUARD(js.n == 1)) {
        CHECK_STR(js.jobs[0].output, "analytics.edge7.observations.maxper30sec");
        CHECK_EQ_INT(js.jobs[0].size_ms, 30000);
        CHECK(js.jobs[0].out == AN_OUT_MAX_RECORD && js.jobs[0].group == AN_GROUP_ENDPOINT_PATH);
    }
    an_jobs_free(&js);
    CHECK_EQ_INT(an_jobs_preset("per-minute", "edge7", &js, err, sizeof err), ZL_OK);
    CHECK_EQ_INT(js.n, 2);
    an_jobs_free(&js);
    CHECK_EQ_INT(an_jobs_preset("hourly", "edge7", &js, err, sizeof err), ZL_ERR_INVALID);
}

int main(void) {
    test_tumbling();
    test_hopping_and_last();
    test_max_record();
    test_changelog_round_trip();
    test_jobs();
    TEST_MAIN_END();
}
