/* SPDX-License-Identifier: Apache-2.0 */
/* text/plain (0) and application/octet-stream (42) single-value codecs. */
#ifndef ZL_TEXT_H
#define ZL_TEXT_H
#include "lwm2m/node.h"
#include "common/buf.h"
/* Parses text as type (FLOAT "21.5", INTEGER "-3", BOOLEAN "0"/"1", TIME seconds,
 * OBJLNK "3:0", STRING as is, OPAQUE = base64 per LwM2M 1.1).  ZL_T_NONE (no
 * model) infers the type: "-30" INTEGER, "-30.0" / "1e3" FLOAT (any number
 * that is not a plain decimal int64), anything else STRING, or OPAQUE when the
 * bytes are not UTF-8; *out's type says which.
 * *out is overwritten on success (any bytes it held are not freed) and left
 * untouched on error (ZL_ERR_INVALID for malformed text, ZL_ERR_NOMEM). */
zl_err_t zl_text_decode(const uint8_t *p, size_t n, zl_type_t type, zl_value_t *out);
zl_err_t zl_text_encode(const zl_value_t *v, zl_buf_t *out);
#endif
