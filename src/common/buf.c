/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer: doubling growth, optional hard cap. */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"

void zl_buf_init(zl_buf_t *b, size_t max) { memset(b, 0, sizeof *b); b->max = max; }

void zl_buf_free(zl_buf_t *b) { free(b->data); b->data = NULL; b->len = b->cap = 0; }

void zl_buf_reset(zl_buf_t *b) { b->len = 0; }

zl_err_t zl_buf_reserve(zl_buf_t *b, size_t extra) {
    if (b->max && b->len + extra > b->max) return ZL_ERR_TOO_LARGE;
    return ZL_ARRAY_RESERVE(&b->data, &b->cap, b->len + extra + 1, 64); /* + 1: room for zl_buf_cstr's NUL */
}

zl_err_t zl_buf_append(zl_buf_t *b, const void *p, size_t n) {
    zl_err_t e = zl_buf_reserve(b, n);
    if (e) return e;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return ZL_OK;
}

zl_err_t zl_buf_putc(zl_buf_t *b, uint8_t c) { return zl_buf_append(b, &c, 1); }

zl_err_t zl_buf_printf(zl_buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return ZL_ERR_INVALID;
    zl_err_t e = zl_buf_reserve(b, (size_t)n);
    if (e) return e;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return ZL_OK;
}

const char *zl_buf_cstr(zl_buf_t *b) {
    if (zl_buf_reserve(b, 0) != ZL_OK) return NULL;
    b->data[b->len] = 0;
    return (const char *)b->data;
}

uint8_t *zl_buf_steal(zl_buf_t *b, size_t *len) {
    uint8_t *d = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
