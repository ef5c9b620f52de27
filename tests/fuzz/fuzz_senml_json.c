/* Fuzzes the SenML JSON decoder: the first byte picks the request path
 * (object, instance, resource, resource instance; known and unknown models),
 * the rest is the payload.  A successful decode must re-encode; the encoding
 * must decode again to a tree of the same node count and shape, and encode
 * once more to identical bytes.  The same payload is also read as a composite
 * path list (names only). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/senml.h"

#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const zl_path_t paths[] = {
    {{3}, 1}, {{3, 0}, 2}, {{3, 0, 7}, 3}, {{3, 0, 7, 1}, 4},
    {{3303, 0}, 2}, {{3303, 0, 5700}, 3}, {{9999}, 1}, {{9999, 1}, 2},
    {{9999, 1, 2}, 3}, {{9999, 1, 2, 3}, 4}, {{1, 0}, 2}, {{5, 0, 0}, 3},
    {{3, 0, 0}, 3}, {{3, 0, 22, 0}, 4}, {{1}, 1}, {{9999, 1, 2, 3}, 3},
    {{0}, 0}, /* root: Send and composite values */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const zl_path_t *p = &paths[data[0] % (sizeof paths / sizeof paths[0])];
    zl_fz_roundtrip(data + 1, size - 1, p, zl_senml_json_decode, zl_senml_json_encode, true, true);
    zl_fz_paths_roundtrip(110, data + 1, size - 1); /* composite path lists */
    return 0;
}
