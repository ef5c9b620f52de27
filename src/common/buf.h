/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer used by every encoder.
 * A zl_buf_t owns its data; zl_buf_free() releases it.  All appenders return
 * ZL_ERR_NOMEM on allocation failure and leave the buffer unchanged, and fail
 * with ZL_ERR_TOO_LARGE once len would pass max (0 = no limit). */
#ifndef ZL_BUF_H
#define ZL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
} zl_buf_t;

void zl_buf_init(zl_buf_t *b, size_t max);
void zl_buf_free(zl_buf_t *b);
void zl_buf_reset(zl_buf_t *b);
zl_err_t zl_buf_reserve(zl_buf_t *b, size_t extra);
zl_err_t zl_buf_append(zl_buf_t *b, const void *p, size_t n);
zl_err_t zl_buf_putc(zl_buf_t *b, uint8_t c);
zl_err_t zl_buf_printf(zl_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a NUL (not counted in len) and returns data as a C string. */
const char *zl_buf_cstr(zl_buf_t *b);
/* Hands the data to the caller (who frees it with free()); the buffer is reset. */
uint8_t *zl_buf_steal(zl_buf_t *b, size_t *len);

#endif
