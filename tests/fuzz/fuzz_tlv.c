/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the OMA-TLV decoder: the first byte picks the request path (object,
 * instance, resource, resource instance; known and unknown models), the rest
 * is the payload.  Successful decodes are re-encoded and decoded again; the
 * second decode must succeed and re-encode to identical bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/tlv.h"
#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const zl_path_t *p = &zl_fz_paths[data[0] % 16];
    zl_node_t *n = NULL;
    char err[128];
    if (zl_tlv_decode(data + 1, size - 1, p, NULL, &n, err, sizeof err) != ZL_OK) {
        if (n) abort(); /* failures must not hand out a tree */
        return 0;
    }
    zl_buf_t b1, b2;
    zl_buf_init(&b1, 0);
    zl_buf_init(&b2, 0);
    zl_err_t e = p->len == 2 ? zl_tlv_encode_resources(n, &b1) : zl_tlv_encode(n, &b1);
    if (e == ZL_OK) {
        zl_node_t *n2 = NULL;
        /* NaN floats re-encode fine; every decoded tree must re-encode */
        if (zl_tlv_decode(b1.data, b1.len, p, NULL, &n2, err, sizeof err) != ZL_OK) abort();
        if ((p->len == 2 ? zl_tlv_encode_resources(n2, &b2) : zl_tlv_encode(n2, &b2)) != ZL_OK) abort();
        if (b1.len != b2.len || (b1.len && memcmp(b1.data, b2.data, b1.len) != 0)) abort();
        zl_node_free(n2);
    } else if (e != ZL_ERR_TOO_LARGE) {
        abort();
    }
    zl_buf_free(&b1);
    zl_buf_free(&b2);
    zl_node_free(n);
    return 0;
}
