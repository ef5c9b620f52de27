/* SPDX-License-Identifier: Apache-2.0 */
/* Converting a write/create body to the types of the object model (see
 * model_apply.h for the rules).  Strings are parsed with the text/plain codec
 * so that "what a value looks like as text" has one definition for reads and
 * writes alike; conversions between typed values never lose information
 * silently: a fractional float is not an integer, 2 is not a boolean. */
#include "lwm2m/model_apply.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/text.h"
#include "common/buf.h"
#include "common/utf8.h"

typedef struct {
    const zl_models_t *models;
    uint16_t oid;
    char *errstr;
    size_t errstr_size;
} actx_t;

/* What the refused value was, for the message: a quoted excerpt of a string
 * (non-printable bytes as '?'), the text form of anything else. */
static void describe(const zl_value_t *v, char *out, size_t size) {
    if (v->type == ZL_T_STRING || v->type == ZL_T_NONE) {
        size_t k = 0, max = size > 48 ? 40 : size / 2;
        char ex[48];
        for (size_t i = 0; i < v->len && k < max; i++)
            ex[k++] = (v->bytes[i] >= 0x20 && v->bytes[i] < 0x7f) ? (char)v->bytes[i] : '?';
        ex[k] = 0;
        snprintf(out, size, "\"%s\"%s", ex, v->len > max ? "..." : "");
        return;
    }
    if (v->type == ZL_T_OPAQUE) {
        snprintf(out, size, "an OPAQUE value of %zu bytes", v->len);
        return;
    }
    zl_buf_t b;
    zl_buf_init(&b, 0);
    if (v->type == ZL_T_BOOLEAN) zl_buf_printf(&b, "%s", v->u.b ? "true" : "false");
    else zl_text_encode(v, &b);
    snprintf(out, size, "%s %s", zl_type_name(v->type), b.len ? zl_buf_cstr(&b) : "value");
    zl_buf_free(&b);
}

/* The form a value of type t is expected in, for the message. */
static const char *form_of(zl_type_t t) {
    switch (t) {
    case ZL_T_INTEGER: return " (a decimal 64-bit integer)";
    case ZL_T_FLOAT: return " (a finite decimal number)";
    case ZL_T_BOOLEAN: return " (true, false, 1 or 0)";
    case ZL_T_TIME: return " (seconds since 1970 as a decimal integer)";
    case ZL_T_OPAQUE: return " (Base64)";
    case ZL_T_OBJLNK: return " (\"oid:iid\")";
    default: return "";
    }
}

/* A float that is an integer within int64. */
static bool integral(double d, int64_t *out) {
    if (!isfinite(d) || d != trunc(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
    *out = (int64_t)d;
    return true;
}

/* The STRING form of v (a typed, non-string value); ZL_ERR_INVALID when it has none. */
static zl_err_t to_string(const zl_value_t *v, zl_value_t *nv) {
    if (v->type == ZL_T_OPAQUE) {
        if (!zl_utf8_valid(v->bytes, v->len)) return ZL_ERR_INVALID;
        return zl_value_set_bytes(nv, ZL_T_STRING, v->bytes, v->len);
    }
    if (v->type == ZL_T_BOOLEAN) return zl_value_set_bytes(nv, ZL_T_STRING, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_err_t e = zl_text_encode(v, &b);
    if (!e) e = zl_value_set_bytes(nv, ZL_T_STRING, b.data, b.len);
    zl_buf_free(&b);
    return e;
}

/* Converts one value to the model type mt (never ZL_T_NONE) into nv. */
static zl_err_t convert_to(const zl_value_t *v, zl_type_t mt, zl_value_t *nv) {
    memset(nv, 0, sizeof *nv);
    nv->type = mt;
    if (v->type == ZL_T_STRING || v->type == ZL_T_NONE) return zl_text_decode(v->bytes, v->len, mt, nv);
    if (mt == ZL_T_STRING) return to_string(v, nv);
    int64_t i;
    switch (v->type) {
    case ZL_T_INTEGER:
    case ZL_T_TIME:
        if (mt == ZL_T_FLOAT) nv->u.f = (double)v->u.i;
        else if (mt == ZL_T_INTEGER || mt == ZL_T_TIME) nv->u.i = v->u.i;
        else if (mt == ZL_T_BOOLEAN && (v->u.i == 0 || v->u.i == 1)) nv->u.b = v->u.i == 1;
        else return ZL_ERR_INVALID;
        return ZL_OK;
    case ZL_T_FLOAT:
        if ((mt == ZL_T_INTEGER || mt == ZL_T_TIME) && integral(v->u.f, &i)) nv->u.i = i;
        else return ZL_ERR_INVALID;
        return ZL_OK;
    default: /* BOOLEAN, OPAQUE, OBJLNK: only their STRING form converts */
        return ZL_ERR_INVALID;
    }
}

static zl_err_t convert(actx_t *c, zl_value_t *v, zl_type_t mt, const char *where) {
    if (mt == ZL_T_NONE || v->type == mt) return ZL_OK;
    zl_value_t nv;
    zl_err_t e = convert_to(v, mt, &nv);
    if (e == ZL_ERR_NOMEM) return e;
    if (e) {
        char what[96];
        describe(v, what, sizeof what);
        return zl_err_fmt(c->errstr, c->errstr_size, ZL_ERR_INVALID,
                          "%s: %s is not a valid %s%s (the type of this resource in the object model)", where,
                          what, zl_type_name(mt), form_of(mt));
    }
    free(v->bytes);
    *v = nv;
    return ZL_OK;
}

/* Walks n, whose path is p (length pl in a buffer of cap bytes); rid is the
 * resource id n belongs to, -1 above resources. */
static zl_err_t walk(actx_t *c, zl_node_t *n, char *p, size_t pl, size_t cap, int rid) {
    if (n->kind == ZL_N_RESOURCE || n->kind == ZL_N_MULTI) rid = n->id;
    if (n->kind == ZL_N_RESOURCE || n->kind == ZL_N_RES_INSTANCE) {
        const zl_res_model_t *m = rid < 0 ? NULL : zl_models_resource(c->models, c->oid, (uint16_t)rid);
        return m ? convert(c, &n->value, m->type, p) : ZL_OK;
    }
    for (size_t i = 0; i < n->n_children; i++) {
        zl_node_t *ch = &n->children[i];
        int w = snprintf(p + pl, cap - pl, "/%u", (unsigned)ch->id);
        size_t cl = (w > 0 && (size_t)w < cap - pl) ? pl + (size_t)w : pl;
        zl_err_t e = walk(c, ch, p, cl, cap, rid);
        p[pl] = 0;
        if (e) return e;
    }
    return ZL_OK;
}

static size_t depth_of(zl_node_kind_t k) {
    switch (k) {
    case ZL_N_OBJECT: return 1;
    case ZL_N_INSTANCE: return 2;
    case ZL_N_RES_INSTANCE: return 4;
    default: return 3;
    }
}

zl_err_t zl_node_apply_model(const zl_models_t *models, zl_node_t *node, const zl_path_t *path, char *errstr,
                             size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = 0;
    if (!node || !path) return ZL_OK;
    actx_t c = {.models = models, .errstr = errstr, .errstr_size = errstr_size};
    char p[64];
    if (path->len == 0) { /* a composite's root container: its children are objects */
        if (node->kind != ZL_N_OBJECT) return ZL_OK;
        for (size_t i = 0; i < node->n_children; i++) {
            zl_node_t *o = &node->children[i];
            if (o->kind != ZL_N_OBJECT) continue;
            c.oid = o->id;
            int w = snprintf(p, sizeof p, "/%u", (unsigned)o->id);
            zl_err_t e = walk(&c, o, p, (size_t)w, sizeof p, -1);
            if (e) return e;
        }
        return ZL_OK;
    }
    c.oid = path->ids[0];
    if (zl_path_format(path, p, sizeof p) < 0) p[0] = 0;
    size_t pl = strlen(p);
    /* a body one level below its path (an instance created under /o) */
    if (depth_of(node->kind) == path->len + 1u) {
        int w = snprintf(p + pl, sizeof p - pl, "/%u", (unsigned)node->id);
        if (w > 0 && (size_t)w < sizeof p - pl) pl += (size_t)w;
    }
    int rid = node->kind == ZL_N_RES_INSTANCE && path->len >= 3 ? path->ids[2] : -1;
    return walk(&c, node, p, pl, sizeof p, rid);
}
