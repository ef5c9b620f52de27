/* SPDX-License-Identifier: Apache-2.0 */
/* LwM2M CBOR (11544) and plain CBOR (60) on libcbor.
 *
 * Decoding: a streaming pre-pass (cbor_stream_decode) rejects definite
 * arrays/maps that declare more elements than bytes remain, because
 * cbor_load allocates the element array up front (a 6-byte header could
 * otherwise ask for gigabytes); libcbor itself bounds nesting
 * (CBOR_MAX_STACK_SIZE) and checks string lengths against the input.  Then
 * cbor_load builds the item, which must consume the whole payload, and the
 * map walk accumulates path ids: every map level adds at least one id and a
 * path holds at most 4, so the walk recurses at most 4 deep.
 *
 * Encoding uses libcbor's header encoders (cbor_encode_*) straight into a
 * zl_buf_t: no item tree is built. */
#include "lwm2m/lwm2m_cbor.h"

#include <cbor.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/lwm2m_entries.h"
#include "lwm2m/text.h"

typedef struct {
    char *errstr;
    size_t errstr_size;
} cctx_t;

#define cerr(c, e, ...) zl_err_fmt((c)->errstr, (c)->errstr_size, (e), __VA_ARGS__)

/* ---- loading ---- */

typedef struct {
    size_t remaining; /* bytes from the current item's start to the end */
    bool bad;
    size_t declared;
} prescan_t;

static void ps_array(void *ctx, size_t size) {
    prescan_t *s = ctx;
    if (size > s->remaining) { s->bad = true; s->declared = size; }
}

static void ps_map(void *ctx, size_t size) {
    prescan_t *s = ctx;
    if (size > s->remaining / 2) { s->bad = true; s->declared = size; }
}

static const char *load_err_name(cbor_error_code code) {
    switch (code) {
    case CBOR_ERR_NODATA: return "empty payload";
    case CBOR_ERR_NOTENOUGHDATA: return "truncated CBOR";
    case CBOR_ERR_MALFORMATED: return "malformed CBOR";
    case CBOR_ERR_MEMERROR: return "out of memory";
    case CBOR_ERR_SYNTAXERROR: return "CBOR syntax error";
    default: return "CBOR error";
    }
}

/* Loads exactly one data item spanning p[0..n). */
static zl_err_t load(cctx_t *c, const uint8_t *p, size_t n, cbor_item_t **out) {
    *out = NULL;
    if (n > ZL_LWM2M_CBOR_MAX_INPUT)
        return cerr(c, ZL_ERR_TOO_LARGE, "CBOR payload of %zu bytes (at most %u)", n, ZL_LWM2M_CBOR_MAX_INPUT);
    if (n == 0) return cerr(c, ZL_ERR_INVALID, "empty CBOR payload");
    struct cbor_callbacks cb = cbor_empty_callbacks;
    cb.array_start = ps_array;
    cb.map_start = ps_map;
    prescan_t s = {0, false, 0};
    size_t off = 0;
    while (off < n) {
        s.remaining = n - off;
        struct cbor_decoder_result r = cbor_stream_decode(p + off, n - off, &cb, &s);
        if (s.bad)
            return cerr(c, ZL_ERR_INVALID, "CBOR container at offset %zu declares %zu elements, only %zu bytes follow",
                        off, s.declared, n - off);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0) break; /* cbor_load reports it */
        off += r.read;
    }
    struct cbor_load_result lr;
    cbor_item_t *it = cbor_load(p, n, &lr);
    if (!it) {
        /* libcbor reports its nesting limit (CBOR_MAX_STACK_SIZE) as a memory error */
        if (lr.error.code == CBOR_ERR_MEMERROR)
            return cerr(c, ZL_ERR_TOO_LARGE, "CBOR nested too deeply (or out of memory) at offset %zu",
                        lr.error.position);
        return cerr(c, lr.error.code == CBOR_ERR_NOTENOUGHDATA ? ZL_ERR_TRUNCATED : ZL_ERR_INVALID,
                    "%s at offset %zu", load_err_name(lr.error.code), lr.error.position);
    }
    if (lr.read != n) {
        cbor_decref(&it);
        return cerr(c, ZL_ERR_INVALID, "%zu bytes after the CBOR data item", n - lr.read);
    }
    *out = it;
    return ZL_OK;
}

/* ---- values ---- */

static const char *item_kind(const cbor_item_t *it) {
    switch (cbor_typeof(it)) {
    case CBOR_TYPE_UINT: return "an unsigned integer";
    case CBOR_TYPE_NEGINT: return "a negative integer";
    case CBOR_TYPE_BYTESTRING: return "a byte string";
    case CBOR_TYPE_STRING: return "a text string";
    case CBOR_TYPE_ARRAY: return "an array";
    case CBOR_TYPE_MAP: return "a map";
    case CBOR_TYPE_TAG: return "a tagged item";
    case CBOR_TYPE_FLOAT_CTRL:
        if (!cbor_float_ctrl_is_ctrl(it)) return "a float";
        if (cbor_is_bool(it)) return "a boolean";
        if (cbor_is_null(it)) return "null";
        if (cbor_is_undef(it)) return "undefined";
        return "a simple value";
    }
    return "an unknown item";
}

/* Copies a (possibly chunked) text or byte string into v. */
static zl_err_t string_value(const cbor_item_t *it, zl_type_t type, zl_value_t *v) {
    bool text = cbor_isa_string(it);
    bool definite = text ? cbor_string_is_definite(it) : cbor_bytestring_is_definite(it);
    if (definite) {
        const uint8_t *d = text ? cbor_string_handle(it) : cbor_bytestring_handle(it);
        size_t len = text ? cbor_string_length(it) : cbor_bytestring_length(it);
        return zl_value_set_bytes(v, type, d, len);
    }
    size_t nc = text ? cbor_string_chunk_count(it) : cbor_bytestring_chunk_count(it);
    cbor_item_t **ch = text ? cbor_string_chunks_handle(it) : cbor_bytestring_chunks_handle(it);
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_err_t e = ZL_OK;
    for (size_t i = 0; i < nc && !e; i++) {
        const uint8_t *d = text ? cbor_string_handle(ch[i]) : cbor_bytestring_handle(ch[i]);
        size_t len = text ? cbor_string_length(ch[i]) : cbor_bytestring_length(ch[i]);
        if (len) e = zl_buf_append(&b, d, len);
    }
    if (!e) e = zl_value_set_bytes(v, type, b.data, b.len);
    zl_buf_free(&b);
    return e;
}

/* Types item by the model type t (ZL_T_NONE: by the CBOR major type). */
static zl_err_t item_value(cctx_t *c, const cbor_item_t *it, zl_type_t t, const char *where, zl_value_t *v) {
    memset(v, 0, sizeof *v);
    switch (cbor_typeof(it)) {
    case CBOR_TYPE_TAG: {
        if (cbor_tag_value(it) != 1 || (t != ZL_T_TIME && t != ZL_T_NONE))
            return cerr(c, ZL_ERR_INVALID, "%s: unexpected tag %llu", where,
                        (unsigned long long)cbor_tag_value(it));
        cbor_item_t *inner = cbor_tag_item(it); /* new reference */
        zl_err_t e;
        if (cbor_isa_uint(inner) || cbor_isa_negint(inner))
            e = item_value(c, inner, ZL_T_TIME, where, v);
        else
            e = cerr(c, ZL_ERR_INVALID, "%s: epoch time tag around %s", where, item_kind(inner));
        cbor_decref(&inner);
        return e;
    }
    case CBOR_TYPE_UINT:
    case CBOR_TYPE_NEGINT: {
        uint64_t u = cbor_get_int(it);
        if (u > INT64_MAX)
            return cerr(c, ZL_ERR_INVALID, "%s: integer out of the signed 64-bit range", where);
        int64_t i = cbor_isa_uint(it) ? (int64_t)u : -1 - (int64_t)u;
        if (t == ZL_T_INTEGER || t == ZL_T_TIME || t == ZL_T_NONE) {
            v->type = t == ZL_T_NONE ? ZL_T_INTEGER : t;
            v->u.i = i;
            return ZL_OK;
        }
        if (t == ZL_T_FLOAT) {
            v->type = ZL_T_FLOAT;
            v->u.f = (double)i;
            return ZL_OK;
        }
        break;
    }
    case CBOR_TYPE_FLOAT_CTRL:
        if (!cbor_float_ctrl_is_ctrl(it)) {
            if (t != ZL_T_FLOAT && t != ZL_T_NONE) break;
            v->type = ZL_T_FLOAT;
            v->u.f = cbor_float_get_float(it);
            return ZL_OK;
        }
        if (cbor_is_bool(it)) {
            if (t != ZL_T_BOOLEAN && t != ZL_T_NONE) break;
            v->type = ZL_T_BOOLEAN;
            v->u.b = cbor_get_bool(it);
            return ZL_OK;
        }
        return cerr(c, ZL_ERR_INVALID, "%s: %s is not a resource value", where, item_kind(it));
    case CBOR_TYPE_STRING:
        if (t == ZL_T_STRING || t == ZL_T_NONE) return string_value(it, ZL_T_STRING, v);
        if (t == ZL_T_OBJLNK) {
            zl_value_t s;
            memset(&s, 0, sizeof s);
            zl_err_t e = string_value(it, ZL_T_STRING, &s);
            if (!e) {
                e = zl_text_decode(s.bytes, s.len, ZL_T_OBJLNK, v);
                if (e == ZL_ERR_INVALID) e = cerr(c, e, "%s: text is not an object link \"oid:iid\"", where);
            }
            free(s.bytes);
            return e;
        }
        break;
    case CBOR_TYPE_BYTESTRING:
        if (t == ZL_T_OPAQUE || t == ZL_T_NONE) return string_value(it, ZL_T_OPAQUE, v);
        break;
    default:
        return cerr(c, ZL_ERR_INVALID, "%s: %s is not a resource value", where, item_kind(it));
    }
    return cerr(c, ZL_ERR_INVALID, "%s: %s does not fit the model type %s", where, item_kind(it),
                zl_type_name(t));
}

/* ---- LwM2M CBOR decoding ---- */

typedef struct {
    cctx_t c;
    zl_entries_t es;
} ldec_t;

/* Appends the ids of key to path. */
static zl_err_t key_ids(ldec_t *d, const cbor_item_t *key, zl_path_t *path) {
    char ps[32];
    zl_path_format(path, ps, sizeof ps);
    cbor_item_t *const *ids = (cbor_item_t *const *)&key;
    size_t n = 1;
    if (cbor_isa_array(key)) {
        n = cbor_array_size(key);
        ids = cbor_array_handle(key);
        if (n == 0) return cerr(&d->c, ZL_ERR_INVALID, "empty path array as a key under %s", ps);
    }
    for (size_t i = 0; i < n; i++) {
        const cbor_item_t *k = ids[i];
        if (!cbor_isa_uint(k))
            return cerr(&d->c, ZL_ERR_INVALID, "key under %s: %s is not a path id", ps, item_kind(k));
        uint64_t id = cbor_get_int(k);
        if (id > ZL_ID_MAX)
            return cerr(&d->c, ZL_ERR_INVALID, "key under %s: id %llu exceeds 65534", ps, (unsigned long long)id);
        if (path->len >= ZL_PATH_MAX_DEPTH)
            return cerr(&d->c, ZL_ERR_INVALID, "key under %s: path deeper than 4 levels", ps);
        path->ids[path->len++] = (uint16_t)id;
    }
    return ZL_OK;
}

static zl_err_t walk_pairs(ldec_t *d, const struct cbor_pair *pairs, const zl_path_t *keys, size_t n);

static int cmp_path(const void *a, const void *b) {
    const zl_path_t *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    for (uint8_t i = 0; i < x->len; i++)
        if (x->ids[i] != y->ids[i]) return x->ids[i] < y->ids[i] ? -1 : 1;
    return 0;
}

/* Rejects a map with two equal keys (same id sequence): CBOR calls such a map
 * invalid, and merging them would hide a device bug. */
static zl_err_t check_dup_keys(ldec_t *d, const zl_path_t *keys, size_t n) {
    zl_path_t *sorted = malloc(n * sizeof *sorted);
    if (!sorted) return ZL_ERR_NOMEM;
    memcpy(sorted, keys, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_path);
    zl_err_t e = ZL_OK;
    for (size_t i = 1; i < n; i++) {
        if (cmp_path(&sorted[i - 1], &sorted[i]) == 0) {
            char ps[32];
            zl_path_format(&sorted[i], ps, sizeof ps);
            e = cerr(&d->c, ZL_ERR_INVALID, "duplicate map key %s", ps);
            break;
        }
    }
    free(sorted);
    return e;
}

static zl_err_t walk_map(ldec_t *d, const cbor_item_t *map, const zl_path_t *prefix) {
    size_t n = cbor_map_size(map);
    struct cbor_pair *pairs = cbor_map_handle(map);
    if (n == 0) return ZL_OK;
    /* absolute paths of the keys, checked for duplicates before descending */
    zl_path_t *keys = malloc(n * sizeof *keys);
    if (!keys) return ZL_ERR_NOMEM;
    zl_err_t e = ZL_OK;
    for (size_t i = 0; i < n && !e; i++) {
        keys[i] = *prefix;
        e = key_ids(d, pairs[i].key, &keys[i]);
    }
    if (!e && n > 1) e = check_dup_keys(d, keys, n);
    if (!e) e = walk_pairs(d, pairs, keys, n);
    free(keys);
    return e;
}

static zl_err_t walk_pairs(ldec_t *d, const struct cbor_pair *pairs, const zl_path_t *keys, size_t n) {
    char ps[32], rs[32];
    for (size_t i = 0; i < n; i++) {
        const zl_path_t path = keys[i];
        zl_err_t e;
        zl_path_format(&path, ps, sizeof ps);
        const zl_path_t *req = &d->es.req;
        for (uint8_t k = 0; k < path.len && k < req->len; k++) {
            if (path.ids[k] != req->ids[k]) {
                zl_path_format(req, rs, sizeof rs);
                return cerr(&d->c, ZL_ERR_INVALID, "%s is not under the requested path %s", ps, rs);
            }
        }
        const cbor_item_t *v = pairs[i].value;
        if (cbor_isa_map(v)) {
            if (path.len >= ZL_PATH_MAX_DEPTH)
                return cerr(&d->c, ZL_ERR_INVALID, "map at %s: path deeper than 4 levels", ps);
            if ((e = walk_map(d, v, &path))) return e;
            continue;
        }
        zl_value_t val;
        if ((e = item_value(&d->c, v, zl_entries_model_type(d->es.models, &path), ps, &val))) return e;
        char aerr[128];
        if ((e = zl_entries_add(&d->es, &path, &val, aerr, sizeof aerr))) return cerr(&d->c, e, "%s", aerr);
    }
    return ZL_OK;
}

zl_err_t zl_lwm2m_cbor_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                              char *errstr, size_t errstr_size) {
    ldec_t d;
    d.c.errstr = errstr;
    d.c.errstr_size = errstr_size;
    if (errstr && errstr_size) errstr[0] = 0;
    *out = NULL;
    if (!path || path->len > ZL_PATH_MAX_DEPTH)
        return cerr(&d.c, ZL_ERR_INVALID,
                    "LwM2M CBOR needs a root, object, instance, resource or resource instance path");
    if (!p && n) return cerr(&d.c, ZL_ERR_INVALID, "NULL payload");
    cbor_item_t *root;
    zl_err_t e = load(&d.c, p, n, &root);
    if (e) return e;
    if (!cbor_isa_map(root)) {
        e = cerr(&d.c, ZL_ERR_INVALID, "LwM2M CBOR payload is %s, not a map", item_kind(root));
        cbor_decref(&root);
        return e;
    }
    zl_entries_init(&d.es, path, models, "value");
    zl_path_t top = {{0}, 0};
    e = walk_map(&d, root, &top);
    cbor_decref(&root);
    if (!e) {
        char berr[128] = "";
        e = zl_entries_build(&d.es, out, berr, sizeof berr);
        if (e && berr[0]) cerr(&d.c, e, "%s", berr);
    }
    zl_entries_free(&d.es);
    return e;
}

/* ---- encoding ---- */

static zl_err_t emit(zl_buf_t *out, const unsigned char *t, size_t k) {
    return k ? zl_buf_append(out, t, k) : ZL_ERR_INVALID;
}

/* Encodes one header/scalar with a libcbor encoder into out; returns on error. */
#define PUT(fn, ...)                                                   \
    do {                                                               \
        unsigned char _t[16];                                          \
        zl_err_t _e = emit(out, _t, fn(__VA_ARGS__, _t, sizeof _t));   \
        if (_e) return _e;                                             \
    } while (0)

static zl_err_t put_int(zl_buf_t *out, int64_t i) {
    if (i >= 0) PUT(cbor_encode_uint, (uint64_t)i);
    else PUT(cbor_encode_negint, (uint64_t)(-(i + 1)));
    return ZL_OK;
}

static zl_err_t put_bytes(zl_buf_t *out, bool text, const uint8_t *p, size_t n) {
    if (!p && n) return ZL_ERR_INVALID;
    if (text) PUT(cbor_encode_string_start, n);
    else PUT(cbor_encode_bytestring_start, n);
    return n ? zl_buf_append(out, p, n) : ZL_OK;
}

static zl_err_t put_value(zl_buf_t *out, const zl_value_t *v) {
    switch (v->type) {
    case ZL_T_INTEGER:
    case ZL_T_TIME:
        return put_int(out, v->u.i);
    case ZL_T_FLOAT: {
        float f = (float)v->u.f;
        if (isnan(v->u.f) || (double)f == v->u.f) PUT(cbor_encode_single, f);
        else PUT(cbor_encode_double, v->u.f);
        return ZL_OK;
    }
    case ZL_T_BOOLEAN:
        PUT(cbor_encode_bool, v->u.b);
        return ZL_OK;
    case ZL_T_OBJLNK: {
        char s[16];
        int k = snprintf(s, sizeof s, "%u:%u", (unsigned)v->u.lnk.oid, (unsigned)v->u.lnk.iid);
        return put_bytes(out, true, (const uint8_t *)s, (size_t)k);
    }
    case ZL_T_STRING:
        return put_bytes(out, true, v->bytes, v->len);
    case ZL_T_OPAQUE:
    case ZL_T_NONE:
        return put_bytes(out, false, v->bytes, v->len);
    }
    return ZL_ERR_INVALID;
}

static zl_err_t put_tree(zl_buf_t *out, const zl_node_t *node) {
    if (node->kind == ZL_N_RESOURCE || node->kind == ZL_N_RES_INSTANCE) return put_value(out, &node->value);
    PUT(cbor_encode_map_start, node->n_children);
    for (size_t i = 0; i < node->n_children; i++) {
        PUT(cbor_encode_uint, node->children[i].id);
        zl_err_t e = put_tree(out, &node->children[i]);
        if (e) return e;
    }
    return ZL_OK;
}

static zl_err_t lwm2m_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out) {
    PUT(cbor_encode_map_start, 1);
    if (path->len == 1) {
        PUT(cbor_encode_uint, path->ids[0]);
    } else {
        PUT(cbor_encode_array_start, path->len);
        for (uint8_t i = 0; i < path->len; i++) PUT(cbor_encode_uint, path->ids[i]);
    }
    return put_tree(out, node);
}

zl_err_t zl_lwm2m_cbor_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out) {
    if (!node || !path || !out) return ZL_ERR_INVALID;
    zl_err_t e = zl_entries_check_tree(node, path);
    if (e) return e;
    size_t start = out->len;
    if ((e = lwm2m_encode(node, path, out))) out->len = start;
    return e;
}

/* ---- plain CBOR ---- */

zl_err_t zl_cbor_single_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                               const zl_models_t *models, zl_node_t **out,
                               char *errstr, size_t errstr_size) {
    cctx_t c = {errstr, errstr_size};
    if (errstr && errstr_size) errstr[0] = 0;
    *out = NULL;
    if (!path || path->len < 3 || path->len > ZL_PATH_MAX_DEPTH)
        return cerr(&c, ZL_ERR_INVALID, "CBOR needs a resource or resource instance path");
    if (!p && n) return cerr(&c, ZL_ERR_INVALID, "NULL payload");
    cbor_item_t *it;
    zl_err_t e = load(&c, p, n, &it);
    if (e) return e;
    char ps[32];
    zl_path_format(path, ps, sizeof ps);
    zl_node_t *node = zl_node_new(path->len == 3 ? ZL_N_RESOURCE : ZL_N_RES_INSTANCE, path->ids[path->len - 1]);
    if (!node) e = ZL_ERR_NOMEM;
    else e = item_value(&c, it, zl_entries_model_type(models, path), ps, &node->value);
    cbor_decref(&it);
    if (e) { zl_node_free(node); return e; }
    *out = node;
    return ZL_OK;
}

zl_err_t zl_cbor_single_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out) {
    if (!node || !out) return ZL_ERR_INVALID;
    if (node->kind != ZL_N_RESOURCE && node->kind != ZL_N_RES_INSTANCE) return ZL_ERR_INVALID;
    if (path && zl_entries_check_tree(node, path)) return ZL_ERR_INVALID;
    size_t start = out->len;
    zl_err_t e = put_value(out, &node->value);
    if (e) out->len = start;
    return e;
}
