/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the direct Avro writer of responses (kafka/avro_bin.c) against the
 * generic one (avro-c values, serde.c): the node tree comes from the TLV
 * decoder (byte 0 bits 0-3 pick the request path) or, with bit 7, from the
 * SenML-CBOR decoder at "/" as a composite's values; bit 4 adds a content
 * path, bit 5 makes it an AvroResponseObserve, bit 6 a GENERIC body instead
 * of the content.  Both writers must agree on success and, then, on every
 * byte, in Avro binary and in Avro JSON. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/serde.h"
#include "kafka/serde_int.h"
#include "lwm2m/senml.h"
#include "lwm2m/tlv.h"
#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* One per input: avro-c's values keep what they held until destroyed. */
static zl_serde_t *serde(zl_format_t fmt) {
    char err[128];
    zl_serde_t *s = zl_serde_new(fmt, NULL, err, sizeof err);
    if (!s || zl_serde_set_topic_ids(s, "o", ZL_VAL_OBSERVE, 1, 2) ||
        zl_serde_set_topic_ids(s, "r", ZL_VAL_RESPONSE, 1, 3))
        abort();
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    unsigned k = data[0] & 15u;
    bool composite = data[0] & 0x80;
    zl_node_t *n = NULL;
    char err[128];
    zl_path_t root = {{0}, 0};
    zl_err_t de = composite ? zl_senml_cbor_decode(data + 1, size - 1, &root, NULL, &n, err, sizeof err)
                            : zl_tlv_decode(data + 1, size - 1, &zl_fz_paths[k], NULL, &n, err, sizeof err);
    if (de != ZL_OK) return 0;
    bool obs = data[0] & 0x20;
    char text[64];
    zl_path_format(&zl_fz_paths[k], text, sizeof text);
    zl_rec_response_t r = {.ticket = (data[0] & 0x40) ? NULL : "t-1", .server_id = "gw", .ep = "dev",
                           .path = composite ? "/" : text, .observation_id = obs ? "[0a0b]" : NULL,
                           .timestamp = 1700000000000 + (int64_t)size, .code = ZL_RC_CONTENT,
                           .kind = obs ? ZL_RK_OBSERVE : ZL_RK_READ};
    if (composite) {
        r.values = n;
    } else if (data[0] & 0x40) {
        r.body = ZL_BODY_GENERIC;
        r.text = size > 3 ? "" : NULL;
    } else {
        r.body = ZL_BODY_READ;
        r.content = n;
        r.content_path = (data[0] & 0x10) ? "/3303/0/5700-max" : NULL;
    }
    for (int f = 0; f < 2; f++) {
        zl_serde_t *s = serde(f ? ZL_FORMAT_JSON : ZL_FORMAT_AVRO);
        zl_buf_t a, b;
        zl_buf_init(&a, 0);
        zl_buf_init(&b, 0);
        zl_serde_use_generic_writer(s, true);
        zl_err_t ea = zl_serde_response(s, obs ? "o" : "r", &r, &a);
        zl_serde_use_generic_writer(s, false);
        zl_err_t eb = zl_serde_response(s, obs ? "o" : "r", &r, &b);
        if ((ea == ZL_OK) != (eb == ZL_OK)) abort();
        if (ea == ZL_OK && (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)) abort();
        zl_buf_free(&a);
        zl_buf_free(&b);
        zl_serde_destroy(s);
    }
    zl_node_free(n);
    return 0;
}
