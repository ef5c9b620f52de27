/* SPDX-License-Identifier: Apache-2.0 */
/* Responses and notifications written as Avro binary, or as Avro JSON text,
 * straight from the node tree, without building an avro-c value first.
 *
 * Why: every notification the gateway takes becomes an AvroResponseObserve.
 * Through avro-c's generic values that costs a value tree reset, a field
 * lookup by name per field (strcmp over the schema) and a walk of the tree to
 * write it: about a fifth of the gateway's CPU at 50,000 notifications/s.  The
 * schemas are ours (kafka/avro_schemas.c registers them), so their layout is
 * fixed.  One walk of the record (put_* below) drives an emitter with two
 * backends: binary (records are their fields in order, enums and union
 * branches zig-zag varints, strings a length and the bytes, arrays and maps
 * one block and a 0) and JSON (Avro's JSON encoding as zl_avro_write_json
 * writes it: field names, {"branch": value} for non-null union branches,
 * enum symbols; its string and number primitives, avro_jsonw.h).  The output
 * must be byte for byte what the generic path (serde.c + avro_node.c) writes:
 * tests/unit/test_avro_bin.c and fuzz_avro_bin compare the two in both
 * formats, so a schema change not mirrored here fails the tests. */
#include "kafka/avro_bin.h"

#include <stdio.h>
#include <string.h>
#include "kafka/avro_jsonw.h"
#include "kafka/avro_node.h"
#include "lwm2m/base64.h"
#include "lwm2m/senml.h"

/* AvroResponsePayload.body and AvroReadResponseBody.content branches */
enum { RB_NULL = 0, RB_READ = 1, RB_DISCOVER = 2, RB_CREATE = 3, RB_GENERIC = 4 };
enum { CB_OBJECT = 0, CB_INSTANCE = 1, CB_RESOURCE = 2, CB_MULTI = 3 };
/* AvroResourceKind ordinals and AvroResource.value branches */
enum { K_OBJECT = 0, K_INSTANCE = 1, K_MULTIPLE = 2, K_SINGLE = 3 };
enum { V_STRING = 0, V_DOUBLE = 1, V_LONG = 2, V_BOOLEAN = 3 };

#define NS_RES "io.zeelos.leshan.avro.resource."
#define NS_REP "io.zeelos.leshan.avro.response."
static const char *const body_branch[] = {NULL, NS_REP "AvroReadResponseBody", NS_REP "AvroDiscoverResponse",
                                          NS_REP "AvroCreateResponse", NS_REP "AvroGenericResponse"};
static const char *const content_branch[] = {NS_RES "AvroObjectResource", NS_RES "AvroInstanceResource",
                                             NS_RES "AvroResource", NS_RES "AvroMultipleResource"};
static const char *const value_branch[] = {"string", "double", "long", "boolean"};
static const char *const kind_sym[] = {"OBJECT", "INSTANCE", "MULTIPLE_RESOURCE", "SINGLE_RESOURCE"};
static const char *const type_sym[] = {"STRING", "FLOAT", "INTEGER", "BOOLEAN", "OPAQUE", "TIME", "OBJLNK"};

/* The emitter: out is the buffer in binary mode, jw.b in JSON mode; the
 * first error sticks (jw.fail) and later calls do nothing. */
typedef struct {
    bool json;
    zl_jw_t jw;
    int depth;           /* JSON: nesting, for the separators */
    bool first[32];      /* JSON: nothing written yet at this depth (records nest 14 deep) */
} emit_t;

static zl_buf_t *buf(emit_t *e) { return e->jw.b; }

/* Room for n more bytes: the buffer is reused record after record, so after
 * the first few this is a comparison. */
static bool room(emit_t *e, size_t n) {
    zl_buf_t *b = buf(e);
    if (e->jw.fail) return false;
    if (b->len + n < b->cap && (!b->max || b->len + n <= b->max)) return true;
    zl_err_t r = zl_buf_reserve(b, n);
    if (r) e->jw.fail = r;
    return !r;
}

static void raw(emit_t *e, const char *s, size_t n) { zl_jw_put(&e->jw, s, n); }

static void bin_long(emit_t *e, int64_t v) {
    if (!room(e, 10)) return;
    zl_buf_t *b = buf(e);
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    uint8_t *p = b->data + b->len;
    while (z >= 0x80) {
        *p++ = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    *p++ = (uint8_t)z;
    b->len = (size_t)(p - b->data);
}

/* JSON separators: a comma before every element but the first of its level. */
static void sep(emit_t *e) {
    if (!e->json) return;
    if (!e->first[e->depth]) raw(e, ",", 1);
    e->first[e->depth] = false;
}

static void open_(emit_t *e, const char *c) {
    if (!e->json) return;
    raw(e, c, 1);
    if (e->depth + 1 < (int)sizeof e->first) e->depth++;
    else e->jw.fail = 1;
    e->first[e->depth] = true;
}

static void close_(emit_t *e, const char *c) {
    if (!e->json) return;
    raw(e, c, 1);
    e->depth--;
}

static void field(emit_t *e, const char *name) {
    if (!e->json) return;
    sep(e);
    raw(e, "\"", 1);
    raw(e, name, strlen(name));
    raw(e, "\":", 2);
}

static void put_long(emit_t *e, int64_t v) {
    if (e->json) zl_jw_int(&e->jw, v);
    else bin_long(e, v);
}

static void put_bytes(emit_t *e, const char *s, size_t n) {
    if (e->json) {
        zl_jw_string(&e->jw, s, n);
        return;
    }
    bin_long(e, (int64_t)n);
    if (!room(e, n)) return;
    memcpy(buf(e)->data + buf(e)->len, s, n);
    buf(e)->len += n;
}

static void put_str(emit_t *e, const char *s) {
    s = s ? s : "";
    put_bytes(e, s, strlen(s));
}

static void put_enum(emit_t *e, int i, const char *sym) {
    if (e->json) {
        raw(e, "\"", 1);
        raw(e, sym, strlen(sym));
        raw(e, "\"", 1);
    } else {
        bin_long(e, i);
    }
}

/* A union's branch i named name (NULL: the null branch, written as null). */
static void union_begin(emit_t *e, int i, const char *name) {
    if (!e->json) {
        bin_long(e, i);
    } else if (!name) {
        raw(e, "null", 4);
    } else {
        open_(e, "{");
        field(e, name);
    }
}

static void union_end(emit_t *e, const char *name) {
    if (name) close_(e, "}");
}

/* Arrays and maps of count items: one block, then the 0 that ends it. */
static void block_begin(emit_t *e, size_t count, const char *c) {
    if (e->json) open_(e, c);
    else if (count) bin_long(e, (int64_t)count);
}

static void block_end(emit_t *e, const char *c) {
    if (e->json) close_(e, c);
    else bin_long(e, 0);
}

static void item(emit_t *e) { sep(e); }

static void map_key(emit_t *e, const char *k, size_t n) {
    if (e->json) {
        sep(e);
        raw(e, "\"", 1);
        raw(e, k, n);
        raw(e, "\":", 2);
    } else {
        put_bytes(e, k, n);
    }
}

static void put_double(emit_t *e, double d) {
    if (e->json) {
        zl_jw_real(&e->jw, d);
        return;
    }
    if (!room(e, 8)) return;
    uint64_t u;
    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++) buf(e)->data[buf(e)->len++] = (uint8_t)(u >> (8 * i)); /* little endian */
}

/* AvroResource.type then .value, as avro_node.c's set_value() decides them;
 * the record writes type before value, so the type is worked out first. */
static void put_type_value(emit_t *e, const zl_value_t *v) {
    int vb;
    char s[16];
    zl_buf_t b64;
    const char *text = NULL;
    size_t tl = 0;
    zl_type_t t = v->type;
    switch (t) {
    case ZL_T_FLOAT: vb = V_DOUBLE; break;
    case ZL_T_INTEGER:
    case ZL_T_TIME: vb = V_LONG; break;
    case ZL_T_BOOLEAN: vb = V_BOOLEAN; break;
    case ZL_T_OBJLNK:
        vb = V_STRING;
        tl = (size_t)snprintf(s, sizeof s, "%u:%u", (unsigned)v->u.lnk.oid, (unsigned)v->u.lnk.iid);
        text = s;
        break;
    case ZL_T_OPAQUE:
    case ZL_T_NONE:
        vb = V_STRING;
        t = ZL_T_OPAQUE;
        zl_buf_init(&b64, 0);
        if (zl_base64_encode(v->bytes, v->len, &b64) || !(text = zl_buf_cstr(&b64))) {
            zl_buf_free(&b64);
            e->jw.fail = ZL_ERR_NOMEM;
            return;
        }
        tl = b64.len;
        break;
    default: /* STRING, and anything else as its text */
        vb = V_STRING;
        t = ZL_T_STRING;
        text = v->bytes ? (const char *)v->bytes : "";
        tl = strlen(text);
        break;
    }
    field(e, "type");
    put_enum(e, (int)t, type_sym[t]);
    field(e, "value");
    union_begin(e, vb, value_branch[vb]);
    if (vb == V_DOUBLE) {
        put_double(e, v->u.f);
    } else if (vb == V_BOOLEAN) {
        if (e->json) raw(e, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
        else if (room(e, 1)) buf(e)->data[buf(e)->len++] = v->u.b ? 1 : 0;
    } else if (vb == V_LONG) {
        int64_t ms = v->u.i;
        if (v->type == ZL_T_TIME && __builtin_mul_overflow(v->u.i, (int64_t)1000, &ms))
            ms = v->u.i < 0 ? INT64_MIN : INT64_MAX;
        put_long(e, ms);
    } else {
        put_bytes(e, text, tl);
    }
    union_end(e, value_branch[vb]);
    if (v->type == ZL_T_OPAQUE || v->type == ZL_T_NONE) zl_buf_free(&b64);
}

/* Opens a node record: its id, its path (resources only: NULL for instances
 * and objects) and its kind, the fields every node record starts with. */
static void record_head(emit_t *e, uint16_t id, const char *path, int kind) {
    open_(e, "{");
    field(e, "id");
    put_long(e, id);
    if (path) {
        field(e, "path");
        put_str(e, path);
    }
    field(e, "kind");
    put_enum(e, kind, kind_sym[kind]);
}

/* AvroResource: id, path, kind, type, value. */
static void put_resource(emit_t *e, const zl_node_t *n, const char *path) {
    record_head(e, n->id, path, K_SINGLE);
    put_type_value(e, &n->value);
    close_(e, "}");
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
static void put_multi(emit_t *e, const zl_node_t *n, const char *own_path, const char *path) {
    zl_type_t t = n->n_children ? n->children[0].value.type : n->value.type;
    if (t == ZL_T_NONE || (unsigned)t > ZL_T_OBJLNK) t = ZL_T_OPAQUE;
    record_head(e, n->id, own_path, K_MULTIPLE);
    field(e, "type");
    put_enum(e, (int)t, type_sym[t]);
    field(e, "resources");
    size_t keys = 0;
    for (size_t i = 0; i < n->n_children; i++) keys += !seen_before(n, i);
    block_begin(e, keys, "{");
    for (size_t i = 0; i < n->n_children; i++) {
        if (seen_before(n, i)) continue;
        const zl_node_t *c = last_of_id(n, i);
        char key[12], cpath[600];
        int kl = snprintf(key, sizeof key, "%u", (unsigned)c->id);
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        map_key(e, key, (size_t)kl);
        put_resource(e, c, cpath);
    }
    block_end(e, "}");
    close_(e, "}");
}

/* AvroInstanceResource: id, kind, resources (array), multipleResources (null | array). */
static void put_instance(emit_t *e, const zl_node_t *n, const char *path) {
    size_t singles = 0, multis = 0;
    for (size_t i = 0; i < n->n_children; i++) {
        if (n->children[i].kind == ZL_N_MULTI) multis++;
        else singles++;
    }
    char cpath[600];
    record_head(e, n->id, NULL, K_INSTANCE);
    field(e, "resources");
    block_begin(e, singles, "[");
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        if (c->kind == ZL_N_MULTI) continue;
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        item(e);
        put_resource(e, c, cpath);
    }
    block_end(e, "]");
    field(e, "multipleResources");
    const char *arr = multis ? "array" : NULL;
    union_begin(e, multis ? 1 : 0, arr);
    if (multis) {
        block_begin(e, multis, "[");
        for (size_t i = 0; i < n->n_children; i++) {
            const zl_node_t *c = &n->children[i];
            if (c->kind != ZL_N_MULTI) continue;
            zl_avro_child_path(cpath, sizeof cpath, path, c->id);
            item(e);
            put_multi(e, c, cpath, cpath);
        }
        block_end(e, "]");
    }
    union_end(e, arr);
    close_(e, "}");
}

/* AvroObjectResource: id, kind, instances (array). */
static void put_object(emit_t *e, const zl_node_t *n, const char *path) {
    record_head(e, n->id, NULL, K_OBJECT);
    field(e, "instances");
    block_begin(e, n->n_children, "[");
    for (size_t i = 0; i < n->n_children; i++) {
        char cpath[600];
        zl_avro_child_path(cpath, sizeof cpath, path, n->children[i].id);
        item(e);
        put_instance(e, &n->children[i], cpath);
    }
    block_end(e, "]");
    close_(e, "}");
}

/* AvroReadResponseBody.content: the branch for node's kind, its record. */
static void put_content(emit_t *e, const zl_node_t *node, const char *path, const char *content_path) {
    char npath[600];
    zl_avro_node_path(path, node, npath, sizeof npath);
    const char *p = content_path ? content_path : npath;
    int cb = node->kind == ZL_N_OBJECT ? CB_OBJECT : node->kind == ZL_N_INSTANCE ? CB_INSTANCE
           : node->kind == ZL_N_MULTI ? CB_MULTI : CB_RESOURCE;
    if (content_path && (cb == CB_OBJECT || cb == CB_INSTANCE)) {
        e->jw.fail = ZL_ERR_NOMEM; /* no path field to hold it: as zl_avro_put_str fails */
        return;
    }
    union_begin(e, cb, content_branch[cb]);
    switch (cb) {
    case CB_OBJECT: put_object(e, node, npath); break;
    case CB_INSTANCE: put_instance(e, node, npath); break;
    case CB_MULTI: put_multi(e, node, p, npath); break;
    default: put_resource(e, node, p); break;
    }
    union_end(e, content_branch[cb]);
}

static size_t count_leaves(const zl_node_t *n) {
    size_t k = 0;
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        k += (c->kind == ZL_N_RESOURCE || c->kind == ZL_N_RES_INSTANCE) ? 1 : count_leaves(c);
    }
    return k;
}

static void put_leaves(emit_t *e, const zl_node_t *n, const char *path) {
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        char cpath[600];
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        if (c->kind == ZL_N_RESOURCE || c->kind == ZL_N_RES_INSTANCE) {
            item(e);
            put_resource(e, c, cpath);
        } else {
            put_leaves(e, c, cpath);
        }
    }
}

/* AvroResponsePayload.body */
static void put_body(emit_t *e, const zl_rec_response_t *r) {
    int bb = r->body == ZL_BODY_READ ? (r->content ? RB_READ : RB_NULL)
           : (r->body >= ZL_BODY_DISCOVER && r->body <= ZL_BODY_GENERIC) ? (int)r->body : RB_NULL;
    union_begin(e, bb, body_branch[bb]);
    if (bb != RB_NULL) {
        open_(e, "{");
        switch (bb) {
        case RB_READ:
            field(e, "content");
            put_content(e, r->content, r->path, r->content_path);
            break;
        case RB_DISCOVER:
            field(e, "objectLinks");
            put_str(e, r->text);
            break;
        case RB_CREATE:
            field(e, "location");
            put_str(e, r->text);
            break;
        default:
            field(e, "message");
            put_str(e, r->text && *r->text ? r->text : zl_resp_code_name(r->code));
            break;
        }
        close_(e, "}");
    }
    union_end(e, body_branch[bb]);
}

zl_err_t zl_avro_bin_response(const zl_rec_response_t *r, bool json, zl_buf_t *out) {
    if ((unsigned)r->code >= ZL_RC__COUNT || (unsigned)r->kind >= ZL_RK__COUNT) return ZL_ERR_INVALID;
    if (r->body == ZL_BODY_READ && r->content && (unsigned)r->content->kind > ZL_N_RES_INSTANCE)
        return ZL_ERR_INVALID;
    if (r->values && (r->values->kind != ZL_N_OBJECT || r->values->id != ZL_SENML_ROOT_ID)) return ZL_ERR_INVALID;
    size_t mark = out->len;
    char err[8];
    emit_t e = {.json = json, .jw = {out, err, sizeof err, 0}};
    open_(&e, "{");
    field(&e, "ticket");
    put_str(&e, r->ticket ? r->ticket : "unset");
    if (r->observation_id) {
        field(&e, "observationId");
        put_str(&e, r->observation_id);
    }
    field(&e, "serverId");
    put_str(&e, r->server_id);
    field(&e, "ep");
    put_str(&e, r->ep);
    field(&e, "path");
    put_str(&e, r->path);
    field(&e, "timestamp");
    put_long(&e, r->timestamp);
    field(&e, "rep");
    open_(&e, "{");
    field(&e, "code");
    put_enum(&e, (int)r->code, zl_resp_code_name(r->code));
    field(&e, "kind");
    put_enum(&e, (int)r->kind, zl_req_kind_name(r->kind));
    field(&e, "body");
    put_body(&e, r);
    field(&e, "resources");
    const char *arr = r->values ? "array" : NULL;
    union_begin(&e, r->values ? 1 : 0, arr);
    if (r->values) {
        block_begin(&e, count_leaves(r->values), "[");
        put_leaves(&e, r->values, "");
        block_end(&e, "]");
    }
    union_end(&e, arr);
    close_(&e, "}");
    close_(&e, "}");
    if (!e.jw.fail) return ZL_OK;
    out->len = mark;
    return e.jw.fail == ZL_ERR_TOO_LARGE ? ZL_ERR_TOO_LARGE : e.jw.fail == 1 ? ZL_ERR_INVALID : ZL_ERR_NOMEM;
}
