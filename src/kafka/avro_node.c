/* SPDX-License-Identifier: Apache-2.0 */
/* Node tree <-> zeelos Avro resource records.  Encoding follows the Java
 * LwM2mNodeSerDes (contract §4.4) with two deliberate fixes: OBJLNK values are
 * sent as "oid:iid" strings (the original threw and lost the message) and
 * untyped values (ZL_T_NONE) go out as Base64 OPAQUE.  Decoding converts
 * OPAQUE (Base64) and TIME (ms) back to device representation, which the
 * original did not (contract §13 quirk 6). */
#include "kafka/avro_node.h"

#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kafka/avro_util.h"
#include "lwm2m/base64.h"
#include "lwm2m/path.h"
#include "lwm2m/senml.h"
#include "common/buf.h"

/* AvroResourceKind ordinals */
enum { K_OBJECT = 0, K_INSTANCE = 1, K_MULTIPLE = 2, K_SINGLE = 3 };
/* Branches of AvroResource.value: ["string","double","long","boolean"] */
enum { V_STRING = 0, V_DOUBLE = 1, V_LONG = 2, V_BOOLEAN = 3 };

#define TRY(x) do { if ((x) != 0) return ZL_ERR_NOMEM; } while (0)

static const char *rec_name(const avro_value_t *v) {
    avro_schema_t s = zl_avro_deref(avro_value_get_schema(v));
    return (s && is_avro_record(s)) ? avro_schema_name(s) : "";
}

/* ---- encode --------------------------------------------------------------- */

static zl_err_t set_value(avro_value_t *rec, const zl_value_t *v) {
    avro_value_t u, b;
    zl_type_t t = v->type;
    TRY(zl_avro_get_field(rec, "value", &u, NULL));
    switch (t) {
    case ZL_T_FLOAT:
        TRY(avro_value_set_branch(&u, V_DOUBLE, &b));
        TRY(avro_value_set_double(&b, v->u.f));
        break;
    case ZL_T_INTEGER:
        TRY(avro_value_set_branch(&u, V_LONG, &b));
        TRY(avro_value_set_long(&b, v->u.i));
        break;
    case ZL_T_TIME: {
        int64_t ms;
        if (__builtin_mul_overflow(v->u.i, (int64_t)1000, &ms)) ms = v->u.i < 0 ? INT64_MIN : INT64_MAX;
        TRY(avro_value_set_branch(&u, V_LONG, &b));
        TRY(avro_value_set_long(&b, ms));
        break;
    }
    case ZL_T_BOOLEAN:
        TRY(avro_value_set_branch(&u, V_BOOLEAN, &b));
        TRY(avro_value_set_boolean(&b, v->u.b));
        break;
    case ZL_T_OBJLNK: {
        char s[16];
        snprintf(s, sizeof s, "%u:%u", (unsigned)v->u.lnk.oid, (unsigned)v->u.lnk.iid);
        TRY(avro_value_set_branch(&u, V_STRING, &b));
        TRY(avro_value_set_string(&b, s));
        break;
    }
    case ZL_T_OPAQUE:
    case ZL_T_NONE: {
        zl_buf_t b64;
        zl_buf_init(&b64, 0);
        zl_err_t e = zl_base64_encode(v->bytes, v->len, &b64);
        const char *s = e ? NULL : zl_buf_cstr(&b64);
        int rc = s ? avro_value_set_branch(&u, V_STRING, &b) || avro_value_set_string(&b, s) : 1;
        zl_buf_free(&b64);
        if (rc) return ZL_ERR_NOMEM;
        t = ZL_T_OPAQUE;
        break;
    }
    default: /* STRING */
        TRY(avro_value_set_branch(&u, V_STRING, &b));
        TRY(avro_value_set_string(&b, v->bytes ? (const char *)v->bytes : ""));
        t = ZL_T_STRING;
        break;
    }
    return zl_avro_put_enum(rec, "type", (int)t);
}

/* child path "<path>/<id>"; truncation is impossible in practice (paths are
 * at most 4 ids) but is handled by the size check rather than assumed */
/* "/<id>" at out (room for 7 bytes incl. NUL); returns the length written */
static size_t put_id(char *out, unsigned id) {
    char d[6];
    int k = sizeof d;
    do d[--k] = (char)('0' + id % 10); while (id /= 10);
    out[0] = '/';
    memcpy(out + 1, d + k, sizeof d - (size_t)k);
    out[1 + sizeof d - (size_t)k] = 0;
    return 1 + sizeof d - (size_t)k;
}

void zl_avro_child_path(char *out, size_t sz, const char *path, uint16_t id) {
    size_t l = strlen(path);
    if (l + 7 > sz) l = sz > 7 ? sz - 7 : 0;
    memcpy(out, path, l);
    put_id(out + l, id);
}

static zl_err_t enc_resource(avro_value_t *rec, const zl_node_t *n, const char *path) {
    zl_err_t e;
    if ((e = zl_avro_put_int(rec, "id", n->id)) || (e = zl_avro_put_str(rec, "path", path)) ||
        (e = zl_avro_put_enum(rec, "kind", K_SINGLE)))
        return e;
    return set_value(rec, &n->value);
}

static zl_err_t enc_multi(avro_value_t *rec, const zl_node_t *n, const char *path) {
    zl_err_t e;
    zl_type_t t = n->n_children ? n->children[0].value.type : n->value.type;
    if (t == ZL_T_NONE) t = ZL_T_OPAQUE;
    if ((e = zl_avro_put_int(rec, "id", n->id)) || (e = zl_avro_put_str(rec, "path", path)) ||
        (e = zl_avro_put_enum(rec, "kind", K_MULTIPLE)) || (e = zl_avro_put_enum(rec, "type", (int)t)))
        return e;
    avro_value_t map;
    TRY(zl_avro_get_field(rec, "resources", &map, NULL));
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        char key[8], cpath[600];
        avro_value_t r;
        char kb[8];
        size_t kl = put_id(kb, c->id);
        memcpy(key, kb + 1, kl); /* without the '/', with the NUL */
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        TRY(avro_value_add(&map, key, &r, NULL, NULL));
        if ((e = enc_resource(&r, c, cpath))) return e;
    }
    return ZL_OK;
}

static zl_err_t enc_instance(avro_value_t *rec, const zl_node_t *n, const char *path) {
    zl_err_t e;
    if ((e = zl_avro_put_int(rec, "id", n->id)) || (e = zl_avro_put_enum(rec, "kind", K_INSTANCE)))
        return e;
    avro_value_t arr, mu, marr;
    size_t n_multi = 0;
    TRY(zl_avro_get_field(rec, "resources", &arr, NULL));
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        if (c->kind == ZL_N_MULTI) { n_multi++; continue; }
        char cpath[600];
        avro_value_t r;
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        TRY(avro_value_append(&arr, &r, NULL));
        if ((e = enc_resource(&r, c, cpath))) return e;
    }
    TRY(zl_avro_get_field(rec, "multipleResources", &mu, NULL));
    if (!n_multi) {
        TRY(avro_value_set_branch(&mu, 0, &marr));
        TRY(avro_value_set_null(&marr));
        return ZL_OK;
    }
    TRY(avro_value_set_branch(&mu, 1, &marr));
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        if (c->kind != ZL_N_MULTI) continue;
        char cpath[600];
        avro_value_t r;
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        TRY(avro_value_append(&marr, &r, NULL));
        if ((e = enc_multi(&r, c, cpath))) return e;
    }
    return ZL_OK;
}

static zl_err_t enc_object(avro_value_t *rec, const zl_node_t *n, const char *path) {
    zl_err_t e;
    if ((e = zl_avro_put_int(rec, "id", n->id)) || (e = zl_avro_put_enum(rec, "kind", K_OBJECT))) return e;
    avro_value_t arr;
    TRY(zl_avro_get_field(rec, "instances", &arr, NULL));
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        char cpath[600];
        avro_value_t r;
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        TRY(avro_value_append(&arr, &r, NULL));
        if ((e = enc_instance(&r, c, cpath))) return e;
    }
    return ZL_OK;
}

static int node_depth(zl_node_kind_t k) {
    switch (k) {
    case ZL_N_OBJECT: return 1;
    case ZL_N_INSTANCE: return 2;
    case ZL_N_MULTI:
    case ZL_N_RESOURCE: return 3;
    default: return 4;
    }
}

/* The node's own path: the first depth-1 segments of the request path, then
 * the node id ("/3/0" + node RESOURCE 1 -> "/3/0/1"). */
void zl_avro_node_path(const char *req_path, const zl_node_t *n, char *out, size_t sz) {
    size_t o = 0;
    int want = node_depth(n->kind) - 1, have = 0;
    const char *p = req_path ? req_path : "";
    out[0] = 0;
    while (*p && have < want) {
        while (*p == '/') p++;
        const char *s = p;
        while (*p && *p != '/') p++;
        if (p == s) break;
        size_t w = 1 + (size_t)(p - s);
        if (w >= sz - o) break;
        out[o] = '/';
        memcpy(out + o + 1, s, w - 1);
        o += w;
        out[o] = 0;
        have++;
    }
    char idb[8];
    size_t il = put_id(idb, n->id);
    if (il >= sz - o) il = sz - o - 1; /* truncated, as snprintf did */
    memcpy(out + o, idb, il);
    out[o + il] = 0;
}

static int find_branch(const avro_value_t *u, const char *name) {
    avro_schema_t s = zl_avro_deref(avro_value_get_schema(u));
    if (!s || !is_avro_union(s)) return -1;
    size_t nb = avro_schema_union_size(s);
    for (size_t i = 0; i < nb; i++) {
        avro_schema_t b = zl_avro_deref(avro_schema_union_branch(s, (int)i));
        if (b && is_avro_record(b) && strcmp(avro_schema_name(b), name) == 0) return (int)i;
    }
    return -1;
}

zl_err_t zl_avro_node_to_union(avro_value_t *u, const zl_node_t *node, const char *path) {
    static const char *const names[] = {"AvroObjectResource", "AvroInstanceResource",
                                        "AvroMultipleResource", "AvroResource", "AvroResource"};
    if (!node || (unsigned)node->kind > ZL_N_RES_INSTANCE) return ZL_ERR_INVALID;
    int bi = find_branch(u, names[node->kind]);
    if (bi < 0) return ZL_ERR_INVALID;
    avro_value_t rec;
    TRY(avro_value_set_branch(u, bi, &rec));
    char npath[600];
    zl_avro_node_path(path, node, npath, sizeof npath);
    switch (node->kind) {
    case ZL_N_OBJECT: return enc_object(&rec, node, npath);
    case ZL_N_INSTANCE: return enc_instance(&rec, node, npath);
    case ZL_N_MULTI: return enc_multi(&rec, node, npath);
    default: return enc_resource(&rec, node, npath);
    }
}

zl_err_t zl_avro_instance_to_record(avro_value_t *rec, const zl_node_t *node, const char *path) {
    if (!node || node->kind != ZL_N_INSTANCE) return ZL_ERR_INVALID;
    char npath[600];
    zl_avro_node_path(path, node, npath, sizeof npath);
    return enc_instance(rec, node, npath);
}

/* Appends every leaf under n (whose own path is path) to arr. */
static zl_err_t enc_leaves(avro_value_t *arr, const zl_node_t *n, const char *path) {
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        char cpath[600];
        zl_avro_child_path(cpath, sizeof cpath, path, c->id);
        zl_err_t e;
        if (c->kind == ZL_N_RESOURCE || c->kind == ZL_N_RES_INSTANCE) {
            avro_value_t r;
            TRY(avro_value_append(arr, &r, NULL));
            e = enc_resource(&r, c, cpath);
        } else {
            e = enc_leaves(arr, c, cpath);
        }
        if (e) return e;
    }
    return ZL_OK;
}

zl_err_t zl_avro_leaves_to_array(avro_value_t *arr, const zl_node_t *root) {
    if (!root || root->kind != ZL_N_OBJECT || root->id != ZL_SENML_ROOT_ID) return ZL_ERR_INVALID;
    return enc_leaves(arr, root, "");
}

/* ---- decode --------------------------------------------------------------- */

typedef struct {
    char *err;
    size_t n;
} dctx_t;

static zl_err_t dfail(dctx_t *d, const char *where, const char *msg) {
    snprintf(d->err, d->n, "%s: %s", where, msg);
    return ZL_ERR_INVALID;
}

static zl_err_t get_field(dctx_t *d, const avro_value_t *rec, const char *name, avro_value_t *f,
                          const char *where) {
    if (zl_avro_get_field(rec, name, f, NULL) != 0) {
        char w[300];
        snprintf(w, sizeof w, "%.230s.%.60s", where, name);
        return dfail(d, w, "missing field");
    }
    return ZL_OK;
}

static zl_err_t get_id(dctx_t *d, const avro_value_t *rec, const char *where, uint16_t *id) {
    avro_value_t f;
    int32_t i = 0;
    zl_err_t e = get_field(d, rec, "id", &f, where);
    if (e) return e;
    char w[300];
    snprintf(w, sizeof w, "%s.id", where);
    if (avro_value_get_int(&f, &i)) return dfail(d, w, "expected int");
    if (i < 0 || i > 65535) return dfail(d, w, "out of range 0..65535");
    *id = (uint16_t)i;
    return ZL_OK;
}

/* A long, or a double with an integral value in range: writers that pick the
 * union branch by Python/JS number type (fastavro puts 42 in "double") are
 * not wrong about the value. */
static bool get_integral(const avro_value_t *b, avro_type_t bt, int64_t *out) {
    double x = 0;
    if (bt == AVRO_INT64) return avro_value_get_long(b, out) == 0;
    if (bt != AVRO_DOUBLE || avro_value_get_double(b, &x) || x != trunc(x) || x < -9.2e18 || x > 9.2e18)
        return false;
    *out = (int64_t)x;
    return true;
}

static zl_err_t dec_value(dctx_t *d, const avro_value_t *rec, zl_value_t *out, const char *where) {
    avro_value_t f, u, b;
    int type = 0, disc = -1;
    zl_err_t e;
    char w[300];
    if ((e = get_field(d, rec, "type", &f, where))) return e;
    snprintf(w, sizeof w, "%s.type", where);
    if (avro_value_get_enum(&f, &type) || type < 0 || type > ZL_T_OBJLNK)
        return dfail(d, w, "expected an AvroType symbol");
    if ((e = get_field(d, rec, "value", &u, where))) return e;
    snprintf(w, sizeof w, "%s.value", where);
    if (avro_value_get_discriminant(&u, &disc) || avro_value_get_current_branch(&u, &b))
        return dfail(d, w, "no value");
    avro_type_t bt = avro_value_get_type(&b);
    const char *s = NULL;
    size_t sl = 0;
    if (bt == AVRO_STRING) {
        avro_value_get_string(&b, &s, &sl);
        sl = sl ? sl - 1 : 0;
        if (!s) s = "";
    }
    memset(out, 0, sizeof *out);
    out->type = (zl_type_t)type;
    char msg[96];
    snprintf(msg, sizeof msg, "expected a %s value for type %s",
             type == ZL_T_BOOLEAN ? "boolean"
             : type == ZL_T_FLOAT ? "double or long"
             : (type == ZL_T_INTEGER || type == ZL_T_TIME) ? "long (or integral double)" : "string",
             zl_type_name((zl_type_t)type));
    switch ((zl_type_t)type) {
    case ZL_T_STRING:
        if (bt != AVRO_STRING) return dfail(d, w, msg);
        return zl_value_set_bytes(out, ZL_T_STRING, s, sl);
    case ZL_T_INTEGER:
        if (!get_integral(&b, bt, &out->u.i)) return dfail(d, w, msg);
        return ZL_OK;
    case ZL_T_TIME: {
        int64_t ms = 0;
        if (!get_integral(&b, bt, &ms)) return dfail(d, w, msg);
        out->u.i = ms / 1000;
        return ZL_OK;
    }
    case ZL_T_FLOAT:
        if (bt == AVRO_DOUBLE) {
            avro_value_get_double(&b, &out->u.f);
        } else if (bt == AVRO_INT64) {
            int64_t l = 0;
            avro_value_get_long(&b, &l);
            out->u.f = (double)l;
        } else {
            return dfail(d, w, msg);
        }
        return ZL_OK;
    case ZL_T_BOOLEAN: {
        int bv = 0;
        if (bt != AVRO_BOOLEAN || avro_value_get_boolean(&b, &bv)) return dfail(d, w, msg);
        out->u.b = bv != 0;
        return ZL_OK;
    }
    case ZL_T_OPAQUE: {
        if (bt != AVRO_STRING) return dfail(d, w, msg);
        zl_buf_t raw;
        zl_buf_init(&raw, 0);
        e = zl_base64_decode(s, sl, &raw);
        if (e == ZL_OK) e = zl_value_set_bytes(out, ZL_T_OPAQUE, raw.data, raw.len);
        zl_buf_free(&raw);
        if (e == ZL_ERR_INVALID) return dfail(d, w, "OPAQUE value is not valid Base64");
        return e;
    }
    case ZL_T_OBJLNK: {
        unsigned a, c;
        int used = 0;
        if (bt != AVRO_STRING) return dfail(d, w, msg);
        if (sscanf(s, "%5u:%5u%n", &a, &c, &used) != 2 || (size_t)used != sl || a > 65535 ||
            c > 65535 || s[0] < '0' || s[0] > '9')
            return dfail(d, w, "OBJLNK value must be \"oid:iid\"");
        out->u.lnk.oid = (uint16_t)a;
        out->u.lnk.iid = (uint16_t)c;
        return ZL_OK;
    }
    default:
        return dfail(d, w, "unknown type");
    }
}

static zl_err_t dec_record(dctx_t *d, const avro_value_t *rec, zl_node_t *node, const char *where);

static zl_err_t dec_resource(dctx_t *d, const avro_value_t *rec, zl_node_t *node, const char *where) {
    zl_err_t e = get_id(d, rec, where, &node->id);
    if (e) return e;
    return dec_value(d, rec, &node->value, where);
}

static zl_err_t dec_multi(dctx_t *d, const avro_value_t *rec, zl_node_t *node, const char *where) {
    zl_err_t e = get_id(d, rec, where, &node->id);
    avro_value_t f, map;
    int type = 0;
    if (e || (e = get_field(d, rec, "type", &f, where))) return e;
    if (avro_value_get_enum(&f, &type) == 0 && type >= 0 && type <= ZL_T_OBJLNK)
        node->value.type = (zl_type_t)type;
    if ((e = get_field(d, rec, "resources", &map, where))) return e;
    size_t cnt = 0;
    avro_value_get_size(&map, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        avro_value_t r;
        const char *key = NULL;
        char w[300];
        if (avro_value_get_by_index(&map, i, &r, &key)) return ZL_ERR_NOMEM;
        snprintf(w, sizeof w, "%s.resources[\"%.40s\"]", where, key ? key : "");
        char *end = NULL;
        errno = 0;
        unsigned long ri = key ? strtoul(key, &end, 10) : 0;
        if (!key || !*key || *end || errno || ri > 65535 || key[0] < '0' || key[0] > '9')
            return dfail(d, w, "map key must be a resource instance id 0..65535");
        zl_node_t *c = zl_node_add_child(node, ZL_N_RES_INSTANCE, (uint16_t)ri);
        if (!c) return ZL_ERR_NOMEM;
        /* the map key is authoritative for the instance id; the record's own
         * id field is checked for type/range only */
        uint16_t ignored;
        if ((e = get_id(d, &r, w, &ignored)) || (e = dec_value(d, &r, &c->value, w))) return e;
    }
    return ZL_OK;
}

typedef zl_err_t (*dec_fn)(dctx_t *, const avro_value_t *, zl_node_t *, const char *);

/* Decodes every record of the Avro array arr (field `field` of the record at
 * `where`) into a new child of node of the given kind. */
static zl_err_t dec_children(dctx_t *d, avro_value_t *arr, zl_node_t *node, zl_node_kind_t kind, dec_fn fn,
                             const char *where, const char *field) {
    size_t cnt = 0;
    avro_value_get_size(arr, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        avro_value_t r;
        char w[300];
        snprintf(w, sizeof w, "%s.%s[%zu]", where, field, i);
        if (avro_value_get_by_index(arr, i, &r, NULL)) return ZL_ERR_NOMEM;
        zl_node_t *c = zl_node_add_child(node, kind, 0);
        if (!c) return ZL_ERR_NOMEM;
        zl_err_t e = fn(d, &r, c, w);
        if (e) return e;
    }
    return ZL_OK;
}

static zl_err_t dec_instance(dctx_t *d, const avro_value_t *rec, zl_node_t *node, const char *where) {
    zl_err_t e = get_id(d, rec, where, &node->id);
    avro_value_t arr, mu, marr;
    if (e || (e = get_field(d, rec, "resources", &arr, where))) return e;
    if ((e = dec_children(d, &arr, node, ZL_N_RESOURCE, dec_resource, where, "resources"))) return e;
    /* multipleResources is optional in JSON and absent from old writers */
    if (zl_avro_get_field(rec, "multipleResources", &mu, NULL) != 0) return ZL_OK;
    if (avro_value_get_current_branch(&mu, &marr) || avro_value_get_type(&marr) == AVRO_NULL)
        return ZL_OK;
    return dec_children(d, &marr, node, ZL_N_MULTI, dec_multi, where, "multipleResources");
}

static zl_err_t dec_object(dctx_t *d, const avro_value_t *rec, zl_node_t *node, const char *where) {
    zl_err_t e = get_id(d, rec, where, &node->id);
    avro_value_t arr;
    if (e || (e = get_field(d, rec, "instances", &arr, where))) return e;
    return dec_children(d, &arr, node, ZL_N_INSTANCE, dec_instance, where, "instances");
}

static zl_err_t dec_record(dctx_t *d, const avro_value_t *rec, zl_node_t *node, const char *where) {
    switch (node->kind) {
    case ZL_N_OBJECT: return dec_object(d, rec, node, where);
    case ZL_N_INSTANCE: return dec_instance(d, rec, node, where);
    case ZL_N_MULTI: return dec_multi(d, rec, node, where);
    default: return dec_resource(d, rec, node, where);
    }
}

zl_err_t zl_avro_node_from_record(const avro_value_t *rec, zl_node_t **out, const char *where,
                                  char *errstr, size_t n) {
    char dummy[8];
    dctx_t d = {errstr ? errstr : dummy, errstr ? n : sizeof dummy};
    const char *name = rec_name(rec);
    zl_node_kind_t kind;
    *out = NULL;
    if (strcmp(name, "AvroObjectResource") == 0) kind = ZL_N_OBJECT;
    else if (strcmp(name, "AvroInstanceResource") == 0) kind = ZL_N_INSTANCE;
    else if (strcmp(name, "AvroMultipleResource") == 0) kind = ZL_N_MULTI;
    else if (strcmp(name, "AvroResource") == 0) kind = ZL_N_RESOURCE;
    else return dfail(&d, where, "not a resource record");
    zl_node_t *node = zl_node_new(kind, 0);
    if (!node) return ZL_ERR_NOMEM;
    zl_err_t e = dec_record(&d, rec, node, where);
    if (e) {
        if (e == ZL_ERR_NOMEM) snprintf(d.err, d.n, "%s: out of memory", where);
        zl_node_free(node);
        return e;
    }
    *out = node;
    return ZL_OK;
}

/* The child of parent with this id and kind, created if absent; NULL (and
 * *clash) when a child with the id has another kind. */
static zl_node_t *child_of_kind(zl_node_t *parent, zl_node_kind_t kind, uint16_t id, bool *clash) {
    zl_node_t *c = zl_node_child(parent, id);
    if (c) {
        *clash = c->kind != kind;
        return *clash ? NULL : c;
    }
    return zl_node_add_child(parent, kind, id);
}

static zl_err_t leaf_from_record(dctx_t *d, zl_node_t *root, const avro_value_t *rec, const char *w) {
    avro_value_t f;
    const char *ps = NULL;
    size_t pl = 0;
    zl_path_t p;
    char perr[80], fw[320];
    zl_err_t e = get_field(d, rec, "path", &f, w);
    if (e) return e;
    snprintf(fw, sizeof fw, "%.300s.path", w);
    if (avro_value_get_string(&f, &ps, &pl) || !ps) return dfail(d, fw, "expected string");
    if (zl_path_parse(ps, &p, perr, sizeof perr)) return dfail(d, fw, perr);
    if (p.len < 3) return dfail(d, fw, "not a resource or resource instance path");
    bool clash = false;
    zl_node_t *n = child_of_kind(root, ZL_N_OBJECT, p.ids[0], &clash);
    if (n) n = child_of_kind(n, ZL_N_INSTANCE, p.ids[1], &clash);
    if (n) n = child_of_kind(n, p.len == 3 ? ZL_N_RESOURCE : ZL_N_MULTI, p.ids[2], &clash);
    if (n && p.len == 4) n = child_of_kind(n, ZL_N_RES_INSTANCE, p.ids[3], &clash);
    if (!n) return clash ? dfail(d, fw, "both a resource and resource instances") : ZL_ERR_NOMEM;
    if (n->value.type != ZL_T_NONE) /* new nodes are NONE; dec_value never yields NONE */
        return dfail(d, fw, "appears twice");
    return dec_value(d, rec, &n->value, w);
}

zl_err_t zl_avro_leaves_from_array(const avro_value_t *arr, zl_node_t **out, const char *where,
                                   char *errstr, size_t n) {
    char dummy[8];
    dctx_t d = {errstr ? errstr : dummy, errstr ? n : sizeof dummy};
    *out = NULL;
    zl_node_t *root = zl_node_new(ZL_N_OBJECT, ZL_SENML_ROOT_ID);
    if (!root) return ZL_ERR_NOMEM;
    size_t cnt = 0;
    avro_value_get_size(arr, &cnt);
    zl_err_t e = cnt ? ZL_OK : dfail(&d, where, "empty");
    for (size_t i = 0; i < cnt && !e; i++) {
        avro_value_t r;
        char w[300];
        snprintf(w, sizeof w, "%s[%zu]", where, i);
        e = avro_value_get_by_index(arr, i, &r, NULL) ? ZL_ERR_NOMEM : leaf_from_record(&d, root, &r, w);
    }
    if (e) {
        if (e == ZL_ERR_NOMEM) snprintf(d.err, d.n, "%s: out of memory", where);
        zl_node_free(root);
        return e;
    }
    *out = root;
    return ZL_OK;
}

zl_err_t zl_avro_node_from_union(const avro_value_t *u, zl_node_t **out, const char *where,
                                 char *errstr, size_t n) {
    avro_value_t rec;
    if (avro_value_get_type(u) != AVRO_UNION) return zl_avro_node_from_record(u, out, where, errstr, n);
    if (avro_value_get_current_branch(u, &rec)) {
        snprintf(errstr, n, "%s: no branch set", where);
        return ZL_ERR_INVALID;
    }
    return zl_avro_node_from_record(&rec, out, where, errstr, n);
}
