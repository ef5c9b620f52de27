/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics.  Why this shape: hot paths (CoAP receive, Kafka delivery
 * callbacks) must update metrics without locks, so every value is a relaxed
 * atomic; only creation and rendering take the registry mutex, so a module
 * that registers a metric late cannot race the HTTP thread's scrape.
 * Histograms keep per-bucket (non-cumulative) counts and derive _count from
 * them at render time, so _count always equals the +Inf bucket. */
#include "common/metrics.h"
#include "common/num.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { ZL_M_COUNTER, ZL_M_GAUGE, ZL_M_HISTOGRAM } zl_mkind_t;

typedef struct zl_metric {
    zl_mkind_t kind;
    char *name;
    char *labels; /* NULL or preformatted 'a="b",c="d"' */
    char *help;
    struct zl_metric *next;
} zl_metric_t;

struct zl_counter {
    zl_metric_t m; /* first member: zl_metric_t* <-> zl_counter_t* */
    _Atomic uint64_t v;
};

struct zl_gauge {
    zl_metric_t m;
    _Atomic int64_t v;
};

struct zl_histogram {
    zl_metric_t m;
    double *bounds;
    int n_bounds;
    _Atomic uint64_t *buckets; /* n_bounds + 1, the last one is +Inf */
    _Atomic uint64_t sum_bits; /* double, updated with CAS */
};

struct zl_metrics {
    pthread_mutex_t mu;
    zl_metric_t *head, *tail;
};

zl_metrics_t *zl_metrics_new(void) {
    zl_metrics_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

static void zl_metric_free(zl_metric_t *x) {
    free(x->name);
    free(x->labels);
    free(x->help);
    if (x->kind == ZL_M_HISTOGRAM) {
        zl_histogram_t *h = (zl_histogram_t *)x;
        free(h->bounds);
        free((void *)h->buckets);
    }
    free(x);
}

void zl_metrics_destroy(zl_metrics_t *m) {
    if (!m) return;
    zl_metric_t *x = m->head;
    while (x) {
        zl_metric_t *next = x->next;
        zl_metric_free(x);
        x = next;
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static bool zl_metric_name_ok(const char *s) {
    if (!s || !*s) return false;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':';
        if (!alpha && !(p != s && ch >= '0' && ch <= '9')) return false;
    }
    return true;
}

static bool zl_streq_null(const char *a, const char *b) {
    if (!a || !*a) return !b || !*b;
    return b && strcmp(a, b) == 0;
}

/* Finds an existing metric with the same name; *clash is set when the name
 * is taken by a different kind (Prometheus families have one TYPE). */
static zl_metric_t *zl_metric_find(zl_metrics_t *m, zl_mkind_t kind, const char *name,
                                   const char *labels, bool *clash) {
    *clash = false;
    for (zl_metric_t *x = m->head; x; x = x->next) {
        if (strcmp(x->name, name) != 0) continue;
        if (x->kind != kind) {
            *clash = true;
            return NULL;
        }
        if (zl_streq_null(x->labels, labels)) return x;
    }
    return NULL;
}

/* Allocates a metric of `size` bytes, fills the header and links it.  Called
 * with m->mu held. */
static zl_metric_t *zl_metric_add(zl_metrics_t *m, size_t size, zl_mkind_t kind, const char *name,
                                  const char *labels, const char *help) {
    zl_metric_t *x = calloc(1, size);
    if (!x) return NULL;
    x->kind = kind;
    x->name = strdup(name);
    x->labels = (labels && *labels) ? strdup(labels) : NULL;
    x->help = strdup(help ? help : "");
    if (!x->name || !x->help || (labels && *labels && !x->labels)) {
        zl_metric_free(x);
        return NULL;
    }
    return x;
}

static void zl_metric_link(zl_metrics_t *m, zl_metric_t *x) {
    if (m->tail)
        m->tail->next = x;
    else
        m->head = x;
    m->tail = x;
}

static zl_metric_t *zl_metric_get(zl_metrics_t *m, size_t size, zl_mkind_t kind, const char *name,
                                  const char *labels, const char *help) {
    if (!m || !zl_metric_name_ok(name)) return NULL;
    pthread_mutex_lock(&m->mu);
    bool clash;
    zl_metric_t *x = zl_metric_find(m, kind, name, labels, &clash);
    if (!x && !clash) {
        x = zl_metric_add(m, size, kind, name, labels, help);
        if (x) zl_metric_link(m, x);
    }
    pthread_mutex_unlock(&m->mu);
    return x;
}

zl_counter_t *zl_metrics_counter(zl_metrics_t *m, const char *name, const char *labels, const char *help) {
    return (zl_counter_t *)zl_metric_get(m, sizeof(zl_counter_t), ZL_M_COUNTER, name, labels, help);
}

zl_gauge_t *zl_metrics_gauge(zl_metrics_t *m, const char *name, const char *labels, const char *help) {
    return (zl_gauge_t *)zl_metric_get(m, sizeof(zl_gauge_t), ZL_M_GAUGE, name, labels, help);
}

void zl_metrics_register(zl_metrics_t *m, const zl_metric_def_t *defs, size_t n, void *base) {
    for (size_t i = 0; i < n; i++) {
        const zl_metric_def_t *d = &defs[i];
        void *field = (char *)base + d->offset;
        if (d->kind == ZL_METRIC_DEF_GAUGE) *(zl_gauge_t **)field = zl_metrics_gauge(m, d->name, NULL, d->help);
        else *(zl_counter_t **)field = zl_metrics_counter(m, d->name, NULL, d->help);
    }
}

zl_histogram_t *zl_metrics_histogram(zl_metrics_t *m, const char *name, const char *help,
                                     const double *bounds, int n_bounds) {
    if (!m || !zl_metric_name_ok(name) || n_bounds < 0 || (n_bounds > 0 && !bounds)) return NULL;
    for (int i = 0; i < n_bounds; i++) {
        if (!isfinite(bounds[i])) return NULL;
        if (i > 0 && !(bounds[i] > bounds[i - 1])) return NULL;
    }
    pthread_mutex_lock(&m->mu);
    bool clash;
    zl_metric_t *x = zl_metric_find(m, ZL_M_HISTOGRAM, name, NULL, &clash);
    if (!x && !clash) {
        x = zl_metric_add(m, sizeof(zl_histogram_t), ZL_M_HISTOGRAM, name, NULL, help);
        if (x) {
            zl_histogram_t *h = (zl_histogram_t *)x;
            h->n_bounds = n_bounds;
            h->bounds = malloc(sizeof(double) * (size_t)(n_bounds ? n_bounds : 1));
            h->buckets = calloc((size_t)n_bounds + 1, sizeof(_Atomic uint64_t));
            if (!h->bounds || !h->buckets) {
                zl_metric_free(x);
                x = NULL;
            } else {
                if (n_bounds) memcpy(h->bounds, bounds, sizeof(double) * (size_t)n_bounds);
                for (int i = 0; i <= n_bounds; i++) atomic_init(&h->buckets[i], 0);
                atomic_init(&h->sum_bits, 0); /* bit pattern of +0.0 */
                zl_metric_link(m, x);
            }
        }
    }
    pthread_mutex_unlock(&m->mu);
    return (zl_histogram_t *)x;
}

void zl_counter_add(zl_counter_t *c, uint64_t n) {
    if (c) atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

uint64_t zl_counter_get(const zl_counter_t *c) {
    return c ? atomic_load_explicit(&((zl_counter_t *)c)->v, memory_order_relaxed) : 0;
}

void zl_gauge_set(zl_gauge_t *g, int64_t v) {
    if (g) atomic_store_explicit(&g->v, v, memory_order_relaxed);
}

void zl_gauge_add(zl_gauge_t *g, int64_t d) {
    if (g) atomic_fetch_add_explicit(&g->v, d, memory_order_relaxed);
}

static uint64_t zl_d2bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double zl_bits2d(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

void zl_histogram_observe(zl_histogram_t *h, double seconds) {
    if (!h || isnan(seconds)) return;
    int i = 0;
    while (i < h->n_bounds && seconds > h->bounds[i]) i++; /* le: v <= bound */
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    uint64_t old = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
    uint64_t upd;
    do {
        upd = zl_d2bits(zl_bits2d(old) + seconds);
    } while (!atomic_compare_exchange_weak_explicit(&h->sum_bits, &old, upd, memory_order_relaxed,
                                                    memory_order_relaxed));
}

/* Shortest "%g" text that reads back as the same double (0.1 -> "0.1"). */
static void zl_fmt_double(char *out, size_t n, double d) {
    if (isinf(d)) {
        snprintf(out, n, d > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (isnan(d)) {
        snprintf(out, n, "NaN");
        return;
    }
    if (d == floor(d) && fabs(d) < 1e15) { /* integral: no exponent ("200000", not "2e+05") */
        snprintf(out, n, "%.0f", d);
        return;
    }
    snprintf(out, n, "%.*g", zl_double_precision(d), d);
}

static zl_err_t zl_render_help(zl_buf_t *out, const zl_metric_t *x) {
    static const char *const types[] = {"counter", "gauge", "histogram"};
    zl_err_t e = zl_buf_printf(out, "# HELP %s ", x->name);
    for (const char *p = x->help; !e && *p; p++) {
        if (*p == '\\')
            e = zl_buf_append(out, "\\\\", 2);
        else if (*p == '\n')
            e = zl_buf_append(out, "\\n", 2);
        else
            e = zl_buf_putc(out, (uint8_t)*p);
    }
    if (!e) e = zl_buf_printf(out, "\n# TYPE %s %s\n", x->name, types[x->kind]);
    return e;
}

static zl_err_t zl_render_histogram(zl_buf_t *out, const zl_histogram_t *h) {
    const char *name = h->m.name;
    uint64_t cum = 0;
    char num[64];
    zl_err_t e = ZL_OK;
    for (int i = 0; i <= h->n_bounds && !e; i++) {
        cum += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
        if (i < h->n_bounds)
            zl_fmt_double(num, sizeof num, h->bounds[i]);
        else
            snprintf(num, sizeof num, "+Inf");
        e = zl_buf_printf(out, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name, num, cum);
    }
    if (e) return e;
    zl_fmt_double(num, sizeof num,
                  zl_bits2d(atomic_load_explicit(&((zl_histogram_t *)h)->sum_bits, memory_order_relaxed)));
    e = zl_buf_printf(out, "%s_sum %s\n", name, num);
    if (!e) e = zl_buf_printf(out, "%s_count %" PRIu64 "\n", name, cum);
    return e;
}

static zl_err_t zl_render_one(zl_buf_t *out, const zl_metric_t *x) {
    const char *open = x->labels ? "{" : "", *close = x->labels ? "}" : "";
    const char *labels = x->labels ? x->labels : "";
    switch (x->kind) {
    case ZL_M_COUNTER:
        return zl_buf_printf(out, "%s%s%s%s %" PRIu64 "\n", x->name, open, labels, close,
                             zl_counter_get((const zl_counter_t *)x));
    case ZL_M_GAUGE:
        return zl_buf_printf(out, "%s%s%s%s %" PRId64 "\n", x->name, open, labels, close,
                             atomic_load_explicit(&((zl_gauge_t *)x)->v, memory_order_relaxed));
    case ZL_M_HISTOGRAM:
        return zl_render_histogram(out, (const zl_histogram_t *)x);
    }
    return ZL_ERR_INVALID;
}

zl_err_t zl_metrics_render(zl_metrics_t *m, zl_buf_t *out) {
    if (!m || !out) return ZL_ERR_INVALID;
    zl_err_t e = ZL_OK;
    pthread_mutex_lock(&m->mu);
    /* Families in first-registration order; a name is rendered when its first
     * member is reached, so HELP/TYPE appear exactly once per name. */
    for (zl_metric_t *x = m->head; x && !e; x = x->next) {
        bool seen = false;
        for (zl_metric_t *y = m->head; y != x; y = y->next)
            if (strcmp(y->name, x->name) == 0) {
                seen = true;
                break;
            }
        if (seen) continue;
        e = zl_render_help(out, x);
        for (zl_metric_t *y = x; y && !e; y = y->next)
            if (strcmp(y->name, x->name) == 0) e = zl_render_one(out, y);
    }
    pthread_mutex_unlock(&m->mu);
    return e;
}
