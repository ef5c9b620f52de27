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
/* "text/plain", "application/vnd.oma.lwm2m+tlv", ... or NULL if unknown. */
const char *zl_cf_name(int cf);

#endif
