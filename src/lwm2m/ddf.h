/* SPDX-License-Identifier: Apache-2.0 */
/* OMA DDF (LwM2M object definition XML) parser, on expat.
 *
 * Reads <LWM2M><Object ObjectType="MODefinition">... documents into heap
 * zl_obj_model_t objects (resources sorted by id, names owned).  Hardened for
 * files an operator drops into a directory: no DTD external subset, no
 * entity declarations at all (billion laughs, external entities), never any
 * file or network access, input capped at ZL_DDF_MAX_SIZE, at most
 * ZL_DDF_MAX_OBJECTS objects.  Errors name origin:line:col. */
#ifndef ZL_DDF_H
#define ZL_DDF_H

#include <stddef.h>

#include "lwm2m/model.h"
#include "common/err.h"

#define ZL_DDF_MAX_SIZE (1u << 20)  /* bytes per document */
#define ZL_DDF_MAX_OBJECTS 4096     /* per document and per models handle */
#define ZL_DDF_MAX_RESOURCES 65535  /* per object (ids 0..65534) */
#define ZL_DDF_MAX_TEXT 4096        /* bytes of one <Name>, <Type>, ... */

typedef struct {
    zl_obj_model_t **v; /* owned; free each with zl_ddf_obj_free */
    size_t n, cap;
} zl_ddf_t;

/* Parses one document.  origin names it in messages ("3303.xml").  On error
 * *out is empty and errstr holds "origin:line:col: what". */
zl_err_t zl_ddf_parse(const char *xml, size_t len, const char *origin, zl_ddf_t *out,
                      char *errstr, size_t errstr_size);
void zl_ddf_free(zl_ddf_t *d);
/* Frees one object returned by zl_ddf_parse (its names and resources too). */
void zl_ddf_obj_free(zl_obj_model_t *o);
/* zl_type_t for a DDF <Type> text (trimmed, case-insensitive); -1 if unknown. */
int zl_ddf_type(const char *s);

#endif
