/* SPDX-License-Identifier: Apache-2.0 */
/* Private to roles/analytics: the processor (proc.c) the role (analytics.c)
 * runs on its own thread. */
#ifndef ZL_ANALYTICS_INT_H
#define ZL_ANALYTICS_INT_H

#include "roles/analytics/analytics.h"
#include "roles/analytics/job.h"
#include "common/loop.h"
#include "common/metrics.h"

typedef struct an_proc an_proc_t;

/* Takes jobs over.  Registers the output schemas, creates the output and
 * changelog topics, initialises the transactions and subscribes (blocking:
 * set-up).  done(ctx) is posted to loop when the processor thread ends by
 * itself (fatal error; *status says how).  NULL + errstr. */
an_proc_t *an_proc_new(const zl_analytics_conf_t *conf, an_jobs_t *jobs, const char *app_id, const char *txn_id,
                       zl_metrics_t *m, zl_loop_t *loop, zl_loop_fn done, void *ctx, char *errstr, size_t n);
zl_err_t an_proc_start(an_proc_t *p, char *errstr, size_t n);
/* Async-signal-safe: the thread commits and ends at its next turn. */
void an_proc_stop(an_proc_t *p);
/* Joins the thread (after an_proc_stop), closes the clients; returns 0 after
 * a clean stop, 1 after a fatal error. */
int an_proc_destroy(an_proc_t *p);
/* Partitions assigned now (any thread). */
int an_proc_partitions(const an_proc_t *p);

#endif
