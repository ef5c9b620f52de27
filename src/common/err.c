/* SPDX-License-Identifier: Apache-2.0 */
/* The strings of zl_err_t.  The codes an error becomes on the wire live with
 * their protocols: CoAP codes in coap/errcode.c, AvroResponseCode in
 * kafka/records.c, so common/ knows neither protocol. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const err_str[ZL_ERR__COUNT] = {
    [0] = "success",        [1] = "out of memory", [2] = "invalid input",   [3] = "truncated input",
    [4] = "not found",      [5] = "unsupported",   [6] = "too large",       [7] = "timed out",
    [8] = "i/o error",      [9] = "queue full",    [10] = "kafka error",    [11] = "schema error",
    [12] = "cancelled",     [13] = "reset by device", [14] = "access denied",
};

const char *zl_err2str(zl_err_t err) {
    int i = -(int)err;
    return err_str[(i >= 0 && i < ZL_ERR__COUNT) ? i : -(int)ZL_ERR_IO];
}

zl_err_t zl_err_fmt(char *errstr, size_t errstr_size, zl_err_t err, const char *fmt, ...) {
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}
