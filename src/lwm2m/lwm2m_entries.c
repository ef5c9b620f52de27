/* SPDX-License-Identifier: Apache-2.0 */
/* (path, value) lists -> node trees and back.  Building sorts the entries by
 * path first: duplicates and "resource given both as a value and as
 * instances" conflicts become adjacent pairs, and every insertion only has to
 * look at the last child of each level, so building is O(n log n) even for
 * the maximum of 10000 entries in one instance. */
#include "lwm2m/lwm2m_entries.h"

#include <stdlib.h>
#include <string.h>

#include "lwm2m/model.h"
#include "lwm2m/senml.h"
#include "common/array.h"

#define eerr(errstr, size, e, ...) zl_err_fmt((errstr), (size), (e), __VA_ARGS__)

void zl_entries_init(zl_entries_t *es, const zl_path_t *req, const zl_models_t *models, const char *what) {
    memset(es, 0, sizeof *es);
    es->models = models;
    if (req) es->req = *req;
    es->what = what ? what : "entry";
}

void zl_entries_free(zl_entries_t *es) {
    for (size_t i = 0; i < es->n; i++) free(es->v[i].value.bytes);
    free(es->v);
    es->v = NULL;
    es->n = es->cap = 0;
}

static void fmt_path(const zl_path_t *p, char out[32]) {
    zl_path_format(p, out, 32);
}

zl_err_t zl_entries_add(zl_entries_t *es, const zl_path_t *path, zl_value_t *value,
                        char *errstr, size_t errstr_size) {
    char ps[32], rs[32];
    zl_err_t e = ZL_OK;
    fmt_path(path, ps);
    if (path->len < 3) {
        e = eerr(errstr, errstr_size, ZL_ERR_INVALID, "%s %s carries a value but is not a resource",
                 es->what, ps);
        goto fail;
    }
    bool under = path->len >= es->req.len;
    for (uint8_t i = 0; under && i < es->req.len; i++)
        if (path->ids[i] != es->req.ids[i]) under = false;
    if (!under) {
        fmt_path(&es->req, rs);
        e = eerr(errstr, errstr_size, ZL_ERR_INVALID, "%s %s is not under the requested path %s",
                 es->what, ps, rs);
        goto fail;
    }
    if (es->n >= ZL_ENTRIES_MAX) {
        e = eerr(errstr, errstr_size, ZL_ERR_TOO_LARGE, "more than %d values", ZL_ENTRIES_MAX);
        goto fail;
    }
    if (ZL_ARRAY_RESERVE(&es->v, &es->cap, es->n + 1, 16)) { e = ZL_ERR_NOMEM; goto fail; }
    zl_entry_t *en = &es->v[es->n];
    en->path = *path;
    en->value = *value;
    en->index = es->n;
    es->n++;
    value->bytes = NULL;
    value->len = 0;
    return ZL_OK;
fail:
    free(value->bytes);
    value->bytes = NULL;
    value->len = 0;
    return e;
}

static int cmp_entry(const void *a, const void *b) {
    const zl_entry_t *x = a, *y = b;
    uint8_t n = x->path.len < y->path.len ? x->path.len : y->path.len;
    for (uint8_t i = 0; i < n; i++)
        if (x->path.ids[i] != y->path.ids[i]) return x->path.ids[i] < y->path.ids[i] ? -1 : 1;
    if (x->path.len != y->path.len) return x->path.len < y->path.len ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* a is a prefix of b (or equal). */
static bool is_prefix(const zl_path_t *a, const zl_path_t *b) {
    if (a->len > b->len) return false;
    for (uint8_t i = 0; i < a->len; i++)
        if (a->ids[i] != b->ids[i]) return false;
    return true;
}

static void move_value(zl_node_t *n, zl_entry_t *en) {
    n->value = en->value;
    en->value.bytes = NULL;
    en->value.len = 0;
}

static zl_node_kind_t kind_at(uint8_t level, uint8_t leaf_len) {
    switch (level) {
    case 0: return ZL_N_OBJECT;
    case 1: return ZL_N_INSTANCE;
    case 2: return leaf_len == 3 ? ZL_N_RESOURCE : ZL_N_MULTI;
    default: return ZL_N_RES_INSTANCE;
    }
}

zl_err_t zl_entries_build(zl_entries_t *es, zl_node_t **out, char *errstr, size_t errstr_size) {
    const zl_path_t *req = &es->req;
    char ps[32], qs[32];
    *out = NULL;
    if (req->len > ZL_PATH_MAX_DEPTH)
        return eerr(errstr, errstr_size, ZL_ERR_INVALID,
                    "a root, object, instance, resource or resource instance path is required");
    if (es->n > 1) qsort(es->v, es->n, sizeof *es->v, cmp_entry);
    for (size_t i = 1; i < es->n; i++) {
        const zl_path_t *a = &es->v[i - 1].path, *b = &es->v[i].path;
        if (!is_prefix(a, b)) continue;
        fmt_path(b, ps);
        if (a->len == b->len)
            return eerr(errstr, errstr_size, ZL_ERR_INVALID, "duplicate %s %s", es->what, ps);
        fmt_path(a, qs);
        return eerr(errstr, errstr_size, ZL_ERR_INVALID,
                    "%s given both as a value and with resource instance %s", qs, ps);
    }
    fmt_path(req, ps);
    zl_node_t *root;
    /* the root path (LwM2M Send): a ZL_SENML_ROOT_ID container of objects */
    uint16_t last = req->len ? req->ids[req->len - 1] : ZL_SENML_ROOT_ID;
    if (req->len == 4) {
        if (es->n != 1)
            return eerr(errstr, errstr_size, ZL_ERR_INVALID, "no value for %s", ps);
        if (!(root = zl_node_new(ZL_N_RES_INSTANCE, last))) return ZL_ERR_NOMEM;
        move_value(root, &es->v[0]);
        *out = root;
        return ZL_OK;
    }
    if (req->len == 3) {
        if (es->n == 1 && es->v[0].path.len == 3) {
            if (!(root = zl_node_new(ZL_N_RESOURCE, last))) return ZL_ERR_NOMEM;
            move_value(root, &es->v[0]);
            *out = root;
            return ZL_OK;
        }
        if (es->n == 0) {
            const zl_res_model_t *m = zl_models_resource(es->models, req->ids[0], req->ids[2]);
            if (m && !m->multiple)
                return eerr(errstr, errstr_size, ZL_ERR_INVALID, "no value for single resource %s", ps);
        }
    }
    root = zl_node_new(req->len == 3 ? ZL_N_MULTI : req->len ? kind_at((uint8_t)(req->len - 1), 0) : ZL_N_OBJECT,
                       last);
    if (!root) return ZL_ERR_NOMEM;
    for (size_t i = 0; i < es->n; i++) {
        zl_entry_t *en = &es->v[i];
        zl_node_t *cur = root;
        for (uint8_t level = req->len; level < en->path.len; level++) {
            uint16_t id = en->path.ids[level];
            zl_node_t *lastc = cur->n_children ? &cur->children[cur->n_children - 1] : NULL;
            if (lastc && lastc->id == id && level + 1 < en->path.len) {
                cur = lastc; /* shared container (sorted input: it is the last child) */
                continue;
            }
            zl_node_t *c = zl_node_add_child(cur, kind_at(level, en->path.len), id);
            if (!c) { zl_node_free(root); return ZL_ERR_NOMEM; }
            cur = c;
        }
        move_value(cur, en);
    }
    *out = root;
    return ZL_OK;
}

zl_type_t zl_entries_model_type(const zl_models_t *models, const zl_path_t *p) {
    if (p->len < 3) return ZL_T_NONE;
    const zl_res_model_t *m = zl_models_resource(models, p->ids[0], p->ids[2]);
    return m ? m->type : ZL_T_NONE;
}

static zl_node_kind_t kind_for_depth(uint8_t len) {
    switch (len) {
    case 1: return ZL_N_OBJECT;
    case 2: return ZL_N_INSTANCE;
    case 3: return ZL_N_RESOURCE; /* or MULTI */
    default: return ZL_N_RES_INSTANCE;
    }
}

static zl_err_t check_children(const zl_node_t *n, uint8_t depth) {
    if (n->kind == ZL_N_RESOURCE || n->kind == ZL_N_RES_INSTANCE)
        return n->n_children ? ZL_ERR_INVALID : ZL_OK;
    if (n->n_children && !n->children) return ZL_ERR_INVALID;
    for (size_t i = 0; i < n->n_children; i++) {
        const zl_node_t *c = &n->children[i];
        if (!zl_node_child_ok(n->kind, c->kind) || c->id > ZL_ID_MAX) return ZL_ERR_INVALID;
        zl_err_t e = check_children(c, (uint8_t)(depth + 1));
        if (e) return e;
    }
    return ZL_OK;
}

zl_err_t zl_entries_check_tree(const zl_node_t *node, const zl_path_t *path) {
    if (!node || !path || path->len < 1 || path->len > ZL_PATH_MAX_DEPTH) return ZL_ERR_INVALID;
    zl_node_kind_t k = kind_for_depth(path->len);
    if (node->kind != k && !(path->len == 3 && node->kind == ZL_N_MULTI)) return ZL_ERR_INVALID;
    if (node->id != path->ids[path->len - 1]) return ZL_ERR_INVALID;
    return check_children(node, path->len);
}

zl_err_t zl_entries_walk(const zl_node_t *node, const zl_path_t *path, zl_leaf_fn fn, void *ctx) {
    if (node->kind == ZL_N_RESOURCE || node->kind == ZL_N_RES_INSTANCE) return fn(ctx, path, &node->value);
    if (path->len >= ZL_PATH_MAX_DEPTH) return ZL_ERR_INVALID;
    for (size_t i = 0; i < node->n_children; i++) {
        zl_path_t p = *path;
        p.ids[p.len++] = node->children[i].id;
        zl_err_t e = zl_entries_walk(&node->children[i], &p, fn, ctx);
        if (e) return e;
    }
    return ZL_OK;
}
