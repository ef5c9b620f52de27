/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the LwM2M codec unit tests (TLV, text/content, LwM2M
 * JSON and CBOR, SenML): one copy of the path literal parser, the node
 * counter of the round trips and the "rejected, no tree, errstr says why"
 * check, which every codec test used to carry its own copy of.  Include after
 * test.h. */
#ifndef ZL_LWM2M_TEST_H
#define ZL_LWM2M_TEST_H
#include <stdlib.h>
#include <string.h>

#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"

/* The path s ("/3/0/9"); aborts on a malformed literal (a bug in the test,
 * not a failed check). */
static inline zl_path_t zt_path(const char *s) {
    zl_path_t p;
    if (zl_path_parse(s, &p, NULL, 0) != ZL_OK) abort();
    return p;
}

/* Number of nodes in the tree n (n included). */
static inline size_t zt_count_nodes(const zl_node_t *n) {
    size_t c = 1;
    for (size_t i = 0; i < n->n_children; i++) c += zt_count_nodes(&n->children[i]);
    return c;
}

/* The signature every node decoder shares (zl_tlv_decode, zl_senml_json_decode ...). */
typedef zl_err_t (*zt_decode_fn)(const uint8_t *p, size_t n, const zl_path_t *path, const zl_models_t *models,
                                 zl_node_t **out, char *errstr, size_t errsz);

/* Decodes the len bytes at b for path with dec and checks the rejection: the
 * result is want, no tree is handed out and, when needle is given, the errstr
 * contains it. */
static inline void zt_expect_decode_err(zt_decode_fn dec, const void *b, size_t len, const char *path,
                                        zl_err_t want, const char *needle) {
    char err[256] = "";
    zl_path_t p = zt_path(path);
    zl_node_t *n = (zl_node_t *)1; /* the decoder must reset it */
    zl_err_t got = dec(b, len, &p, NULL, &n, err, sizeof err);
    CHECK_EQ_INT(got, want);
    CHECK(n == NULL);
    if (needle && !strstr(err, needle)) {
        CHECK(!"error message");
        fprintf(stderr, "  %s: message \"%s\" lacks \"%s\"\n", path, err, needle);
    }
    if (got == ZL_OK && n != (zl_node_t *)1) zl_node_free(n);
}
#endif
