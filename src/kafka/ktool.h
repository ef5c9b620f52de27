/* SPDX-License-Identifier: Apache-2.0 */
/* Kafka handles for the client tools `zeelos tail`, `zeelos request` and
 * `zeelos bench`: plain producers and consumers driven by the caller's own
 * loop (no consumer group: partitions are assigned by hand at explicit
 * offsets so nothing is missed or committed), and the one-JSON-line view of
 * a record.  Built on the same configuration builder, log mapping and
 * consumer loop as the gateway's client (kafka_int.h); librdkafka stays
 * behind zl_ktool_t.  A zl_ktool_t is used by one thread. */
#ifndef ZL_KAFKA_KTOOL_H
#define ZL_KAFKA_KTOOL_H

#include <stdbool.h>
#include "kafka/client.h"
#include "kafka/serde.h"
#include "common/buf.h"
#include "common/conf.h"
#include "kafka/kafka_conf.h"

typedef struct zl_ktool zl_ktool_t;
typedef enum { ZL_KTOOL_CONSUMER = 0, ZL_KTOOL_PRODUCER = 1 } zl_ktool_role_t;

/* A producer or consumer with every kafka.* property of conf applied
 * (consumers skip producer-only ones).  Logs go through common/log. */
zl_ktool_t *zl_ktool_new(const zl_conf_t *conf, zl_ktool_role_t role, char *errstr, size_t n);
/* Producers first wait up to 2 s for what is queued; consumers leave. */
void zl_ktool_destroy(zl_ktool_t *k);

/* Consumers: assigns (adds to the assignment) every partition of topic: at
 * its current high watermark (queried synchronously, so a record produced
 * after this call returns is never missed), or at the beginning.  Errors of
 * a settling cluster (no leader yet, broker just restarted) are retried until
 * timeout_ms; blocks the calling thread (command-line tools only).
 * ZL_ERR_NOT_FOUND when the topic does not exist (yet). */
zl_err_t zl_ktool_assign(zl_ktool_t *k, const char *topic, bool from_beginning, int timeout_ms,
                         char *errstr, size_t n);

/* Consumers: the shared consumer loop (first poll waits up to timeout_ms;
 * partition EOF skipped, errors logged); cb gets each record, borrowed until
 * it returns.  Returns the events polled, 0 when none was waiting. */
int zl_ktool_consume(zl_ktool_t *k, int timeout_ms, int max, zl_consumer_cb cb, void *ctx);
/* The same, records taken in batches of up to 256 (zl_kafka_consume_batch: one
 * queue round trip and clock read per batch; received_ns is the batch's), for
 * readers of high-rate topics (`zeelos bench`).  Returns the records polled. */
int zl_ktool_consume_batch(zl_ktool_t *k, int timeout_ms, int max, zl_consumer_cb cb, void *ctx);

/* Producers: queues key (may be NULL) and value (both copied).  dr (may be
 * NULL) runs from zl_ktool_poll() with the delivery result.  ZL_ERR_FULL when
 * the producer queue is full; on any error *reason (if reason) gets
 * librdkafka's static text. */
zl_err_t zl_ktool_produce(zl_ktool_t *k, const char *topic, const zl_buf_t *key, const zl_buf_t *value,
                          zl_dr_t *dr, const char **reason);
/* Producers: serves delivery reports, waiting up to timeout_ms for one. */
void zl_ktool_poll(zl_ktool_t *k, int timeout_ms);

/* {"topic":..,"partition":..,"offset":..,"key":<json>,"value":<json>} with key
 * and value decoded by s; a part that does not decode becomes null plus a
 * "key_error"/"value_error" string.  Appends to out. */
zl_err_t zl_ktool_format(zl_serde_t *s, const zl_kmsg_t *m, zl_buf_t *out);

/* The serde for the configured format and registry. */
zl_serde_t *zl_ktool_serde(const zl_kafka_conf_t *kc, char *errstr, size_t n);

#endif
