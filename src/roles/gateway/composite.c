/* SPDX-License-Identifier: Apache-2.0 */
/* Composite operations (LwM2M 1.1 TS Core §5.4.3, §5.4.5, §5.5.2):
 *
 *   Read-Composite     FETCH /   payload: the paths as SenML names   answer: SenML values
 *   Observe-Composite  the same FETCH with Observe: 0; notifications carry SenML values
 *   cancel             FETCH with Observe: 1 (active) or forgetting the token (passive)
 *   Write-Composite    iPATCH /  payload: SenML values with absolute names
 *
 * On Kafka they are the zeelos 1.1 fields of AvroRequest (payload.paths for
 * read/observe/observeCancel, payload.resources for write) and the answer's
 * values go flat into rep.resources (docs/KAFKA.md).  This file checks a
 * composite request and builds its CoAP request; mgmt.c sends it and turns
 * the answer into a record like any other.  Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "lwm2m/model_apply.h"
#include "lwm2m/content.h"
#include "lwm2m/senml.h"

/* "/3/0/0,/3303" (malloc'd) */
static char *join_paths(const zl_path_t *paths, size_t n) {
    zl_buf_t b;
    zl_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        char s[32];
        int k = zl_path_format(&paths[i], s, sizeof s);
        if ((i && zl_buf_append(&b, ",", 1)) || zl_buf_append(&b, s, (size_t)k)) {
            zl_buf_free(&b);
            return NULL;
        }
    }
    char *out = strdup(zl_buf_cstr(&b));
    zl_buf_free(&b);
    return out;
}

bool zl_composite_check(zl_mreq_t *m) {
    zl_request_t *rq = &m->req;
    const char *kind = zl_req_kind_name(rq->kind);
    bool want_paths = rq->kind == ZL_RK_READ || rq->kind == ZL_RK_OBSERVE || rq->kind == ZL_RK_OBSERVE_CANCEL;
    if (!want_paths && rq->kind != ZL_RK_WRITE) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "%s has no composite form (composite: read, observe, "
                     "observeCancel with paths; write with resources)", kind);
        return false;
    }
    if (want_paths && (!rq->paths || rq->values)) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "composite %s takes payload.paths and no payload.resources", kind);
        return false;
    }
    if (!want_paths && (rq->paths || rq->body != ZL_RQB_NONE)) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "Write-Composite takes payload.resources only "
                     "(no payload.paths, body null)");
        return false;
    }
    char *joined = want_paths ? join_paths(rq->paths, rq->n_paths) : strdup("/");
    char *key = joined && want_paths ? malloc(strlen(joined) + 3) : NULL;
    if (!joined || (want_paths && !key)) {
        free(joined);
        zl_mgmt_fail(m, ZL_RC_INTERNAL_SERVER_ERROR, "out of memory");
        return false;
    }
    if (key) snprintf(key, strlen(joined) + 3, "%s%s", ZL_OBS_COMPOSITE_PREFIX, joined);
    free(rq->path);
    rq->path = joined; /* what the answer's path field says */
    m->path[0] = 0;
    free(m->obs_key);
    m->obs_key = key;
    return true;
}

/* The SenML format the exchange uses: contentFormatCode, else SenML JSON for
 * JSON_CODE and SenML CBOR otherwise.  -1 (m answered) if unusable. */
static int composite_cf(zl_mreq_t *m) {
    const zl_request_t *rq = &m->req;
    int cf = rq->has_cf_code ? (int)rq->cf_code : rq->content_format == ZL_ACF_JSON ? ZL_CF_SENML_JSON
                                                                                     : ZL_CF_SENML_CBOR;
    if (cf != ZL_CF_SENML_JSON && cf != ZL_CF_SENML_CBOR) {
        zl_mgmt_fail(m, ZL_RC_UNSUPPORTED_CONTENT_FORMAT,
                     "composite operations use SenML JSON (110) or SenML CBOR (112), not %d", cf);
        return -1;
    }
    return cf;
}

bool zl_composite_build(zl_mreq_t *m, zl_coap_msg_t *req, zl_buf_t *payload, uint8_t cf_opt[4],
                        uint8_t accept_opt[4], bool *observe) {
    const zl_request_t *rq = &m->req;
    int cf = composite_cf(m);
    if (cf < 0) return false;
    zl_err_t e;
    if (rq->kind == ZL_RK_WRITE) {
        static const zl_path_t root;
        char why[300] = "";
        /* values by the object model, as for plain writes */
        if (zl_node_apply_model(m->gw->models, m->req.values, &root, why, sizeof why)) {
            zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "%s", why[0] ? why : "out of memory");
            return false;
        }
        req->code = ZL_COAP_IPATCH;
        e = cf == ZL_CF_SENML_JSON ? zl_senml_json_encode(rq->values, &root, payload)
                                   : zl_senml_cbor_encode(rq->values, &root, payload);
    } else {
        req->code = ZL_COAP_FETCH;
        zl_coap_add_uint(req, ZL_OPT_ACCEPT, (uint32_t)cf, accept_opt);
        e = zl_senml_paths_encode(cf, rq->paths, rq->n_paths, payload);
        *observe = rq->kind == ZL_RK_OBSERVE;
    }
    if (e) {
        zl_mgmt_fail(m, ZL_RC_BAD_REQUEST, "cannot encode the composite %s as %s: %s",
                     zl_req_kind_name(rq->kind), zl_cf_name(cf), zl_err2str(e));
        return false;
    }
    zl_coap_add_uint(req, ZL_OPT_CONTENT_FORMAT, (uint32_t)cf, cf_opt);
    req->payload = payload->data;
    req->payload_len = payload->len;
    return true;
}
