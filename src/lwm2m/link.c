/* SPDX-License-Identifier: Apache-2.0 */
/* CoRE Link Format (RFC 6690) parser and formatters.  A single forward scan
 * with explicit bounds (input need not be NUL-terminated), fixed caps on
 * links and attributes so a hostile registration cannot make us allocate
 * without limit, and error messages that name the byte offset.  Output
 * strings are owned copies so the packet buffer can be released. */
#include "lwm2m/link.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"

typedef struct {
    const char *s;
    size_t len, i;
    char *errstr;
    size_t errstr_size;
} lctx_t;

/* Records a message in the caller's errstr and returns the error. */
#define lerr(c, e, ...) zl_err_fmt((c)->errstr, (c)->errstr_size, (e), __VA_ARGS__)

static bool is_ws(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

static void skip_ws(lctx_t *c) {
    while (c->i < c->len && is_ws(c->s[c->i])) c->i++;
}

/* parmname (RFC 5988 / 8288 token characters). */
static bool is_name_char(unsigned char ch) {
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) return true;
    return ch != 0 && strchr("!#$&+-.^_`|~*", ch) != NULL;
}

/* ptokenchar (RFC 6690 §2): printable ASCII except space , ; " and backslash. */
static bool is_ptoken_char(unsigned char ch) {
    return ch > 0x20 && ch < 0x7f && ch != ',' && ch != ';' && ch != '"' && ch != '\\';
}

static char *dup_range(const char *p, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, n);
    d[n] = 0;
    return d;
}

static void link_clear(zl_link_t *l) {
    free(l->url);
    for (size_t i = 0; i < l->n_attrs; i++) {
        free(l->attrs[i].name);
        free(l->attrs[i].value);
    }
    free(l->attrs);
    memset(l, 0, sizeof *l);
}

void zl_links_clear(zl_links_t *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) link_clear(&l->links[i]);
    free(l->links);
    l->links = NULL;
    l->n = 0;
}

/* Parses a quoted-string starting at the opening quote; unescapes \x -> x.
 * Scans to the closing quote first so the copy is allocated at its exact size
 * (allocating "the rest of the input" per value would let 131072 attributes
 * pin 131072 copies of a large payload). */
static zl_err_t parse_quoted(lctx_t *c, char **out) {
    size_t open = c->i, k = 0, j = open + 1;
    for (;; j++) {
        if (j >= c->len)
            return lerr(c, ZL_ERR_INVALID, "unterminated quoted string starting at offset %zu", open);
        char ch = c->s[j];
        if (ch == '"') break;
        if (ch == '\\') {
            if (++j >= c->len)
                return lerr(c, ZL_ERR_INVALID, "unterminated quoted string starting at offset %zu", open);
            ch = c->s[j];
        }
        if (ch == 0) return lerr(c, ZL_ERR_INVALID, "NUL byte at offset %zu", j);
        k++;
    }
    char *d = malloc(k + 1);
    if (!d) return ZL_ERR_NOMEM;
    k = 0;
    for (size_t i = open + 1; i < j; i++) {
        if (c->s[i] == '\\') i++;
        d[k++] = c->s[i];
    }
    d[k] = 0;
    c->i = j + 1;
    *out = d;
    return ZL_OK;
}

static zl_err_t parse_attr(lctx_t *c, zl_link_t *l) {
    size_t start = c->i;
    while (c->i < c->len && is_name_char((unsigned char)c->s[c->i])) c->i++;
    if (c->i == start) return lerr(c, ZL_ERR_INVALID, "expected attribute name at offset %zu", start);
    if (l->n_attrs >= ZL_LINK_MAX_ATTRS)
        return lerr(c, ZL_ERR_TOO_LARGE, "more than %d attributes in link at offset %zu",
                    ZL_LINK_MAX_ATTRS, start);
    zl_link_attr_t a = {NULL, NULL};
    a.name = dup_range(c->s + start, c->i - start);
    if (!a.name) return ZL_ERR_NOMEM;
    skip_ws(c);
    if (c->i < c->len && c->s[c->i] == '=') {
        c->i++;
        skip_ws(c);
        if (c->i < c->len && c->s[c->i] == '"') {
            zl_err_t e = parse_quoted(c, &a.value);
            if (e) { free(a.name); return e; }
        } else {
            size_t vs = c->i;
            while (c->i < c->len && is_ptoken_char((unsigned char)c->s[c->i])) c->i++;
            if (c->i == vs) {
                free(a.name);
                return lerr(c, ZL_ERR_INVALID, "expected attribute value at offset %zu", vs);
            }
            a.value = dup_range(c->s + vs, c->i - vs);
            if (!a.value) { free(a.name); return ZL_ERR_NOMEM; }
        }
    }
    zl_link_attr_t *na = realloc(l->attrs, (l->n_attrs + 1) * sizeof *na);
    if (!na) { free(a.name); free(a.value); return ZL_ERR_NOMEM; }
    l->attrs = na;
    l->attrs[l->n_attrs++] = a;
    return ZL_OK;
}

static zl_err_t parse_link(lctx_t *c, zl_link_t *l) {
    if (c->i >= c->len || c->s[c->i] != '<')
        return lerr(c, c->i >= c->len ? ZL_ERR_TRUNCATED : ZL_ERR_INVALID,
                    "expected '<' at offset %zu", c->i);
    size_t start = ++c->i;
    while (c->i < c->len && c->s[c->i] != '>') {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch <= 0x20 || ch == '<' || ch == 0x7f)
            return lerr(c, ZL_ERR_INVALID, "invalid character 0x%02x in URI at offset %zu", ch, c->i);
        c->i++;
    }
    if (c->i >= c->len) return lerr(c, ZL_ERR_TRUNCATED, "missing '>' for '<' at offset %zu", start - 1);
    l->url = dup_range(c->s + start, c->i - start);
    if (!l->url) return ZL_ERR_NOMEM;
    c->i++; /* '>' */
    for (;;) {
        skip_ws(c);
        if (c->i >= c->len || c->s[c->i] == ',') return ZL_OK;
        if (c->s[c->i] != ';')
            return lerr(c, ZL_ERR_INVALID, "unexpected character 0x%02x at offset %zu",
                        (unsigned char)c->s[c->i], c->i);
        c->i++;
        skip_ws(c);
        zl_err_t e = parse_attr(c, l);
        if (e) return e;
    }
}

zl_err_t zl_link_parse(const char *s, size_t len, zl_links_t *out, char *errstr, size_t errstr_size) {
    lctx_t c = {.s = s, .len = s ? len : 0, .i = 0, .errstr = errstr, .errstr_size = errstr_size};
    zl_links_t r = {NULL, 0};
    size_t cap = 0;
    zl_err_t e = ZL_OK;
    if (errstr && errstr_size) errstr[0] = 0;
    out->links = NULL;
    out->n = 0;
    skip_ws(&c);
    if (c.i == c.len) return ZL_OK;
    for (;;) {
        skip_ws(&c);
        if (r.n >= ZL_LINK_MAX_LINKS) {
            e = lerr(&c, ZL_ERR_TOO_LARGE, "more than %d links (offset %zu)", ZL_LINK_MAX_LINKS, c.i);
            break;
        }
        if (ZL_ARRAY_RESERVE(&r.links, &cap, r.n + 1, 8)) { e = ZL_ERR_NOMEM; break; }
        zl_link_t *l = &r.links[r.n++];
        memset(l, 0, sizeof *l);
        if ((e = parse_link(&c, l))) break;
        if (c.i >= c.len) break;
        c.i++; /* ',' */
    }
    if (e) { zl_links_clear(&r); return e; }
    *out = r;
    return ZL_OK;
}

/* [0-9]+ ( "." [0-9]+ )?  -- printed without quotes by zl_link_format. */
static bool is_number(const char *v, bool allow_decimal) {
    size_t i = 0, d = 0;
    while (v[i] >= '0' && v[i] <= '9') { i++; d++; }
    if (d == 0) return false;
    if (allow_decimal && v[i] == '.') {
        i++;
        size_t f = 0;
        while (v[i] >= '0' && v[i] <= '9') { i++; f++; }
        if (f == 0) return false;
    }
    return v[i] == 0;
}

static zl_err_t put_quoted(zl_buf_t *out, const char *v, bool escape) {
    zl_err_t e = zl_buf_putc(out, '"');
    for (size_t i = 0; !e && v[i]; i++) {
        if (escape && (v[i] == '"' || v[i] == '\\')) e = zl_buf_putc(out, '\\');
        if (!e) e = zl_buf_putc(out, (uint8_t)v[i]);
    }
    if (!e) e = zl_buf_putc(out, '"');
    return e;
}

/* <url>;k=v;k2 ... ; decimal: whether "1.1" counts as a number (CoRE) or only
 * integers do (Leshan, whose parser keeps only integers unquoted). */
static zl_err_t put_link(zl_buf_t *out, const zl_link_t *l, bool decimal, bool escape) {
    zl_err_t e = zl_buf_printf(out, "<%s>", l->url ? l->url : "");
    for (size_t j = 0; !e && j < l->n_attrs; j++) {
        const zl_link_attr_t *a = &l->attrs[j];
        e = zl_buf_printf(out, ";%s", a->name ? a->name : "");
        if (e || !a->value) continue;
        e = zl_buf_putc(out, '=');
        if (!e) e = is_number(a->value, decimal) ? zl_buf_append(out, a->value, strlen(a->value))
                                                 : put_quoted(out, a->value, escape);
    }
    return e;
}

zl_err_t zl_link_format(const zl_links_t *l, zl_buf_t *out) {
    size_t start = out->len;
    zl_err_t e = ZL_OK;
    for (size_t i = 0; !e && i < l->n; i++) {
        if (i) e = zl_buf_putc(out, ',');
        if (!e) e = put_link(out, &l->links[i], true, true);
    }
    if (e) out->len = start;
    return e;
}

zl_err_t zl_link_format_list(const zl_links_t *l, zl_buf_t *out) {
    size_t start = out->len;
    zl_err_t e = zl_buf_putc(out, '[');
    for (size_t i = 0; !e && i < l->n; i++) {
        if (i) e = zl_buf_append(out, ", ", 2);
        if (!e) e = put_link(out, &l->links[i], false, false);
    }
    if (!e) e = zl_buf_putc(out, ']');
    if (e) out->len = start;
    return e;
}
