/* SPDX-License-Identifier: Apache-2.0 */
/* Values of a write or create, converted to the types of the object model
 * before they are encoded for a device.  A request record may carry a value
 * typed as the caller guessed ("120" as STRING when no type was given); the
 * device cannot tell a wrong type from a right one (TLV carries none), so it
 * stores whatever bytes arrive.  The model knows better: every value is
 * converted to its resource's model type or refused. */
#ifndef ZL_MODEL_APPLY_H
#define ZL_MODEL_APPLY_H

#include <stddef.h>

#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"

/* Converts, in place, every value of node (the body of a write or create
 * addressed by path: object, instance, resource or resource instance) to the
 * type models give its resource (models NULL: built-ins only); on the root
 * path "/", node is a Write-Composite's root container (kind OBJECT holding
 * object nodes).  Values whose
 * type already matches, and values of resources without a model (or of
 * executable ones), are left as they are.  From a STRING: INTEGER/TIME strict
 * decimal (TIME in seconds), FLOAT decimal/exponent, BOOLEAN
 * "true"/"false"/"1"/"0", OBJLNK "oid:iid", OPAQUE canonical Base64.  Between
 * numbers: INTEGER/TIME -> FLOAT, an integral FLOAT -> INTEGER/TIME, INTEGER
 * 0/1 -> BOOLEAN, INTEGER <-> TIME (seconds).  To STRING: the text form of a
 * number, boolean ("true"/"false") or link; OPAQUE only when it is UTF-8.
 * Returns ZL_OK, ZL_ERR_INVALID with errstr naming the path, the value and
 * the model type ("/1/0/1: \"12a\" is not a valid INTEGER"), or ZL_ERR_NOMEM.
 * On error the values converted so far stay converted (each value is always
 * either its old or its new one, never half of either). */
zl_err_t zl_node_apply_model(const zl_models_t *models, zl_node_t *node, const zl_path_t *path, char *errstr,
                             size_t errstr_size);

#endif
