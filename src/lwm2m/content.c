/* SPDX-License-Identifier: Apache-2.0 */
/* Content-format dispatch.  Callers hand over (cf, bytes, path) and get a
 * node tree back, so the CoAP and gateway layers never switch on formats.
 * Single-value formats (text, opaque) are typed here from the model; TLV
 * types its own leaves, and so do the JSON/CBOR codecs (lwm2m_json.c,
 * lwm2m_cbor.c, senml*.c).  Link format is not a node format: it answers
 * ZL_ERR_UNSUPPORTED, as does any unknown format (CoAP 4.15).  A Create body
 * is encoded here too (zl_content_encode_create): wrapping the instance in its
 * object keeps every codec's shape check strict for the other operations. */
#include "lwm2m/content.h"

#include <stdio.h>
#include <string.h>

#include "lwm2m/lwm2m_cbor.h"
#include "lwm2m/lwm2m_json.h"
#include "lwm2m/model.h"
#include "lwm2m/senml.h"
#include "lwm2m/text.h"
#include "lwm2m/tlv.h"

const char *zl_cf_name(int cf) {
    switch (cf) {
    case ZL_CF_TEXT: return "text/plain";
    case ZL_CF_LINK: return "application/link-format";
    case ZL_CF_OPAQUE: return "application/octet-stream";
    case ZL_CF_CBOR: return "application/cbor";
    case ZL_CF_SENML_JSON: return "application/senml+json";
    case ZL_CF_SENML_CBOR: return "application/senml+cbor";
    case ZL_CF_TLV_OLD: return "application/vnd.oma.lwm2m+tlv";
    case ZL_CF_JSON_OLD: return "application/vnd.oma.lwm2m+json";
    case ZL_CF_TLV: return "application/vnd.oma.lwm2m+tlv";
    case ZL_CF_JSON: return "application/vnd.oma.lwm2m+json";
    case ZL_CF_LWM2M_CBOR: return "application/vnd.oma.lwm2m+cbor";
    default: return NULL;
    }
}

static zl_err_t seterr(char *errstr, size_t size, zl_err_t e, const char *msg, int cf) {
    if (errstr && size) snprintf(errstr, size, msg, cf);
    return e;
}

/* text/plain and octet-stream: one value for a resource or resource instance. */
static zl_err_t decode_single(int cf, const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out, char *errstr, size_t errstr_size) {
    if (!path || path->len < 3)
        return seterr(errstr, errstr_size, ZL_ERR_INVALID,
                      "content format %d needs a resource or resource instance path", cf);
    zl_node_t *node = zl_node_new(path->len == 3 ? ZL_N_RESOURCE : ZL_N_RES_INSTANCE,
                                  path->ids[path->len - 1]);
    if (!node) return ZL_ERR_NOMEM;
    zl_err_t e;
    if (cf == ZL_CF_OPAQUE) {
        e = zl_value_set_bytes(&node->value, ZL_T_OPAQUE, p, n);
    } else {
        const zl_res_model_t *m = zl_models_resource(models, path->ids[0], path->ids[2]);
        zl_type_t t = m ? m->type : ZL_T_NONE;
        e = zl_text_decode(p, n, t, &node->value);
        if (e == ZL_ERR_INVALID && errstr && errstr_size)
            snprintf(errstr, errstr_size, "text payload is not a valid %s", zl_type_name(t));
    }
    if (e) { zl_node_free(node); return e; }
    *out = node;
    return ZL_OK;
}

zl_err_t zl_content_decode(int cf, const uint8_t *p, size_t n, const zl_path_t *path,
                           const zl_models_t *models, zl_node_t **out, char *errstr, size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = 0;
    *out = NULL;
    if (!p && n) return seterr(errstr, errstr_size, ZL_ERR_INVALID, "NULL payload (cf %d)", cf);
    switch (cf) {
    case ZL_CF_TEXT:
    case ZL_CF_OPAQUE:
        return decode_single(cf, p, n, path, models, out, errstr, errstr_size);
    case ZL_CF_TLV:
    case ZL_CF_TLV_OLD:
        return zl_tlv_decode(p, n, path, models, out, errstr, errstr_size);
    case ZL_CF_JSON:
    case ZL_CF_JSON_OLD:
        return zl_lwm2m_json_decode(p, n, path, models, out, errstr, errstr_size);
    case ZL_CF_SENML_JSON:
        return zl_senml_json_decode(p, n, path, models, out, errstr, errstr_size);
    case ZL_CF_SENML_CBOR:
        return zl_senml_cbor_decode(p, n, path, models, out, errstr, errstr_size);
    case ZL_CF_LWM2M_CBOR:
        return zl_lwm2m_cbor_decode(p, n, path, models, out, errstr, errstr_size);
    case ZL_CF_CBOR:
        return zl_cbor_single_decode(p, n, path, models, out, errstr, errstr_size);
    default:
        return seterr(errstr, errstr_size, ZL_ERR_UNSUPPORTED,
                      "content format %d cannot be decoded to a node", cf);
    }
}

static bool is_leaf(const zl_node_t *n) {
    return n->kind == ZL_N_RESOURCE || n->kind == ZL_N_RES_INSTANCE;
}

zl_err_t zl_content_encode(int cf, const zl_node_t *node, const zl_path_t *path, zl_buf_t *out) {
    if (!node) return ZL_ERR_INVALID;
    size_t start = out->len;
    zl_err_t e;
    switch (cf) {
    case ZL_CF_TEXT:
        if (!is_leaf(node)) return ZL_ERR_INVALID;
        e = zl_text_encode(&node->value, out);
        break;
    case ZL_CF_OPAQUE:
        if (!is_leaf(node)) return ZL_ERR_INVALID;
        if (node->value.type != ZL_T_OPAQUE && node->value.type != ZL_T_NONE) return ZL_ERR_INVALID;
        e = zl_buf_append(out, node->value.bytes, node->value.len);
        break;
    case ZL_CF_TLV:
    case ZL_CF_TLV_OLD:
        /* Like Leshan: a payload for /oid/iid carries the bare resources. */
        if (path && path->len == 2 && node->kind == ZL_N_INSTANCE)
            e = zl_tlv_encode_resources(node, out);
        else
            e = zl_tlv_encode(node, out);
        break;
    case ZL_CF_JSON:
    case ZL_CF_JSON_OLD: e = zl_lwm2m_json_encode(node, path, out); break;
    case ZL_CF_SENML_JSON: e = zl_senml_json_encode(node, path, out); break;
    case ZL_CF_SENML_CBOR: e = zl_senml_cbor_encode(node, path, out); break;
    case ZL_CF_LWM2M_CBOR: e = zl_lwm2m_cbor_encode(node, path, out); break;
    case ZL_CF_CBOR: e = zl_cbor_single_encode(node, path, out); break;
    default:
        return ZL_ERR_UNSUPPORTED;
    }
    if (e) out->len = start;
    return e;
}

static zl_err_t create_fail(char *errstr, size_t size, zl_err_t e, const char *fmt, int a, int b) {
    if (errstr && size) snprintf(errstr, size, fmt, a, b);
    return e;
}

zl_err_t zl_content_encode_create(int cf, const zl_node_t *instance, const zl_path_t *path, zl_buf_t *out,
                                  char *errstr, size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = 0;
    if (!path || path->len != 1)
        return create_fail(errstr, errstr_size, ZL_ERR_INVALID, "a create is sent to an object path (/o)", 0, 0);
    if (!instance || instance->kind != ZL_N_INSTANCE)
        return create_fail(errstr, errstr_size, ZL_ERR_INVALID, "the body of a create is one object instance", 0, 0);
    bool tlv = cf == ZL_CF_TLV || cf == ZL_CF_TLV_OLD;
    switch (cf) {
    case ZL_CF_TLV:
    case ZL_CF_TLV_OLD:
    case ZL_CF_SENML_JSON:
    case ZL_CF_SENML_CBOR:
    case ZL_CF_JSON:
    case ZL_CF_JSON_OLD:
    case ZL_CF_LWM2M_CBOR:
        break;
    default:
        if (!zl_cf_name(cf))
            return create_fail(errstr, errstr_size, ZL_ERR_UNSUPPORTED, "content format %d is not one zeelos knows",
                               cf, 0);
        return create_fail(errstr, errstr_size, ZL_ERR_INVALID,
                           "content format %d carries a single value, not an object instance: a create "
                           "needs TLV (11542), SenML JSON (110), SenML CBOR (112), LwM2M JSON (11543) or "
                           "LwM2M CBOR (11544)", cf, 0);
    }
    zl_err_t e;
    if (instance->id == ZL_CREATE_NO_ID) {
        if (!tlv)
            return create_fail(errstr, errstr_size, ZL_ERR_INVALID,
                               "content format %d names every value by its path, so a create in it needs an "
                               "instance id (only TLV can leave the id to the device)", cf, 0);
        e = zl_tlv_encode_resources(instance, out);
    } else {
        /* the object holding the one new instance, on the stack: the encoders only read it */
        zl_node_t obj = {.kind = ZL_N_OBJECT, .id = path->ids[0], .value.type = ZL_T_NONE,
                         .children = (zl_node_t *)instance, .n_children = 1};
        e = zl_content_encode(cf, &obj, path, out);
    }
    if (e == ZL_ERR_INVALID)
        return create_fail(errstr, errstr_size, e, "the instance cannot be encoded as content format %d "
                           "(a resource holding children of the wrong kind, a reserved id or a value the format "
                           "cannot carry)", cf, 0);
    if (e && errstr && errstr_size) snprintf(errstr, errstr_size, "%s", zl_err2str(e));
    return e;
}
