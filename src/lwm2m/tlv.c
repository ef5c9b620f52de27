/* SPDX-License-Identifier: Apache-2.0 */
/* OMA-TLV codec (LwM2M 1.0 §6.4.3).  Decoding walks the payload once and
 * builds the node tree directly; every header and length is checked against
 * the bytes of the enclosing TLV before it is used, the nesting grammar
 * (object instance > resource | multiple resource > resource instance) is
 * enforced by construction (so depth is bounded at 3) and the number of nodes
 * is capped.  TLV carries no types, so leaf values are typed from the
 * built-in model.  Encoding measures each subtree first and then writes
 * headers with the smallest id/length fields; integers use the smallest of
 * 1/2/4/8 bytes and floats use 4 bytes when the double is exactly
 * representable as a float (else 8), which round-trips losslessly. */
#include "lwm2m/tlv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/model.h"

#define TLV_MAX_NODES 10000

enum { TLV_OI = 0, TLV_RI = 1, TLV_MR = 2, TLV_R = 3 };

static const char *const tlv_names[] = {"object instance", "resource instance",
                                        "multiple resource", "resource"};

typedef struct {
    uint8_t type;
    uint16_t id;
    const uint8_t *val;
    size_t len;
    size_t off; /* offset of the type byte in the whole payload */
} tlv_t;

typedef struct {
    const uint8_t *base;
    size_t nodes;
    char *errstr;
    size_t errstr_size;
    const zl_models_t *models;
} dctx_t;

/* Records a message in the caller's errstr and returns the error. */
#define derr(c, e, ...) zl_err_fmt((c)->errstr, (c)->errstr_size, (e), __VA_ARGS__)

/* Reads the TLV at p[*pos] inside the region p[0..n); advances *pos. */
static zl_err_t tlv_next(dctx_t *c, const uint8_t *p, size_t n, size_t *pos, tlv_t *t) {
    size_t i = *pos;
    size_t off = (size_t)(p - c->base) + i;
    if (i >= n) return derr(c, ZL_ERR_TRUNCATED, "TLV header missing at offset %zu", off);
    uint8_t tb = p[i++];
    t->type = (uint8_t)(tb >> 6);
    t->off = off;
    size_t idlen = (tb & 0x20) ? 2 : 1;
    size_t lentype = (tb >> 3) & 3;
    if (n - i < idlen + lentype)
        return derr(c, ZL_ERR_TRUNCATED, "TLV header at offset %zu truncated", off);
    uint32_t id = p[i++];
    if (idlen == 2) id = (id << 8) | p[i++];
    if (id > ZL_ID_MAX) return derr(c, ZL_ERR_INVALID, "reserved identifier 65535 at offset %zu", off);
    size_t len;
    if (lentype == 0) {
        len = tb & 7;
    } else {
        len = 0;
        for (size_t k = 0; k < lentype; k++) len = (len << 8) | p[i++];
    }
    if (n - i < len)
        return derr(c, ZL_ERR_TRUNCATED, "TLV at offset %zu says %zu value bytes, %zu present",
                    off, len, n - i);
    t->id = (uint16_t)id;
    t->val = p + i;
    t->len = len;
    *pos = i + len;
    return ZL_OK;
}

static int64_t be_int(const uint8_t *p, size_t n) {
    uint64_t v = (p[0] & 0x80) ? UINT64_MAX : 0; /* sign-extend */
    for (size_t i = 0; i < n; i++) v = (v << 8) | p[i];
    return (int64_t)v;
}

/* Types the value bytes of resource oid/rid according to the model. */
static zl_err_t decode_value(dctx_t *c, uint16_t oid, uint16_t rid, const tlv_t *t, zl_value_t *v) {
    const zl_res_model_t *m = zl_models_resource(c->models, oid, rid);
    zl_type_t type = m ? m->type : ZL_T_NONE;
    const uint8_t *p = t->val;
    size_t n = t->len;
    memset(v, 0, sizeof *v);
    v->type = type;
    switch (type) {
    case ZL_T_INTEGER:
    case ZL_T_TIME:
        if (n != 1 && n != 2 && n != 4 && n != 8) break;
        v->u.i = be_int(p, n);
        return ZL_OK;
    case ZL_T_FLOAT:
        if (n == 4) {
            uint32_t b = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            float f;
            memcpy(&f, &b, 4);
            v->u.f = f;
            return ZL_OK;
        }
        if (n == 8) {
            uint64_t b = 0;
            for (int i = 0; i < 8; i++) b = (b << 8) | p[i];
            memcpy(&v->u.f, &b, 8);
            return ZL_OK;
        }
        break;
    case ZL_T_BOOLEAN:
        if (n != 1 || p[0] > 1) break;
        v->u.b = p[0] == 1;
        return ZL_OK;
    case ZL_T_OBJLNK:
        if (n != 4) break;
        v->u.lnk.oid = (uint16_t)(p[0] << 8 | p[1]);
        v->u.lnk.iid = (uint16_t)(p[2] << 8 | p[3]);
        return ZL_OK;
    case ZL_T_STRING:
    case ZL_T_OPAQUE:
    case ZL_T_NONE:
        return zl_value_set_bytes(v, type, p, n);
    }
    return derr(c, ZL_ERR_INVALID, "bad %s value (%zu bytes) for /%u/x/%u at offset %zu",
                zl_type_name(type), n, (unsigned)oid, (unsigned)rid, t->off);
}

static zl_err_t count_node(dctx_t *c) {
    if (++c->nodes > TLV_MAX_NODES)
        return derr(c, ZL_ERR_TOO_LARGE, "more than %d TLV nodes", TLV_MAX_NODES);
    return ZL_OK;
}

/* Duplicate-id detection per container: one bit per possible id. */
typedef struct { uint8_t bits[8192]; } idset_t;

static bool idset_add(idset_t *s, uint16_t id) {
    uint8_t m = (uint8_t)(1u << (id & 7));
    if (s->bits[id >> 3] & m) return false;
    s->bits[id >> 3] |= m;
    return true;
}

/* Walks the TLVs of one level, each of a type in the mask `want` (bit 1 << type)
 * and with distinct ids, calling fn for each. misplaced completes "<type> TLV at
 * offset N ...", what names the id in the duplicate message. */
typedef zl_err_t (*child_fn)(dctx_t *c, void *ctx, const tlv_t *t);

static zl_err_t each_child(dctx_t *c, const uint8_t *p, size_t n, unsigned want, const char *misplaced,
                           const char *what, child_fn fn, void *ctx) {
    idset_t *seen = calloc(1, sizeof *seen);
    if (!seen) return ZL_ERR_NOMEM;
    zl_err_t e = ZL_OK;
    size_t pos = 0;
    while (pos < n) {
        tlv_t t = {0};
        if ((e = tlv_next(c, p, n, &pos, &t))) break;
        if (!(want & (1u << t.type))) {
            e = derr(c, ZL_ERR_INVALID, "%s TLV at offset %zu %s", tlv_names[t.type], t.off, misplaced);
            break;
        }
        if (!idset_add(seen, t.id)) {
            e = derr(c, ZL_ERR_INVALID, "duplicate %s %u at offset %zu", what, (unsigned)t.id, t.off);
            break;
        }
        if ((e = fn(c, ctx, &t))) break;
    }
    free(seen);
    return e;
}

typedef struct {
    uint16_t oid;
    zl_node_t *parent;
} child_ctx_t;

static zl_err_t add_res_instance(dctx_t *c, void *ctx, const tlv_t *t) {
    child_ctx_t *x = ctx;
    zl_err_t e = count_node(c);
    if (e) return e;
    zl_node_t *ri = zl_node_add_child(x->parent, ZL_N_RES_INSTANCE, t->id);
    if (!ri) return ZL_ERR_NOMEM;
    return decode_value(c, x->oid, x->parent->id, t, &ri->value);
}

/* Fills multi (kind MULTI) from the resource-instance TLVs in p[0..n). */
static zl_err_t decode_instances_of(dctx_t *c, uint16_t oid, zl_node_t *multi, const uint8_t *p, size_t n) {
    child_ctx_t x = {oid, multi};
    return each_child(c, p, n, 1u << TLV_RI, "inside a multiple resource", "resource instance", add_res_instance, &x);
}

/* Adds the resource or multiple resource t as a child of inst. */
static zl_err_t decode_resource(dctx_t *c, uint16_t oid, zl_node_t *parent, const tlv_t *t) {
    zl_err_t e = count_node(c);
    if (e) return e;
    if (t->type == TLV_R) {
        zl_node_t *r = zl_node_add_child(parent, ZL_N_RESOURCE, t->id);
        if (!r) return ZL_ERR_NOMEM;
        return decode_value(c, oid, t->id, t, &r->value);
    }
    if (t->type == TLV_MR) {
        zl_node_t *m = zl_node_add_child(parent, ZL_N_MULTI, t->id);
        if (!m) return ZL_ERR_NOMEM;
        return decode_instances_of(c, oid, m, t->val, t->len);
    }
    return derr(c, ZL_ERR_INVALID, "%s TLV at offset %zu where a resource was expected",
                tlv_names[t->type], t->off);
}

/* Fills inst (kind INSTANCE) from the resource TLVs in p[0..n). */
static zl_err_t add_resource(dctx_t *c, void *ctx, const tlv_t *t) {
    child_ctx_t *x = ctx;
    return decode_resource(c, x->oid, x->parent, t);
}

static zl_err_t decode_resources(dctx_t *c, uint16_t oid, zl_node_t *inst, const uint8_t *p, size_t n) {
    child_ctx_t x = {oid, inst};
    return each_child(c, p, n, 1u << TLV_R | 1u << TLV_MR, "inside an object instance", "resource", add_resource,
                      &x);
}

static zl_err_t add_obj_instance(dctx_t *c, void *ctx, const tlv_t *t) {
    child_ctx_t *x = ctx;
    zl_err_t e = count_node(c);
    if (e) return e;
    zl_node_t *inst = zl_node_add_child(x->parent, ZL_N_INSTANCE, t->id);
    if (!inst) return ZL_ERR_NOMEM;
    return decode_resources(c, x->oid, inst, t->val, t->len);
}

/* Peeks at the first top-level TLV (type only); n must be > 0. */
static zl_err_t first_tlv(dctx_t *c, const uint8_t *p, size_t n, tlv_t *t, size_t *count) {
    size_t pos = 0;
    *count = 0;
    zl_err_t e = ZL_OK;
    while (pos < n) {
        tlv_t x;
        if ((e = tlv_next(c, p, n, &pos, &x))) return e;
        if (*count == 0) *t = x;
        (*count)++;
    }
    return ZL_OK;
}

static zl_err_t decode_object(dctx_t *c, const zl_path_t *path, const uint8_t *p, size_t n, zl_node_t *obj) {
    uint16_t oid = path->ids[0];
    tlv_t t0;
    size_t count;
    zl_err_t e;
    if (n == 0) return ZL_OK;
    if ((e = first_tlv(c, p, n, &t0, &count))) return e;
    if (t0.type == TLV_R || t0.type == TLV_MR) {
        /* Bare resources: accepted for single-instance (or unknown) objects as instance 0. */
        const zl_obj_model_t *om = zl_models_object(c->models, oid);
        if (om && om->multiple)
            return derr(c, ZL_ERR_INVALID, "object %u is multi-instance: object instance TLV required",
                        (unsigned)oid);
        if ((e = count_node(c))) return e;
        zl_node_t *inst = zl_node_add_child(obj, ZL_N_INSTANCE, 0);
        if (!inst) return ZL_ERR_NOMEM;
        return decode_resources(c, oid, inst, p, n);
    }
    child_ctx_t x = {oid, obj};
    return each_child(c, p, n, 1u << TLV_OI, "where an object instance was expected", "object instance",
                      add_obj_instance, &x);
}

static zl_err_t decode_instance(dctx_t *c, const zl_path_t *path, const uint8_t *p, size_t n, zl_node_t *inst) {
    tlv_t t0;
    size_t count;
    zl_err_t e;
    if (n == 0) return ZL_OK;
    if ((e = first_tlv(c, p, n, &t0, &count))) return e;
    if (t0.type == TLV_OI) {
        if (count != 1)
            return derr(c, ZL_ERR_INVALID, "%zu object instance TLVs for an instance path", count);
        if (t0.id != path->ids[1])
            return derr(c, ZL_ERR_INVALID, "object instance TLV id %u does not match path instance %u",
                        (unsigned)t0.id, (unsigned)path->ids[1]);
        return decode_resources(c, path->ids[0], inst, t0.val, t0.len);
    }
    return decode_resources(c, path->ids[0], inst, p, n);
}

static zl_err_t decode_res(dctx_t *c, const zl_path_t *path, const uint8_t *p, size_t n, zl_node_t **out) {
    uint16_t oid = path->ids[0], rid = path->ids[2];
    const zl_res_model_t *m = zl_models_resource(c->models, oid, rid);
    tlv_t t0;
    size_t count = 0;
    zl_err_t e;
    if (n > 0 && (e = first_tlv(c, p, n, &t0, &count))) return e;
    if (count == 0 && m && !m->multiple)
        return derr(c, ZL_ERR_INVALID, "empty TLV payload for single resource /%u/%u/%u",
                    (unsigned)oid, (unsigned)path->ids[1], (unsigned)rid);
    if (count == 1 && t0.type != TLV_RI) {
        if (t0.type == TLV_OI)
            return derr(c, ZL_ERR_INVALID, "object instance TLV at offset 0 for a resource path");
        if (t0.id != rid)
            return derr(c, ZL_ERR_INVALID, "resource TLV id %u does not match path resource %u",
                        (unsigned)t0.id, (unsigned)rid);
        /* Decode into a scratch parent, then detach the single child. */
        zl_node_t tmp;
        memset(&tmp, 0, sizeof tmp);
        if ((e = decode_resource(c, oid, &tmp, &t0))) { zl_node_clear(&tmp); return e; }
        zl_node_t *r = malloc(sizeof *r);
        if (!r) { zl_node_clear(&tmp); return ZL_ERR_NOMEM; }
        *r = tmp.children[0];
        free(tmp.children);
        *out = r;
        return ZL_OK;
    }
    /* Bare resource instances (or nothing) for a multiple resource. */
    zl_node_t *mr = zl_node_new(ZL_N_MULTI, rid);
    if (!mr) return ZL_ERR_NOMEM;
    if ((e = count_node(c)) || (e = decode_instances_of(c, oid, mr, p, n))) {
        zl_node_free(mr);
        return e;
    }
    *out = mr;
    return ZL_OK;
}

static zl_err_t decode_res_inst(dctx_t *c, const zl_path_t *path, const uint8_t *p, size_t n, zl_node_t **out) {
    tlv_t t0;
    size_t count = 0;
    zl_err_t e;
    if (n > 0 && (e = first_tlv(c, p, n, &t0, &count))) return e;
    if (count != 1 || t0.type != TLV_RI)
        return derr(c, ZL_ERR_INVALID, "a resource instance path needs exactly one resource instance TLV");
    if (t0.id != path->ids[3])
        return derr(c, ZL_ERR_INVALID, "resource instance TLV id %u does not match path %u",
                    (unsigned)t0.id, (unsigned)path->ids[3]);
    zl_node_t *ri = zl_node_new(ZL_N_RES_INSTANCE, t0.id);
    if (!ri) return ZL_ERR_NOMEM;
    if ((e = decode_value(c, path->ids[0], path->ids[2], &t0, &ri->value))) {
        zl_node_free(ri);
        return e;
    }
    *out = ri;
    return ZL_OK;
}

zl_err_t zl_tlv_decode(const uint8_t *p, size_t n, const zl_path_t *path, const zl_models_t *models,
                       zl_node_t **out, char *errstr, size_t errstr_size) {
    dctx_t c = {.base = p, .nodes = 0, .errstr = errstr, .errstr_size = errstr_size, .models = models};
    if (errstr && errstr_size) errstr[0] = 0;
    *out = NULL;
    if (!path || path->len == 0 || path->len > ZL_PATH_MAX_DEPTH)
        return derr(&c, ZL_ERR_INVALID, "TLV needs an object, instance, resource or resource instance path");
    if (!p && n) return derr(&c, ZL_ERR_INVALID, "NULL payload");
    zl_err_t e;
    zl_node_t *node = NULL;
    switch (path->len) {
    case 1:
    case 2:
        node = zl_node_new(path->len == 1 ? ZL_N_OBJECT : ZL_N_INSTANCE, path->ids[path->len - 1]);
        if (!node) return ZL_ERR_NOMEM;
        e = path->len == 1 ? decode_object(&c, path, p, n, node) : decode_instance(&c, path, p, n, node);
        if (e) { zl_node_free(node); return e; }
        break;
    case 3:
        if ((e = decode_res(&c, path, p, n, &node))) return e;
        break;
    default:
        if ((e = decode_res_inst(&c, path, p, n, &node))) return e;
        break;
    }
    *out = node;
    return ZL_OK;
}

/* ---- encoding ---- */

static size_t int_width(int64_t v) {
    if (v >= INT8_MIN && v <= INT8_MAX) return 1;
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

/* Serialises a leaf value; small values land in tmp[8]. */
static zl_err_t value_bytes(const zl_value_t *v, uint8_t tmp[8], const uint8_t **bp, size_t *n) {
    switch (v->type) {
    case ZL_T_INTEGER:
    case ZL_T_TIME: {
        size_t w = int_width(v->u.i);
        uint64_t u = (uint64_t)v->u.i;
        for (size_t i = 0; i < w; i++) tmp[w - 1 - i] = (uint8_t)(u >> (8 * i));
        *bp = tmp;
        *n = w;
        return ZL_OK;
    }
    case ZL_T_FLOAT: {
        float f = (float)v->u.f;
        if ((double)f == v->u.f) {
            uint32_t b;
            memcpy(&b, &f, 4);
            for (int i = 0; i < 4; i++) tmp[3 - i] = (uint8_t)(b >> (8 * i));
            *n = 4;
        } else {
            uint64_t b;
            memcpy(&b, &v->u.f, 8);
            for (int i = 0; i < 8; i++) tmp[7 - i] = (uint8_t)(b >> (8 * i));
            *n = 8;
        }
        *bp = tmp;
        return ZL_OK;
    }
    case ZL_T_BOOLEAN:
        tmp[0] = v->u.b ? 1 : 0;
        *bp = tmp;
        *n = 1;
        return ZL_OK;
    case ZL_T_OBJLNK:
        tmp[0] = (uint8_t)(v->u.lnk.oid >> 8);
        tmp[1] = (uint8_t)v->u.lnk.oid;
        tmp[2] = (uint8_t)(v->u.lnk.iid >> 8);
        tmp[3] = (uint8_t)v->u.lnk.iid;
        *bp = tmp;
        *n = 4;
        return ZL_OK;
    case ZL_T_STRING:
    case ZL_T_OPAQUE:
    case ZL_T_NONE:
        if (!v->bytes && v->len) return ZL_ERR_INVALID;
        *bp = v->bytes;
        *n = v->len;
        return ZL_OK;
    }
    return ZL_ERR_INVALID;
}

static size_t header_size(uint16_t id, size_t len) {
    size_t h = 1 + (id > 0xFF ? 2 : 1);
    if (len >= 8) h += len <= 0xFF ? 1 : len <= 0xFFFF ? 2 : 3;
    return h;
}

static int kind_tlv_type(zl_node_kind_t k) {
    switch (k) {
    case ZL_N_INSTANCE: return TLV_OI;
    case ZL_N_RES_INSTANCE: return TLV_RI;
    case ZL_N_MULTI: return TLV_MR;
    case ZL_N_RESOURCE: return TLV_R;
    default: return -1;
    }
}

/* Size of the value part of node's TLV (or, for OBJECT, of all its instances). */
static zl_err_t content_size(const zl_node_t *node, size_t *out);

static zl_err_t tlv_size(const zl_node_t *node, size_t *out) {
    size_t c;
    zl_err_t e = content_size(node, &c);
    if (e) return e;
    if (c > 0xFFFFFF) return ZL_ERR_TOO_LARGE;
    *out = header_size(node->id, c) + c;
    return ZL_OK;
}

static zl_err_t content_size(const zl_node_t *node, size_t *out) {
    if (node->kind == ZL_N_RESOURCE || node->kind == ZL_N_RES_INSTANCE) {
        uint8_t tmp[8];
        const uint8_t *b;
        return value_bytes(&node->value, tmp, &b, out);
    }
    size_t total = 0;
    for (size_t i = 0; i < node->n_children; i++) {
        const zl_node_t *ch = &node->children[i];
        if (!zl_node_child_ok(node->kind, ch->kind)) return ZL_ERR_INVALID;
        size_t s;
        zl_err_t e = tlv_size(ch, &s);
        if (e) return e;
        total += s;
        if (total > 0xFFFFFF + (size_t)16) return ZL_ERR_TOO_LARGE;
    }
    *out = total;
    return ZL_OK;
}

static zl_err_t put_header(zl_buf_t *out, int type, uint16_t id, size_t len) {
    uint8_t h[6];
    size_t k = 0;
    uint8_t tb = (uint8_t)(type << 6);
    if (id > 0xFF) tb |= 0x20;
    size_t lbytes = 0;
    if (len < 8) tb |= (uint8_t)len;
    else if (len <= 0xFF) { tb |= 1 << 3; lbytes = 1; }
    else if (len <= 0xFFFF) { tb |= 2 << 3; lbytes = 2; }
    else { tb |= 3 << 3; lbytes = 3; }
    h[k++] = tb;
    if (id > 0xFF) h[k++] = (uint8_t)(id >> 8);
    h[k++] = (uint8_t)id;
    for (size_t i = lbytes; i > 0; i--) h[k++] = (uint8_t)(len >> (8 * (i - 1)));
    return zl_buf_append(out, h, k);
}

static zl_err_t encode_node(const zl_node_t *node, zl_buf_t *out);

static zl_err_t encode_children(const zl_node_t *node, zl_buf_t *out) {
    for (size_t i = 0; i < node->n_children; i++) {
        zl_err_t e = encode_node(&node->children[i], out);
        if (e) return e;
    }
    return ZL_OK;
}

static zl_err_t encode_node(const zl_node_t *node, zl_buf_t *out) {
    int type = kind_tlv_type(node->kind);
    if (type < 0) return ZL_ERR_INVALID;
    size_t c;
    zl_err_t e = content_size(node, &c);
    if (e) return e;
    if (c > 0xFFFFFF) return ZL_ERR_TOO_LARGE;
    if ((e = put_header(out, type, node->id, c))) return e;
    if (node->kind == ZL_N_RESOURCE || node->kind == ZL_N_RES_INSTANCE) {
        uint8_t tmp[8];
        const uint8_t *b;
        size_t n;
        if ((e = value_bytes(&node->value, tmp, &b, &n))) return e;
        return zl_buf_append(out, b, n);
    }
    return encode_children(node, out);
}

zl_err_t zl_tlv_encode(const zl_node_t *node, zl_buf_t *out) {
    if (!node) return ZL_ERR_INVALID;
    size_t start = out->len;
    zl_err_t e;
    if (node->kind == ZL_N_OBJECT) {
        size_t c;
        if ((e = content_size(node, &c)) == ZL_OK) e = encode_children(node, out);
    } else {
        e = encode_node(node, out);
    }
    if (e) out->len = start;
    return e;
}

zl_err_t zl_tlv_encode_resources(const zl_node_t *inst, zl_buf_t *out) {
    if (!inst || inst->kind != ZL_N_INSTANCE) return ZL_ERR_INVALID;
    size_t start = out->len, c;
    zl_err_t e = content_size(inst, &c);
    if (!e) e = encode_children(inst, out);
    if (e) out->len = start;
    return e;
}
