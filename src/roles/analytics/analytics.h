/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos analytics`: windowed aggregates over observation topics, written
 * back to Kafka exactly once (the seed's Kafka Streams applications).
 *
 * One processor thread consumes, aggregates and commits Kafka transactions
 * (kafka/txn.h: output, changelog and offsets together); the loop thread
 * serves /metrics, /healthz and /readyz and the stop signal.  Instances with
 * the same application id share the input partitions; a partition's window
 * state follows it through the changelog topic.  docs/ANALYTICS.md. */
#ifndef ZL_ROLES_ANALYTICS_H
#define ZL_ROLES_ANALYTICS_H

#include <stdbool.h>
#include "common/conf.h"
#include "kafka/kafka_conf.h"

typedef struct {
    zl_kafka_conf_t kafka;      /* brokers, format, registry, kafka.* */
    zl_topics_conf_t topics;    /* id: the gateway of the presets */
    const char *preset;         /* analytics.preset */
    const char *job;            /* analytics.job */
    const char *app_id;         /* analytics.application.id ("" = zeelos-analytics-<first job>) */
    const char *instance_id;    /* analytics.instance.id ("" = persisted in state.dir) */
    const char *state_dir;      /* analytics.state.dir */
    int64_t commit_ms;          /* analytics.commit.interval.ms */
    int64_t changelog_parts;    /* analytics.changelog.partitions (0 = as the inputs) */
    int64_t restore_ms;         /* analytics.restore.timeout.ms */
    bool print;                 /* analytics.print */
    const char *host;           /* analytics.host */
    int port;                   /* analytics.port */
} zl_analytics_conf_t;

extern const zl_conf_table_t zl_analytics_conf_table;

typedef struct zl_analytics zl_analytics_t;

/* Loads the jobs, creates the topics, initialises the transactions (fencing
 * an older instance with the same transactional id) and starts serving
 * HTTP.  conf must outlive the role.  NULL + errstr. */
zl_analytics_t *zl_analytics_new(const zl_analytics_conf_t *conf, char *errstr, size_t n);
/* Runs until zl_analytics_stop() or a fatal Kafka error; the exit status. */
int zl_analytics_run(zl_analytics_t *a);
/* Async-signal-safe: commit what is open, leave the group, return from run. */
void zl_analytics_stop(zl_analytics_t *a);
void zl_analytics_destroy(zl_analytics_t *a);

#endif
