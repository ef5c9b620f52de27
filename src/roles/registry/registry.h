/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos registry`: a Confluent-compatible Schema Registry (REST API v1,
 * Avro) whose state is a compacted Kafka topic, so it survives restarts,
 * every instance reading the topic serves the same schemas, and it
 * replicates like any other topic.  The public face of the role: its
 * configuration and one call that runs it until SIGINT/SIGTERM. */
#ifndef ZL_ROLES_REGISTRY_H
#define ZL_ROLES_REGISTRY_H

#include <stdbool.h>

#include "common/conf.h"
#include "kafka/kafka_conf.h"

typedef struct {
    zl_kafka_conf_t kafka; /* zl_kafka_brokers_conf_table, zl_kafka_producer_conf_table */
    const char *host;       /* registry.host */
    int port;               /* registry.port */
    const char *topic;      /* registry.topic */
    int compatibility;      /* registry.compatibility: a zl_compat_level_t */
    int64_t write_timeout_ms; /* registry.write.timeout.ms */
    int64_t init_timeout_ms;  /* registry.init.timeout.ms */
    int64_t first_id;         /* registry.id.first */
    int64_t last_id;          /* registry.id.last */
    const char *import_topics; /* registry.import.topics: comma-separated */
    const char *tls_cert, *tls_key; /* registry.tls.cert / .key: HTTPS when set */
    const char *tls_ca;        /* registry.tls.ca: client certificates signed by it required */
    const char *auth_users;    /* registry.auth.users: basic auth users file */
    bool auth_reads;           /* registry.auth.reads: basic auth on GETs too */
} zl_registry_conf_t;

extern const zl_conf_table_t zl_registry_conf_table;

typedef struct zl_registry zl_registry_t;

/* Connects to Kafka, creates the topic if needed, reads it to its end and
 * starts serving HTTP.  conf must outlive the registry.  NULL + errstr. */
zl_registry_t *zl_registry_new(const zl_registry_conf_t *conf, char *errstr, size_t n);
/* Serves until zl_registry_stop(); returns the exit status. */
int zl_registry_run(zl_registry_t *sr);
/* Async-signal-safe. */
void zl_registry_stop(zl_registry_t *sr);
void zl_registry_destroy(zl_registry_t *sr);

#endif
