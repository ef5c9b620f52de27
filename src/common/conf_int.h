/* What conf.c (values, parsing) shares with conf_doc.c (--help and the
 * Markdown reference): the handle's layout and the name -> flag / env
 * spellings.  Private to common/conf*. */
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

#endif
