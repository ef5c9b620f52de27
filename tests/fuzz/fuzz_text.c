/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the text/plain decoder for every type (first byte picks it; NONE
 * infers one) and the Base64 decoder; decoded values re-encode and decode to
 * the same value. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/base64.h"
#include "lwm2m/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    zl_type_t t = (zl_type_t)(data[0] % 8);
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    zl_value_t v, w;
    memset(&v, 0, sizeof v);
    memset(&w, 0, sizeof w);
    if (zl_text_decode(p, n, t, &v) == ZL_OK) {
        /* NONE (no model) infers INTEGER, FLOAT, STRING or OPAQUE; the
         * round trip then goes through the inferred type */
        if (t == ZL_T_NONE ? (v.type != ZL_T_INTEGER && v.type != ZL_T_FLOAT && v.type != ZL_T_STRING &&
                              v.type != ZL_T_OPAQUE)
                           : v.type != t)
            abort();
        t = v.type;
        zl_buf_t b;
        zl_buf_init(&b, 0);
        if (zl_text_encode(&v, &b) != ZL_OK) abort();
        if (zl_text_decode(b.data, b.len, t, &w) != ZL_OK) abort();
        switch (t) {
        case ZL_T_INTEGER:
        case ZL_T_TIME: if (w.u.i != v.u.i) abort(); break;
        case ZL_T_FLOAT: if (w.u.f != v.u.f) abort(); break;
        case ZL_T_BOOLEAN: if (w.u.b != v.u.b) abort(); break;
        case ZL_T_OBJLNK: if (w.u.lnk.oid != v.u.lnk.oid || w.u.lnk.iid != v.u.lnk.iid) abort(); break;
        default:
            if (w.len != v.len || (v.len && memcmp(w.bytes, v.bytes, v.len) != 0)) abort();
        }
        zl_buf_free(&b);
        free(v.bytes);
        free(w.bytes);
    }
    zl_buf_t d;
    zl_buf_init(&d, 0);
    if (zl_base64_decode((const char *)p, n, &d) == ZL_OK) {
        zl_buf_t e;
        zl_buf_init(&e, 0);
        if (zl_base64_encode(d.data, d.len, &e) != ZL_OK) abort();
        zl_buf_free(&e);
    }
    zl_buf_free(&d);
    return 0;
}
