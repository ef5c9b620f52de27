/* SPDX-License-Identifier: Apache-2.0 */
/* Responses and notifications written as Avro binary straight from the node
 * tree, without building an avro-c value first.
 *
 * Why: every notification the gateway takes becomes an AvroResponseObserve.
 * Through avro-c's generic values that costs a value tree reset, a field
 * lookup by name per field (strcmp over the schema) and a walk of the tree to
 * write it: about a fifth of the gateway's CPU at 50,000 notifications/s.  The
 * schemas are ours (kafka/avro_schemas.c registers them), so their layout is
 * fixed: records are their fields in order, enums and union branches are
 * zig-zag varints, strings are a length and the bytes, arrays and maps one
 * block and a 0.  The output must be byte for byte what the generic path
 * (serde.c + avro_node.c) writes; tests/unit/test_avro_bin.c holds the two
 * side by side over every node kind, value type and body, so a schema change
 * that is not mirrored here fails the build's tests. */
#include "kafka/avro_bin.h"

#include <stdio.h>
#include <string.h>
#include "kafka/avro_node.h"
#include "lwm2m/base64.h"
#include "lwm2m/senml.h"

/* AvroResponsePayload.body and AvroReadResponseBody.content branches */
enum { RB_NULL = 0, RB_READ = 1, RB_DISCOVER = 2, RB_CREATE = 3, RB_GENERIC = 4 };
enum { CB_OBJECT = 0, CB_INSTANCE = 1, CB_RESOURCE = 2, CB_MULTI = 3 };
/* AvroResourceKind ordinals and AvroResource.value branches */
enum { K_OBJECT = 0, K_INSTANCE = 1, K_MULTIPLE = 2, K_SINGLE = 3 };
enum { V_STRING = 0, V_DOUBLE = 1, V_LONG = 2, V_BOOLEAN = 3 };

#define TRY(x) do { zl_err_t e_ = (x); if (e_) return e_; } while (0)

/* Room for n more bytes at b->data + b->len: the buffer is reused record
 * after record, so after the first few this is a comparison. */
static inline zl_err_t room(zl_buf_t *b, size_t n) {
    return b->len + n < b->cap && (!b->max || b->len + n <= b->max) ? ZL_OK : zl_buf_reserve(b, n);
}

static zl_err_t put_long(zl_buf_t *b, int64_t v) {
    TRY(room(b, 10));
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    uint8_t *p = b->data + b->len;
    while (z >= 0x80) {
        *p++ = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    *p++ = (uint8_t)z;
    b->len = (size_t)(p - b->data);
    return ZL_OK;
}

static zl_err_t put_bytes(zl_buf_t *b, const char *s, size_t n) {
    TRY(put_long(b, (int64_t)n));
    TRY(room(b, n));
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return ZL_OK;
}

static zl_err_t put_str(zl_buf_t *b, const char *s) {
    s = s ? s : "";
    return put_bytes(b, s, strlen(s));
}

static zl_err_t put_double(zl_buf_t *b, double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    TRY(room(b, 8));
    for (int i = 0; i < 8; i++) b->data[b->len++] = (uint8_t)(u >> (8 * i)); /* little endian */
    return ZL_OK;
}

/* AvroResource.type then .value, as avro_node.c's set_value() decides them;
 * the record writes type before value, so the type is worked out first. */
static zl_err_t put_type_value(zl_buf_t *b, const zl_value_t *v) {
    switch (v->type) {
    case ZL_T_FLOAT:
        TRY(put_long(b, ZL_T_FLOAT));
        TRY(put_long(b, V_DOUBLE));
        return put_double(b, v->u.f);
    case ZL_T_INTEGER:
        TRY(put_long(b, ZL_T_INTEGER));
        TRY(put_long(b, V_LONG));
        return put_long(b, v->u.i);
    case ZL_T_TIME: {
        int64_t ms;
        if (__builtin_mul_overflow(v->u.i, (int64_t)1000, &ms)) ms = v->u.i < 0 ? INT64_MIN : INT64_MAX;
        TRY(put_long(b, ZL_T_TIME));
        TRY(put_long(b, V_LONG));
        return put_long(b, ms);
    }
    case ZL_T_BOOLEAN:
        TRY(put_long(b, ZL_T_BOOLEAN));
        TRY(put_long(b, V_BOOLEAN));
        return zl_buf_putc(b, v->u.b ? 1 : 0);
    case ZL_T_OBJLNK: {
        char s[16];
        int n = snprintf(s, sizeof s, "%u:%u", (unsigned)v->u.lnk.oid, (unsigned)v->u.lnk.iid);
        TRY(put_long(b, ZL_T_OBJLNK));
        TRY(put_long(b, V_STRING));
        return put_bytes(b, s, (size_t)n);
    }
    case ZL_T_OPAQUE:
    case ZL_T_NONE: {
        zl_buf_t b64;
        zl_buf_init(&b64, 0);
        zl_err_t e = zl_base64_encode(v->bytes, v->len, &b64);
        const char *s = e ? NULL : zl_buf_cstr(&b64);
        if (!s) e = ZL_ERR_NOMEM;
        if (!e) e = put_long(b, ZL_T_OPAQUE);
        if (!e) e = put_long(b, V_STRING);
        if (!e) e = put_str(b, s);
        zl_buf_free(&b64);
        return e;
    }
    default: /* STRING, and anything else as its text */
        TRY(put_long(b, ZL_T_STRING));
        TRY(put_long(b, V_STRING));
        return put_str(b, v->bytes ? (const char *)v->bytes : "");
    }
}

/* AvroResource: id, path, kind, type, value. */
static zl_err_t put_resource(zl_buf_t *b, const zl_node_t *n, const char *path) {
    TRY(put_long(b, n->id));
    TRY(put_str(b, path));
    TRY(put_long(b, K_SINGLE));
    return put_type_value(b, &n->value);
}

/* The last child of n with n->children[i]'s id: a map keeps one entry per
 * key, the generic writer overwrote it in place with every later duplicate. */
static const zl_node_t *last_of_id(const zl_node_t *n, size_t i) {
    const zl_node_t *last = &n->children[i];
    for (size_t j = i + 1; j < n->n_children; j++)
        if (n->children[j].id == last->id) last = &n->children[j];
    return last;
}

static bool seen_before(const zl_node_t *n, size_t i) {
    for (size_t j = 0; j < i; j++)
        if (n->children[j].id == n->children[i].id) return true;
    return false;
}

/* AvroMultipleResource: id, path, kind, type, resources (map id -> AvroResource).
 * own_path is the record's path field, path the one its instances' derive from
 * (they differ only under a content path). */
static zl_err_t put_multi(zl_buf_t *b, const zl_node_t *n, const char *own_path, const char *path) {
    zl_type_t t = n->n_children ? n->children[0].value.type : n->value.type;
    if (t == ZL_T_NONE) t = ZL_T_OPAQUE;
    TRY(put_long(b, n->id));
    TRY(put_str(b, own_path));
    TRY(put_long(b, K_MULTIPLE));
    TRY(put_long(b, t));
    size_t keys = 0;
    for (size_t i = 0; i < n->n_children; i++) keys += !seen_before(n, i);
    if (keys) {
        TRY(put_long(b, (int64_t)keys));
        for (size_t i = 0; i < n->n_children; i++) {
            if (seen_before(n, i)) continue;
            const zl_node_t *c = last_of_id(n, i);
            char key[12], cpath[600];
            int kl = snprintf(key, sizeof key, "%u", (unsigned)c->id);
            zl_avro_child_path(cpath, sizeof cpath, path, c->id);
            TRY(put_bytes(b, key, (size_t)kl));
            TRY(put_resource(b, c, cpath));
        }
    }
    return put_long(b, 0);
}

/* AvroInstanceResource: id, kind, resources (array), multipleResources (null | array). */
static zl_err_t put_instance(zl_buf_t *b, const zl_node_t *n, const char *path) {
    TRY(put_long(b, n->id));
    TRY(put_long(b, K_INSTANCE));
    size_t singles = 0, multis = 0;
    for (size_t i = 0; i < n->n_children; i++) {
        if (n->children[i].kind == ZL_N_MULTI) multis++;
        else singles++;
    }
    char cpath[600];
    if (singles) {
        TRY(put_long(b, (int64_t)singles));
        for (size_t i = 0; i < n->n_children; i++) {
            const zl_node_t *c = &n->children[i];
            if (c->kind == ZL_N_MULTI) continue;
            zl_avro_child_path(cpath, sizeof cpath, path, c->id);
            TRY(put_resource(b, c, cpath));
        }
    }
    TRY(put_long(b, 0));
    if (!multis) return put_long(b, 0); /* branch null */
    TRY(put_long(b, 1));
    TRY(put_long(b, (int64_t)multis));
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        if (c->kind != ZL_N_MULTI) continue;
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        TRY(put_multi(b, c, cpath, cpath));
    }
    return put_long(b, 0);
}

/* AvroObjectResource: id, kind, instances (array). */
static zl_err_t put_object(zl_buf_t *b, const zl_node_t *n, const char *path) {
    TRY(put_long(b, n->id));
    TRY(put_long(b, K_OBJECT));
    if (n->n_children) {
        TRY(put_long(b, (int64_t)n->n_children));
        for (size_t i = 0; i < n->n_children; i++) {
            char cpath[600];
            zl_avro_child_path(cpath, sizeof cpath, path, n->children[i].id);
            TRY(put_instance(b, &n->children[i], cpath));
        }
    }
    return put_long(b, 0);
}

/* AvroReadResponseBody.content: the branch for node's kind, its record. */
static zl_err_t put_content(zl_buf_t *b, const zl_node_t *node, const char *path, const char *content_path) {
    char npath[600];
    zl_avro_node_path(path, node, npath, sizeof npath);
    const char *p = content_path ? content_path : npath;
    switch (node->kind) {
    case ZL_N_OBJECT:
        if (content_path) return ZL_ERR_NOMEM; /* no path field: as zl_avro_put_str fails */
        TRY(put_long(b, CB_OBJECT));
        return put_object(b, node, npath);
    case ZL_N_INSTANCE:
        if (content_path) return ZL_ERR_NOMEM;
        TRY(put_long(b, CB_INSTANCE));
        return put_instance(b, node, npath);
    case ZL_N_MULTI:
        TRY(put_long(b, CB_MULTI));
        return put_multi(b, node, p, npath);
    case ZL_N_RESOURCE:
    case ZL_N_RES_INSTANCE:
        TRY(put_long(b, CB_RESOURCE));
        return put_resource(b, node, p);
    default:
        return ZL_ERR_INVALID;
    }
}

static size_t count_leaves(const zl_node_t *n) {
    size_t k = 0;
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        k += (c->kind == ZL_N_RESOURCE || c->kind == ZL_N_RES_INSTANCE) ? 1 : count_leaves(c);
    }
    return k;
}

static zl_err_t put_leaves(zl_buf_t *b, const zl_node_t *n, const char *path) {
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        char cpath[600];
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        if (c->kind == ZL_N_RESOURCE || c->kind == ZL_N_RES_INSTANCE) TRY(put_resource(b, c, cpath));
        else TRY(put_leaves(b, c, cpath));
    }
    return ZL_OK;
}

static zl_err_t put_body(zl_buf_t *b, const zl_rec_response_t *r) {
    const char *text = r->text;
    switch (r->body) {
    case ZL_BODY_READ:
        if (!r->content) return put_long(b, RB_NULL);
        TRY(put_long(b, RB_READ));
        return put_content(b, r->content, r->path, r->content_path);
    case ZL_BODY_DISCOVER:
        TRY(put_long(b, RB_DISCOVER));
        return put_str(b, text);
    case ZL_BODY_CREATE:
        TRY(put_long(b, RB_CREATE));
        return put_str(b, text);
    case ZL_BODY_GENERIC:
        TRY(put_long(b, RB_GENERIC));
        return put_str(b, text && *text ? text : zl_resp_code_name(r->code));
    default:
        return put_long(b, RB_NULL);
    }
}

zl_err_t zl_avro_bin_response(const zl_rec_response_t *r, zl_buf_t *out) {
    if ((unsigned)r->code >= ZL_RC__COUNT || (unsigned)r->kind >= ZL_RK__COUNT) return ZL_ERR_INVALID;
    if (r->body == ZL_BODY_READ && r->content && (unsigned)r->content->kind > ZL_N_RES_INSTANCE)
        return ZL_ERR_INVALID;
    if (r->values && (r->values->kind != ZL_N_OBJECT || r->values->id != ZL_SENML_ROOT_ID)) return ZL_ERR_INVALID;
    size_t mark = out->len;
    zl_err_t e = put_str(out, r->ticket ? r->ticket : "unset");
    if (!e && r->observation_id) e = put_str(out, r->observation_id);
    if (!e) e = put_str(out, r->server_id);
    if (!e) e = put_str(out, r->ep);
    if (!e) e = put_str(out, r->path);
    if (!e) e = put_long(out, r->timestamp);
    if (!e) e = put_long(out, (int64_t)r->code); /* rep.code */
    if (!e) e = put_long(out, (int64_t)r->kind); /* rep.kind */
    if (!e) e = put_body(out, r);
    if (!e && !r->values) e = put_long(out, 0); /* rep.resources: null */
    if (!e && r->values) {
        size_t n = count_leaves(r->values);
        e = put_long(out, 1);
        if (!e && n) e = put_long(out, (int64_t)n);
        if (!e) e = put_leaves(out, r->values, "");
        if (!e) e = put_long(out, 0);
    }
    if (e) out->len = mark;
    return e;
}
