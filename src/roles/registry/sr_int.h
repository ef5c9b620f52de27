/* SPDX-License-Identifier: Apache-2.0 */
/* Inside `zeelos registry`; a map of the role:
 *
 *   state.c     the registry's state (schemas by id, subjects and their
 *               versions, compatibility and mode settings) and how each
 *               record of the log changes it; the records' JSON formats
 *   registry.c  the process: Kafka (producer + log reader), the loop, HTTP,
 *               and writes, which are answered once the log has been read
 *               past their own record
 *   api.c       the REST API v1 (Confluent's paths, bodies and error codes)
 *   compat.c    compatibility levels and checks of a subject's versions
 *
 * The log is the truth: an instance changes its state only by reading
 * records, its own included, so every instance that read the same prefix
 * of the log holds the same state, and two instances writing at once are
 * ordered by Kafka (the first record to claim a version or an id wins; the
 * other writer sees that when it reads its record back, and tries again). */
#ifndef ZL_ROLES_REGISTRY_INT_H
#define ZL_ROLES_REGISTRY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "roles/registry/registry.h"
#include "kafka/avro_compat.h"
#include "kafka/client.h"
#include "http/http.h"
#include "common/buf.h"
#include "common/hmap.h"
#include "common/metrics.h"

/* ---- state.c ---- */

enum { SR_READWRITE = 0, SR_READONLY = 1, SR_IMPORT = 2 };
const char *sr_mode_name(int mode);
int sr_mode_parse(const char *s); /* -1 when unknown */

/* One schema, known by its global id.  Ids are never reused. */
typedef struct sr_schema {
    zl_hnode_t by_id, by_canon;
    int id;
    char *text;              /* the schema as registered first (owned) */
    char *canon;             /* its identity: the JSON without insignificant whitespace (owned) */
    zl_avro_schema_t *avro;  /* parsed (owned); NULL if it does not parse (a foreign record) */
} sr_schema_t;

typedef struct {
    int version;
    int id;
    bool deleted; /* soft-deleted: hidden unless asked for */
} sr_version_t;

typedef struct sr_subject {
    zl_hnode_t node;
    char *name;         /* owned */
    sr_version_t *v;    /* ascending version */
    size_t n, cap;
    int compat;         /* a zl_compat_level_t, -1: not set (the global one applies) */
    int mode;           /* -1: not set */
    int max_version;    /* highest version ever written, hard-deleted ones included */
} sr_subject_t;

typedef struct {
    zl_hmap_t ids, canons, subjects;
    int compat;         /* global; -1: not set (registry.compatibility applies) */
    int mode;           /* global; -1: not set (READWRITE) */
    uint64_t applied, ignored; /* records applied; records that claimed a taken id/version or were malformed */
} sr_state_t;

zl_err_t sr_state_init(sr_state_t *st);
void sr_state_fini(sr_state_t *st);
/* Applies one record of the log (key and value borrowed; value NULL for a
 * tombstone).  Malformed records and losing claims are counted, logged, skipped. */
void sr_state_apply(sr_state_t *st, const void *key, size_t klen, const void *val, size_t vlen);

sr_subject_t *sr_subject_find(const sr_state_t *st, const char *name);
sr_schema_t *sr_schema_by_id(const sr_state_t *st, int id);
sr_schema_t *sr_schema_by_canon(const sr_state_t *st, const char *canon);
/* version -1: the latest; deleted: soft-deleted ones count.  NULL if none. */
const sr_version_t *sr_version_find(const sr_subject_t *s, int version, bool deleted);
/* Versions that are not soft-deleted. */
size_t sr_subject_live(const sr_subject_t *s);
/* The identity of a schema text: its JSON without insignificant whitespace and
 * with object keys sorted (arrays, e.g. fields, keep their order); malloc'd,
 * caller frees; NULL if it is not JSON. */
char *sr_canon(const char *text, size_t len);

/* Record formats (Confluent's _schemas topic): each appends JSON to b. */
void sr_key_schema(zl_buf_t *b, const char *subject, int version);
void sr_val_schema(zl_buf_t *b, const char *subject, int version, int id, const char *text, bool deleted);
void sr_key_config(zl_buf_t *b, const char *subject); /* subject NULL: global */
void sr_val_config(zl_buf_t *b, int level);
void sr_key_mode(zl_buf_t *b, const char *subject);
void sr_val_mode(zl_buf_t *b, int mode);
void sr_key_delete_subject(zl_buf_t *b, const char *subject);
void sr_val_delete_subject(zl_buf_t *b, const char *subject, int version);

/* ---- registry.c: the process and its writes ---- */

typedef struct sr_write sr_write_t;
/* err: ZL_OK once the log was read past the write's last record (the state
 * shows its effect, or a competing record's), ZL_ERR_KAFKA / ZL_ERR_TIMEOUT. */
typedef void (*sr_write_done_t)(sr_write_t *w, zl_err_t err);

/* One HTTP request that writes: owned by registry.c from sr_write_start()
 * until done returns (done frees nothing; registry.c frees w after it). */
struct sr_write {
    zl_dr_t dr;
    zl_registry_t *sr;
    zl_http_call_t *call;
    sr_write_done_t done;
    sr_write_t *next;
    int64_t offset;    /* of the last record, once Kafka acknowledged it */
    int64_t deadline;  /* monotonic ms */
    bool acked;
    /* what the request asked, for done() (owned) */
    char *subject, *text;
    int id, version, attempts;
    bool permanent;
};

/* Produces the records of keys/vals (n of them; a NULL val is a tombstone)
 * in order; w->done runs once the log has been read past the last one, or on
 * failure.  w is then freed with its strings. */
void sr_write_start(zl_registry_t *sr, sr_write_t *w, const zl_buf_t *keys, const zl_buf_t *vals, int n);
sr_write_t *sr_write_new(zl_registry_t *sr, zl_http_call_t *call, sr_write_done_t done);

const sr_state_t *sr_state(const zl_registry_t *sr);
const zl_registry_conf_t *sr_conf(const zl_registry_t *sr);
/* Effective settings of a subject (its own, else the global ones). */
int sr_compat_of(const zl_registry_t *sr, const sr_subject_t *s);
int sr_mode_of(const zl_registry_t *sr, const char *subject);
/* The id a new schema gets: one more than the highest in [registry.id.first,
 * registry.id.last] (ids imported from other ranges do not count); -1 when
 * the range is used up. */
int sr_next_id(const zl_registry_t *sr);

/* ---- api.c ---- */
#define SR_CTYPE "application/vnd.schemaregistry.v1+json"
void sr_api_handle(void *ctx, zl_http_call_t *call); /* route "/" on the loop */
/* Completes call with Confluent's error body {"error_code", "message"}. */
void sr_api_error(zl_http_call_t *call, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- compat.c ---- */
/* cand against the versions of s that level names (every live one when
 * transitive, else the latest): true when compatible; otherwise one message
 * per failed check is appended to msgs (a JSON array, Confluent's wording). */
bool sr_check_subject(const sr_state_t *st, const sr_subject_t *s, int level, const zl_avro_schema_t *cand,
                      json_t *msgs);
/* cand against the one version v, in level's direction(s). */
bool sr_check_version(const sr_state_t *st, const sr_version_t *v, int level, const zl_avro_schema_t *cand,
                      json_t *msgs);

#endif
