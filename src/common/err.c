/* The single table that maps internal errors to strings, CoAP codes and
 * management response codes (AvroResponseCode ordinals). */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

/* AvroResponseCode ordinals, kept local so util/ does not depend on kafka/. */
enum { MG_BAD_REQUEST = 4, MG_NOT_FOUND = 8, MG_TOO_LARGE = 12, MG_UNSUPPORTED_CF = 13,
       MG_INTERNAL = 14, MG_UNKNOWN = 15 };

#define COAP(c, d) (((c) << 5) | (d))

static const struct {
    const char *str;
    int coap;
    int mgmt;
} err_table[ZL_ERR__COUNT] = {
    [0]  = {"success", COAP(2, 5), 3},
    [1]  = {"out of memory", COAP(5, 0), MG_INTERNAL},
    [2]  = {"invalid input", COAP(4, 0), MG_BAD_REQUEST},
    [3]  = {"truncated input", COAP(4, 0), MG_BAD_REQUEST},
    [4]  = {"not found", COAP(4, 4), MG_NOT_FOUND},
    [5]  = {"unsupported", COAP(4, 15), MG_UNSUPPORTED_CF},
    [6]  = {"too large", COAP(4, 13), MG_TOO_LARGE},
    [7]  = {"timed out", COAP(5, 4), MG_INTERNAL},
    [8]  = {"i/o error", COAP(5, 0), MG_INTERNAL},
    [9]  = {"queue full", COAP(5, 3), MG_INTERNAL},
    [10] = {"kafka error", COAP(5, 3), MG_INTERNAL},
    [11] = {"schema error", COAP(5, 0), MG_INTERNAL},
    [12] = {"cancelled", COAP(5, 3), MG_INTERNAL},
    [13] = {"reset by device", COAP(5, 0), MG_UNKNOWN},
};

static int idx(zl_err_t err) {
    int i = -(int)err;
    return (i >= 0 && i < ZL_ERR__COUNT) ? i : 8;
}

const char *zl_err2str(zl_err_t err) { return err_table[idx(err)].str; }
int zl_err2coap(zl_err_t err) { return err_table[idx(err)].coap; }
int zl_err2mgmt(zl_err_t err) { return err_table[idx(err)].mgmt; }

zl_err_t zl_err_fmt(char *errstr, size_t errstr_size, zl_err_t err, const char *fmt, ...) {
    if (errstr && errstr_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}
