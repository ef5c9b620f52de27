/* SPDX-License-Identifier: Apache-2.0 */
/* Object models: enough to type values (TLV carries no types).  Built in: the
 * core objects 0-7, the IPSO 3300-series and the seed's Modbus object 26241.
 * A zl_models_t handle adds objects loaded from OMA DDF XML files, which
 * override built-ins with the same id.  Unknown objects/resources return NULL
 * and their values stay untyped (opaque). */
#ifndef ZL_MODEL_H
#define ZL_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "lwm2m/node.h"
#include "common/err.h"

typedef struct {
    uint16_t id;
    const char *name;
    zl_type_t type;     /* ZL_T_NONE for executable resources */
    bool multiple;
    const char *ops;    /* "R", "W", "RW", "E" */
    const char *units;  /* the model's Units ("s", "mV", ...); NULL = none */
} zl_res_model_t;

typedef struct {
    uint16_t id;
    const char *name;
    bool multiple;
    const zl_res_model_t *res;
    unsigned n_res;
} zl_obj_model_t;

/* Built-in models only. */
const zl_obj_model_t *zl_model_object(uint16_t oid);
/* The i-th built-in object in id order; NULL past the last. */
const zl_obj_model_t *zl_model_builtin(size_t i);
const zl_res_model_t *zl_model_resource(uint16_t oid, uint16_t rid);
/* Resource rid of object o (binary search of its sorted table), or NULL (also for o NULL). */
const zl_res_model_t *zl_obj_model_resource(const zl_obj_model_t *o, uint16_t rid);

/* A set of models: the built-ins plus loaded objects.  Wherever a
 * `const zl_models_t *` is taken, NULL means "built-ins only".  Not
 * thread-safe while loading; read-only lookups may be shared. */
typedef struct zl_models zl_models_t;

/* A handle with the built-ins only; NULL when out of memory. */
zl_models_t *zl_models_new(void);
void zl_models_destroy(zl_models_t *m);
/* Loads every *.xml file of dir (not recursive; dot files skipped; sorted by
 * name).  All or nothing: the first file that fails (unreadable, larger than
 * ZL_DDF_MAX_SIZE, malformed, an object id already loaded) fails the whole
 * load, leaves m unchanged, and errstr says "dir/file.xml:line:col: what".
 * Loaded objects override built-ins with the same id (logged at info). */
zl_err_t zl_models_load_dir(zl_models_t *m, const char *dir, char *errstr, size_t errstr_size);
/* Same for one document in memory; origin names it in messages. */
zl_err_t zl_models_load_xml(zl_models_t *m, const char *xml, size_t len, const char *origin,
                            char *errstr, size_t errstr_size);
/* How many objects were loaded (not counting built-ins). */
size_t zl_models_loaded(const zl_models_t *m);
/* Loaded object if any, else the built-in; NULL if unknown.  m may be NULL. */
const zl_obj_model_t *zl_models_object(const zl_models_t *m, uint16_t oid);
/* Every object of m (loaded ones replacing built-ins) in id order: calls fn
 * for each.  m may be NULL. */
void zl_models_each(const zl_models_t *m, void (*fn)(void *ctx, const zl_obj_model_t *o), void *ctx);
const zl_res_model_t *zl_models_resource(const zl_models_t *m, uint16_t oid, uint16_t rid);

#endif
