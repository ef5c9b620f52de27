/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP message codec. The parser is the first thing a hostile datagram meets,
 * so every read is preceded by a bounds check and every extended option field
 * (13 -> +1 byte, 14 -> +2 bytes) is validated for overflow of the 16-bit
 * option number before it is used. */
#include "coap/msg.h"

#include <stdio.h>
#include <string.h>

/* Reads the extension of an option delta or length nibble *v (13: one more
 * byte, +13; 14: two more bytes, +269) from p[*i..n), advancing *i.  The
 * caller has rejected 15.  Inline: it runs twice per option of every datagram. */
static inline zl_err_t get_ext(const uint8_t *p, size_t n, size_t *i, uint32_t *v) {
    if (*v == 13) {
        if (*i + 1 > n) return ZL_ERR_TRUNCATED;
        *v = 13u + p[(*i)++];
    } else if (*v == 14) {
        if (*i + 2 > n) return ZL_ERR_TRUNCATED;
        *v = 269u + ((uint32_t)p[*i] << 8 | p[*i + 1]);
        *i += 2;
    }
    return ZL_OK;
}

zl_err_t zl_coap_parse(const uint8_t *p, size_t n, zl_coap_msg_t *m) {
    memset(m, 0, offsetof(zl_coap_msg_t, opts));
    m->n_opts = 0;
    m->payload = NULL;
    m->payload_len = 0;
    if (n < 4) return ZL_ERR_TRUNCATED;
    if ((p[0] >> 6) != 1) return ZL_ERR_INVALID;
    m->type = (p[0] >> 4) & 3;
    uint8_t tkl = p[0] & 0x0f;
    m->code = p[1];
    m->mid = (uint16_t)(p[2] << 8 | p[3]);
    if (tkl > 8) return ZL_ERR_INVALID;
    if (4 + (size_t)tkl > n) return ZL_ERR_TRUNCATED;
    m->tkl = tkl;
    memcpy(m->token, p + 4, tkl);
    size_t i = 4 + tkl;
    if (m->code == ZL_COAP_EMPTY) /* RFC 7252 §4.1: empty means exactly 4 bytes */
        return (n == 4 && tkl == 0) ? ZL_OK : ZL_ERR_INVALID;
    uint32_t num = 0;
    while (i < n) {
        uint8_t b = p[i++];
        if (b == 0xff) {
            if (i == n) return ZL_ERR_INVALID; /* marker followed by nothing */
            m->payload = p + i;
            m->payload_len = n - i;
            return ZL_OK;
        }
        uint32_t delta = b >> 4, len = b & 0x0f;
        if (delta == 15 || len == 15) return ZL_ERR_INVALID;
        zl_err_t e;
        if ((e = get_ext(p, n, &i, &delta)) || (e = get_ext(p, n, &i, &len))) return e;
        num += delta;
        if (num > 0xffff) return ZL_ERR_INVALID;
        if (len > n - i) return ZL_ERR_TRUNCATED;
        if (m->n_opts == ZL_COAP_MAX_OPTS) return ZL_ERR_TOO_LARGE;
        m->opts[m->n_opts].num = (uint16_t)num;
        m->opts[m->n_opts].len = (uint16_t)len;
        m->opts[m->n_opts].val = p + i;
        m->n_opts++;
        i += len;
    }
    return ZL_OK;
}

static size_t put_ext(uint8_t *out, uint32_t v, uint8_t *nibble) {
    if (v < 13) { *nibble = (uint8_t)v; return 0; }
    if (v < 269) { *nibble = 13; out[0] = (uint8_t)(v - 13); return 1; }
    *nibble = 14;
    out[0] = (uint8_t)((v - 269) >> 8);
    out[1] = (uint8_t)(v - 269);
    return 2;
}

size_t zl_coap_serialize(const zl_coap_msg_t *m, uint8_t *out, size_t out_size) {
    if (m->tkl > 8 || out_size < 4u + m->tkl) return 0;
    out[0] = (uint8_t)(1 << 6 | (m->type & 3) << 4 | m->tkl);
    out[1] = m->code;
    out[2] = (uint8_t)(m->mid >> 8);
    out[3] = (uint8_t)m->mid;
    memcpy(out + 4, m->token, m->tkl);
    size_t i = 4u + m->tkl;
    /* stable order by option number: indexes sorted by insertion sort */
    unsigned order[ZL_COAP_MAX_OPTS];
    for (unsigned k = 0; k < m->n_opts; k++) {
        unsigned j = k;
        while (j > 0 && m->opts[order[j - 1]].num > m->opts[k].num) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    uint32_t prev = 0;
    for (unsigned k = 0; k < m->n_opts; k++) {
        const zl_coap_opt_t *o = &m->opts[order[k]];
        uint8_t hdr[5], dn, ln;
        size_t h = 1;
        h += put_ext(hdr + h, o->num - prev, &dn);
        h += put_ext(hdr + h, o->len, &ln);
        hdr[0] = (uint8_t)(dn << 4 | ln);
        if (i + h + o->len > out_size) return 0;
        memcpy(out + i, hdr, h);
        i += h;
        if (o->len) memcpy(out + i, o->val, o->len);
        i += o->len;
        prev = o->num;
    }
    if (m->payload_len) {
        if (i + 1 + m->payload_len > out_size) return 0;
        out[i++] = 0xff;
        memcpy(out + i, m->payload, m->payload_len);
        i += m->payload_len;
    }
    return i;
}

void zl_coap_init(zl_coap_msg_t *m, uint8_t type, uint8_t code, uint16_t mid) {
    memset(m, 0, offsetof(zl_coap_msg_t, opts));
    m->type = type;
    m->code = code;
    m->mid = mid;
    m->n_opts = 0;
    m->payload = NULL;
    m->payload_len = 0;
}

zl_err_t zl_coap_add_opt(zl_coap_msg_t *m, uint16_t num, const void *val, size_t len) {
    if (m->n_opts == ZL_COAP_MAX_OPTS) return ZL_ERR_TOO_LARGE;
    if (len > 1034) return ZL_ERR_TOO_LARGE;
    m->opts[m->n_opts].num = num;
    m->opts[m->n_opts].len = (uint16_t)len;
    m->opts[m->n_opts].val = val;
    m->n_opts++;
    return ZL_OK;
}

zl_err_t zl_coap_add_uint(zl_coap_msg_t *m, uint16_t num, uint32_t v, uint8_t scratch[4]) {
    size_t len = v == 0 ? 0 : v < 0x100 ? 1 : v < 0x10000 ? 2 : v < 0x1000000 ? 3 : 4;
    for (size_t k = 0; k < len; k++) scratch[k] = (uint8_t)(v >> (8 * (len - 1 - k)));
    return zl_coap_add_opt(m, num, scratch, len);
}

zl_err_t zl_coap_add_path(zl_coap_msg_t *m, uint16_t num, const char *path) {
    const char *s = path;
    if (*s == '/') s++;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        zl_err_t err = zl_coap_add_opt(m, num, s, len);
        if (err) return err;
        s += len;
        if (*s == '/') s++;
    }
    return ZL_OK;
}

const zl_coap_opt_t *zl_coap_opt(const zl_coap_msg_t *m, uint16_t num) {
    for (unsigned i = 0; i < m->n_opts; i++)
        if (m->opts[i].num == num) return &m->opts[i];
    return NULL;
}

int64_t zl_coap_opt_uint(const zl_coap_msg_t *m, uint16_t num, int64_t def) {
    const zl_coap_opt_t *o = zl_coap_opt(m, num);
    if (!o) return def;
    if (o->len > 4) return -1;
    uint32_t v = 0;
    for (unsigned i = 0; i < o->len; i++) v = v << 8 | o->val[i];
    return v;
}

zl_err_t zl_coap_path_string(const zl_coap_msg_t *m, uint16_t num, char *out, size_t out_size) {
    size_t i = 0;
    if (out_size == 0) return ZL_ERR_TOO_LARGE;
    for (unsigned k = 0; k < m->n_opts; k++) {
        const zl_coap_opt_t *o = &m->opts[k];
        if (o->num != num) continue;
        if (i + 1 + o->len + 1 > out_size) return ZL_ERR_TOO_LARGE;
        out[i++] = '/';
        memcpy(out + i, o->val, o->len);
        i += o->len;
    }
    out[i] = 0;
    return ZL_OK;
}

int zl_coap_get_block(const zl_coap_msg_t *m, uint16_t opt, zl_coap_block_t *b) {
    const zl_coap_opt_t *o = zl_coap_opt(m, opt);
    if (!o) return 0;
    if (o->len > 3) return -1;
    uint32_t v = 0;
    for (unsigned i = 0; i < o->len; i++) v = v << 8 | o->val[i];
    b->szx = v & 7;
    if (b->szx == 7) return -1; /* BERT only over TCP */
    b->more = (v >> 3) & 1;
    b->num = v >> 4;
    return 1;
}

uint32_t zl_coap_block_encode(const zl_coap_block_t *b) {
    return b->num << 4 | (uint32_t)b->more << 3 | b->szx;
}

bool zl_coap_is_request(uint8_t code) { return code >= 1 && code <= 31; }
bool zl_coap_is_response(uint8_t code) { return code >= 64; }

const char *zl_coap_code_str(uint8_t code, char buf[6]) {
    snprintf(buf, 6, "%u.%02u", (unsigned)(code >> 5) & 7, (unsigned)code & 31);
    return buf;
}
