/* SPDX-License-Identifier: Apache-2.0 */
/* zl_avro_write_json (avro_util.h): Avro values written straight to JSON
 * text, the per-record path of format=json, kept apart from the json_t
 * based conversions of avro_util.c it must stay byte-identical to. */
#include "kafka/avro_util.h"
#include "kafka/avro_jsonw.h"
#include "common/num.h"
#include "common/utf8.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- avro value -> JSON text ------------------------------------------ */

/* The same text as json_dumps(zl_avro_to_json(v), JSON_COMPACT |
 * JSON_ENCODE_ANY) with jansson 2.14, written straight into a buffer: no
 * json_t tree, no per-node allocation, no loop-check hashtable.  This is the
 * per-record path of format=json (tests/unit/test_serde.c compares the two). */

typedef zl_jw_t jw_t; /* kafka/avro_jsonw.h: shared with the direct writer */

void zl_jw_put(jw_t *w, const void *p, size_t len) {
    zl_buf_t *b = w->b;
    if (!w->fail && b->len + len < b->cap && (!b->max || b->len + len <= b->max)) {
        memcpy(b->data + b->len, p, len); /* room already: the common case */
        b->len += len;
        return;
    }
    if (!w->fail && zl_buf_append(b, p, len)) w->fail = ZL_ERR_NOMEM;
}

/* jansson's dump_string for valid UTF-8 (no ESCAPE_SLASH, no ENSURE_ASCII);
 * lossy: bytes >= 0x80 become '?' (json_string_lossy). */
static void jw_str(jw_t *w, const char *s, size_t len, bool lossy) {
    static const char hex[] = "0123456789ABCDEF";
    if (w->fail) return;
    if (zl_buf_reserve(w->b, len + 2)) {
        w->fail = ZL_ERR_NOMEM;
        return;
    }
    zl_jw_put(w, "\"", 1);
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && !(lossy && c >= 0x80)) continue;
        zl_jw_put(w, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            if (c >= 0x80) { /* lossy replacement */
                esc[0] = '?';
                el = 1;
                break;
            }
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
            el = 6;
            break;
        }
        zl_jw_put(w, esc, el);
    }
    zl_jw_put(w, s + run, len - run);
    zl_jw_put(w, "\"", 1);
}

/* A string value: as is when valid UTF-8, else every byte >= 0x80 as '?'. */
void zl_jw_string(jw_t *w, const char *s, size_t len) {
    jw_str(w, s, len, !zl_utf8_valid(s, len));
}

/* An object key (json_object_set_new refuses invalid UTF-8 keys). */
static void jw_key(jw_t *w, const char *k) {
    size_t l = k ? strlen(k) : 0;
    if (!k || !zl_utf8_valid(k, l)) {
        if (!w->fail) w->fail = 1;
        return;
    }
    jw_str(w, k, l, false);
    zl_jw_put(w, ":", 1);
}

void zl_jw_int(jw_t *w, int64_t i) {
    char d[24];
    int k = sizeof d;
    uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
    do d[--k] = (char)('0' + u % 10); while (u /= 10);
    if (i < 0) d[--k] = '-';
    zl_jw_put(w, d + k, sizeof d - (size_t)k);
}

/* jansson's jsonp_dtostr (the snprintf variant) with the shortest precision
 * that reads back as the same double (21.55, not 21.550000000000001); NaN
 * and infinities have no JSON form: null, as json_real() refuses them. */
void zl_jw_real(jw_t *w, double d) {
    if (d != d || d - d != 0) {
        zl_jw_put(w, "null", 4);
        return;
    }
    char b[40];
    int len = snprintf(b, sizeof b, "%.*g", zl_double_precision(d), d);
    if (len < 0 || (size_t)len >= sizeof b - 3) {
        if (!w->fail) w->fail = 1;
        return;
    }
    for (int i = 0; i < len; i++) /* locale decimal point -> '.' */
        if (b[i] != '-' && b[i] != '+' && b[i] != 'e' && (b[i] < '0' || b[i] > '9')) {
            b[i] = '.';
            break;
        }
    if (!memchr(b, '.', (size_t)len) && !memchr(b, 'e', (size_t)len)) {
        b[len++] = '.';
        b[len++] = '0';
        b[len] = 0;
    }
    char *start = memchr(b, 'e', (size_t)len);
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-') start++;
        while (*end == '0') end++;
        if (end != start) {
            memmove(start, end, (size_t)len - (size_t)(end - b));
            len -= (int)(end - start);
        }
    }
    zl_jw_put(w, b, (size_t)len);
}

/* Avro JSON bytes: code points U+0000..U+00FF (json_bytes), dumped. */
static void jw_bytes(jw_t *w, const void *p, size_t len) {
    const uint8_t *b = p;
    static const char hex[] = "0123456789ABCDEF";
    zl_jw_put(w, "\"", 1);
    for (size_t i = 0; i < len && !w->fail; i++) {
        uint8_t c = b[i];
        char o[6];
        size_t ol = 1;
        if (c >= 0x80) {
            o[0] = (char)(0xC0 | (c >> 6));
            o[1] = (char)(0x80 | (c & 0x3F));
            ol = 2;
        } else if (c == '"' || c == '\\') {
            o[0] = '\\';
            o[1] = (char)c;
            ol = 2;
        } else if (c < 0x20) {
            static const char short_esc[] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
            o[0] = '\\';
            if (c < sizeof short_esc && short_esc[c]) {
                o[1] = short_esc[c];
                ol = 2;
            } else {
                o[1] = 'u'; o[2] = '0'; o[3] = '0'; o[4] = hex[c >> 4]; o[5] = hex[c & 15];
                ol = 6;
            }
        } else {
            o[0] = (char)c;
        }
        zl_jw_put(w, o, ol);
    }
    zl_jw_put(w, "\"", 1);
}

static void jw_value(jw_t *w, const avro_value_t *v, int depth) {
    if (w->fail) return;
    if (depth > 64) {
        snprintf(w->err, w->n, "value nested too deeply");
        w->fail = 1;
        return;
    }
    avro_type_t type = avro_value_get_type(v);
    switch (type) {
    case AVRO_NULL:
        zl_jw_put(w, "null", 4);
        return;
    case AVRO_BOOLEAN: {
        int b = 0;
        avro_value_get_boolean(v, &b);
        if (b) zl_jw_put(w, "true", 4);
        else zl_jw_put(w, "false", 5);
        return;
    }
    case AVRO_INT32: {
        int32_t i = 0;
        avro_value_get_int(v, &i);
        zl_jw_int(w, i);
        return;
    }
    case AVRO_INT64: {
        int64_t i = 0;
        avro_value_get_long(v, &i);
        zl_jw_int(w, i);
        return;
    }
    case AVRO_FLOAT: {
        float f = 0;
        avro_value_get_float(v, &f);
        zl_jw_real(w, f);
        return;
    }
    case AVRO_DOUBLE: {
        double d = 0;
        avro_value_get_double(v, &d);
        zl_jw_real(w, d);
        return;
    }
    case AVRO_STRING: {
        const char *s = NULL;
        size_t sz = 0;
        avro_value_get_string(v, &s, &sz);
        zl_jw_string(w, s ? s : "", sz ? sz - 1 : 0);
        return;
    }
    case AVRO_BYTES: {
        const void *p = NULL;
        size_t sz = 0;
        avro_value_get_bytes(v, &p, &sz);
        jw_bytes(w, p, sz);
        return;
    }
    case AVRO_FIXED: {
        const void *p = NULL;
        size_t sz = 0;
        avro_value_get_fixed(v, &p, &sz);
        jw_bytes(w, p, sz);
        return;
    }
    case AVRO_ENUM: {
        int i = 0;
        avro_value_get_enum(v, &i);
        const char *sym = avro_schema_enum_get(zl_avro_deref(avro_value_get_schema(v)), i);
        if (!sym) sym = "?";
        size_t l = strlen(sym);
        if (!zl_utf8_valid(sym, l)) { /* json_string() refuses it */
            if (!w->fail) w->fail = 1;
            return;
        }
        jw_str(w, sym, l, false);
        return;
    }
    case AVRO_ARRAY: {
        size_t cnt = 0;
        avro_value_get_size(v, &cnt);
        zl_jw_put(w, "[", 1);
        for (size_t i = 0; i < cnt && !w->fail; i++) {
            avro_value_t e;
            if (avro_value_get_by_index(v, i, &e, NULL)) {
                w->fail = 1;
                return;
            }
            if (i) zl_jw_put(w, ",", 1);
            jw_value(w, &e, depth + 1);
        }
        zl_jw_put(w, "]", 1);
        return;
    }
    case AVRO_MAP:
    case AVRO_RECORD: {
        avro_schema_t schema = type == AVRO_RECORD ? zl_avro_deref(avro_value_get_schema(v)) : NULL;
        size_t cnt = 0;
        avro_value_get_size(v, &cnt);
        zl_jw_put(w, "{", 1);
        for (size_t i = 0; i < cnt && !w->fail; i++) {
            avro_value_t e;
            const char *name = NULL;
            if (avro_value_get_by_index(v, i, &e, &name)) {
                w->fail = 1;
                return;
            }
            if (schema) name = avro_schema_record_field_name(schema, (int)i);
            if (i) zl_jw_put(w, ",", 1);
            jw_key(w, name);
            jw_value(w, &e, depth + 1);
        }
        zl_jw_put(w, "}", 1);
        return;
    }
    case AVRO_UNION: {
        int disc = -1;
        avro_value_t b;
        if (avro_value_get_discriminant(v, &disc) || disc < 0 ||
            avro_value_get_current_branch(v, &b)) {
            snprintf(w->err, w->n, "union without a branch set");
            w->fail = 1;
            return;
        }
        if (avro_value_get_type(&b) == AVRO_NULL) {
            zl_jw_put(w, "null", 4);
            return;
        }
        char nbuf[256];
        avro_schema_t schema = zl_avro_deref(avro_value_get_schema(v));
        const char *bn = zl_avro_branch_name(avro_schema_union_branch(schema, disc), nbuf, sizeof nbuf);
        zl_jw_put(w, "{", 1);
        jw_key(w, bn);
        jw_value(w, &b, depth + 1);
        zl_jw_put(w, "}", 1);
        return;
    }
    default:
        snprintf(w->err, w->n, "unsupported Avro type %d", (int)type);
        w->fail = 1;
        return;
    }
}

zl_err_t zl_avro_write_json(const avro_value_t *v, zl_buf_t *out, char *errstr, size_t n) {
    char dummy[8];
    if (!errstr) { errstr = dummy; n = sizeof dummy; }
    size_t mark = out->len;
    jw_t w = {out, errstr, n, 0};
    jw_value(&w, v, 0);
    if (!w.fail) return ZL_OK;
    out->len = mark;
    if (w.fail == ZL_ERR_NOMEM || !errstr[0]) snprintf(errstr, n, "out of memory converting Avro value to JSON");
    return w.fail == ZL_ERR_NOMEM ? ZL_ERR_NOMEM : ZL_ERR_INVALID;
}

/* ---- json_t -> JSON text ------------------------------------------------ */

/* json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) with every real written by
 * jw_real: jansson's dump has one precision for all reals (17 by default:
 * 19.199999999999999), re-dumping a parsed record must keep 19.2. */
static void jw_json(jw_t *w, const json_t *j, int depth) {
    if (w->fail) return;
    if (depth > 2048) { /* json_loadb's own nesting limit */
        w->fail = 1;
        return;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *e;
        bool first = true;
        zl_jw_put(w, "{", 1);
        json_object_foreach((json_t *)j, k, e) {
            if (!first) zl_jw_put(w, ",", 1);
            first = false;
            jw_str(w, k, strlen(k), false);
            zl_jw_put(w, ":", 1);
            jw_json(w, e, depth + 1);
        }
        zl_jw_put(w, "}", 1);
        return;
    }
    case JSON_ARRAY:
        zl_jw_put(w, "[", 1);
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i) zl_jw_put(w, ",", 1);
            jw_json(w, json_array_get(j, i), depth + 1);
        }
        zl_jw_put(w, "]", 1);
        return;
    case JSON_STRING:
        jw_str(w, json_string_value(j), json_string_length(j), false);
        return;
    case JSON_INTEGER: zl_jw_int(w, (int64_t)json_integer_value(j)); return;
    case JSON_REAL: zl_jw_real(w, json_real_value(j)); return;
    case JSON_TRUE: zl_jw_put(w, "true", 4); return;
    case JSON_FALSE: zl_jw_put(w, "false", 5); return;
    default: zl_jw_put(w, "null", 4); return;
    }
}

zl_err_t zl_json_write(const json_t *j, zl_buf_t *out) {
    size_t mark = out->len;
    char err[8];
    jw_t w = {out, err, sizeof err, 0};
    jw_json(&w, j, 0);
    if (!w.fail) return ZL_OK;
    out->len = mark;
    return w.fail == ZL_ERR_NOMEM ? ZL_ERR_NOMEM : ZL_ERR_INVALID;
}
