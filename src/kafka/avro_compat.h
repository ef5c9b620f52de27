/* SPDX-License-Identifier: Apache-2.0 */
/* Avro schemas as a Schema Registry needs them: parsed and validated per the
 * Avro 1.11 specification, written in Parsing Canonical Form, and checked for
 * compatibility with the spec's "Schema Resolution" rules.
 *
 * Why not avro-c (1.11.1): avro_schema_from_json accepts schemas the spec
 * forbids (a default of the wrong type, an enum default that is no symbol,
 * duplicate fields, symbols or union branches, a union in a union), and its
 * resolver (avro_resolved_writer_new) accepts a writer enum with symbols the
 * reader lacks and a writer union with a branch the reader cannot read (it
 * fails only when such a value arrives).  A registry built on it would accept
 * versions that Java or Python readers then cannot read, so this module
 * parses into a tree of its own.
 *
 * Locations in messages are JSON pointers into the schema ("/" is the root;
 * "/fields/2 (temp)" is the third field, named temp, of the record there;
 * "/items", "/values", "/<n>" for a union branch); for zl_avro_can_read they
 * point into the reader's schema.
 *
 * Where implementations differ this follows Java 1.11 (what Confluent's
 * registry runs) when it is the more permissive: a short reference that is
 * not defined in the enclosing namespace falls back to the null namespace,
 * and {"type": "Name"} is a reference.  It follows the spec where Java is
 * laxer: a bytes or fixed default must hold code points 0-255 only (as many as
 * the fixed's size), and a union's default is one of its first branch (Avro
 * 1.12 allows any branch).  A reader union reads a writer type when any of its
 * branches can (the first such branch), as Java's and Python's compatibility
 * checkers decide. */
#ifndef ZL_AVRO_COMPAT_H
#define ZL_AVRO_COMPAT_H

#include <stddef.h>
#include "common/err.h"

/* A parsed schema; immutable once parsed, so one may be shared by threads. */
typedef struct zl_avro_schema zl_avro_schema_t;

/* Parses and validates an Avro schema (JSON text, len bytes, borrowed for the
 * call only; need not be NUL-terminated): primitives, records, enums and fixed
 * with names and namespaces (fullname resolution, references to types defined
 * earlier, no redefinition), arrays, maps, unions (no union directly in a
 * union, no two branches of the same unnamed type or the same name), field
 * defaults checked against the field's type (a union's against its first
 * branch), enum symbols valid and unique, the enum default one of them.
 * logicalType is kept and not interpreted.  Returns an owned schema (free with
 * zl_avro_schema_free) or NULL with a message in errstr (n bytes). */
zl_avro_schema_t *zl_avro_schema_parse(const char *json, size_t len, char *errstr, size_t n);
void zl_avro_schema_free(zl_avro_schema_t *s); /* NULL is fine */

/* Parsing Canonical Form (spec "Parsing Canonical Form for Schemas"): a
 * malloc'd NUL-terminated string the caller frees; NULL when out of memory. */
char *zl_avro_schema_canonical(const zl_avro_schema_t *s);

/* Can data written with `writer` be read with `reader` (spec "Schema
 * Resolution")?  Both borrowed.  ZL_OK, ZL_ERR_INVALID with the first
 * incompatibility found and its location in the reader in errstr (n bytes),
 * e.g. "/fields/2 (temp): reader field has no default and the writer has no
 * such field", or ZL_ERR_NOMEM.  A comparison that would take more than about
 * a million steps or nest 512 deep (only contrived schemas do) stops with
 * ZL_ERR_INVALID and a message saying so, rather than say yes unchecked. */
zl_err_t zl_avro_can_read(const zl_avro_schema_t *reader, const zl_avro_schema_t *writer, char *errstr, size_t n);

/* Confluent's compatibility levels.  BACKWARD: the new schema reads data of
 * the last one; FORWARD: the last one reads the new one's data; FULL: both;
 * *_TRANSITIVE: against every earlier version instead of the last. */
typedef enum {
    ZL_COMPAT_NONE,
    ZL_COMPAT_BACKWARD,
    ZL_COMPAT_BACKWARD_TRANSITIVE,
    ZL_COMPAT_FORWARD,
    ZL_COMPAT_FORWARD_TRANSITIVE,
    ZL_COMPAT_FULL,
    ZL_COMPAT_FULL_TRANSITIVE
} zl_compat_level_t;

/* "NONE", "BACKWARD", ... (static); "?" for a value outside the enum. */
const char *zl_compat_level_name(zl_compat_level_t l);
/* The level named (ASCII case-insensitive, as Confluent accepts it), -1 if
 * name is NULL or unknown. */
int zl_compat_level_parse(const char *name);

/* Checks `candidate` against `previous` (n borrowed schemas, oldest first) at
 * level.  Non-transitive levels check only previous[n - 1]; transitive ones
 * check every one, newest first.  NULL entries (versions that did not parse)
 * are skipped.  ZL_OK, ZL_ERR_INVALID with errstr (errn bytes) naming the index
 * in previous that fails and why, or ZL_ERR_NOMEM. */
zl_err_t zl_avro_check_compat(zl_compat_level_t level, const zl_avro_schema_t *candidate,
                              const zl_avro_schema_t *const *previous, size_t n, char *errstr, size_t errn);

#endif
