/* SPDX-License-Identifier: Apache-2.0 */
/* Metrics: exact Prometheus text for counters/gauges with labels, histogram
 * buckets (cumulative, +Inf, _sum, _count), registration rules, and lock-free
 * updates from several threads while another thread renders. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "test.h"

static void test_render_exact(void) {
    zl_metrics_t *m = zl_metrics_new();
    zl_counter_t *to = zl_metrics_counter(m, "zeelos_requests_total", "reason=\"timeout\"", "Management requests.");
    zl_gauge_t *g = zl_metrics_gauge(m, "zeelos_registrations", NULL, "Registered devices.");
    zl_counter_t *ok = zl_metrics_counter(m, "zeelos_requests_total", "reason=\"ok\"", "ignored");
    CHECK(to && g && ok && to != ok);
    CHECK(zl_metrics_counter(m, "zeelos_requests_total", "reason=\"ok\"", "x") == ok);
    CHECK(zl_metrics_gauge(m, "zeelos_requests_total", NULL, "x") == NULL); /* kind clash */
    CHECK(zl_metrics_counter(m, "bad name", NULL, "x") == NULL);
    CHECK(zl_metrics_counter(m, "9bad", NULL, "x") == NULL);
    zl_counter_t *esc = zl_metrics_counter(m, "zeelos_escape_total", NULL, "a\\b\nc");
    zl_counter_add(to, 3);
    zl_counter_inc(ok);
    zl_counter_inc(esc);
    zl_gauge_set(g, 10);
    zl_gauge_add(g, -13);
    CHECK_EQ_INT(zl_counter_get(to), 3);
    zl_buf_t out;
    zl_buf_init(&out, 0);
    CHECK_EQ_INT(zl_metrics_render(m, &out), ZL_OK);
    CHECK_STR(zl_buf_cstr(&out),
              "# HELP zeelos_requests_total Management requests.\n"
              "# TYPE zeelos_requests_total counter\n"
              "zeelos_requests_total{reason=\"timeout\"} 3\n"
              "zeelos_requests_total{reason=\"ok\"} 1\n"
              "# HELP zeelos_registrations Registered devices.\n"
              "# TYPE zeelos_registrations gauge\n"
              "zeelos_registrations -3\n"
              "# HELP zeelos_escape_total a\\\\b\\nc\n"
              "# TYPE zeelos_escape_total counter\n"
              "zeelos_escape_total 1\n");
    zl_buf_free(&out);
    zl_metrics_destroy(m);
}

static void test_histogram(void) {
    zl_metrics_t *m = zl_metrics_new();
    const double bounds[] = {0.25, 0.5, 1};
    zl_histogram_t *h = zl_metrics_histogram(m, "zeelos_rtt_seconds", "Round trip.", bounds, 3);
    CHECK(h != NULL);
    const double bad[] = {1, 0.5};
    CHECK(zl_metrics_histogram(m, "zeelos_bad_seconds", "x", bad, 2) == NULL);
    zl_histogram_observe(h, 0.125);
    zl_histogram_observe(h, 0.25); /* le is inclusive */
    zl_histogram_observe(h, 0.5);
    zl_histogram_observe(h, 2);
    zl_buf_t out;
    zl_buf_init(&out, 0);
    CHECK_EQ_INT(zl_metrics_render(m, &out), ZL_OK);
    CHECK_STR(zl_buf_cstr(&out),
              "# HELP zeelos_rtt_seconds Round trip.\n"
              "# TYPE zeelos_rtt_seconds histogram\n"
              "zeelos_rtt_seconds_bucket{le=\"0.25\"} 2\n"
              "zeelos_rtt_seconds_bucket{le=\"0.5\"} 3\n"
              "zeelos_rtt_seconds_bucket{le=\"1\"} 3\n"
              "zeelos_rtt_seconds_bucket{le=\"+Inf\"} 4\n"
              "zeelos_rtt_seconds_sum 2.875\n"
              "zeelos_rtt_seconds_count 4\n");
    zl_buf_free(&out);

    const double b2[] = {0.005, 0.1};
    zl_histogram_t *h2 = zl_metrics_histogram(m, "zeelos_x_seconds", "x", b2, 2);
    zl_histogram_observe(h2, 0.1);
    zl_buf_init(&out, 0);
    zl_metrics_render(m, &out);
    CHECK(strstr(zl_buf_cstr(&out), "zeelos_x_seconds_bucket{le=\"0.005\"} 0\n"
                                    "zeelos_x_seconds_bucket{le=\"0.1\"} 1\n") != NULL);
    CHECK(strstr(zl_buf_cstr(&out), "zeelos_x_seconds_sum 0.1\n") != NULL);
    zl_buf_free(&out);
    zl_metrics_destroy(m);
}

typedef struct {
    zl_counter_t *c;
    zl_gauge_t *g;
    zl_histogram_t *h;
} work_t;

static void *worker(void *arg) {
    work_t *w = arg;
    for (int i = 0; i < 100000; i++) {
        zl_counter_inc(w->c);
        zl_gauge_add(w->g, 1);
        zl_histogram_observe(w->h, 0.5);
    }
    return NULL;
}

static volatile int stop_render;

static void *renderer(void *arg) {
    zl_metrics_t *m = arg;
    while (!stop_render) {
        zl_buf_t out;
        zl_buf_init(&out, 0);
        zl_metrics_render(m, &out);
        zl_buf_free(&out);
    }
    return NULL;
}

static void test_concurrency(void) {
    zl_metrics_t *m = zl_metrics_new();
    const double bounds[] = {0.1, 1};
    work_t w = {zl_metrics_counter(m, "zeelos_c_total", NULL, "c"), zl_metrics_gauge(m, "zeelos_g", NULL, "g"),
                zl_metrics_histogram(m, "zeelos_h_seconds", "h", bounds, 2)};
    pthread_t t[4], r;
    pthread_create(&r, NULL, renderer, m);
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, &w);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    stop_render = 1;
    pthread_join(r, NULL);
    CHECK_EQ_INT(zl_counter_get(w.c), 400000);
    zl_buf_t out;
    zl_buf_init(&out, 0);
    zl_metrics_render(m, &out);
    const char *s = zl_buf_cstr(&out);
    CHECK(strstr(s, "zeelos_c_total 400000\n") != NULL);
    CHECK(strstr(s, "zeelos_g 400000\n") != NULL);
    CHECK(strstr(s, "zeelos_h_seconds_bucket{le=\"1\"} 400000\n") != NULL);
    CHECK(strstr(s, "zeelos_h_seconds_count 400000\n") != NULL);
    CHECK(strstr(s, "zeelos_h_seconds_sum 200000\n") != NULL);
    zl_buf_free(&out);
    zl_metrics_destroy(m);
}

int main(void) {
    test_render_exact();
    test_histogram();
    test_concurrency();
    TEST_MAIN_END();
}
