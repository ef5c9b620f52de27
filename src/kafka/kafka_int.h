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

/* Our error for a librdkafka one (ZL_OK, ZL_ERR_FULL, ZL_ERR_TIMEOUT, ZL_ERR_KAFKA). */
zl_err_t zl_kafka_err(rd_kafka_resp_err_t e);

#endif
