/* Fuzzes the LwM2M CBOR (11544) and plain CBOR (60) decoders: the first byte
 * picks the request path and (bit 7) the format, the rest is the payload.
 * Successful decodes are re-encoded (always possible in CBOR), decoded again
 * (must succeed with the same node count) and re-encoded to identical bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m_cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const zl_path_t paths[] = {
    {{3}, 1}, {{3, 0}, 2}, {{3, 0, 7}, 3}, {{3, 0, 7, 1}, 4},
    {{1, 0}, 2}, {{0, 0}, 2}, {{3303, 0}, 2}, {{3303, 0, 5700}, 3},
    {{9999}, 1}, {{9999, 1}, 2}, {{9999, 1, 2}, 3}, {{9999, 1, 2, 3}, 4},
    {{3, 0, 9}, 3}, {{1, 0, 10}, 3}, {{3, 0, 13}, 3}, {{0, 0, 3}, 3},
};

typedef zl_err_t (*dec_fn)(const uint8_t *, size_t, const zl_path_t *, const zl_models_t *, zl_node_t **, char *,
                          size_t);
typedef zl_err_t (*enc_fn)(const zl_node_t *, const zl_path_t *, zl_buf_t *);

static size_t count_nodes(const zl_node_t *n) {
    size_t c = 1;
    for (size_t i = 0; i < n->n_children; i++) c += count_nodes(&n->children[i]);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const zl_path_t *p = &paths[(data[0] & 0x7F) % (sizeof paths / sizeof paths[0])];
    bool single = data[0] & 0x80;
    dec_fn dec = single ? zl_cbor_single_decode : zl_lwm2m_cbor_decode;
    enc_fn enc = single ? zl_cbor_single_encode : zl_lwm2m_cbor_encode;
    zl_node_t *n = NULL;
    char err[160];
    if (dec(data + 1, size - 1, p, NULL, &n, err, sizeof err) != ZL_OK) {
        if (n) abort(); /* failures must not hand out a tree */
        return 0;
    }
    zl_buf_t b1, b2;
    zl_buf_init(&b1, 0);
    zl_buf_init(&b2, 0);
    if (enc(n, p, &b1) != ZL_OK) abort();
    zl_node_t *n2 = NULL;
    if (dec(b1.data, b1.len, p, NULL, &n2, err, sizeof err) != ZL_OK) abort();
    if (count_nodes(n2) != count_nodes(n)) abort();
    if (enc(n2, p, &b2) != ZL_OK) abort();
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) abort();
    zl_node_free(n2);
    zl_buf_free(&b1);
    zl_buf_free(&b2);
    zl_node_free(n);
    return 0;
}
