/* SPDX-License-Identifier: Apache-2.0 */
/* What every Kafka-using role configures the same way: brokers, record
 * format and registry (zl_kafka_conf_t), the zeelos defaults of the
 * producer's librdkafka properties, and the gateway id with the topic names
 * derived from it (zl_topics_conf_t); property tables in kafka_conf.c. */
#ifndef ZL_KAFKA_CONF_H
#define ZL_KAFKA_CONF_H

#include "common/conf.h"
#include "kafka/sr.h"

typedef struct {
    const char *bootstrap_servers; /* kafka.bootstrap.servers (also in the passthrough) */
    const char *registry_url;      /* schema.registry.url */
    const char *registry_ca;       /* schema.registry.ssl.ca.location */
    const char *registry_cert;     /* schema.registry.ssl.certificate.location */
    const char *registry_key;      /* schema.registry.ssl.key.location */
    const char *registry_userinfo; /* schema.registry.basic.auth.user.info */
    int format;                    /* format: a zl_format_t (0 avro, 1 json) */
    /* The kafka.* passthrough handed to librdkafka; set by the command to
     * the zl_conf_t it parsed (owned by the command, outlives the role). */
    zl_conf_t *props;
} zl_kafka_conf_t;

typedef struct {
    const char *id;                   /* id: the gateway id */
    const char *registrations;        /* topic.registrations */
    const char *observations;         /* topic.observations */
    const char *mgmt_req, *mgmt_rep;  /* topic.management.req / .rep */
} zl_topics_conf_t;

/* The schema.registry.* settings of kc as registry client options (the
 * strings stay kc's). */
zl_sr_opts_t zl_kafka_sr_opts(const zl_kafka_conf_t *kc);

/* "Kafka and Schema Registry": binds zl_kafka_conf_t.bootstrap_servers (every Kafka client). */
extern const zl_conf_table_t zl_kafka_brokers_conf_table;
/* "Kafka and Schema Registry": binds the record format and registry URL of a zl_kafka_conf_t. */
extern const zl_conf_table_t zl_kafka_conf_table;
/* "Kafka and Schema Registry": zeelos defaults of producer kafka.* keys (no struct). */
extern const zl_conf_table_t zl_kafka_producer_conf_table;
/* "Topics": binds a zl_topics_conf_t. */
extern const zl_conf_table_t zl_topics_conf_table;

#endif
