/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the LwM2M CBOR (11544) and plain CBOR (60) decoders: the first byte
 * picks the request path and (bit 7) the format, the rest is the payload.
 * Successful decodes are re-encoded (always possible in CBOR), decoded again
 * (must succeed with the same node count) and re-encoded to identical bytes.
 * The payload is also decoded at the root path (LwM2M Send), decode only. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m_cbor.h"

#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const zl_path_t paths[] = {
    {{3}, 1}, {{3, 0}, 2}, {{3, 0, 7}, 3}, {{3, 0, 7, 1}, 4},
    {{1, 0}, 2}, {{0, 0}, 2}, {{3303, 0}, 2}, {{3303, 0, 5700}, 3},
    {{9999}, 1}, {{9999, 1}, 2}, {{9999, 1, 2}, 3}, {{9999, 1, 2, 3}, 4},
    {{3, 0, 9}, 3}, {{1, 0, 10}, 3}, {{3, 0, 13}, 3}, {{0, 0, 3}, 3},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const zl_path_t *p = &paths[(data[0] & 0x7F) % (sizeof paths / sizeof paths[0])];
    if (data[0] & 0x80)
        zl_fz_roundtrip(data + 1, size - 1, p, zl_cbor_single_decode, zl_cbor_single_encode, false, false);
    else
        zl_fz_roundtrip(data + 1, size - 1, p, zl_lwm2m_cbor_decode, zl_lwm2m_cbor_encode, false, false);
    /* the root path (what Send carries): decode only; a success is the container of objects */
    static const zl_path_t root;
    zl_node_t *all = NULL;
    char err[200];
    if (zl_lwm2m_cbor_decode(data + 1, size - 1, &root, NULL, &all, err, sizeof err) == ZL_OK) {
        if (!all || all->kind != ZL_N_OBJECT) abort();
        for (size_t i = 0; i < all->n_children; i++)
            if (all->children[i].kind != ZL_N_OBJECT) abort();
    } else if (all || !err[0]) {
        abort();
    }
    zl_node_free(all);
    return 0;
}
