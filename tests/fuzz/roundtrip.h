/* SPDX-License-Identifier: Apache-2.0 */
/* The round-trip property every node codec's fuzz target checks: a failed
 * decode hands out no tree (and says why when asked to); a successful decode
 * re-encodes, the encoding decodes again to a tree of the same node count
 * (and, with shape, the same kinds/ids/types), and encodes once more to
 * identical bytes.  abort() on any violation so libFuzzer reports it. */
#ifndef ZL_FUZZ_ROUNDTRIP_H
#define ZL_FUZZ_ROUNDTRIP_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"
#include "lwm2m/senml.h"
#include "common/buf.h"

typedef zl_err_t (*zl_fz_dec_fn)(const uint8_t *, size_t, const zl_path_t *, const zl_models_t *,
                                 zl_node_t **, char *, size_t);
typedef zl_err_t (*zl_fz_enc_fn)(const zl_node_t *, const zl_path_t *, zl_buf_t *);

/* Request paths the tree fuzzers pick from with their first byte (16 of them):
 * every depth, known and unknown models. */
__attribute__((unused)) static const zl_path_t zl_fz_paths[16] = {
    {{3}, 1}, {{3, 0}, 2}, {{3, 0, 7}, 3}, {{3, 0, 7, 1}, 4},
    {{2}, 1}, {{3303, 0}, 2}, {{3303, 0, 5700}, 3}, {{26241, 0, 26255}, 3},
    {{9999}, 1}, {{9999, 1}, 2}, {{9999, 1, 2}, 3}, {{9999, 1, 2, 3}, 4},
    {{0, 0}, 2}, {{1}, 1}, {{5, 0, 0}, 3}, {{6, 0}, 2},
};

static size_t zl_fz_count(const zl_node_t *n) {
    size_t c = 1;
    for (size_t i = 0; i < n->n_children; i++) c += zl_fz_count(&n->children[i]);
    return c;
}

static bool zl_fz_same_shape(const zl_node_t *a, const zl_node_t *b) {
    if (a->kind != b->kind || a->id != b->id || a->n_children != b->n_children ||
        a->value.type != b->value.type)
        return false;
    for (size_t i = 0; i < a->n_children; i++)
        if (!zl_fz_same_shape(&a->children[i], &b->children[i])) return false;
    return true;
}

static void zl_fz_roundtrip(const uint8_t *p, size_t n, const zl_path_t *path, zl_fz_dec_fn dec,
                            zl_fz_enc_fn enc, bool require_errstr, bool check_shape) {
    zl_node_t *t1 = NULL, *t2 = NULL;
    char err[256] = "";
    if (dec(p, n, path, NULL, &t1, err, sizeof err) != ZL_OK) {
        if (t1) abort();                           /* failures must not hand out a tree */
        if (require_errstr && !err[0]) abort();    /* every rejection says why */
        return;
    }
    zl_buf_t b1, b2;
    zl_buf_init(&b1, 0);
    zl_buf_init(&b2, 0);
    if (enc(t1, path, &b1) != ZL_OK) abort();
    if (dec(b1.data, b1.len, path, NULL, &t2, err, sizeof err) != ZL_OK) abort();
    if (zl_fz_count(t1) != zl_fz_count(t2)) abort();
    if (check_shape && !zl_fz_same_shape(t1, t2)) abort();
    if (enc(t2, path, &b2) != ZL_OK) abort();
    if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0) abort();
    zl_node_free(t1);
    zl_node_free(t2);
    zl_buf_free(&b1);
    zl_buf_free(&b2);
}

/* Composite path lists (names-only SenML, format cf): a decoded list encodes,
 * decodes again to the same paths in the same order, and encodes to the
 * same bytes. */
__attribute__((unused)) static void zl_fz_paths_roundtrip(int cf, const uint8_t *p, size_t n) {
    zl_path_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    char err[256];
    if (zl_senml_paths_decode(cf, p, n, &a, &na, err, sizeof err) != ZL_OK) {
        if (a || na || !err[0]) abort();
        return;
    }
    zl_buf_t e1, e2;
    zl_buf_init(&e1, 0);
    zl_buf_init(&e2, 0);
    if (zl_senml_paths_encode(cf, a, na, &e1) != ZL_OK) abort();
    if (zl_senml_paths_decode(cf, e1.data, e1.len, &b, &nb, err, sizeof err) != ZL_OK || nb != na) abort();
    for (size_t i = 0; i < na; i++)
        if (a[i].len != b[i].len || memcmp(a[i].ids, b[i].ids, a[i].len * sizeof a[i].ids[0])) abort();
    if (zl_senml_paths_encode(cf, b, nb, &e2) != ZL_OK || e1.len != e2.len || memcmp(e1.data, e2.data, e1.len))
        abort();
    free(a);
    free(b);
    zl_buf_free(&e1);
    zl_buf_free(&e2);
}

/* The SenML targets (format cf, its decoder and encoder): the first byte
 * picks the request path (object, instance, resource, resource instance,
 * root; known and unknown models), the rest is the payload, checked as a
 * node codec round trip and as a composite path list. */
__attribute__((unused)) static void zl_fz_senml(const uint8_t *data, size_t size, int cf, zl_fz_dec_fn dec,
                                                zl_fz_enc_fn enc) {
    static const zl_path_t paths[] = {
        {{3}, 1}, {{3, 0}, 2}, {{3, 0, 7}, 3}, {{3, 0, 7, 1}, 4},
        {{3303, 0}, 2}, {{3303, 0, 5700}, 3}, {{9999}, 1}, {{9999, 1}, 2},
        {{9999, 1, 2}, 3}, {{9999, 1, 2, 3}, 4}, {{1, 0}, 2}, {{5, 0, 0}, 3},
        {{3, 0, 0}, 3}, {{3, 0, 22, 0}, 4}, {{1}, 1}, {{9999, 1, 2, 3}, 3},
        {{0}, 0}, /* root: Send and composite values */
    };
    if (size < 1) return;
    zl_fz_roundtrip(data + 1, size - 1, &paths[data[0] % (sizeof paths / sizeof paths[0])], dec, enc, true, true);
    zl_fz_paths_roundtrip(cf, data + 1, size - 1);
}

#endif
