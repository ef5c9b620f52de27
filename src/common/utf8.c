/* SPDX-License-Identifier: Apache-2.0 */
/* UTF-8 well-formedness (see utf8.h). */
#include "common/utf8.h"

size_t zl_utf8_seq(const uint8_t *p, size_t n) {
    uint8_t c = p[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0; /* continuation byte, or overlong 2-byte lead */
    if (c < 0xE0) len = 2, cp = c & 0x1F;
    else if (c < 0xF0) len = 3, cp = c & 0x0F;
    else if (c < 0xF5) len = 4, cp = c & 0x07;
    else return 0; /* would encode > U+10FFFF */
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (cp >= 0xD800 && cp <= 0xDFFF) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

bool zl_utf8_valid(const void *s, size_t n) {
    const uint8_t *p = s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = zl_utf8_seq(p + i, n - i);
        if (!l) return false;
        i += l;
    }
    return true;
}
