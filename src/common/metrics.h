/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics: counters, gauges and histograms with lock-free updates.
 *
 * Metrics are created at setup (not thread-safe) and updated from any thread
 * (relaxed atomics); the HTTP thread renders them in the Prometheus text
 * exposition format.  A zl_metrics_t belongs to one gateway/process handle. */
#ifndef ZL_METRICS_H
#define ZL_METRICS_H

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

void zl_counter_add(zl_counter_t *c, uint64_t n);
static inline void zl_counter_inc(zl_counter_t *c) { zl_counter_add(c, 1); }
uint64_t zl_counter_get(const zl_counter_t *c);
void zl_gauge_set(zl_gauge_t *g, int64_t v);
void zl_gauge_add(zl_gauge_t *g, int64_t d);
void zl_histogram_observe(zl_histogram_t *h, double seconds);

/* Renders every metric (text format 0.0.4) into out. */
zl_err_t zl_metrics_render(zl_metrics_t *m, zl_buf_t *out);

#endif
