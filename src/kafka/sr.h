/* Minimal Confluent Schema Registry REST client (libcurl), enough for the
 * serde: register a schema under a subject, fetch a schema by id.  Works
 * against Confluent SR and Apicurio's ccompat API (base URL including any
 * prefix, e.g. http://host:8080/apis/ccompat/v7).  Blocking; call at setup or
 * on a schema-cache miss only.  Timeouts: connect 5 s, total 10 s. */
#ifndef ZL_SR_H
#define ZL_SR_H

#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

typedef struct zl_sr zl_sr_t;

zl_sr_t *zl_sr_new(const char *url, char *errstr, size_t n);
void zl_sr_destroy(zl_sr_t *sr);

/* POST {url}/subjects/{subject}/versions {"schema": text} -> {"id": N}.
 * Errors: ZL_ERR_IO (transport), ZL_ERR_SCHEMA (registry refused; errstr has
 * the HTTP status, error_code and message). */
zl_err_t zl_sr_register(zl_sr_t *sr, const char *subject, const char *schema_text, int32_t *id,
                        char *errstr, size_t n);

/* GET {url}/schemas/ids/{id} -> *schema_text (malloc'd, caller frees).
 * ZL_ERR_NOT_FOUND when the registry answers 404. */
zl_err_t zl_sr_fetch(zl_sr_t *sr, int32_t id, char **schema_text, char *errstr, size_t n);

#endif
