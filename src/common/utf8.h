/* SPDX-License-Identifier: Apache-2.0 */
/* The one UTF-8 validator (RFC 3629): Avro strings, JSON text, SenML strings
 * and device diagnostics all need "well-formed" to mean the same thing: no
 * overlong forms, no surrogates (U+D800..DFFF), nothing above U+10FFFF, no
 * truncated sequence.  (jansson applies the same rules.) */
#ifndef ZL_UTF8_H
#define ZL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the well-formed sequence starting at p, of which n >= 1
 * bytes are readable; 0 when the bytes there are not one. */
size_t zl_utf8_seq(const uint8_t *p, size_t n);

/* True if p[0..n) is well-formed UTF-8 (an empty string is). */
bool zl_utf8_valid(const void *p, size_t n);

#endif
