/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the OMA LwM2M JSON decoder: the first byte picks the request path
 * (object, instance, resource, resource instance; known and unknown models),
 * the rest is the payload.  Successful decodes are re-encoded (must
 * succeed), decoded again (must succeed with the same node count) and
 * re-encoded to identical bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m_json.h"

#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const zl_path_t paths[] = {
    {{3}, 1}, {{3, 0}, 2}, {{3, 0, 7}, 3}, {{3, 0, 7, 1}, 4},
    {{1, 0}, 2}, {{0, 0}, 2}, {{3303, 0}, 2}, {{3303, 0, 5700}, 3},
    {{9999}, 1}, {{9999, 1}, 2}, {{9999, 1, 2}, 3}, {{9999, 1, 2, 3}, 4},
    {{3, 0, 9}, 3}, {{1, 0, 10}, 3}, {{2}, 1}, {{3, 0, 22}, 3},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const zl_path_t *p = &paths[data[0] % (sizeof paths / sizeof paths[0])];
    /* jansson rejects NaN/inf and strings with NUL or bad UTF-8, so every
     * decoded tree is representable */
    zl_fz_roundtrip(data + 1, size - 1, p, zl_lwm2m_json_decode, zl_lwm2m_json_encode, false, false);
    return 0;
}
