/* Built-in object models: enough to type values (TLV carries no types) for the
 * core objects 0-7, the IPSO 3300-series and the seed's Modbus object 26241.
 * Unknown objects/resources return NULL and their values stay untyped (opaque). */
#ifndef ZL_MODEL_H
#define ZL_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "lwm2m/node.h"

typedef struct {
    uint16_t id;
    const char *name;
    zl_type_t type;     /* ZL_T_NONE for executable resources */
    bool multiple;
    const char *ops;    /* "R", "W", "RW", "E" */
} zl_res_model_t;

typedef struct {
    uint16_t id;
    const char *name;
    bool multiple;
    const zl_res_model_t *res;
    unsigned n_res;
} zl_obj_model_t;

const zl_obj_model_t *zl_model_object(uint16_t oid);
const zl_res_model_t *zl_model_resource(uint16_t oid, uint16_t rid);

#endif
