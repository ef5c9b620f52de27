/* SPDX-License-Identifier: Apache-2.0 */
/* A group consumer for roles that copy records elsewhere (the sink): many
 * topics or a regular expression, records served on the owner's loop through
 * a pipe (as client.h's consumers), offsets committed by the owner once the
 * copy is durable, and pause/resume of the whole assignment so a slow
 * destination bounds the memory instead of growing it.
 *
 * Several processes with the same group share the partitions (Kafka's
 * rebalancing); a partition's records reach exactly one member at a time
 * except around a rebalance, which is why the sink's stores are idempotent or
 * keep their own offsets (roles/sink/sink.h).
 *
 * Thread: one (the owner's loop). */
#ifndef ZL_KAFKA_SUBSCRIBER_H
#define ZL_KAFKA_SUBSCRIBER_H

#include <stdbool.h>
#include <stdint.h>
#include "kafka/client.h"
#include "common/conf.h"
#include "common/metrics.h"

typedef struct zl_sub zl_sub_t;

/* One partition's position to commit: the offset of the next record to read. */
typedef struct {
    const char *topic;
    int32_t partition;
    int64_t next_offset;
} zl_sub_pos_t;

/* topics: comma-separated names or regular expressions (starting with ^, as
 * librdkafka takes them).  Every kafka.* property of conf applies;
 * enable.auto.commit is off (zl_sub_commit), auto.offset.reset defaults to
 * earliest (a new sink starts at the beginning of the topics' retention).
 * Metrics: zeelos_sink_consumer_{errors_total,partitions}.  NULL + errstr. */
zl_sub_t *zl_sub_new(const zl_conf_t *conf, const char *group, const char *topics, zl_metrics_t *m,
                     zl_consumer_cb cb, void *ctx, char *errstr, size_t n);
/* Options of zl_sub_new_opts (NULL or zero fields: zl_sub_new's behaviour). */
typedef struct {
    const char *role;         /* names the metrics zeelos_<role>_{consumer_errors_total,partitions} and the
                               * log lines; NULL = "sink" */
    const char *labels;       /* labels of those metrics (e.g. consumer="live"), NULL = none */
    const char *offset_reset; /* auto.offset.reset unless kafka.auto.offset.reset is set; NULL = earliest */
    int metadata_refresh_ms;  /* how soon a new topic matching a pattern is found; 0 = librdkafka's 5 min */
} zl_sub_opts_t;
zl_sub_t *zl_sub_new_opts(const zl_conf_t *conf, const char *group, const char *topics, const zl_sub_opts_t *o,
                          zl_metrics_t *m, zl_consumer_cb cb, void *ctx, char *errstr, size_t n);
/* Leaves the group (the last commits are flushed first). */
void zl_sub_destroy(zl_sub_t *s);
/* Optional: fn runs for every partition revoked, before it goes. */
void zl_sub_on_revoke(zl_sub_t *s, void (*fn)(void *ctx, const char *topic, int32_t partition), void *ctx);
int zl_sub_fd(const zl_sub_t *s);
/* Serves up to max records and the rebalance and error events; call on the fd
 * and on a timer (well below max.poll.interval.ms, even while paused). */
void zl_sub_serve(zl_sub_t *s, int max);
/* Stops (true) or restarts fetching every assigned partition, and those
 * assigned later while paused.  Records fetched before a pause and not yet
 * served are fetched again after the resume, none is skipped. */
void zl_sub_pause(zl_sub_t *s, bool pause);
bool zl_sub_paused(const zl_sub_t *s);
/* Commits the positions (asynchronously; a failure is counted and logged,
 * the next commit covers it).  Partitions no longer assigned are skipped. */
void zl_sub_commit(zl_sub_t *s, const zl_sub_pos_t *pos, size_t n);
/* Partitions assigned now. */
int zl_sub_assigned(const zl_sub_t *s);
/* Calls fn for every partition assigned now, with whether everything up to
 * its last known high watermark has been served (from the fetcher's cached
 * watermarks: no network).  A partition not fetched yet is not caught up. */
void zl_sub_each(zl_sub_t *s, void (*fn)(void *ctx, const char *topic, int32_t partition, bool caught_up),
                 void *ctx);

#endif
