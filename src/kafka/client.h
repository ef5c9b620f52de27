/* SPDX-License-Identifier: Apache-2.0 */
/* librdkafka glue for the gateway loop: a producer and a management-request
 * consumer whose queues signal a pipe the loop polls with epoll
 * (rd_kafka_queue_io_event_enable), so delivery reports and fetched messages
 * are served on the loop thread and device state needs no locks.
 *
 * Delivery: every produced message carries an optional zl_dr_t; its callback
 * runs on the loop thread from zl_producer_serve() with the final result.
 * Consumer offsets: enable.auto.offset.store=false; the owner calls
 * zl_consumer_done() when a request is fully answered and the tracker stores
 * the highest offset below which every message is done, so a crash replays
 * unanswered requests instead of losing them (at-least-once). */
#ifndef ZL_KAFKA_CLIENT_H
#define ZL_KAFKA_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/metrics.h"
#include "common/buf.h"
#include "common/conf.h"

/* librdkafka stays inside src/kafka: its users see these types only. */

/* One fetched record, borrowed: every pointer (topic, key, value) belongs to
 * the Kafka layer and is valid only until the callback it is handed to
 * returns; copy what must outlive it. */
typedef struct {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key;   /* NULL when the record has no key */
    size_t key_len;
    const void *value; /* NULL for a tombstone */
    size_t value_len;
    int64_t timestamp; /* ms since the epoch (CreateTime or LogAppendTime), -1 if none */
    uint64_t received_ns; /* when it was consumed (zl_now_ns(), monotonic) */
} zl_kmsg_t;

/* Handler for one fetched record (see zl_kmsg_t for how long it lives). */
typedef void (*zl_consumer_cb)(void *ctx, const zl_kmsg_t *msg);

typedef struct zl_dr zl_dr_t;
/* The delivery result of one produced record, run on the thread that serves
 * the producer (the loop thread for zl_producer_t).  err: ZL_OK, ZL_ERR_TIMEOUT
 * (message.timeout.ms passed) or ZL_ERR_KAFKA; reason: librdkafka's static
 * text of the failure, NULL on success.  The zl_dr_t is the caller's, embedded
 * in whatever it must release; the Kafka layer only holds the pointer until cb. */
struct zl_dr {
    void (*cb)(zl_dr_t *dr, zl_err_t err, const char *reason);
    uint64_t seq;      /* the producer's: the order records were handed over */
    int32_t partition; /* set before cb on success: where Kafka wrote the record */
    int64_t offset;
};

/* True for the librdkafka properties only a producer understands (the shared
 * kafka.* set is given to consumers without them, so librdkafka does not warn). */
bool zl_kafka_producer_only(const char *name);

/* The version of the librdkafka linked at run time ("2.8.0"), for logs. */
const char *zl_kafka_version(void);
/* Whether the linked librdkafka has property `name` (no "kafka." prefix):
 * newer tunables are set only where they exist (Debian 12 has 2.0.2). */
bool zl_kafka_knows(const char *name);

typedef struct zl_producer zl_producer_t;

/* Applies every kafka.* property of conf. */
zl_producer_t *zl_producer_new(const zl_conf_t *conf, zl_metrics_t *m, char *errstr, size_t n);
void zl_producer_destroy(zl_producer_t *p, int flush_timeout_ms);
/* Waits up to timeout_ms for every queued record to be delivered, running
 * delivery reports on the calling thread. Logs what is left. */
void zl_producer_flush(zl_producer_t *p, int timeout_ms);
int zl_producer_fd(const zl_producer_t *p);   /* readable when reports wait */
void zl_producer_serve(zl_producer_t *p);     /* drains the fd and runs reports */
/* Produces key/value (buffers are copied). dr may be NULL. Returns ZL_ERR_FULL
 * when librdkafka's queue is full (backpressure), ZL_ERR_KAFKA otherwise. */
zl_err_t zl_producer_send(zl_producer_t *p, const char *topic, const zl_buf_t *key,
                          const zl_buf_t *value, zl_dr_t *dr);
/* The same for borrowed bytes (copied): key may be NULL (no key); ts_ms is the
 * record's CreateTime (0: now).  For records replayed from a spool. */
zl_err_t zl_producer_send_raw(zl_producer_t *p, const char *topic, const void *key, size_t key_len,
                              const void *value, size_t value_len, int64_t ts_ms, zl_dr_t *dr);
/* The same with headers: hdrs holds n_hdrs (name, value) pairs of C strings,
 * copied.  For dead letters, whose headers say why. */
zl_err_t zl_producer_send_hdrs(zl_producer_t *p, const char *topic, const void *key, size_t key_len,
                               const void *value, size_t value_len, int64_t ts_ms, const char *const *hdrs,
                               size_t n_hdrs, zl_dr_t *dr);
/* A record Kafka did not take, as the failure hook sees it (borrowed for the call). */
typedef struct {
    const char *topic;
    const void *key; /* NULL: no key */
    size_t key_len;
    const void *value;
    size_t value_len;
    int64_t ts_ms;
    const char *reason; /* librdkafka's text */
    bool maybe_written; /* it was sent and the broker may have written it (timed out in flight) */
} zl_precord_t;
/* Optional: fn runs for every record whose delivery failed (message.timeout.ms
 * passed, queue purged), at the end of the serve that reported it, in the
 * order the records were handed over (librdkafka reports a purge per queue,
 * not in that order), before its zl_dr_t callback.  Returning true means fn
 * kept the record elsewhere and took over its zl_dr_t (it calls dr->cb
 * itself, later); false: the failure goes to dr->cb as usual.  The failure
 * is counted and logged (at most once a second) either way. */
void zl_producer_on_failure(zl_producer_t *p, bool (*fn)(void *ctx, const zl_precord_t *rec, zl_dr_t *dr),
                            void *ctx);
/* Withdraws the records waiting in the producer's queues (not those already
 * sent to a broker) at the end of the current or next zl_producer_serve():
 * they fail with "purged" and reach the failure hook in that serve.  Safe
 * inside delivery callbacks. */
void zl_producer_purge(zl_producer_t *p);
/* Creates the topics that do not exist yet, with the broker's default
 * partition count and replication factor (blocking, bounded by timeout_ms:
 * call at set-up). Existing topics are left alone. Returns ZL_OK when every
 * topic exists afterwards; otherwise errstr names the first failure. */
zl_err_t zl_producer_ensure_topics(zl_producer_t *p, const char *const *topics, int n, int timeout_ms,
                                   char *errstr, size_t errstr_size);
/* Creates topic, when it does not exist, as a log of state: one partition
 * (one total order), cleanup.policy=compact (the latest record per key is
 * kept forever), the broker's replication factor.  Blocking, set-up only. */
zl_err_t zl_producer_ensure_log(zl_producer_t *p, const char *topic, int timeout_ms, char *errstr, size_t n);
/* Fetches the metadata of topics (blocking, at most timeout_ms: set-up only)
 * and keeps their topic handles for the producer's life, so the first record
 * produced to each does not wait for a metadata round (librdkafka 2.0.2 stalls
 * ~1 s there).  Failures are only logged: the producer fetches it later. */
void zl_producer_warm_topics(zl_producer_t *p, const char *const *topics, int n, int timeout_ms);
/* How long the producer has held records without any delivery report (0 when
 * it holds none): the broker is unreachable, or too slow. */
int64_t zl_producer_stalled_ms(const zl_producer_t *p);
/* Messages waiting for delivery. */
int zl_producer_outq(const zl_producer_t *p);
/* Backpressure: true while the records handed over and not yet reported
 * exceed 80 % of queue.buffering.max.kbytes or .max.messages (the memory cap
 * librdkafka enforces), until they fall below 60 %.  Callers refuse new
 * device data meanwhile instead of letting the produce call fail. */
bool zl_producer_congested(zl_producer_t *p);

typedef struct zl_consumer zl_consumer_t;

/* A group consumer of topic (group.id = group, static membership under the
 * same id unless kafka.group.instance.id is set).  Its metrics (restarts,
 * errors, up) go to m.  It recreates its librdkafka handle after a fatal,
 * fenced or max-poll error (consumer.c says why); serve it on its fd AND on a
 * timer well below max.poll.interval.ms, so an idle owner stays in the group. */
zl_consumer_t *zl_consumer_new(const zl_conf_t *conf, const char *group, const char *topic, zl_metrics_t *m,
                               zl_consumer_cb cb, void *ctx, char *errstr, size_t n);
/* "up" (holds partitions), "joining" (in the group, nothing assigned yet) or
 * "restarting" (the handle is being recreated).  Static string. */
const char *zl_consumer_state(const zl_consumer_t *c);
/* Broker connections of the consumer in state UP (its group coordinator
 * included) per librdkafka's statistics of the last 5 s; -1 when unknown
 * (none yet, or the handle is being recreated).  0 = cluster unreachable. */
int zl_consumer_brokers_up(const zl_consumer_t *c);
/* Optional: fn(ctx, partition) runs for every partition taken away in a
 * rebalance, before it is unassigned (on the thread that serves the
 * consumer), so work queued for it can be dropped. */
void zl_consumer_on_revoke(zl_consumer_t *c, void (*fn)(void *ctx, int32_t partition), void *ctx);
void zl_consumer_destroy(zl_consumer_t *c);
int zl_consumer_fd(const zl_consumer_t *c);
/* Serves up to max messages (and rebalance/error events). */
void zl_consumer_serve(zl_consumer_t *c, int max);
/* Marks (partition, offset) as answered; stores the contiguous low watermark. */
void zl_consumer_done(zl_consumer_t *c, int32_t partition, int64_t offset);

#endif
