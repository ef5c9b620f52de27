/* SPDX-License-Identifier: Apache-2.0 */
/* Standard Base64 (RFC 4648 §4, '+' '/' alphabet, '=' padding).  OPAQUE values
 * travel to Kafka as Base64 text and LwM2M 1.1 text/plain carries opaque
 * resources Base64-encoded. */
#ifndef ZL_BASE64_H
#define ZL_BASE64_H
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

/* Appends the padded Base64 encoding of p[0..n) to out (no NUL counted). */
zl_err_t zl_base64_encode(const uint8_t *p, size_t n, zl_buf_t *out);
/* Appends the decoded bytes of s[0..n) to out. Accepts padded or unpadded
 * input; rejects characters outside the alphabet, misplaced '=', a lone
 * trailing sextet and non-zero pad bits (ZL_ERR_INVALID). On error out's
 * length is restored. */
zl_err_t zl_base64_decode(const char *s, size_t n, zl_buf_t *out);
#endif
