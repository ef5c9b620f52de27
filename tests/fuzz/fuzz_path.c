/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the path parser and segment builder; accepted paths must format
 * and parse back to the same ids. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    zl_path_t p, q;
    char err[96];
    if (zl_path_parse(s, &p, err, sizeof err) == ZL_OK) {
        char out[64];
        int n = zl_path_format(&p, out, sizeof out);
        if (n <= 0 || (size_t)n >= sizeof out) abort();
        if (zl_path_parse(out, &q, NULL, 0) != ZL_OK) abort();
        if (q.len != p.len || memcmp(q.ids, p.ids, p.len * sizeof p.ids[0]) != 0) abort();
    }
    /* segments: split on '/' without the leading one */
    const char *segs[5];
    size_t lens[5];
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size && k < 5; i++) {
        if (i == size || s[i] == '/') {
            segs[k] = s + start;
            lens[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    if (zl_path_from_segments(segs, lens, k, &q) == ZL_OK && q.len != k) abort();
    free(s);
    return 0;
}
