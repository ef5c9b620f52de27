/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M paths: "/", "/3", "/3/0", "/3/0/1", "/3/0/11/0". */
#ifndef ZL_PATH_H
#define ZL_PATH_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

#define ZL_PATH_MAX_DEPTH 4
#define ZL_ID_MAX 65534 /* 65535 is reserved by the LwM2M spec */

typedef struct {
    uint16_t ids[ZL_PATH_MAX_DEPTH];
    uint8_t len; /* 0 = root */
} zl_path_t;

/* Parses a textual path. Accepts an optional leading '/', no trailing '/'
 * except the root "/", decimal ids 0..65534 without signs or leading '+'.
 * Returns ZL_ERR_INVALID (and a message in errstr when given) otherwise. */
zl_err_t zl_path_parse(const char *s, zl_path_t *out, char *errstr, size_t errstr_size);
/* Formats "/3/0/1" (root is "/"). Returns chars written (excluding NUL). */
int zl_path_format(const zl_path_t *p, char *out, size_t out_size);
/* Builds a path from URI-Path segments (as CoAP delivers them). */
zl_err_t zl_path_from_segments(const char *const *segs, const size_t *lens, int n, zl_path_t *out);

#endif
