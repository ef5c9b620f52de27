/* Kafka plumbing shared by the client tools `zeelos tail` and `zeelos
 * request`: plain librdkafka handles (no consumer group: partitions are
 * assigned by hand at explicit offsets so nothing is missed or committed),
 * and the one-JSON-line view of a record. */
#ifndef ZL_CMD_KTOOL_H
#define ZL_CMD_KTOOL_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include "kafka/serde.h"
#include "common/buf.h"
#include "common/conf.h"
#include "kafka/kafka_conf.h"

/* A producer or consumer with every kafka.* property applied (consumers skip
 * producer-only ones).  dr (producers, may be NULL) is the delivery report
 * callback; it gets each message's opaque in m->_private.  Logs go through
 * util/log. */
rd_kafka_t *zl_ktool_new(const zl_conf_t *conf, rd_kafka_type_t type,
                         void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                         char *errstr, size_t n);

/* Assigns (adds to the assignment) every partition of topic: at its current
 * high watermark (queried synchronously, so a record produced after this call
 * returns is never missed), or at the beginning.  ZL_ERR_NOT_FOUND when the
 * topic does not exist (yet). */
zl_err_t zl_ktool_assign(rd_kafka_t *rk, const char *topic, bool from_beginning, int timeout_ms,
                         char *errstr, size_t n);

/* {"topic":..,"partition":..,"offset":..,"key":<json>,"value":<json>} with key
 * and value decoded by s; a part that does not decode becomes null plus a
 * "key_error"/"value_error" string. */
zl_err_t zl_ktool_format(zl_serde_t *s, const rd_kafka_message_t *m, zl_buf_t *out);

/* The serde for the configured format and registry. */
zl_serde_t *zl_ktool_serde(const zl_kafka_conf_t *kc, char *errstr, size_t n);

#endif
