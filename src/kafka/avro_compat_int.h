/* SPDX-License-Identifier: Apache-2.0 */
/* The parsed schema tree shared by avro_compat.c (parsing, canonical form)
 * and avro_resolve.c (schema resolution); nothing outside those two files
 * includes it. */
#ifndef ZL_AVRO_COMPAT_INT_H
#define ZL_AVRO_COMPAT_INT_H

#include <jansson.h>
#include <stdint.h>

#include "kafka/avro_compat.h"

/* Primitives first, in the order of their names in avc_kind_name(). */
typedef enum {
    AVC_NULL, AVC_BOOLEAN, AVC_INT, AVC_LONG, AVC_FLOAT, AVC_DOUBLE, AVC_BYTES, AVC_STRING,
    AVC_RECORD, AVC_ENUM, AVC_FIXED, AVC_ARRAY, AVC_MAP, AVC_UNION,
    AVC_REF /* a use of a named type by name; `child` is its definition */
} avc_kind_t;

#define AVC_IS_NAMED(k) ((k) == AVC_RECORD || (k) == AVC_ENUM || (k) == AVC_FIXED)

typedef struct avc_node avc_node_t;

typedef struct {
    char *name;           /* owned */
    char **aliases;       /* owned, n_aliases of them */
    size_t n_aliases;
    avc_node_t *type;     /* owned by the schema's node list */
    json_t *def;          /* default value (own reference), NULL when there is none */
    char *def_at;         /* location of the field, for messages about its default (owned) */
} avc_field_t;

struct avc_node {
    avc_kind_t kind;
    avc_node_t *next;         /* every node of a schema, in the order made (for freeing) */
    char *fullname;           /* named types: "ns.Name" or "Name" (owned) */
    const char *name;         /* the unqualified part of fullname */
    char **aliases;           /* named types: fullnames (owned) */
    size_t n_aliases;
    char *logical;            /* logicalType as written (owned), NULL when absent */
    avc_field_t *fields;      /* records */
    size_t n_fields;
    char **symbols;           /* enums (owned) */
    size_t n_symbols;
    long enum_default;        /* index into symbols, -1: none */
    int64_t size;             /* fixed */
    avc_node_t *child;        /* array items, map values, the definition a reference names */
    avc_node_t **branches;    /* unions (the array is owned, the nodes are the schema's) */
    size_t n_branches;
    size_t index;             /* records: 0, 1, ... in order of definition */
};

struct zl_avro_schema {
    avc_node_t *root;
    avc_node_t *nodes;        /* list through next */
    avc_node_t **named;       /* definitions, in order */
    size_t n_named, cap_named;
    size_t n_records;
};

/* "int", "record", ... */
const char *avc_kind_name(avc_kind_t k);
/* A location in a schema (a JSON pointer, "" for the root) built while
 * walking it; a push past the end is cut short. */
typedef struct {
    char s[320];
    size_t len;
} avc_path_t;

/* Appends a segment; returns the length to give avc_pop() to take it off again. */
size_t avc_push(avc_path_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void avc_pop(avc_path_t *p, size_t len);

/* Writes "location: reason" into out (n bytes) as every message of the
 * module reads, the location "/" when empty and cut to its last part when so
 * long that the reason would not fit. */
void avc_message(char *out, size_t n, const char *location, const char *reason);
/* Follows references to the definition. */
const avc_node_t *avc_deref(const avc_node_t *n);

#endif
