/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics: counters, gauges and histograms with lock-free updates.
 *
 * Metrics are created at setup (not thread-safe) and updated from any thread
 * (relaxed atomics); the HTTP thread renders them in the Prometheus text
 * exposition format.  A zl_metrics_t belongs to one gateway/process handle. */
#ifndef ZL_METRICS_H
#define ZL_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

typedef struct zl_metrics zl_metrics_t;
typedef struct zl_counter zl_counter_t;
typedef struct zl_gauge zl_gauge_t;
typedef struct zl_histogram zl_histogram_t;

zl_metrics_t *zl_metrics_new(void);
void zl_metrics_destroy(zl_metrics_t *m);

/* name: full metric name ("zeelos_registrations_total"); labels: NULL or a
 * preformatted label set like "reason=\"timeout\"".  Metrics with the same
 * name and different labels share one HELP/TYPE block. Strings are copied. */
zl_counter_t *zl_metrics_counter(zl_metrics_t *m, const char *name, const char *labels, const char *help);
zl_gauge_t *zl_metrics_gauge(zl_metrics_t *m, const char *name, const char *labels, const char *help);
/* bounds: ascending upper bounds in seconds (+Inf is implicit); copied. */
zl_histogram_t *zl_metrics_histogram(zl_metrics_t *m, const char *name, const char *help,
                                     const double *bounds, int n_bounds);

/* A module's unlabelled counters and gauges as a table instead of a run of
 * zl_metrics_counter/gauge calls: each entry names the zl_counter_t * or
 * zl_gauge_t * field (by offset in the caller's struct) that receives the
 * handle.  Write entries with ZL_COUNTER_DEF / ZL_GAUGE_DEF, which check the
 * field's type at compile time. */
typedef enum { ZL_METRIC_DEF_COUNTER, ZL_METRIC_DEF_GAUGE } zl_metric_def_kind_t;
typedef struct {
    zl_metric_def_kind_t kind;
    const char *name;
    const char *help;
    size_t offset; /* of a zl_counter_t * (COUNTER) or zl_gauge_t * (GAUGE) field */
} zl_metric_def_t;
#define ZL_METRIC_DEF_(kind, htype, type, field, name, help) \
    {kind, name, help, offsetof(type, field) + 0 * sizeof(&((type *)0)->field == (htype **)0)}
#define ZL_COUNTER_DEF(type, field, name, help) \
    ZL_METRIC_DEF_(ZL_METRIC_DEF_COUNTER, zl_counter_t, type, field, name, help)
#define ZL_GAUGE_DEF(type, field, name, help) ZL_METRIC_DEF_(ZL_METRIC_DEF_GAUGE, zl_gauge_t, type, field, name, help)
/* Registers defs[0..n) in order, exactly as the matching zl_metrics_counter/
 * gauge(m, name, NULL, help) calls would, and stores each handle (NULL where
 * that call would return NULL) into the field at base + offset. */
void zl_metrics_register(zl_metrics_t *m, const zl_metric_def_t *defs, size_t n, void *base);

void zl_counter_add(zl_counter_t *c, uint64_t n);
static inline void zl_counter_inc(zl_counter_t *c) { zl_counter_add(c, 1); }
uint64_t zl_counter_get(const zl_counter_t *c);
void zl_gauge_set(zl_gauge_t *g, int64_t v);
void zl_gauge_add(zl_gauge_t *g, int64_t d);
void zl_histogram_observe(zl_histogram_t *h, double seconds);

/* Renders every metric (text format 0.0.4) into out. */
zl_err_t zl_metrics_render(zl_metrics_t *m, zl_buf_t *out);

#endif
