/* SPDX-License-Identifier: Apache-2.0 */
/* Generic Avro JSON encoding (both directions) and a bounds check for
 * untrusted Avro binary, on top of avro-c values.  Why this exists instead of
 * avro_value_to_json(): see avro_util.h.  The direct-to-text writer
 * (zl_avro_write_json) is in avro_jsonw.c. */
#include "kafka/avro_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

avro_schema_t zl_avro_deref(avro_schema_t s) {
    while (s && is_avro_link(s)) s = avro_schema_link_target(s);
    return s;
}

const char *zl_avro_branch_name(avro_schema_t s, char *buf, size_t n) {
    s = zl_avro_deref(s);
    if (!s) return "?";
    if (is_avro_named_type(s)) {
        const char *ns = avro_schema_namespace(s);
        if (ns && *ns) {
            snprintf(buf, n, "%s.%s", ns, avro_schema_name(s));
            return buf;
        }
        return avro_schema_name(s);
    }
    return avro_schema_type_name(s);
}

static int union_null_branch(avro_schema_t u) {
    size_t nb = avro_schema_union_size(u);
    for (size_t i = 0; i < nb; i++)
        if (is_avro_null(zl_avro_deref(avro_schema_union_branch(u, (int)i)))) return (int)i;
    return -1;
}

/* ---- avro value -> JSON ------------------------------------------------ */

/* Avro strings are bytes; a JSON string must be UTF-8.  Invalid bytes
 * become '?' rather than losing the whole record in `zeelos tail`. */
static json_t *json_string_lossy(const char *s, size_t len) {
    json_t *j = json_stringn(s, len);
    if (j) return j;
    char *c = malloc(len + 1);
    if (!c) return NULL;
    for (size_t i = 0; i < len; i++) c[i] = ((unsigned char)s[i] < 0x80) ? s[i] : '?';
    j = json_stringn(c, len);
    free(c);
    return j;
}

/* Avro JSON encodes bytes/fixed as a string of code points U+0000..U+00FF. */
static json_t *json_bytes(const void *p, size_t len) {
    const uint8_t *b = p;
    char *c = malloc(2 * len + 1);
    if (!c) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (b[i] < 0x80) {
            c[o++] = (char)b[i];
        } else {
            c[o++] = (char)(0xC0 | (b[i] >> 6));
            c[o++] = (char)(0x80 | (b[i] & 0x3F));
        }
    }
    json_t *j = json_stringn(c, o);
    free(c);
    return j;
}

static json_t *to_json(const avro_value_t *v, int depth, char *errstr, size_t n) {
    if (depth > 64) {
        snprintf(errstr, n, "value nested too deeply");
        return NULL;
    }
    avro_schema_t schema = zl_avro_deref(avro_value_get_schema(v));
    switch (avro_value_get_type(v)) {
    case AVRO_NULL:
        return json_null();
    case AVRO_BOOLEAN: {
        int b = 0;
        avro_value_get_boolean(v, &b);
        return json_boolean(b);
    }
    case AVRO_INT32: {
        int32_t i = 0;
        avro_value_get_int(v, &i);
        return json_integer(i);
    }
    case AVRO_INT64: {
        int64_t i = 0;
        avro_value_get_long(v, &i);
        return json_integer(i);
    }
    case AVRO_FLOAT: {
        float f = 0;
        avro_value_get_float(v, &f);
        json_t *j = json_real(f);
        return j ? j : json_null(); /* NaN/Inf have no JSON form */
    }
    case AVRO_DOUBLE: {
        double d = 0;
        avro_value_get_double(v, &d);
        json_t *j = json_real(d);
        return j ? j : json_null();
    }
    case AVRO_STRING: {
        const char *s = NULL;
        size_t sz = 0;
        avro_value_get_string(v, &s, &sz);
        return json_string_lossy(s ? s : "", sz ? sz - 1 : 0);
    }
    case AVRO_BYTES: {
        const void *p = NULL;
        size_t sz = 0;
        avro_value_get_bytes(v, &p, &sz);
        return json_bytes(p, sz);
    }
    case AVRO_FIXED: {
        const void *p = NULL;
        size_t sz = 0;
        avro_value_get_fixed(v, &p, &sz);
        return json_bytes(p, sz);
    }
    case AVRO_ENUM: {
        int i = 0;
        avro_value_get_enum(v, &i);
        const char *sym = avro_schema_enum_get(schema, i);
        return json_string(sym ? sym : "?");
    }
    case AVRO_ARRAY: {
        size_t cnt = 0;
        avro_value_get_size(v, &cnt);
        json_t *a = json_array();
        for (size_t i = 0; a && i < cnt; i++) {
            avro_value_t e;
            json_t *je = NULL;
            if (avro_value_get_by_index(v, i, &e, NULL) == 0) je = to_json(&e, depth + 1, errstr, n);
            if (!je || json_array_append_new(a, je)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case AVRO_MAP:
    case AVRO_RECORD: {
        size_t cnt = 0;
        avro_value_get_size(v, &cnt);
        json_t *o = json_object();
        for (size_t i = 0; o && i < cnt; i++) {
            avro_value_t e;
            const char *name = NULL;
            json_t *je = NULL;
            if (avro_value_get_by_index(v, i, &e, &name) == 0) {
                if (avro_value_get_type(v) == AVRO_RECORD)
                    name = avro_schema_record_field_name(schema, (int)i);
                je = to_json(&e, depth + 1, errstr, n);
            }
            if (!je || !name || json_object_set_new(o, name, je)) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    case AVRO_UNION: {
        int disc = -1;
        avro_value_t b;
        if (avro_value_get_discriminant(v, &disc) || disc < 0 ||
            avro_value_get_current_branch(v, &b)) {
            snprintf(errstr, n, "union without a branch set");
            return NULL;
        }
        if (avro_value_get_type(&b) == AVRO_NULL) return json_null();
        char nbuf[256];
        const char *bn = zl_avro_branch_name(avro_schema_union_branch(schema, disc), nbuf, sizeof nbuf);
        json_t *jb = to_json(&b, depth + 1, errstr, n);
        if (!jb) return NULL;
        json_t *o = json_object();
        if (!o || json_object_set_new(o, bn, jb)) {
            json_decref(o);
            return NULL;
        }
        return o;
    }
    default:
        snprintf(errstr, n, "unsupported Avro type %d", (int)avro_value_get_type(v));
        return NULL;
    }
}

json_t *zl_avro_to_json(const avro_value_t *v, char *errstr, size_t n) {
    char dummy[8];
    if (!errstr) { errstr = dummy; n = sizeof dummy; }
    json_t *j = to_json(v, 0, errstr, n);
    if (!j && !errstr[0]) snprintf(errstr, n, "out of memory converting Avro value to JSON");
    return j;
}

/* ---- JSON -> avro value ------------------------------------------------ */

typedef struct {
    char path[512];
    size_t len;
    char *err;
    size_t n;
} fj_t;

static size_t path_push(fj_t *f, const char *fmt, const char *s, size_t idx) {
    size_t old = f->len;
    int w;
    if (fmt[0] == '[')
        w = snprintf(f->path + f->len, sizeof f->path - f->len, "[%zu]", idx);
    else if (fmt[0] == '{')
        w = snprintf(f->path + f->len, sizeof f->path - f->len, "[\"%s\"]", s);
    else
        w = snprintf(f->path + f->len, sizeof f->path - f->len, "%s%s", f->len ? "." : "", s);
    if (w > 0) f->len = (f->len + (size_t)w < sizeof f->path) ? f->len + (size_t)w : sizeof f->path - 1;
    return old;
}

static void path_pop(fj_t *f, size_t old) {
    f->len = old;
    f->path[old] = 0;
}

static zl_err_t fj_fail(fj_t *f, const char *fmt, const char *a) {
    char msg[256];
    snprintf(msg, sizeof msg, fmt, a);
    snprintf(f->err, f->n, "%s: %s", f->len ? f->path : "(root)", msg);
    return ZL_ERR_INVALID;
}

static const char *json_kind(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static zl_err_t from_json(fj_t *f, avro_value_t *v, const json_t *j, int depth) {
    if (depth > 64) return fj_fail(f, "%s", "nested too deeply");
    avro_schema_t schema = zl_avro_deref(avro_value_get_schema(v));
    int rc = 0;
    switch (avro_value_get_type(v)) {
    case AVRO_NULL:
        if (!json_is_null(j)) return fj_fail(f, "expected null, got %s", json_kind(j));
        rc = avro_value_set_null(v);
        break;
    case AVRO_BOOLEAN:
        if (!json_is_boolean(j)) return fj_fail(f, "expected boolean, got %s", json_kind(j));
        rc = avro_value_set_boolean(v, json_is_true(j));
        break;
    case AVRO_INT32: {
        if (!json_is_integer(j)) return fj_fail(f, "expected int, got %s", json_kind(j));
        json_int_t i = json_integer_value(j);
        if (i < INT32_MIN || i > INT32_MAX) return fj_fail(f, "%s", "int out of range");
        rc = avro_value_set_int(v, (int32_t)i);
        break;
    }
    case AVRO_INT64:
        if (!json_is_integer(j)) return fj_fail(f, "expected long, got %s", json_kind(j));
        rc = avro_value_set_long(v, (int64_t)json_integer_value(j));
        break;
    case AVRO_FLOAT:
        if (!json_is_number(j)) return fj_fail(f, "expected float, got %s", json_kind(j));
        rc = avro_value_set_float(v, (float)json_number_value(j));
        break;
    case AVRO_DOUBLE:
        if (!json_is_number(j)) return fj_fail(f, "expected double, got %s", json_kind(j));
        rc = avro_value_set_double(v, json_number_value(j));
        break;
    case AVRO_STRING:
        if (!json_is_string(j)) return fj_fail(f, "expected string, got %s", json_kind(j));
        /* jansson keeps a NUL inside a string; a C string would silently end there */
        if (strlen(json_string_value(j)) != json_string_length(j)) return fj_fail(f, "contains a NUL byte%s", "");
        rc = avro_value_set_string(v, json_string_value(j));
        break;
    case AVRO_ENUM: {
        if (!json_is_string(j)) return fj_fail(f, "expected enum symbol string, got %s", json_kind(j));
        int idx = avro_schema_enum_get_by_name(schema, json_string_value(j));
        if (idx < 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown symbol \"%.60s\" for enum %.60s", json_string_value(j),
                     avro_schema_name(schema));
            return fj_fail(f, "%s", msg);
        }
        rc = avro_value_set_enum(v, idx);
        break;
    }
    case AVRO_ARRAY: {
        if (!json_is_array(j)) return fj_fail(f, "expected array, got %s", json_kind(j));
        for (size_t i = 0; i < json_array_size(j); i++) {
            avro_value_t e;
            if (avro_value_append(v, &e, NULL)) return ZL_ERR_NOMEM;
            size_t old = path_push(f, "[", NULL, i);
            zl_err_t err = from_json(f, &e, json_array_get(j, i), depth + 1);
            if (err) return err;
            path_pop(f, old);
        }
        break;
    }
    case AVRO_MAP: {
        if (!json_is_object(j)) return fj_fail(f, "expected map object, got %s", json_kind(j));
        const char *key;
        json_t *jv;
        json_object_foreach((json_t *)j, key, jv) {
            avro_value_t e;
            if (avro_value_add(v, key, &e, NULL, NULL)) return ZL_ERR_NOMEM;
            size_t old = path_push(f, "{", key, 0);
            zl_err_t err = from_json(f, &e, jv, depth + 1);
            if (err) return err;
            path_pop(f, old);
        }
        break;
    }
    case AVRO_RECORD: {
        if (!json_is_object(j)) return fj_fail(f, "expected record object, got %s", json_kind(j));
        size_t nf = avro_schema_record_size(schema);
        for (size_t i = 0; i < nf; i++) {
            const char *name = avro_schema_record_field_name(schema, (int)i);
            avro_value_t fv;
            if (avro_value_get_by_index(v, i, &fv, NULL)) return ZL_ERR_NOMEM;
            size_t old = path_push(f, ".", name, 0);
            const json_t *jf = json_object_get(j, name);
            zl_err_t err = ZL_OK;
            if (!jf) {
                avro_schema_t fs = zl_avro_deref(avro_schema_record_field_get_by_index(schema, (int)i));
                int nb = is_avro_union(fs) ? union_null_branch(fs) : -1;
                avro_value_t b;
                if (nb < 0) return fj_fail(f, "%s", "missing field");
                if (avro_value_set_branch(&fv, nb, &b)) return ZL_ERR_NOMEM;
            } else {
                err = from_json(f, &fv, jf, depth + 1);
            }
            if (err) return err;
            path_pop(f, old);
        }
        break;
    }
    case AVRO_UNION: {
        size_t nb = avro_schema_union_size(schema);
        avro_value_t b;
        if (json_is_null(j)) {
            int ni = union_null_branch(schema);
            if (ni < 0) return fj_fail(f, "%s", "null is not allowed here (union has no null branch)");
            rc = avro_value_set_branch(v, ni, &b);
            break;
        }
        if (!json_is_object(j) || json_object_size(j) != 1)
            return fj_fail(f, "expected a union value {\"<type name>\": value}, got %s", json_kind(j));
        const char *key = json_object_iter_key(json_object_iter((json_t *)j));
        const json_t *jv = json_object_iter_value(json_object_iter((json_t *)j));
        for (size_t i = 0; i < nb; i++) {
            avro_schema_t bs = zl_avro_deref(avro_schema_union_branch(schema, (int)i));
            char nbuf[256];
            const char *full = zl_avro_branch_name(bs, nbuf, sizeof nbuf);
            if (strcmp(key, full) == 0 ||
                (is_avro_named_type(bs) && strcmp(key, avro_schema_name(bs)) == 0)) {
                if (avro_value_set_branch(v, (int)i, &b)) return ZL_ERR_NOMEM;
                return from_json(f, &b, jv, depth + 1);
            }
        }
        return fj_fail(f, "unknown union branch \"%.100s\"", key);
    }
    default:
        return fj_fail(f, "%s", "unsupported Avro type in JSON decoding");
    }
    return rc ? ZL_ERR_NOMEM : ZL_OK;
}

zl_err_t zl_avro_from_json(avro_value_t *v, const json_t *j, const char *prefix, char *errstr,
                           size_t n) {
    fj_t f;
    char dummy[8];
    memset(&f, 0, sizeof f);
    f.err = errstr ? errstr : dummy;
    f.n = errstr ? n : sizeof dummy;
    if (prefix && *prefix) path_push(&f, ".", prefix, 0);
    zl_err_t e = from_json(&f, v, j, 0);
    if (e == ZL_ERR_NOMEM) snprintf(f.err, f.n, "out of memory building Avro value");
    return e;
}

/* ---- binary bounds check ------------------------------------------------ */

typedef struct {
    const uint8_t *p;
    size_t len, pos;
    char *err;
    size_t n;
} rd_t;

static zl_err_t rd_fail(rd_t *r, zl_err_t e, const char *what) {
    snprintf(r->err, r->n, "Avro binary: %s at byte %zu", what, r->pos);
    return e;
}

static zl_err_t rd_long(rd_t *r, int64_t *out) {
    uint64_t v = 0;
    for (int i = 0;; i++) {
        if (i == 10) return rd_fail(r, ZL_ERR_INVALID, "varint too long");
        if (r->pos >= r->len) return rd_fail(r, ZL_ERR_TRUNCATED, "truncated varint");
        uint8_t b = r->p[r->pos++];
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) break;
    }
    *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return ZL_OK;
}

static zl_err_t rd_skip(rd_t *r, int64_t n) {
    if (n < 0) return rd_fail(r, ZL_ERR_INVALID, "negative length");
    if ((uint64_t)n > r->len - r->pos) return rd_fail(r, ZL_ERR_TRUNCATED, "length past end of data");
    r->pos += (size_t)n;
    return ZL_OK;
}

static zl_err_t check(rd_t *r, avro_schema_t s, int depth);

/* Arrays and maps: blocks of count items (negative count: a byte size follows). */
static zl_err_t check_blocks(rd_t *r, avro_schema_t items, bool is_map, int depth) {
    for (;;) {
        int64_t cnt, bytes;
        zl_err_t e = rd_long(r, &cnt);
        if (e) return e;
        if (cnt == 0) return ZL_OK;
        if (cnt == INT64_MIN) return rd_fail(r, ZL_ERR_INVALID, "bad block count");
        if (cnt < 0) {
            cnt = -cnt;
            if ((e = rd_long(r, &bytes))) return e;
            if (bytes < 0 || (uint64_t)bytes > r->len - r->pos)
                return rd_fail(r, ZL_ERR_TRUNCATED, "block size past end of data");
        }
        for (int64_t i = 0; i < cnt; i++) {
            size_t before = r->pos;
            if (is_map) {
                int64_t kl;
                if ((e = rd_long(r, &kl)) || (e = rd_skip(r, kl))) return e;
            }
            if ((e = check(r, items, depth + 1))) return e;
            /* zero-byte items (null, empty record) cannot run out of data, so
             * bound their count explicitly */
            if (r->pos == before && cnt > 65536)
                return rd_fail(r, ZL_ERR_TOO_LARGE, "too many zero-size items");
        }
    }
}

static zl_err_t check(rd_t *r, avro_schema_t s, int depth) {
    s = zl_avro_deref(s);
    if (depth > 64) return rd_fail(r, ZL_ERR_INVALID, "nesting too deep");
    int64_t v;
    zl_err_t e;
    switch (avro_typeof(s)) {
    case AVRO_NULL: return ZL_OK;
    case AVRO_BOOLEAN: return rd_skip(r, 1);
    case AVRO_INT32:
        if ((e = rd_long(r, &v))) return e;
        if (v < INT32_MIN || v > INT32_MAX) return rd_fail(r, ZL_ERR_INVALID, "int out of range");
        return ZL_OK;
    case AVRO_INT64: return rd_long(r, &v);
    case AVRO_FLOAT: return rd_skip(r, 4);
    case AVRO_DOUBLE: return rd_skip(r, 8);
    case AVRO_STRING:
    case AVRO_BYTES:
        if ((e = rd_long(r, &v))) return e;
        return rd_skip(r, v);
    case AVRO_FIXED: return rd_skip(r, avro_schema_fixed_size(s));
    case AVRO_ENUM:
        if ((e = rd_long(r, &v))) return e;
        if (v < 0 || v >= avro_schema_enum_number_of_symbols(s))
            return rd_fail(r, ZL_ERR_INVALID, "enum ordinal out of range");
        return ZL_OK;
    case AVRO_UNION:
        if ((e = rd_long(r, &v))) return e;
        if (v < 0 || (uint64_t)v >= avro_schema_union_size(s))
            return rd_fail(r, ZL_ERR_INVALID, "union branch index out of range");
        return check(r, avro_schema_union_branch(s, (int)v), depth + 1);
    case AVRO_ARRAY: return check_blocks(r, avro_schema_array_items(s), false, depth);
    case AVRO_MAP: return check_blocks(r, avro_schema_map_values(s), true, depth);
    case AVRO_RECORD: {
        size_t nf = avro_schema_record_size(s);
        for (size_t i = 0; i < nf; i++)
            if ((e = check(r, avro_schema_record_field_get_by_index(s, (int)i), depth + 1))) return e;
        return ZL_OK;
    }
    default: return rd_fail(r, ZL_ERR_INVALID, "unsupported schema type");
    }
}

zl_err_t zl_avro_check_binary(avro_schema_t schema, const uint8_t *p, size_t len, size_t *used,
                              char *errstr, size_t n) {
    char dummy[8];
    rd_t r = {p, len, 0, errstr ? errstr : dummy, errstr ? n : sizeof dummy};
    zl_err_t e = check(&r, schema, 0);
    if (used) *used = r.pos;
    return e;
}

/* ---- record fields by name ------------------------------------------------ */

/* avro_value_get_by_name() hashes the name on every call; the record
 * builders ask for the same (schema, literal name) pairs for every record.
 * A small per-thread direct-mapped cache remembers the index.  A hit is
 * verified against the live schema (the field at that index has that name;
 * names are unique in a record), so a reused schema address or a reused name
 * buffer can only cost a miss, never a wrong field. */
typedef struct {
    avro_schema_t schema;
    const char *name;
    int index;
} field_slot_t;

static __thread field_slot_t field_cache[256];

int zl_avro_get_field(const avro_value_t *rec, const char *name, avro_value_t *f, size_t *index) {
    avro_schema_t s = avro_value_get_schema(rec);
    if (!s || !is_avro_record(s) || !name) return avro_value_get_by_name(rec, name, f, index);
    uintptr_t h = ((uintptr_t)s >> 4) * 31u + ((uintptr_t)name >> 0);
    h ^= h >> 7;
    field_slot_t *slot = &field_cache[h & 255];
    int i = -1;
    if (slot->schema == s && slot->name == name && slot->index < (int)avro_schema_record_size(s)) {
        const char *fn = avro_schema_record_field_name(s, slot->index);
        if (fn && strcmp(fn, name) == 0) i = slot->index;
    }
    if (i < 0) {
        i = avro_schema_record_field_get_index(s, name);
        if (i < 0) return avro_value_get_by_name(rec, name, f, index); /* its error */
        slot->schema = s;
        slot->name = name;
        slot->index = i;
    }
    if (index) *index = (size_t)i;
    return avro_value_get_by_index(rec, (size_t)i, f, NULL);
}

/* ---- record field setters ------------------------------------------------ */

#define PUT_FIELD(setter, ...)                                              \
    avro_value_t f;                                                         \
    if (zl_avro_get_field(rec, name, &f, NULL) || setter(&f, __VA_ARGS__)) \
        return ZL_ERR_NOMEM;                                                \
    return ZL_OK

zl_err_t zl_avro_put_str(avro_value_t *rec, const char *name, const char *v) {
    PUT_FIELD(avro_value_set_string, v ? v : "");
}
zl_err_t zl_avro_put_long(avro_value_t *rec, const char *name, int64_t v) { PUT_FIELD(avro_value_set_long, v); }
zl_err_t zl_avro_put_int(avro_value_t *rec, const char *name, int32_t v) { PUT_FIELD(avro_value_set_int, v); }
zl_err_t zl_avro_put_bool(avro_value_t *rec, const char *name, bool v) { PUT_FIELD(avro_value_set_boolean, v); }
zl_err_t zl_avro_put_enum(avro_value_t *rec, const char *name, int v) { PUT_FIELD(avro_value_set_enum, v); }
