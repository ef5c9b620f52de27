/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos gateway`: an LwM2M server on CoAP/UDP whose northbound side is Kafka.
 *
 * One zl_gw_t holds everything (no globals), so tests can run two gateways in
 * one process.  zl_gw_run() runs the event loop on the calling thread until
 * zl_gw_stop() (async-signal-safe) is called. */
#ifndef ZL_GATEWAY_H
#define ZL_GATEWAY_H

#include <stddef.h>
#include <stdint.h>
#include "coap/coap_conf.h"
#include "common/conf.h"
#include "http/http_conf.h"
#include "kafka/kafka_conf.h"

/* The gateway's configuration: the shared modules' parts, bound to their
 * own tables, and the gateway's own settings (tables in gw_conf.c). */
typedef struct {
    zl_kafka_conf_t kafka;   /* zl_kafka_brokers_conf_table, zl_kafka_conf_table, zl_kafka_producer_conf_table */
    zl_topics_conf_t topics; /* zl_topics_conf_table */
    zl_coap_conf_t coap;     /* zl_coap_conf_table */
    zl_http_conf_t http;     /* zl_http_conf_table */
    /* zl_gw_conf_table */
    const char *data_dir, *models_dir;
    /* zl_gw_coap_conf_table */
    const char *coap_host;
    int coap_port, request_timeout_ms;
    int socket_buffer; /* coap.socket.buffer, bytes */
    int read_coalesce_us; /* coap.read.coalesce.us */
    /* zl_gw_kafka_conf_table (also kafka.queue.buffering.max.kbytes) */
    int retry_after_s, topic_create_timeout_ms;
    /* zl_gw_reg_conf_table */
    int64_t default_lifetime_s, queue_ttl_ms;
    int observe_cancel; /* 0 active, 1 passive */
    int registration_takeover; /* 0 refuse, 1 replace */
    int mgmt_response_max;     /* management.response.max.bytes */
    int64_t ticket_retention_ms; /* management.ticket.retention.ms */
    int queue_awake_ms;
    int reobserve_ms; /* observe.reobserve.ms */
    /* zl_gw_spool_conf_table */
    bool spool_enabled;
    const char *spool_dir;
    int64_t spool_max_bytes, spool_segment_bytes;
    int spool_overflow; /* 0 refuse, 1 drop-oldest */
    int spool_window;
    int spool_after_ms;
    /* zl_gw_dtls_conf_table */
    int coaps_port; /* -1: off */
    const char *dtls_cert, *dtls_key, *dtls_ca, *dtls_ciphers, *security_topic;
    int dtls_max_handshakes, dtls_max_sessions, dtls_handshake_timeout_ms, dtls_idle_timeout_s;
} zl_gw_conf_t;

extern const zl_conf_table_t zl_gw_conf_table;       /* "General": data.dir, models.dir */
extern const zl_conf_table_t zl_gw_coap_conf_table;  /* "CoAP / LwM2M server": host, port, request timeout */
extern const zl_conf_table_t zl_gw_kafka_conf_table; /* "Kafka and Schema Registry": backpressure */
extern const zl_conf_table_t zl_gw_reg_conf_table;   /* "Registrations": lifetimes, observe.cancel, queues */
extern const zl_conf_table_t zl_gw_spool_conf_table; /* "Spool": records Kafka could not take, on disk */
extern const zl_conf_table_t zl_gw_dtls_conf_table;  /* "DTLS and device credentials": coaps, security topic */

typedef struct zl_gw zl_gw_t;

/* Binds sockets, opens the store (restoring registrations and observations),
 * registers schemas, connects Kafka.  conf (and the strings it points to)
 * must outlive the gateway. */
zl_gw_t *zl_gw_new(const zl_gw_conf_t *conf, char *errstr, size_t errstr_size);
int zl_gw_run(zl_gw_t *gw);
void zl_gw_stop(zl_gw_t *gw);
/* The UDP port the CoAP endpoint is bound to (coap.port=0 picks one). */
int zl_gw_coap_port(const zl_gw_t *gw);
/* The DTLS port (coaps.port=0 picks one), -1 when off. */
int zl_gw_coaps_port(const zl_gw_t *gw);
/* Flushes Kafka (bounded) and frees everything. */
void zl_gw_destroy(zl_gw_t *gw);

#endif
