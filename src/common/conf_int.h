/* SPDX-License-Identifier: Apache-2.0 */
/* What conf.c (values), conf_args.c (sources) and conf_doc.c (--help, the
 * Markdown reference) share: the handle's layout, the name -> flag / env
 * spellings, the setter and message helpers.  Private to common/conf*. */
#ifndef ZL_CONF_INT_H
#define ZL_CONF_INT_H

#include <stddef.h>
#include "common/conf.h"

typedef struct {
    char *key; /* full key, "kafka.acks" */
    char *value;
} zl_kv_t;

/* One bound property. */
typedef struct {
    const zl_conf_prop_t *p;
    const zl_conf_table_t *t;
    void *field; /* NULL: the entry has no field */
    char *raw;   /* canonical text as set (NULL for ZL_CONF_KAFKA) */
    char *exp;   /* ${name} references resolved */
    int64_t num; /* INT value, BOOL 0/1, ENUM index */
    bool set;    /* set by a file, env or flag */
} zl_slot_t;

struct zl_conf {
    zl_slot_t *slots;
    size_t n_slots, cap_slots;
    const zl_conf_table_t **tables; /* in binding order, for --help */
    size_t n_tables, cap_tables;
    bool help;
    zl_kv_t *kafka;
    size_t n_kafka, cap_kafka;
};

/* "--coap-port" for coap.port. */
void zl_conf_prop_flag(const zl_conf_prop_t *p, char *out, size_t n);
/* "ZEELOS_COAP_PORT" for coap.port. */
void zl_conf_prop_env(const zl_conf_prop_t *p, char *out, size_t n);

/* Shared by conf.c and conf_args.c. */
void zl_conf_msg(char *errstr, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes errstr in place: "<prefix><errstr>". */
void zl_conf_msg_prefix(char *errstr, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* s without leading and trailing white space (trailing cut in place). */
const char *zl_conf_trim(char *s);
/* The bound slot whose flag or alias equals flag[0..len), or -1. */
int zl_conf_flag_find(const zl_conf_t *c, const char *flag, size_t len);
/* Validates and stores value for slot i; errstr names no property. */
zl_err_t zl_conf_set_slot(zl_conf_t *c, size_t i, const char *value, char *errstr, size_t n);

#endif
