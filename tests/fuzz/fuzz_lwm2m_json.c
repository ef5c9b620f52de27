/* Fuzzes the OMA LwM2M JSON decoder: the first byte picks the request path
 * (object, instance, resource, resource instance; known and unknown models),
 * the rest is the payload.  Successful decodes are re-encoded (must
 * succeed), decoded again (must succeed with the same node count) and
 * re-encoded to identical bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const zl_path_t paths[] = {
    {{3}, 1}, {{3, 0}, 2}, {{3, 0, 7}, 3}, {{3, 0, 7, 1}, 4},
    {{1, 0}, 2}, {{0, 0}, 2}, {{3303, 0}, 2}, {{3303, 0, 5700}, 3},
    {{9999}, 1}, {{9999, 1}, 2}, {{9999, 1, 2}, 3}, {{9999, 1, 2, 3}, 4},
    {{3, 0, 9}, 3}, {{1, 0, 10}, 3}, {{2}, 1}, {{3, 0, 22}, 3},
};

static size_t count_nodes(const zl_node_t *n) {
    size_t c = 1;
    for (size_t i = 0; i < n->n_children; i++) c += count_nodes(&n->children[i]);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const zl_path_t *p = &paths[data[0] % (sizeof paths / sizeof paths[0])];
    zl_node_t *n = NULL;
    char err[160];
    if (zl_lwm2m_json_decode(data + 1, size - 1, p, NULL, &n, err, sizeof err) != ZL_OK) {
        if (n) abort(); /* failures must not hand out a tree */
        return 0;
    }
    zl_buf_t b1, b2;
    zl_buf_init(&b1, 0);
    zl_buf_init(&b2, 0);
    /* jansson rejects NaN/inf and strings with NUL or bad UTF-8, so every
     * decoded tree is representable */
    if (zl_lwm2m_json_encode(n, p, &b1) != ZL_OK) abort();
    zl_node_t *n2 = NULL;
    if (zl_lwm2m_json_decode(b1.data, b1.len, p, NULL, &n2, err, sizeof err) != ZL_OK) abort();
    if (count_nodes(n2) != count_nodes(n)) abort();
    if (zl_lwm2m_json_encode(n2, p, &b2) != ZL_OK) abort();
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) abort();
    zl_node_free(n2);
    zl_buf_free(&b1);
    zl_buf_free(&b2);
    zl_node_free(n);
    return 0;
}
