/* SPDX-License-Identifier: Apache-2.0 */
/* text/plain single-value codec.  Parsing is strict (whole input must be
 * consumed, no whitespace, no NaN/inf, overflow is an error) because a value
 * that silently parses as 0 would be published to Kafka as a real reading.
 * Text of a resource without a model is typed by how it is written (the
 * same rule as SenML numbers, so one reading gets one type in every format):
 * an int64 in plain decimal is INTEGER, any other number FLOAT, anything else
 * STRING (OPAQUE when it is not UTF-8). */
#include "lwm2m/text.h"
#include "common/num.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/base64.h"
#include "common/utf8.h"

/* Strict decimal int64: optional '-', at least one digit, nothing else. */
static zl_err_t parse_i64(const uint8_t *p, size_t n, int64_t *out) {
    size_t i = 0;
    bool neg = false;
    if (n > 0 && p[0] == '-') { neg = true; i = 1; }
    if (i == n) return ZL_ERR_INVALID;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return ZL_ERR_INVALID;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (limit - d) / 10) return ZL_ERR_INVALID; /* overflow */
        v = v * 10 + d;
    }
    if (neg) *out = (v == (uint64_t)INT64_MAX + 1u) ? INT64_MIN : -(int64_t)v;
    else *out = (int64_t)v;
    return ZL_OK;
}

/* Accepts [-+]?(digits[.digits*]|.digits)([eE][-+]?digits)? ; no hex, no nan/inf. */
static bool float_syntax_ok(const uint8_t *p, size_t n) {
    size_t i = 0, digits = 0;
    if (i < n && (p[i] == '-' || p[i] == '+')) i++;
    while (i < n && p[i] >= '0' && p[i] <= '9') { i++; digits++; }
    if (i < n && p[i] == '.') {
        i++;
        while (i < n && p[i] >= '0' && p[i] <= '9') { i++; digits++; }
    }
    if (digits == 0) return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '-' || p[i] == '+')) i++;
        size_t ed = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') { i++; ed++; }
        if (ed == 0) return false;
    }
    return i == n;
}

static zl_err_t parse_double(const uint8_t *p, size_t n, double *out) {
    if (n == 0 || n > 512 || !float_syntax_ok(p, n)) return ZL_ERR_INVALID;
    char tmp[513];
    memcpy(tmp, p, n);
    tmp[n] = 0;
    char *end = NULL;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + n || !isfinite(d)) return ZL_ERR_INVALID;
    *out = d;
    return ZL_OK;
}

static bool eq(const uint8_t *p, size_t n, const char *lit) {
    return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* Unsigned 16-bit decimal (0..65535: the OBJLNK null link is 65535:65535). */
static zl_err_t parse_u16(const uint8_t *p, size_t n, uint16_t *out) {
    if (n == 0) return ZL_ERR_INVALID;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return ZL_ERR_INVALID;
        v = v * 10 + (uint32_t)(p[i] - '0');
        if (v > 65535) return ZL_ERR_INVALID;
    }
    *out = (uint16_t)v;
    return ZL_OK;
}

zl_err_t zl_text_decode(const uint8_t *p, size_t n, zl_type_t type, zl_value_t *out) {
    zl_value_t v;
    memset(&v, 0, sizeof v);
    v.type = type;
    zl_err_t e = ZL_OK;
    if (!p && n) return ZL_ERR_INVALID;
    switch (type) {
    case ZL_T_INTEGER:
    case ZL_T_TIME:
        e = parse_i64(p, n, &v.u.i);
        break;
    case ZL_T_FLOAT:
        e = parse_double(p, n, &v.u.f);
        break;
    case ZL_T_BOOLEAN:
        if (eq(p, n, "1") || eq(p, n, "true")) v.u.b = true;
        else if (eq(p, n, "0") || eq(p, n, "false")) v.u.b = false;
        else e = ZL_ERR_INVALID;
        break;
    case ZL_T_OBJLNK: {
        const uint8_t *colon = n ? memchr(p, ':', n) : NULL;
        if (!colon) { e = ZL_ERR_INVALID; break; }
        size_t a = (size_t)(colon - p);
        e = parse_u16(p, a, &v.u.lnk.oid);
        if (!e) e = parse_u16(colon + 1, n - a - 1, &v.u.lnk.iid);
        break;
    }
    case ZL_T_STRING:
        e = zl_value_set_bytes(&v, type, p, n);
        break;
    case ZL_T_NONE: /* no model: typed by how the text is written */
        if (parse_i64(p, n, &v.u.i) == ZL_OK) v.type = ZL_T_INTEGER;
        else if (parse_double(p, n, &v.u.f) == ZL_OK) v.type = ZL_T_FLOAT;
        else e = zl_value_set_bytes(&v, zl_utf8_valid(p, n) ? ZL_T_STRING : ZL_T_OPAQUE, p, n);
        break;
    case ZL_T_OPAQUE: {
        zl_buf_t b;
        zl_buf_init(&b, 0);
        e = zl_base64_decode((const char *)p, n, &b);
        if (!e) e = zl_value_set_bytes(&v, type, b.data, b.len);
        zl_buf_free(&b);
        break;
    }
    default:
        e = ZL_ERR_INVALID;
    }
    if (e) { free(v.bytes); return e; }
    *out = v; /* overwritten, not freed: out may be uninitialised memory */
    return ZL_OK;
}

zl_err_t zl_text_encode(const zl_value_t *v, zl_buf_t *out) {
    switch (v->type) {
    case ZL_T_INTEGER:
    case ZL_T_TIME:
        return zl_buf_printf(out, "%" PRId64, v->u.i);
    case ZL_T_FLOAT: {
        if (!isfinite(v->u.f)) return ZL_ERR_INVALID;
        char tmp[40]; /* the shortest digits that read back as the same double */
        snprintf(tmp, sizeof tmp, "%.*g", zl_double_precision(v->u.f), v->u.f);
        return zl_buf_append(out, tmp, strlen(tmp));
    }
    case ZL_T_BOOLEAN:
        return zl_buf_putc(out, v->u.b ? '1' : '0');
    case ZL_T_OBJLNK:
        return zl_buf_printf(out, "%u:%u", (unsigned)v->u.lnk.oid, (unsigned)v->u.lnk.iid);
    case ZL_T_STRING:
    case ZL_T_NONE:
        return zl_buf_append(out, v->bytes, v->len);
    case ZL_T_OPAQUE:
        return zl_base64_encode(v->bytes, v->len, out);
    }
    return ZL_ERR_INVALID;
}
