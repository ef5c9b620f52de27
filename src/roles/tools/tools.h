/* SPDX-License-Identifier: Apache-2.0 */
/* The Kafka-side command-line tools: `zeelos request` and `zeelos tail`. */
#ifndef ZL_TOOLS_H
#define ZL_TOOLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "common/conf.h"
#include "kafka/kafka_conf.h"

typedef struct {
    zl_kafka_conf_t kafka;   /* zl_kafka_brokers_conf_table, zl_kafka_conf_table, zl_kafka_producer_conf_table */
    zl_topics_conf_t topics; /* zl_topics_conf_table */
    /* zl_request_conf_table */
    const char *ep, *ticket; /* ticket "" = random */
    int64_t wait_ms;
    int type;                /* index in STRING|INTEGER|FLOAT|BOOLEAN|OPAQUE|TIME|OBJLNK */
    int mode;                /* 0 REPLACE, 1 UPDATE */
    int depth;               /* -1 = none */
    int content_format;      /* -1 = default */
} zl_request_conf_t;

typedef struct {
    zl_kafka_conf_t kafka;   /* zl_kafka_brokers_conf_table, zl_kafka_conf_table */
    zl_topics_conf_t topics; /* zl_topics_conf_table */
    /* zl_tail_conf_table */
    bool from_beginning;
    int64_t max_messages; /* 0 = no limit */
    int64_t idle_ms;      /* 0 = follow until interrupted */
} zl_tail_conf_t;

typedef struct {
    zl_kafka_conf_t kafka;   /* zl_kafka_brokers_conf_table, zl_kafka_conf_table, zl_kafka_producer_conf_table */
    zl_topics_conf_t topics; /* zl_topics_conf_table (the gateway id names the topic) */
    /* zl_security_conf_table */
    const char *topic, *psk_identity, *psk_key, *psk_key_file;
    bool x509;
    int64_t wait_ms;
} zl_security_conf_t;

extern const zl_conf_table_t zl_security_conf_table; /* "zeelos security" */
extern const zl_conf_table_t zl_request_conf_table; /* "zeelos request" */
extern const zl_conf_table_t zl_tail_conf_table;    /* "zeelos tail" */

/* `zeelos request KIND PATH [ARG]`: words are the command's positional words
 * (n of them).  Returns the exit status (0 success code, 1 error code or
 * failure, 2 usage, 3 no response in time). */
int zl_request_run(const zl_request_conf_t *conf, const char *const *words, int n);
/* The synopsis, every KIND with its arguments and an example (--help, usage errors). */
void zl_request_write_usage(FILE *out);
/* `zeelos tail [TOPIC...]`: topics are full names or short ones
 * (registrations, ...); none = all four.  Returns the exit status. */
int zl_tail_run(const zl_tail_conf_t *conf, const char *const *topics, int n);
/* The synopsis of `zeelos tail` (--help). */
void zl_tail_write_usage(FILE *out);

/* `zeelos security add|remove|list [ENDPOINT]`: device credentials on the
 * gateway's security topic.  Returns the exit status (0 done, 1 failure, 2 usage). */
int zl_security_run(const zl_security_conf_t *conf, const char *const *words, int n);
void zl_security_write_usage(FILE *out);

#endif
