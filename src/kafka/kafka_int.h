/* SPDX-License-Identifier: Apache-2.0 */
/* Private to src/kafka: the pieces the gateway's client (client.c) and the
 * tools' handles (ktool.c) share, so there is one librdkafka configuration
 * builder, one librdkafka log mapping and one consumer poll loop.  The only
 * header outside third-party code that includes librdkafka. */
#ifndef ZL_KAFKA_INT_H
#define ZL_KAFKA_INT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

#include "kafka/client.h"
#include "common/conf.h"

/* A librdkafka configuration with every kafka.* property of conf applied
 * (consumers skip zl_kafka_producer_only() ones) and librdkafka's log routed
 * to common/log.  NULL with errstr set when librdkafka refuses a property.
 * The caller owns the result (rd_kafka_new takes it, or rd_kafka_conf_destroy). */
rd_kafka_conf_t *zl_kafka_conf(const zl_conf_t *conf, bool consumer, char *errstr, size_t n);

/* The consumer loop: polls rk (the first poll waits up to timeout_ms, the
 * next ones not at all) for up to max events; skips partition-EOF events,
 * logs other errors, hands each record to cb as a borrowed zl_kmsg_t and
 * destroys it when cb returns.  Returns the events polled (records and
 * errors): 0 when nothing was waiting. */
int zl_kafka_consume(rd_kafka_t *rk, int timeout_ms, int max, zl_consumer_cb cb, void *ctx);
/* The same with consumer errors handed to errcb (ctx, code, text) instead of
 * logged, partition EOF too (only consumers with enable.partition.eof get
 * it); errcb returns true to stop polling (the event counts in the result).
 * One record per poll: an owner that pauses partitions in its callback gets
 * no record of them after the pause. */
typedef bool (*zl_kafka_err_cb)(void *ctx, rd_kafka_resp_err_t err, const char *text);
int zl_kafka_consume_ex(rd_kafka_t *rk, int timeout_ms, int max, zl_consumer_cb cb, zl_kafka_err_cb errcb,
                        void *ctx);
/* The same, records taken in batches of up to 256 (received_ns: when the
 * batch was taken), for owners that never pause (stream processors): the
 * records of a batch taken before a pause would still be served, and those
 * after an errcb stop are dropped (stop only at the end of what is read). */
int zl_kafka_consume_batch(rd_kafka_t *rk, int timeout_ms, int max, zl_consumer_cb cb, zl_kafka_err_cb errcb,
                           void *ctx);

/* Subscribes rk to topics: comma-separated names or regular expressions
 * (starting with ^). */
rd_kafka_resp_err_t zl_kafka_subscribe(rd_kafka_t *rk, const char *topics);

/* Our error for a librdkafka one (ZL_OK, ZL_ERR_FULL, ZL_ERR_TIMEOUT, ZL_ERR_KAFKA). */
zl_err_t zl_kafka_err(rd_kafka_resp_err_t e);

/* The wake-up pipe of a handle's queue (rd_kafka_queue_io_event_enable):
 * non-blocking, close-on-exec; -1 with errno on failure.  zl_kafka_drain
 * empties the read end. */
int zl_kafka_pipe(int fds[2]);

/* Broker state for readiness, from librdkafka's statistics JSON (borrowed):
 * how many of the handle's broker connections, the logical ones (bootstrap,
 * group coordinator) included, are in state UP; -1 if it does not parse.  A
 * consumer's coordinator connection carries heartbeats every few seconds,
 * so it is UP whenever the cluster is reachable, even on an idle gateway. */
int zl_kafka_stats_brokers_up(const char *json, size_t len);
/* statistics.interval.ms = 1000 unless kafka.statistics.interval.ms is set. */
void zl_kafka_conf_stats(rd_kafka_conf_t *kc, const zl_conf_t *conf);
void zl_kafka_drain(int fd);

#endif
