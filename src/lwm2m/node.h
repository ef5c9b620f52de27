/* SPDX-License-Identifier: Apache-2.0 */
/* The LwM2M data model as a tree: object > instance > resource > resource instance.
 *
 * Every codec (TLV, text, opaque, later SenML/LwM2M-CBOR) decodes into and
 * encodes from this tree, and the Kafka layer maps it to the zeelos Avro
 * records.  A node owns its children and its value bytes; zl_node_free()
 * releases the whole subtree. */
#ifndef ZL_NODE_H
#define ZL_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/* Ordinals 0..6 equal the AvroType enum of the zeelos schemas. */
typedef enum {
    ZL_T_STRING = 0,
    ZL_T_FLOAT = 1,
    ZL_T_INTEGER = 2,
    ZL_T_BOOLEAN = 3,
    ZL_T_OPAQUE = 4,
    ZL_T_TIME = 5,
    ZL_T_OBJLNK = 6,
    ZL_T_NONE = 7 /* no model known: raw bytes, reported as OPAQUE */
} zl_type_t;

/* Ordinals 0..3 equal AvroResourceKind. */
typedef enum {
    ZL_N_OBJECT = 0,
    ZL_N_INSTANCE = 1,
    ZL_N_MULTI = 2,        /* multiple-instance resource */
    ZL_N_RESOURCE = 3,     /* single-instance resource */
    ZL_N_RES_INSTANCE = 4  /* one instance of a multiple resource */
} zl_node_kind_t;

typedef struct {
    zl_type_t type;
    union {
        int64_t i;   /* INTEGER, TIME (seconds since epoch) */
        double f;    /* FLOAT */
        bool b;      /* BOOLEAN */
        struct { uint16_t oid, iid; } lnk; /* OBJLNK */
    } u;
    uint8_t *bytes;  /* STRING, OPAQUE, NONE: owned, NUL-terminated for convenience */
    size_t len;
} zl_value_t;

typedef struct zl_node {
    zl_node_kind_t kind;
    uint16_t id;
    zl_value_t value;          /* valid for RESOURCE and RES_INSTANCE */
    struct zl_node *children;  /* owned array */
    size_t n_children;
} zl_node_t;

/* Allocates a zeroed node. Returns NULL on OOM. */
zl_node_t *zl_node_new(zl_node_kind_t kind, uint16_t id);
/* Frees node, its children and value bytes. NULL is fine. */
void zl_node_free(zl_node_t *node);
/* Releases what n holds without freeing n itself (for nodes inside arrays). */
void zl_node_clear(zl_node_t *n);
/* Appends a zeroed child and returns it (valid until the next add). NULL on OOM. */
zl_node_t *zl_node_add_child(zl_node_t *parent, zl_node_kind_t kind, uint16_t id);
/* Finds a direct child by id; NULL if absent. */
zl_node_t *zl_node_child(const zl_node_t *parent, uint16_t id);
/* Copies bytes into value (NUL-terminated copy). */
zl_err_t zl_value_set_bytes(zl_value_t *v, zl_type_t type, const void *p, size_t n);

const char *zl_type_name(zl_type_t t); /* "STRING", ... "OBJLNK", "NONE" */
/* The tree's shape rule: an object holds instances, an instance resources
 * and multiple resources, a multiple resource resource instances. */
bool zl_node_child_ok(zl_node_kind_t parent, zl_node_kind_t child);

#endif
