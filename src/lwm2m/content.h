/* SPDX-License-Identifier: Apache-2.0 */
/* Content-format dispatch: decode a device payload into a node tree, encode a
 * node tree for a device.  One entry point so callers never switch on formats. */
#ifndef ZL_CONTENT_H
#define ZL_CONTENT_H

#include <stddef.h>
#include <stdint.h>
#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"
#include "common/buf.h"

enum {
    ZL_CF_TEXT = 0,
    ZL_CF_LINK = 40,
    ZL_CF_OPAQUE = 42,
    ZL_CF_CBOR = 60,
    ZL_CF_SENML_JSON = 110,
    ZL_CF_SENML_CBOR = 112,
    ZL_CF_TLV_OLD = 1542,
    ZL_CF_JSON_OLD = 1543,
    ZL_CF_TLV = 11542,
    ZL_CF_JSON = 11543,
    ZL_CF_LWM2M_CBOR = 11544,
    ZL_CF_NONE = -1
};

/* Decodes payload (content format cf) returned for a request on path into a
 * node whose kind matches the path depth (object, instance, resource...).
 * Values are typed with models (NULL: the built-in ones). *out is owned by the caller.
 * Errors: ZL_ERR_UNSUPPORTED (format), ZL_ERR_INVALID / ZL_ERR_TRUNCATED (payload). */
zl_err_t zl_content_decode(int cf, const uint8_t *p, size_t n, const zl_path_t *path,
                           const zl_models_t *models, zl_node_t **out, char *errstr, size_t errstr_size);
/* Encodes node (addressed by path) in format cf. TEXT and OPAQUE need a single resource. */
zl_err_t zl_content_encode(int cf, const zl_node_t *node, const zl_path_t *path, zl_buf_t *out);
/* An object instance id that means "not given" in a Create: the device picks
 * the id (65535 is reserved by LwM2M, so no instance can have it). */
#define ZL_CREATE_NO_ID 65535
/* Encodes the payload of a Create on path (/oid): instance (kind INSTANCE) is
 * the new object instance.  As Leshan does, the payload is the object holding
 * that one instance, so names are relative to the object path: TLV one
 * object-instance TLV; SenML JSON/CBOR and LwM2M JSON bn "/oid/" and n
 * "iid/rid"; LwM2M CBOR {oid: {iid: {rid: value}}}.  With instance->id
 * ZL_CREATE_NO_ID, TLV carries the bare resources (the device picks the id);
 * the other formats name every value by its path and cannot leave the id out.
 * Errors (errstr says why, out's length restored): ZL_ERR_INVALID for a bad
 * path or body, a missing id outside TLV or a known format that cannot carry
 * an instance (text, opaque, CBOR, link); ZL_ERR_UNSUPPORTED for an unknown
 * format. */
zl_err_t zl_content_encode_create(int cf, const zl_node_t *instance, const zl_path_t *path, zl_buf_t *out,
                                  char *errstr, size_t errstr_size);
/* "text/plain", "application/vnd.oma.lwm2m+tlv", ... or NULL if unknown. */
const char *zl_cf_name(int cf);

#endif
