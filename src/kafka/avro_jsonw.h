/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON text primitives of zl_avro_write_json (avro_jsonw.c), shared with
 * the direct writer (avro_bin.c) so both write strings and numbers alike,
 * byte for byte: jansson's compact dump of the same values. */
#ifndef ZL_AVRO_JSONW_H
#define ZL_AVRO_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

typedef struct {
    zl_buf_t *b;
    char *err;  /* what went wrong, when it is not the buffer */
    size_t n;
    int fail;   /* ZL_ERR_NOMEM from the buffer, or 1 = not representable; later calls do nothing */
} zl_jw_t;

void zl_jw_put(zl_jw_t *w, const void *p, size_t len);      /* raw text */
void zl_jw_string(zl_jw_t *w, const char *s, size_t len);   /* a string value ('?' for invalid UTF-8 bytes) */
void zl_jw_int(zl_jw_t *w, int64_t i);
void zl_jw_real(zl_jw_t *w, double d);                      /* shortest round-trip form; null for NaN/inf */

#endif
