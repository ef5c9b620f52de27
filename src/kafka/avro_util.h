/* SPDX-License-Identifier: Apache-2.0 */
/* Generic avro-c helpers that know nothing about zeelos records.
 *
 * Why: avro-c's own avro_value_to_json() names union branches by their
 * *simple* name ({"AvroResource": ...}) where the Avro spec, the Java
 * JsonEncoder and kafka-avro-console-producer use the full name
 * ({"io.zeelos.leshan.avro.resource.AvroResource": ...}), and avro-c has no
 * JSON decoder at all.  So both directions of the Avro JSON encoding live
 * here, schema-directed and generic.  avro-c also trusts length prefixes
 * (it mallocs a string's declared length before reading it), so untrusted
 * binary is bounds-checked against the writer schema first. */
#ifndef ZL_AVRO_UTIL_H
#define ZL_AVRO_UTIL_H

#include <avro.h>
#include <stdbool.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"

/* Follows named-type references (avro-c "link" schemas) to the definition. */
avro_schema_t zl_avro_deref(avro_schema_t s);

/* Record field setters shared by every record builder: set field `name` of
 * record `rec`. ZL_ERR_NOMEM when the field is missing or avro-c fails (both
 * mean the embedded schema and the builder disagree). Strings are copied;
 * NULL becomes "". */
zl_err_t zl_avro_put_str(avro_value_t *rec, const char *name, const char *v);
zl_err_t zl_avro_put_long(avro_value_t *rec, const char *name, int64_t v);
zl_err_t zl_avro_put_int(avro_value_t *rec, const char *name, int32_t v);
zl_err_t zl_avro_put_bool(avro_value_t *rec, const char *name, bool v);
zl_err_t zl_avro_put_enum(avro_value_t *rec, const char *name, int v);
/* avro_value_get_by_name() for records, with the field index cached per
 * (schema, name pointer); same results and return codes. */
int zl_avro_get_field(const avro_value_t *rec, const char *name, avro_value_t *f, size_t *index);
/* Full name ("ns.Name") of a named schema, the type name of any other
 * ("string", "map", ...), as Avro JSON uses it for union branches. Static or
 * avro-owned storage; buf is used for named types. */
const char *zl_avro_branch_name(avro_schema_t s, char *buf, size_t n);

/* Avro JSON encoding of v (unions as {"full.Name": x} or null).  Returns a
 * new reference, NULL on failure (errstr set). */
json_t *zl_avro_to_json(const avro_value_t *v, char *errstr, size_t n);

/* Appends the same text as json_dumps(zl_avro_to_json(v), JSON_COMPACT |
 * JSON_ENCODE_ANY) to out, without building a json_t tree.  On failure out
 * is left as it was: ZL_ERR_NOMEM, or ZL_ERR_INVALID where zl_avro_to_json
 * would fail (nesting > 64, a union without a branch, an object key that is
 * not UTF-8). */
zl_err_t zl_avro_write_json(const avro_value_t *v, zl_buf_t *out, char *errstr, size_t n);

/* Appends json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) to out, except that
 * reals are written with the fewest digits that read back as the same
 * double (19.2, not 19.199999999999999), as zl_avro_write_json does.  On
 * failure (ZL_ERR_NOMEM, ZL_ERR_INVALID) out is left as it was. */
zl_err_t zl_json_write(const json_t *j, zl_buf_t *out);

/* Fills v (a fresh or reset generic value) from its Avro JSON encoding.
 * Unions accept {"full.Name": x}, {"SimpleName": x} or null; missing fields
 * whose schema is a union with a null branch become null; unknown fields are
 * ignored.  Errors are ZL_ERR_INVALID with "a.b.c: expected string" style
 * errstr, where the leading path is prefix (may be "" or NULL). */
zl_err_t zl_avro_from_json(avro_value_t *v, const json_t *j, const char *prefix, char *errstr,
                           size_t n);

/* Walks len bytes of Avro binary against schema without allocating: every
 * varint well-formed, every length/count within what remains, union indices
 * and enum ordinals in range.  ZL_ERR_TRUNCATED / ZL_ERR_INVALID with errstr.
 * *used receives the number of bytes the datum occupies. */
zl_err_t zl_avro_check_binary(avro_schema_t schema, const uint8_t *p, size_t len, size_t *used,
                              char *errstr, size_t n);

#endif
