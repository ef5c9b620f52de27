/* SPDX-License-Identifier: Apache-2.0 */
/* SenML record model shared by the JSON (110) and CBOR (112) codecs.
 *
 * The format parsers (jansson, libcbor) hand each record's fields to
 * zl_senml_dec_add(), which resolves the name (sticky bn + n, RFC 8428 §4.5),
 * checks that it is a resource or resource-instance path under the requested
 * path, and types the value from the built-in model:
 *   v   -> INTEGER / TIME when the model says so and the number is integral
 *          within int64, FLOAT otherwise; without a model as the wire wrote
 *          it: a JSON number without '.' or exponent / a CBOR integer is
 *          INTEGER, a JSON number with them / a CBOR float is FLOAT (-30.0
 *          stays FLOAT although it is integral, in every record);
 *   vs  -> STRING, vb -> BOOLEAN, vd -> OPAQUE, vlo -> OBJLNK ("oid:iid").
 * A value kind that does not fit a modelled type (vs for an integer, v for a
 * string...) is rejected, as is a record naming a single-instance resource
 * with a resource instance id or a multiple resource without one.
 * zl_senml_dec_finish() sorts the records by path (so duplicates are
 * adjacent and every parent's children are contiguous and ordered) and
 * builds the tree in one pass.  Encoding walks the tree's leaves in order. */
#include "lwm2m/senml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/base64.h"
#include "lwm2m/content.h"
#include "lwm2m/model.h"
#include "lwm2m/text.h"
#include "common/array.h"
#include "common/utf8.h"

#define derr(d, e, ...) zl_err_fmt((d)->errstr, (d)->errstr_size, (e), __VA_ARGS__)

static const char *vkind_name(zl_senml_vkind_t k) {
    switch (k) {
    case ZL_SENML_V_NUM: return "v";
    case ZL_SENML_V_STR: return "vs";
    case ZL_SENML_V_BOOL: return "vb";
    case ZL_SENML_V_DATA: return "vd";
    case ZL_SENML_V_LINK: return "vlo";
    default: return "no value";
    }
}

/* The SenML value kind a model type travels as (NONE: any). */
static zl_senml_vkind_t kind_for_type(zl_type_t t) {
    switch (t) {
    case ZL_T_STRING: return ZL_SENML_V_STR;
    case ZL_T_FLOAT:
    case ZL_T_INTEGER:
    case ZL_T_TIME: return ZL_SENML_V_NUM;
    case ZL_T_BOOLEAN: return ZL_SENML_V_BOOL;
    case ZL_T_OPAQUE: return ZL_SENML_V_DATA;
    case ZL_T_OBJLNK: return ZL_SENML_V_LINK;
    default: return ZL_SENML_V_NONE;
    }
}

void zl_senml_excerpt(const char *p, size_t n, char *out, size_t out_size) {
    if (!out || out_size == 0) return;
    size_t k = 0, lim = out_size - 1;
    const size_t show = 40;
    for (size_t i = 0; i < n && i < show && k < lim; i++) {
        unsigned char c = (unsigned char)p[i];
        out[k++] = (c >= 0x20 && c < 0x7F && c != '"') ? (char)c : '?';
    }
    if (n > show)
        for (int i = 0; i < 3 && k < lim; i++) out[k++] = '.';
    out[k] = 0;
}

zl_err_t zl_senml_b64url_encode(const uint8_t *p, size_t n, zl_buf_t *out) {
    size_t start = out->len;
    zl_err_t e = zl_base64_encode(p, n, out);
    if (e) return e;
    for (size_t i = start; i < out->len; i++) {
        if (out->data[i] == '+') out->data[i] = '-';
        else if (out->data[i] == '/') out->data[i] = '_';
    }
    while (out->len > start && out->data[out->len - 1] == '=') out->len--;
    return ZL_OK;
}

zl_err_t zl_senml_b64url_decode(const char *s, size_t n, zl_buf_t *out) {
    char *tmp = malloc(n ? n : 1);
    if (!tmp) return ZL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    zl_err_t e = zl_base64_decode(tmp, n, out);
    free(tmp);
    return e;
}

/* ---- decoding ---- */

zl_err_t zl_senml_dec_init(zl_senml_dec_t *dec, const zl_path_t *path, const zl_models_t *models,
                           char *errstr, size_t errstr_size) {
    memset(dec, 0, sizeof *dec);
    dec->models = models;
    dec->errstr = errstr;
    dec->errstr_size = errstr_size;
    if (errstr && errstr_size) errstr[0] = 0;
    if (!path || path->len > ZL_PATH_MAX_DEPTH)
        return derr(dec, ZL_ERR_INVALID, "SenML needs a root, object, instance, resource or resource instance path");
    dec->req = *path;
    return ZL_OK;
}

void zl_senml_dec_free(zl_senml_dec_t *dec) {
    for (size_t i = 0; i < dec->n_recs; i++) free(dec->recs[i].value.bytes);
    free(dec->recs);
    dec->recs = NULL;
    dec->n_recs = dec->cap = 0;
}

/* Integral within int64 (exactly representable as one)? */
static bool num_integral(const zl_senml_num_t *x, int64_t *out) {
    if (x->is_int) { *out = x->i; return true; }
    double d = x->d;
    if (d != trunc(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
    *out = (int64_t)d;
    return true;
}

static double num_double(const zl_senml_num_t *x) { return x->is_int ? (double)x->i : x->d; }

/* Resolved value = bv + v (RFC 8428 §4.6). */
static zl_senml_num_t num_add(const zl_senml_num_t *a, const zl_senml_num_t *b) {
    zl_senml_num_t r = {0};
    if (a->is_int && b->is_int && !__builtin_add_overflow(a->i, b->i, &r.i)) {
        r.is_int = true;
        return r;
    }
    r.d = num_double(a) + num_double(b);
    return r;
}

static zl_err_t make_value(zl_senml_dec_t *dec, size_t idx, const char *name, const zl_res_model_t *m,
                           const zl_senml_raw_t *raw, zl_value_t *v) {
    zl_type_t mt = m ? m->type : ZL_T_NONE;
    zl_senml_vkind_t want = kind_for_type(mt);
    if (want != ZL_SENML_V_NONE && raw->vkind != want)
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\"): %s value for a %s resource",
                    idx, name, vkind_name(raw->vkind), zl_type_name(mt));
    memset(v, 0, sizeof *v);
    switch (raw->vkind) {
    case ZL_SENML_V_NUM: {
        zl_senml_num_t x = dec->has_bv ? num_add(&dec->bv, &raw->num) : raw->num;
        if (!x.is_int && !isfinite(x.d))
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\"): value is not a finite number",
                        idx, name);
        int64_t i;
        bool integral = num_integral(&x, &i);
        if (!integral && (mt == ZL_T_INTEGER || mt == ZL_T_TIME))
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\"): %g is not a valid %s", idx, name,
                        num_double(&x), zl_type_name(mt));
        /* without a model the wire decides: 20 is INTEGER, 20.0 FLOAT (see the header) */
        if (mt == ZL_T_FLOAT || !integral || (mt == ZL_T_NONE && !x.is_int)) {
            v->type = ZL_T_FLOAT;
            v->u.f = num_double(&x);
        } else {
            v->type = mt == ZL_T_TIME ? ZL_T_TIME : ZL_T_INTEGER;
            v->u.i = i;
        }
        return ZL_OK;
    }
    case ZL_SENML_V_BOOL:
        v->type = ZL_T_BOOLEAN;
        v->u.b = raw->b;
        return ZL_OK;
    case ZL_SENML_V_STR:
        if (!zl_utf8_valid(raw->bytes, raw->len))
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\"): vs is not valid UTF-8", idx, name);
        return zl_value_set_bytes(v, ZL_T_STRING, raw->bytes, raw->len);
    case ZL_SENML_V_LINK: {
        zl_err_t e = zl_text_decode(raw->bytes, raw->len, ZL_T_OBJLNK, v);
        if (e == ZL_ERR_NOMEM) return e;
        if (e) {
            char ex[48];
            zl_senml_excerpt((const char *)raw->bytes, raw->len, ex, sizeof ex);
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\"): vlo \"%s\" is not \"oid:iid\"",
                        idx, name, ex);
        }
        return ZL_OK;
    }
    case ZL_SENML_V_DATA: {
        if (!raw->data_b64) return zl_value_set_bytes(v, ZL_T_OPAQUE, raw->bytes, raw->len);
        zl_buf_t b;
        zl_buf_init(&b, 0);
        zl_err_t e = zl_senml_b64url_decode((const char *)raw->bytes, raw->len, &b);
        if (!e) e = zl_value_set_bytes(v, ZL_T_OPAQUE, b.data, b.len);
        zl_buf_free(&b);
        if (e == ZL_ERR_INVALID)
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\"): vd is not base64url", idx, name);
        return e;
    }
    default:
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\") has no value", idx, name);
    }
}

static bool path_under(const zl_path_t *p, const zl_path_t *req) {
    if (p->len < req->len) return false;
    for (unsigned i = 0; i < req->len; i++)
        if (p->ids[i] != req->ids[i]) return false;
    return true;
}

/* Room for one more record; NULL on OOM. */
static zl_senml_rec_t *next_rec(zl_senml_dec_t *dec) {
    if (ZL_ARRAY_RESERVE(&dec->recs, &dec->cap, dec->n_recs + 1, 16)) return NULL;
    zl_senml_rec_t *rec = &dec->recs[dec->n_recs];
    memset(rec, 0, sizeof *rec);
    return rec;
}

/* names_only: a record naming a path of a composite request. */
static zl_err_t add_name(zl_senml_dec_t *dec, size_t idx, const char *ex, const zl_path_t *p,
                         const zl_senml_raw_t *raw) {
    if (p->len == 0)
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu: the root path cannot be part of a composite", idx);
    if (raw->n_values)
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\"): a path list carries no values", idx, ex);
    zl_senml_rec_t *rec = next_rec(dec);
    if (!rec) return ZL_ERR_NOMEM;
    rec->path = *p;
    rec->index = idx;
    rec->value.type = ZL_T_NONE;
    dec->n_recs++;
    return ZL_OK;
}

zl_err_t zl_senml_dec_add(zl_senml_dec_t *dec, const zl_senml_raw_t *raw) {
    size_t idx = dec->index++;
    char ex[48], name[sizeof dec->bn * 2];
    if (idx >= ZL_SENML_MAX_RECORDS)
        return derr(dec, ZL_ERR_TOO_LARGE, "more than %d SenML records", ZL_SENML_MAX_RECORDS);
    if (raw->bn) {
        if (raw->bn_len >= sizeof dec->bn || memchr(raw->bn, 0, raw->bn_len)) {
            zl_senml_excerpt(raw->bn, raw->bn_len, ex, sizeof ex);
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu: base name \"%s\" is not a LwM2M path prefix",
                        idx, ex);
        }
        memcpy(dec->bn, raw->bn, raw->bn_len);
        dec->bn_len = raw->bn_len;
        dec->bn[dec->bn_len] = 0;
    }
    if (raw->has_bv) {
        dec->has_bv = true;
        dec->bv = raw->bv;
    }
    size_t nlen = raw->n ? raw->n_len : 0;
    if (nlen >= sizeof name - dec->bn_len || (nlen && memchr(raw->n, 0, nlen))) {
        zl_senml_excerpt(raw->n, nlen, ex, sizeof ex);
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu: name \"%s\" (after base name) is not a LwM2M path",
                    idx, ex);
    }
    memcpy(name, dec->bn, dec->bn_len);
    if (nlen) memcpy(name + dec->bn_len, raw->n, nlen);
    name[dec->bn_len + nlen] = 0;
    zl_senml_excerpt(name, strlen(name), ex, sizeof ex);
    if (name[0] == 0) return derr(dec, ZL_ERR_INVALID, "SenML record %zu has no name", idx);

    zl_path_t p;
    char perr[80];
    if (zl_path_parse(name, &p, perr, sizeof perr) != ZL_OK)
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu: name \"%s\" is not a LwM2M path (%s)", idx, ex,
                    perr);
    if (dec->names_only) return add_name(dec, idx, ex, &p, raw);
    if (p.len < 3)
        return derr(dec, ZL_ERR_INVALID,
                    "SenML record %zu: name \"%s\" is not a resource or resource instance path", idx, ex);
    if (!path_under(&p, &dec->req)) {
        char rq[32];
        zl_path_format(&dec->req, rq, sizeof rq);
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\") is not under the requested path %s", idx,
                    ex, rq);
    }
    if (raw->n_values == 0) return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\") has no value", idx, ex);
    if (raw->n_values > 1)
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu (\"%s\") has %d values", idx, ex, raw->n_values);
    const zl_res_model_t *m = zl_models_resource(dec->models, p.ids[0], p.ids[2]);
    if (m && m->multiple && p.len == 3)
        return derr(dec, ZL_ERR_INVALID,
                    "SenML record %zu (\"%s\"): multiple resource needs a resource instance id", idx, ex);
    if (m && !m->multiple && p.len == 4)
        return derr(dec, ZL_ERR_INVALID,
                    "SenML record %zu (\"%s\"): single-instance resource has no resource instances", idx, ex);

    zl_senml_rec_t *rec = next_rec(dec);
    if (!rec) return ZL_ERR_NOMEM;
    zl_err_t e = make_value(dec, idx, ex, m, raw, &rec->value);
    if (e) {
        free(rec->value.bytes);
        return e;
    }
    rec->path = p;
    rec->index = idx;
    dec->n_recs++;
    return ZL_OK;
}

static int path_cmp(const zl_path_t *a, const zl_path_t *b) {
    unsigned n = a->len < b->len ? a->len : b->len;
    for (unsigned i = 0; i < n; i++)
        if (a->ids[i] != b->ids[i]) return a->ids[i] < b->ids[i] ? -1 : 1;
    return (int)a->len - (int)b->len;
}

static int rec_cmp(const void *x, const void *y) {
    const zl_senml_rec_t *a = x, *b = y;
    int c = path_cmp(&a->path, &b->path);
    if (c) return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static void move_value(zl_value_t *dst, zl_value_t *src) {
    *dst = *src;
    src->bytes = NULL;
    src->len = 0;
}

/* Adds rec below root (depth d = request path length, 1 or 2). */
static zl_err_t place(zl_senml_dec_t *dec, zl_node_t *root, unsigned d, zl_senml_rec_t *rec) {
    zl_node_t *parent = root;
    for (unsigned k = d; k < rec->path.len; k++) {
        uint16_t id = rec->path.ids[k];
        zl_node_kind_t kind = k == 0 ? ZL_N_OBJECT : k == 1 ? ZL_N_INSTANCE
                            : k == 2 ? (rec->path.len == 4 ? ZL_N_MULTI : ZL_N_RESOURCE)
                                     : ZL_N_RES_INSTANCE;
        zl_node_t *last = parent->n_children ? &parent->children[parent->n_children - 1] : NULL;
        if (last && last->id == id && k + 1 < rec->path.len) {
            if (last->kind != kind) {
                char nm[32];
                zl_path_format(&rec->path, nm, sizeof nm);
                return derr(dec, ZL_ERR_INVALID,
                            "SenML record %zu (\"%s\"): resource %u is named both with and without "
                            "resource instance ids",
                            rec->index, nm, (unsigned)id);
            }
            parent = last;
            continue;
        }
        zl_node_t *n = zl_node_add_child(parent, kind, id);
        if (!n) return ZL_ERR_NOMEM;
        parent = n;
    }
    move_value(&parent->value, &rec->value);
    return ZL_OK;
}

zl_err_t zl_senml_dec_finish(zl_senml_dec_t *dec, zl_node_t **out) {
    *out = NULL;
    if (dec->n_recs > 1) qsort(dec->recs, dec->n_recs, sizeof *dec->recs, rec_cmp);
    for (size_t i = 1; i < dec->n_recs; i++) {
        if (path_cmp(&dec->recs[i - 1].path, &dec->recs[i].path) == 0) {
            char nm[32];
            zl_path_format(&dec->recs[i].path, nm, sizeof nm);
            return derr(dec, ZL_ERR_INVALID, "SenML records %zu and %zu both name \"%s\"",
                        dec->recs[i - 1].index, dec->recs[i].index, nm);
        }
    }
    /* Also: a resource named by itself sorts right before its instances. */
    for (size_t i = 1; i < dec->n_recs; i++) {
        const zl_path_t *a = &dec->recs[i - 1].path, *b = &dec->recs[i].path;
        if (a->len == 3 && b->len == 4 && memcmp(a->ids, b->ids, 3 * sizeof a->ids[0]) == 0) {
            char nm[32];
            zl_path_format(b, nm, sizeof nm);
            return derr(dec, ZL_ERR_INVALID,
                        "SenML record %zu (\"%s\"): resource %u is named both with and without resource "
                        "instance ids",
                        dec->recs[i].index, nm, (unsigned)b->ids[2]);
        }
    }
    const zl_path_t *req = &dec->req;
    char rq[32];
    zl_path_format(req, rq, sizeof rq);
    zl_node_t *root = NULL;
    zl_err_t e = ZL_OK;
    switch (req->len) {
    case 0: /* root (LwM2M Send): a container of the objects the records name */
        root = zl_node_new(ZL_N_OBJECT, ZL_SENML_ROOT_ID);
        if (!root) return ZL_ERR_NOMEM;
        for (size_t i = 0; i < dec->n_recs && !e; i++) e = place(dec, root, 0, &dec->recs[i]);
        break;
    case 1:
    case 2:
        root = zl_node_new(req->len == 1 ? ZL_N_OBJECT : ZL_N_INSTANCE, req->ids[req->len - 1]);
        if (!root) return ZL_ERR_NOMEM;
        for (size_t i = 0; i < dec->n_recs && !e; i++) e = place(dec, root, req->len, &dec->recs[i]);
        break;
    case 3: {
        const zl_res_model_t *m = zl_models_resource(dec->models, req->ids[0], req->ids[2]);
        bool multi = m ? m->multiple : true;
        if (dec->n_recs > 0) multi = dec->recs[dec->n_recs - 1].path.len == 4;
        if (!multi) {
            if (dec->n_recs == 0)
                return derr(dec, ZL_ERR_INVALID, "no SenML record for single resource %s", rq);
            root = zl_node_new(ZL_N_RESOURCE, req->ids[2]);
            if (!root) return ZL_ERR_NOMEM;
            move_value(&root->value, &dec->recs[0].value);
            break;
        }
        root = zl_node_new(ZL_N_MULTI, req->ids[2]);
        if (!root) return ZL_ERR_NOMEM;
        for (size_t i = 0; i < dec->n_recs && !e; i++) e = place(dec, root, 3, &dec->recs[i]);
        break;
    }
    default:
        if (dec->n_recs == 0)
            return derr(dec, ZL_ERR_INVALID, "no SenML record for resource instance %s", rq);
        root = zl_node_new(ZL_N_RES_INSTANCE, req->ids[3]);
        if (!root) return ZL_ERR_NOMEM;
        move_value(&root->value, &dec->recs[0].value);
        break;
    }
    if (e) {
        zl_node_free(root);
        return e;
    }
    *out = root;
    return ZL_OK;
}

/* ---- encoding ---- */

typedef struct {
    zl_senml_emit_fn fn;
    void *ctx;
    char bn[32];
    bool first;
} walk_t;

static zl_err_t walk_children(walk_t *w, const zl_node_t *node, const char *rel) {
    for (size_t i = 0; i < node->n_children; i++) {
        const zl_node_t *ch = &node->children[i];
        if (!zl_node_child_ok(node->kind, ch->kind)) return ZL_ERR_INVALID;
        char name[32];
        snprintf(name, sizeof name, "%s%s%u", rel, rel[0] ? "/" : "", (unsigned)ch->id);
        zl_err_t e;
        if (ch->kind == ZL_N_RESOURCE || ch->kind == ZL_N_RES_INSTANCE) {
            e = w->fn(w->ctx, w->first ? w->bn : NULL, name, &ch->value);
            w->first = false;
        } else {
            e = walk_children(w, ch, name);
        }
        if (e) return e;
    }
    return ZL_OK;
}

/* The root container: every leaf named absolutely ("/" + "3/0/0"). */
static zl_err_t walk_root(const zl_node_t *node, zl_senml_emit_fn fn, void *ctx) {
    if (node->kind != ZL_N_OBJECT || node->id != ZL_SENML_ROOT_ID) return ZL_ERR_INVALID;
    walk_t w = {.fn = fn, .ctx = ctx, .first = true, .bn = "/"};
    for (size_t i = 0; i < node->n_children; i++) {
        const zl_node_t *obj = &node->children[i];
        char rel[8];
        if (obj->kind != ZL_N_OBJECT) return ZL_ERR_INVALID;
        snprintf(rel, sizeof rel, "%u", (unsigned)obj->id);
        zl_err_t e = walk_children(&w, obj, rel);
        if (e) return e;
    }
    return ZL_OK;
}

zl_err_t zl_senml_walk(const zl_node_t *node, const zl_path_t *path, zl_senml_emit_fn fn, void *ctx) {
    if (node && path && path->len == 0) return walk_root(node, fn, ctx);
    if (!node || !path || path->len == 0 || path->len > ZL_PATH_MAX_DEPTH) return ZL_ERR_INVALID;
    static const zl_node_kind_t want[] = {ZL_N_OBJECT, ZL_N_INSTANCE, ZL_N_RESOURCE, ZL_N_RES_INSTANCE};
    bool kind_ok = node->kind == want[path->len - 1] || (path->len == 3 && node->kind == ZL_N_MULTI);
    if (!kind_ok || node->id != path->ids[path->len - 1]) return ZL_ERR_INVALID;
    walk_t w = {.fn = fn, .ctx = ctx, .first = true};
    int k = zl_path_format(path, w.bn, sizeof w.bn - 1);
    if (k < 0 || (size_t)k >= sizeof w.bn - 1) return ZL_ERR_INVALID;
    if (node->kind == ZL_N_RESOURCE || node->kind == ZL_N_RES_INSTANCE)
        return fn(ctx, NULL, w.bn, &node->value);
    w.bn[k] = '/';
    w.bn[k + 1] = 0;
    return walk_children(&w, node, "");
}

zl_err_t zl_senml_decode_with(zl_senml_feed_fn feed, const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out, char *errstr, size_t errstr_size) {
    zl_senml_dec_t dec;
    *out = NULL;
    zl_err_t e = zl_senml_dec_init(&dec, path, models, errstr, errstr_size);
    if (!e) e = feed(&dec, p, n);
    if (!e) e = zl_senml_dec_finish(&dec, out);
    zl_senml_dec_free(&dec);
    return e;
}

zl_err_t zl_senml_tree_source(const void *tree, zl_senml_emit_fn fn, void *ctx) {
    const zl_senml_tree_t *t = tree;
    return zl_senml_walk(t->node, t->path, fn, ctx);
}

/* ---- composite path lists ---- */

typedef struct {
    const zl_path_t *paths;
    size_t count;
} names_t;

static zl_err_t names_source(const void *src, zl_senml_emit_fn fn, void *ctx) {
    const names_t *ns = src;
    for (size_t i = 0; i < ns->count; i++) {
        char name[32];
        if (ns->paths[i].len == 0) return ZL_ERR_INVALID;
        zl_path_format(&ns->paths[i], name, sizeof name);
        zl_err_t e = fn(ctx, NULL, name, NULL);
        if (e) return e;
    }
    return ZL_OK;
}

zl_err_t zl_senml_paths_encode(int cf, const zl_path_t *paths, size_t count, zl_buf_t *out) {
    names_t ns = {paths, count};
    if (!count) return ZL_ERR_INVALID;
    if (cf == ZL_CF_SENML_JSON) return zl_senml_json_encode_src(names_source, &ns, out);
    if (cf == ZL_CF_SENML_CBOR) return zl_senml_cbor_encode_src(names_source, &ns, out);
    return ZL_ERR_UNSUPPORTED;
}

zl_err_t zl_senml_paths_decode(int cf, const uint8_t *p, size_t n, zl_path_t **out, size_t *count,
                               char *errstr, size_t errstr_size) {
    static const zl_path_t root;
    zl_senml_dec_t dec;
    *out = NULL;
    *count = 0;
    zl_err_t e = zl_senml_dec_init(&dec, &root, NULL, errstr, errstr_size);
    if (e) return e;
    dec.names_only = true;
    if (cf == ZL_CF_SENML_JSON) e = zl_senml_json_feed(&dec, p, n);
    else if (cf == ZL_CF_SENML_CBOR) e = zl_senml_cbor_feed(&dec, p, n);
    else e = derr(&dec, ZL_ERR_UNSUPPORTED, "content format %d is not SenML JSON (110) or SenML CBOR (112)", cf);
    if (!e && dec.n_recs == 0) e = derr(&dec, ZL_ERR_INVALID, "the composite request names no path");
    if (!e && !(*out = malloc(dec.n_recs * sizeof **out))) e = ZL_ERR_NOMEM;
    for (size_t i = 0; !e && i < dec.n_recs; i++) (*out)[i] = dec.recs[i].path;
    if (!e) *count = dec.n_recs;
    zl_senml_dec_free(&dec);
    return e;
}
