/* SPDX-License-Identifier: Apache-2.0 */
/* Composite operations of `zeelos device` (LwM2M 1.1 TS Core §5.4.3, §5.4.5,
 * §5.5.2), apart from device.c so that file stays readable:
 *
 *   FETCH /    paths as SenML names   -> 2.05, every value under them
 *              with Observe: 0 / 1    -> also registers / cancels an observation
 *   iPATCH /   SenML values           -> 2.04, all written or none
 *
 * Values come from the same zl_dev_read() a plain Read uses, merged into one
 * ZL_SENML_ROOT_ID container that the SenML encoders write with absolute
 * names; paths the device does not have are left out.  An Observe-Composite
 * is one of the device's ordinary observers that carries its path list (the
 * only composite state, allocated while the observation exists), so ticking
 * sensors, writes and cancels treat it like any other observation. */
#include <stdlib.h>
#include <string.h>

#include "roles/sim/device.h"
#include "lwm2m/content.h"
#include "lwm2m/senml.h"

static const zl_path_t root_path; /* "/" */

static bool is_senml(int64_t cf) {
    return cf == ZL_CF_SENML_JSON || cf == ZL_CF_SENML_CBOR;
}

/* 4.00 with a diagnostic payload (RFC 7252 §5.5.2). */
static void bad_request(zl_coap_msg_t *resp, zl_buf_t *body, const char *why) {
    zl_buf_reset(body);
    zl_buf_printf(body, "%s", why[0] ? why : "undecodable payload");
    resp->code = ZL_COAP_BAD_REQUEST;
    resp->payload = body->data;
    resp->payload_len = body->len;
}

static const uint8_t *payload_of(const zl_coap_msg_t *req) {
    return req->payload ? req->payload : (const uint8_t *)"";
}

/* Moves src into parent; a child with the same id is merged with it (a value
 * named twice, say by /3303/0 and /3303/0/5700, is kept once). */
static zl_err_t merge(zl_node_t *parent, zl_node_t *src) {
    zl_node_t *have = zl_node_child(parent, src->id);
    if (!have) {
        zl_node_t *slot = zl_node_add_child(parent, src->kind, src->id);
        if (!slot) return ZL_ERR_NOMEM;
        *slot = *src;
        memset(src, 0, sizeof *src); /* moved */
        return ZL_OK;
    }
    zl_err_t e = ZL_OK;
    for (size_t i = 0; i < src->n_children && !e; i++) e = merge(have, &src->children[i]);
    return e;
}

/* Adds what the device has under p to the root container. */
static zl_err_t add_path(device_t *d, zl_node_t *root, const zl_path_t *p) {
    static const zl_node_kind_t above[] = {ZL_N_OBJECT, ZL_N_INSTANCE, ZL_N_MULTI};
    uint8_t code;
    zl_node_t *node = zl_dev_read(d, p, &code);
    if (!node) return ZL_OK; /* absent: left out */
    zl_node_t *parent = root;
    zl_err_t e = ZL_OK;
    for (int k = 0; k + 1 < p->len && !e; k++) {
        zl_node_t *c = zl_node_child(parent, p->ids[k]);
        if (!c) c = zl_node_add_child(parent, above[k], p->ids[k]);
        if (c) parent = c;
        else e = ZL_ERR_NOMEM;
    }
    if (!e) e = merge(parent, node);
    zl_node_free(node);
    return e;
}

zl_err_t zl_dev_composite_encode(device_t *d, const zl_path_t *paths, size_t n, int cf, zl_buf_t *out) {
    if (!is_senml(cf)) return ZL_ERR_UNSUPPORTED;
    zl_node_t *root = zl_node_new(ZL_N_OBJECT, ZL_SENML_ROOT_ID);
    if (!root) return ZL_ERR_NOMEM;
    zl_err_t e = ZL_OK;
    for (size_t i = 0; i < n && !e; i++) e = add_path(d, root, &paths[i]);
    if (!e) e = zl_content_encode(cf, root, &root_path, out);
    zl_node_free(root);
    return e;
}

void zl_dev_fetch(device_t *d, const zl_coap_addr_t *peer, const zl_coap_msg_t *req, zl_coap_msg_t *resp,
                  zl_buf_t *body) {
    static _Thread_local uint8_t s_cf[4], s_obs[4];
    int64_t cf = zl_coap_opt_uint(req, ZL_OPT_CONTENT_FORMAT, -1);
    int64_t accept = zl_coap_opt_uint(req, ZL_OPT_ACCEPT, cf);
    if (!is_senml(cf) || !is_senml(accept)) {
        resp->code = is_senml(cf) ? ZL_COAP_NOT_ACCEPTABLE : ZL_COAP_UNSUPPORTED_CF;
        return;
    }
    zl_path_t *paths;
    size_t n;
    char err[160];
    if (zl_senml_paths_decode((int)cf, payload_of(req), req->payload_len, &paths, &n, err, sizeof err)) {
        bad_request(resp, body, err);
        return;
    }
    if (zl_dev_composite_encode(d, paths, n, (int)accept, body)) {
        free(paths);
        resp->code = ZL_COAP_INTERNAL_ERROR;
        return;
    }
    resp->code = ZL_COAP_CONTENT;
    zl_coap_add_uint(resp, ZL_OPT_CONTENT_FORMAT, (uint32_t)accept, s_cf);
    resp->payload = body->data;
    resp->payload_len = body->len;
    int64_t obs = zl_coap_opt_uint(req, ZL_OPT_OBSERVE, -1);
    if (zl_dev_observe(d, peer, req, obs, &root_path, (int)accept, paths, n)) /* takes paths */
        zl_coap_add_uint(resp, ZL_OPT_OBSERVE, 0, s_obs);
}

typedef uint8_t (*leaf_fn)(device_t *d, const zl_path_t *p, const zl_value_t *v);

/* fn for every value under node (p is node's path), until one answers non-zero. */
static uint8_t each_value(device_t *d, const zl_node_t *node, zl_path_t *p, leaf_fn fn) {
    if (node->kind == ZL_N_RESOURCE || node->kind == ZL_N_RES_INSTANCE) return fn(d, p, &node->value);
    uint8_t code = 0;
    for (size_t i = 0; i < node->n_children && !code && p->len < ZL_PATH_MAX_DEPTH; i++) {
        p->ids[p->len++] = node->children[i].id;
        code = each_value(d, &node->children[i], p, fn);
        p->len--;
    }
    return code;
}

static uint8_t write_value(device_t *d, const zl_path_t *p, const zl_value_t *v) {
    zl_dev_write(d, p, v);
    return 0;
}

void zl_dev_ipatch(device_t *d, const zl_coap_msg_t *req, zl_coap_msg_t *resp, zl_buf_t *body) {
    int64_t cf = zl_coap_opt_uint(req, ZL_OPT_CONTENT_FORMAT, -1);
    if (!is_senml(cf)) {
        resp->code = ZL_COAP_UNSUPPORTED_CF;
        return;
    }
    zl_node_t *root = NULL;
    char err[160];
    if (zl_content_decode((int)cf, payload_of(req), req->payload_len, &root_path, NULL, &root, err,
                          sizeof err) || !root || !root->n_children) {
        bad_request(resp, body, root ? "no value to write" : err);
        zl_node_free(root);
        return;
    }
    zl_path_t p = root_path;
    uint8_t code = each_value(d, root, &p, zl_dev_write_check); /* all or nothing */
    if (!code) {
        each_value(d, root, &p, write_value);
        for (size_t i = 0; i < root->n_children; i++) {
            const zl_node_t *obj = &root->children[i];
            for (size_t k = 0; k < obj->n_children; k++) zl_dev_notify(d, obj->id, obj->children[k].id);
        }
    }
    zl_node_free(root);
    resp->code = code ? code : ZL_COAP_CHANGED;
}
