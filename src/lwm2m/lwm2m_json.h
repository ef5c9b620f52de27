/* SPDX-License-Identifier: Apache-2.0 */
/* OMA LwM2M JSON (LwM2M 1.0 §6.4.4), content formats 11543 and the legacy 1543:
 *   {"bn":"/3/0/","e":[{"n":"0","sv":"Open Mobile Alliance"},{"n":"6/0","v":1},...]}
 * Values: "v" number (INTEGER, TIME, FLOAT), "sv" string (STRING; OPAQUE as
 * Base64), "bv" boolean, "ov" object link "oid:iid". "bt" / "t" are accepted
 * (numbers) and ignored: the node tree has no timestamps. */
#ifndef ZL_LWM2M_JSON_H
#define ZL_LWM2M_JSON_H
#include <stddef.h>
#include <stdint.h>
#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"
#include "common/buf.h"

/* Largest payload the decoder accepts (ZL_ERR_TOO_LARGE beyond). */
#define ZL_LWM2M_JSON_MAX_INPUT (1u << 20)

/* Decodes a payload answering a request on path (object, instance, resource,
 * resource instance) into a node of the matching kind.  Every entry's name
 * (bn + n) must lie under path; values are typed with the model (unknown
 * resources: "v" integer literal -> INTEGER, other numbers -> FLOAT, "sv" ->
 * STRING).  Errors: ZL_ERR_INVALID (with a message naming the entry),
 * ZL_ERR_TOO_LARGE (more than 10000 entries or 1 MiB), ZL_ERR_NOMEM. */
zl_err_t zl_lwm2m_json_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                              char *errstr, size_t errstr_size);
/* Encodes node (addressed by path) with "bn" = path + "/" for objects,
 * instances and multiple resources, and the parent path + "/" with
 * "n" = the last id for a single resource or resource instance.
 * ZL_ERR_INVALID for a malformed tree, non-finite floats or strings that are
 * not UTF-8.  On error out's length is restored. */
zl_err_t zl_lwm2m_json_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out);
#endif
