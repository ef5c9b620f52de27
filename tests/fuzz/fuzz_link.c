/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the CoRE link-format parser; successful parses are formatted both
 * ways, and the CoRE form must parse back to the same number of links. */
#include <stdint.h>
#include <stdlib.h>

#include "lwm2m/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zl_links_t l;
    char err[128];
    if (zl_link_parse((const char *)data, size, &l, err, sizeof err) != ZL_OK) {
        if (l.n || l.links) abort();
        return 0;
    }
    zl_buf_t b;
    zl_buf_init(&b, 0);
    if (zl_link_format(&l, &b) != ZL_OK) abort();
    zl_links_t l2;
    if (zl_link_parse((const char *)b.data, b.len, &l2, err, sizeof err) != ZL_OK) abort();
    if (l2.n != l.n) abort();
    for (size_t i = 0; i < l.n; i++)
        if (l2.links[i].n_attrs != l.links[i].n_attrs) abort();
    zl_links_clear(&l2);
    zl_buf_reset(&b);
    if (zl_link_format_list(&l, &b) != ZL_OK) abort();
    zl_buf_free(&b);
    zl_links_clear(&l);
    return 0;
}
