/* Fuzzes the SenML CBOR decoder: the first byte picks the request path
 * (object, instance, resource, resource instance; known and unknown models),
 * the rest is the payload.  A successful decode must re-encode; the encoding
 * must decode again to a tree of the same node count and shape, and encode
 * once more to identical bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/senml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const zl_path_t paths[] = {
    {{3}, 1}, {{3, 0}, 2}, {{3, 0, 7}, 3}, {{3, 0, 7, 1}, 4},
    {{3303, 0}, 2}, {{3303, 0, 5700}, 3}, {{9999}, 1}, {{9999, 1}, 2},
    {{9999, 1, 2}, 3}, {{9999, 1, 2, 3}, 4}, {{1, 0}, 2}, {{5, 0, 0}, 3},
    {{3, 0, 0}, 3}, {{3, 0, 22, 0}, 4}, {{1}, 1}, {{9999, 1, 2, 3}, 3},
};

static size_t count_nodes(const zl_node_t *n) {
    size_t c = 1;
    for (size_t i = 0; i < n->n_children; i++) c += count_nodes(&n->children[i]);
    return c;
}

static bool same_shape(const zl_node_t *a, const zl_node_t *b) {
    if (a->kind != b->kind || a->id != b->id || a->n_children != b->n_children ||
        a->value.type != b->value.type)
        return false;
    for (size_t i = 0; i < a->n_children; i++)
        if (!same_shape(&a->children[i], &b->children[i])) return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const zl_path_t *p = &paths[data[0] % (sizeof paths / sizeof paths[0])];
    zl_node_t *n = NULL;
    char err[256];
    if (zl_senml_cbor_decode(data + 1, size - 1, p, NULL, &n, err, sizeof err) != ZL_OK) {
        if (n) abort(); /* failures must not hand out a tree */
        if (strlen(err) == 0) abort(); /* every rejection says why */
        return 0;
    }
    zl_buf_t b1, b2;
    zl_buf_init(&b1, 0);
    zl_buf_init(&b2, 0);
    if (zl_senml_cbor_encode(n, p, &b1) != ZL_OK) abort();
    zl_node_t *n2 = NULL;
    if (zl_senml_cbor_decode(b1.data, b1.len, p, NULL, &n2, err, sizeof err) != ZL_OK) abort();
    if (count_nodes(n) != count_nodes(n2) || !same_shape(n, n2)) abort();
    if (zl_senml_cbor_encode(n2, p, &b2) != ZL_OK) abort();
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) abort();
    zl_node_free(n2);
    zl_buf_free(&b1);
    zl_buf_free(&b2);
    zl_node_free(n);
    return 0;
}
