/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the SenML CBOR decoder: the first byte picks the request path
 * (object, instance, resource, resource instance; known and unknown models),
 * the rest is the payload.  A successful decode must re-encode; the encoding
 * must decode again to a tree of the same node count and shape, and encode
 * once more to identical bytes.  The same payload is also read as a composite
 * path list (names only). */
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/senml.h"

#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    zl_fz_senml(data, size, 112, zl_senml_cbor_decode, zl_senml_cbor_encode);
    return 0;
}
