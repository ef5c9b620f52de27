/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M path parsing.  Hand-rolled rather than strtoul-based so that signs,
 * whitespace, leading '+' and overflow can never slip through: every byte is
 * checked and the value is bounded by ZL_ID_MAX as it accumulates. */
#include "lwm2m/path.h"

#include <stdio.h>
#include <string.h>

static zl_err_t fail(char *errstr, size_t errstr_size, const char *fmt, size_t off) {
    if (errstr && errstr_size) snprintf(errstr, errstr_size, fmt, off);
    return ZL_ERR_INVALID;
}

/* Parses one id segment s[0..n); returns 0 on success. */
static int parse_seg(const char *s, size_t n, uint16_t *out) {
    if (n == 0) return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > ZL_ID_MAX) return -1; /* bounded while accumulating: no overflow */
    }
    *out = (uint16_t)v;
    return 0;
}

zl_err_t zl_path_parse(const char *s, zl_path_t *out, char *errstr, size_t errstr_size) {
    zl_path_t p;
    memset(&p, 0, sizeof p);
    if (errstr && errstr_size) errstr[0] = 0;
    if (!s) return fail(errstr, errstr_size, "path is NULL (offset %zu)", 0);
    size_t i = 0, len = strlen(s);
    if (len == 0) return fail(errstr, errstr_size, "empty path (offset %zu)", 0);
    if (s[0] == '/') {
        i = 1;
        if (len == 1) { *out = p; return ZL_OK; } /* root */
    }
    for (;;) {
        size_t start = i;
        while (i < len && s[i] != '/') i++;
        size_t n = i - start;
        if (n == 0) return fail(errstr, errstr_size, "empty path segment at offset %zu", start);
        if (p.len >= ZL_PATH_MAX_DEPTH)
            return fail(errstr, errstr_size, "path deeper than 4 levels at offset %zu", start);
        for (size_t k = start; k < i; k++)
            if (s[k] < '0' || s[k] > '9')
                return fail(errstr, errstr_size, "non-digit character at offset %zu", k);
        if (parse_seg(s + start, n, &p.ids[p.len]) != 0)
            return fail(errstr, errstr_size, "id at offset %zu exceeds 65534", start);
        p.len++;
        if (i == len) break;
        i++; /* skip '/' */
        if (i == len) return fail(errstr, errstr_size, "trailing '/' at offset %zu", i - 1);
    }
    *out = p;
    return ZL_OK;
}

int zl_path_format(const zl_path_t *p, char *out, size_t out_size) {
    if (!p || p->len == 0) return snprintf(out, out_size, "/");
    int total = 0;
    for (unsigned i = 0; i < p->len && i < ZL_PATH_MAX_DEPTH; i++) {
        size_t off = (out_size && (size_t)total < out_size) ? (size_t)total : out_size;
        int n = snprintf(out_size ? out + off : out, out_size - off, "/%u", (unsigned)p->ids[i]);
        if (n < 0) return n;
        total += n;
    }
    return total;
}

zl_err_t zl_path_from_segments(const char *const *segs, const size_t *lens, int n, zl_path_t *out) {
    zl_path_t p;
    memset(&p, 0, sizeof p);
    if (n < 0 || n > ZL_PATH_MAX_DEPTH) return ZL_ERR_INVALID;
    for (int i = 0; i < n; i++) {
        if (!segs || !lens || !segs[i]) return ZL_ERR_INVALID;
        if (parse_seg(segs[i], lens[i], &p.ids[i]) != 0) return ZL_ERR_INVALID;
    }
    p.len = (uint8_t)n;
    *out = p;
    return ZL_OK;
}
