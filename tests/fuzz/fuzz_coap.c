/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the CoAP message codec: arbitrary bytes are parsed; a message that
 * parses is serialized again, the result must parse to an equal message
 * (type, code, MID, token, options in order, payload) and, because every
 * wire encoding the parser accepts is the minimal one, be byte-identical to
 * the input.  The block/uint/path helpers run on every parsed option too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coap/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const zl_coap_msg_t *a, const zl_coap_msg_t *b) {
    if (a->type != b->type || a->code != b->code || a->mid != b->mid || a->tkl != b->tkl ||
        memcmp(a->token, b->token, a->tkl) != 0 || a->n_opts != b->n_opts ||
        a->payload_len != b->payload_len || (a->payload == NULL) != (b->payload == NULL))
        abort();
    if (a->payload_len && memcmp(a->payload, b->payload, a->payload_len) != 0) abort();
    for (unsigned i = 0; i < a->n_opts; i++) {
        const zl_coap_opt_t *x = &a->opts[i], *y = &b->opts[i];
        if (x->num != y->num || x->len != y->len) abort();
        if (x->len && memcmp(x->val, y->val, x->len) != 0) abort();
        if (i > 0 && a->opts[i - 1].num > x->num) abort(); /* parsed options are ordered */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zl_coap_msg_t m;
    zl_err_t err = zl_coap_parse(data, size, &m);
    if (err != ZL_OK) {
        if (err != ZL_ERR_INVALID && err != ZL_ERR_TRUNCATED && err != ZL_ERR_TOO_LARGE) abort();
        return 0;
    }
    if (m.tkl > 8 || m.n_opts > ZL_COAP_MAX_OPTS) abort();
    if (m.payload && (m.payload < data || m.payload + m.payload_len != data + size || !m.payload_len))
        abort();

    uint8_t *out = malloc(size + 1);
    if (!out) return 0;
    size_t n = zl_coap_serialize(&m, out, size + 1);
    if (n != size || memcmp(out, data, size) != 0) abort();
    if (size && zl_coap_serialize(&m, out, size - 1) != 0) abort(); /* too small: refused */
    zl_coap_msg_t r;
    if (zl_coap_parse(out, n, &r) != ZL_OK) abort();
    same(&m, &r);

    /* helpers on whatever options arrived */
    for (unsigned i = 0; i < m.n_opts; i++) {
        zl_coap_block_t b;
        const zl_coap_opt_t *first = zl_coap_opt(&m, m.opts[i].num); /* helpers use the first */
        if (!first || first > &m.opts[i] || first->num != m.opts[i].num) abort();
        int rc = zl_coap_get_block(&m, m.opts[i].num, &b);
        if (rc == 1 && (b.szx > 6 || first->len > 3)) abort();
        if (rc == 1 && first->len && zl_coap_block_encode(&b) >> (8 * first->len)) abort();
        int64_t v = zl_coap_opt_uint(&m, m.opts[i].num, -2);
        if (v < -1 || v > 0xffffffffll) abort();
    }
    char path[256];
    if (zl_coap_path_string(&m, ZL_OPT_URI_PATH, path, sizeof path) == ZL_OK && strlen(path) >= sizeof path)
        abort();
    char cs[6];
    zl_coap_code_str(m.code, cs);
    free(out);
    return 0;
}
