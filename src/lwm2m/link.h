/* SPDX-License-Identifier: Apache-2.0 */
/* CoRE Link Format (RFC 6690) as LwM2M uses it: registration payloads and
 * Discover responses, e.g.  </>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1 */
#ifndef ZL_LINK_H
#define ZL_LINK_H

#include <stddef.h>
#include "common/buf.h"
#include "common/err.h"

typedef struct {
    char *name;   /* owned */
    char *value;  /* owned; surrounding quotes removed; NULL for a valueless attribute (";obs") */
} zl_link_attr_t;

typedef struct {
    char *url;    /* owned, without the angle brackets, e.g. "/3/0" */
    zl_link_attr_t *attrs;
    size_t n_attrs;
} zl_link_t;

typedef struct {
    zl_link_t *links;
    size_t n;
} zl_links_t;

#define ZL_LINK_MAX_LINKS 4096
#define ZL_LINK_MAX_ATTRS 32

/* Parses len bytes (need not be NUL-terminated). On error out is left empty and
 * errstr names the offset and the problem. Empty input gives zero links. */
zl_err_t zl_link_parse(const char *s, size_t len, zl_links_t *out, char *errstr, size_t errstr_size);
void zl_links_clear(zl_links_t *l);
/* Re-encodes as CoRE link format: </3/0>;ver=1.1,</3303/0> (values that are not
 * plain tokens/numbers are quoted). */
zl_err_t zl_link_format(const zl_links_t *l, zl_buf_t *out);
/* Formats like the seed's discover body (Java Arrays.toString of Leshan links):
 * "[</3/0>, </3/0/1>;dim=2]"; string values quoted. */
zl_err_t zl_link_format_list(const zl_links_t *l, zl_buf_t *out);

#endif
