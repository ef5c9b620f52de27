/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 for OPAQUE values.  Decoding is strict (canonical form only) so that
 * a value decoded from a device and re-encoded for Kafka is byte-identical and
 * garbage is reported instead of silently dropped. */
#include "lwm2m/base64.h"

static const char b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

zl_err_t zl_base64_encode(const uint8_t *p, size_t n, zl_buf_t *out) {
    size_t olen = 4 * ((n + 2) / 3);
    zl_err_t e = zl_buf_reserve(out, olen);
    if (e) return e;
    uint8_t *d = out->data + out->len;
    size_t i = 0, j = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        d[j++] = (uint8_t)b64_alpha[v >> 18];
        d[j++] = (uint8_t)b64_alpha[(v >> 12) & 63];
        d[j++] = (uint8_t)b64_alpha[(v >> 6) & 63];
        d[j++] = (uint8_t)b64_alpha[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        d[j++] = (uint8_t)b64_alpha[v >> 18];
        d[j++] = (uint8_t)b64_alpha[(v >> 12) & 63];
        d[j++] = '=';
        d[j++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        d[j++] = (uint8_t)b64_alpha[v >> 18];
        d[j++] = (uint8_t)b64_alpha[(v >> 12) & 63];
        d[j++] = (uint8_t)b64_alpha[(v >> 6) & 63];
        d[j++] = '=';
    }
    out->len += j;
    return ZL_OK;
}

static int b64_val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

zl_err_t zl_base64_decode(const char *s, size_t n, zl_buf_t *out) {
    size_t start = out->len;
    /* Strip padding: at most two '=' and only at the end of a 4-char group. */
    size_t pad = 0;
    while (n > 0 && s[n - 1] == '=' && pad < 2) { n--; pad++; }
    if (pad && (n + pad) % 4 != 0) return ZL_ERR_INVALID;
    if (n % 4 == 1) return ZL_ERR_INVALID;
    zl_err_t e = zl_buf_reserve(out, n / 4 * 3 + 2);
    if (e) return e;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val(s[i]);
        if (v < 0) { out->len = start; return ZL_ERR_INVALID; }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) { out->len = start; return ZL_ERR_INVALID; } /* non-canonical pad bits */
    return ZL_OK;
}
