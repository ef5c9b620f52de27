/* SPDX-License-Identifier: Apache-2.0 */
/* The Schema Registry REST API v1 as Confluent's clients use it: the paths,
 * the JSON bodies (application/vnd.schemaregistry.v1+json) and the error
 * bodies {"error_code", "message"} with Confluent's codes.  Reads answer
 * from the state at once; writes go through the log (registry.c) and are
 * answered from the state once their record has been read back.  Runs on
 * the loop thread. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "roles/registry/sr_int.h"
#include "common/log.h"

#define MAX_SEGS 8

typedef struct {
    zl_registry_t *sr;
    zl_http_call_t *call;
    const char *method;
    char *segs[MAX_SEGS];
    int n;
    char path[1024];
} req_t;

/* ---- answers ---- */

static void reply(zl_http_call_t *call, int status, json_t *j) {
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (s) zl_buf_append(zl_http_call_reply(call), s, strlen(s));
    free(s);
    json_decref(j);
    zl_http_call_done(call, status, SR_CTYPE);
}

void sr_api_error(zl_http_call_t *call, int status, int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply(call, status, json_pack("{s:i, s:s}", "error_code", code, "message", msg));
}

static void not_found_subject(zl_http_call_t *call, const char *subject) {
    sr_api_error(call, 404, 40401, "Subject '%s' not found.", subject);
}

static bool arg_true(const zl_http_call_t *call, const char *name) {
    const char *v = zl_http_call_arg(call, name);
    return v && !strcmp(v, "true");
}

static json_t *version_json(const sr_state_t *st, const char *subject, const sr_version_t *v) {
    const sr_schema_t *x = sr_schema_by_id(st, v->id);
    return json_pack("{s:s, s:i, s:i, s:s}", "subject", subject, "version", v->version, "id", v->id, "schema",
                     x ? x->text : "");
}

/* "latest", "-1" or 1..2^31-1: -1 for the latest; -2 when invalid (answered). */
static int parse_version(zl_http_call_t *call, const char *s) {
    if (!strcmp(s, "latest") || !strcmp(s, "-1")) return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end && v >= 1 && v <= INT_MAX) return (int)v;
    sr_api_error(call, 422, 42202,
                 "The specified version '%s' is not a valid version id. Allowed values are between [1, "
                 "2^31-1] and the string \"latest\"", s);
    return -2;
}

/* The request body as a JSON object; NULL when answered with an error. */
static json_t *body_object(zl_http_call_t *call) {
    size_t len;
    const char *b = zl_http_call_body(call, &len);
    json_error_t je;
    json_t *j = json_loadb(b, len, 0, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        sr_api_error(call, 400, 400, "the request body is not a JSON object: %s", j ? "another JSON value" : je.text);
        return NULL;
    }
    return j;
}

/* {"schema": "...", "schemaType"?, "references"?}: the schema parsed, or NULL when answered. */
static zl_avro_schema_t *body_schema(zl_http_call_t *call, json_t *body, const char **text) {
    json_t *js = json_object_get(body, "schema");
    const char *type = json_string_value(json_object_get(body, "schemaType"));
    json_t *refs = json_object_get(body, "references");
    if (!json_is_string(js)) {
        sr_api_error(call, 422, 42201, "Invalid schema: the body has no \"schema\" string");
        return NULL;
    }
    if (type && strcmp(type, "AVRO")) {
        sr_api_error(call, 422, 42201, "Invalid schema: schemaType %s is not supported (AVRO only)", type);
        return NULL;
    }
    if (json_array_size(refs) > 0) {
        sr_api_error(call, 422, 42201, "Invalid schema: schema references are not supported");
        return NULL;
    }
    *text = json_string_value(js);
    char err[512];
    zl_avro_schema_t *a = zl_avro_schema_parse(*text, strlen(*text), err, sizeof err);
    if (!a) sr_api_error(call, 422, 42201, "Invalid schema: %s", err);
    return a;
}

static void write_failed(zl_http_call_t *call, zl_err_t err) {
    if (err == ZL_ERR_TIMEOUT)
        sr_api_error(call, 500, 50002, "Operation timed out: the registry's topic did not return the write in time");
    else
        sr_api_error(call, 500, 50001, "Error in the backend data store: Kafka did not take the write");
}

static bool writable(req_t *r, const char *subject) {
    int mode = sr_mode_of(r->sr, subject);
    if (mode != SR_READONLY) return true;
    sr_api_error(r->call, 422, 42205, "Subject %s is in read-only mode", subject ? subject : "(global)");
    return false;
}

/* ---- registering ---- */

static void register_schema(zl_registry_t *sr, zl_http_call_t *call, const char *subject, const char *text,
                            const zl_avro_schema_t *avro, int want_id, int want_version, int attempts);

static void on_registered(sr_write_t *w, zl_err_t err) {
    if (err) {
        write_failed(w->call, err);
        return;
    }
    const sr_state_t *st = sr_state(w->sr);
    const sr_subject_t *s = sr_subject_find(st, w->subject);
    const sr_version_t *v = sr_version_find(s, w->version, true);
    const sr_schema_t *x = sr_schema_by_id(st, w->id);
    char *canon = sr_canon(w->text, strlen(w->text));
    bool mine = v && v->id == w->id && x && canon && !strcmp(x->canon, canon); /* not a rival's record */
    free(canon);
    if (mine) {
        reply(w->call, 200, json_pack("{s:i}", "id", w->id));
        return;
    }
    /* another writer's record came first: decide again on the state as it is now */
    char e[256];
    zl_avro_schema_t *a = zl_avro_schema_parse(w->text, strlen(w->text), e, sizeof e);
    if (!a) {
        sr_api_error(w->call, 500, 50001, "Error in the backend data store: %s", e);
        return;
    }
    bool import = sr_mode_of(w->sr, w->subject) == SR_IMPORT;
    register_schema(w->sr, w->call, w->subject, w->text, a, import ? w->id : 0, import ? w->version : 0,
                    w->attempts + 1);
    zl_avro_schema_free(a);
}

/* want_id/want_version: 0 = allocate (IMPORT mode may name them). */
static void register_schema(zl_registry_t *sr, zl_http_call_t *call, const char *subject, const char *text,
                            const zl_avro_schema_t *avro, int want_id, int want_version, int attempts) {
    const sr_state_t *st = sr_state(sr);
    bool import = sr_mode_of(sr, subject) == SR_IMPORT;
    char *canon = sr_canon(text, strlen(text));
    const sr_subject_t *s = sr_subject_find(st, subject);
    const sr_schema_t *same = canon ? sr_schema_by_canon(st, canon) : NULL;
    free(canon);
    if (attempts > 5) {
        sr_api_error(call, 500, 50001, "Error in the backend data store: lost the race for subject %s five times",
                     subject);
        return;
    }
    /* already registered under this subject: its id, no new version */
    for (size_t i = s ? s->n : 0; same && i-- > 0;)
        if (!s->v[i].deleted && s->v[i].id == same->id && (!want_version || s->v[i].version == want_version)) {
            reply(call, 200, json_pack("{s:i}", "id", same->id));
            return;
        }
    int id = same ? same->id : 0, version = s ? s->max_version + 1 : 1;
    if (import) {
        if (want_id) {
            const sr_schema_t *taken = sr_schema_by_id(st, want_id);
            if (taken && (!same || taken->id != same->id)) {
                sr_api_error(call, 422, 42205, "Overwrite new schema with id %d is not permitted.", want_id);
                return;
            }
            id = want_id;
        }
        if (want_version) {
            if (sr_version_find(s, want_version, true)) {
                sr_api_error(call, 422, 42205, "Version %d of subject %s already exists with another schema",
                             want_version, subject);
                return;
            }
            version = want_version;
        }
    } else {
        json_t *msgs = json_array();
        if (!sr_check_subject(st, s, sr_compat_of(sr, s), avro, msgs)) {
            zl_buf_t d;
            zl_buf_init(&d, 0);
            for (size_t i = 0; i < json_array_size(msgs); i++)
                zl_buf_printf(&d, "%s%s", i ? ", " : "", json_string_value(json_array_get(msgs, i)));
            sr_api_error(call, 409, 409,
                         "Schema being registered is incompatible with an earlier schema for subject \"%s\", "
                         "details: [%s]", subject, zl_buf_cstr(&d));
            zl_buf_free(&d);
            json_decref(msgs);
            return;
        }
        json_decref(msgs);
    }
    if (!id && (id = sr_next_id(sr)) < 0) {
        sr_api_error(call, 500, 50001, "Error in the backend data store: no schema id left in registry.id.first..last");
        return;
    }
    sr_write_t *w = sr_write_new(sr, call, on_registered);
    if (!w || !(w->subject = strdup(subject)) || !(w->text = strdup(text))) {
        if (w) free(w->subject);
        free(w);
        sr_api_error(call, 500, 50001, "out of memory");
        return;
    }
    w->id = id;
    w->version = version;
    w->attempts = attempts;
    zl_buf_t k, v;
    zl_buf_init(&k, 0);
    zl_buf_init(&v, 0);
    sr_key_schema(&k, subject, version);
    sr_val_schema(&v, subject, version, id, text, false);
    sr_write_start(sr, w, &k, &v, 1);
    zl_buf_free(&k);
    zl_buf_free(&v);
}

static void post_versions(req_t *r, const char *subject) {
    if (!writable(r, subject)) return;
    json_t *body = body_object(r->call);
    if (!body) return;
    const char *text;
    zl_avro_schema_t *a = body_schema(r->call, body, &text);
    if (a) {
        json_t *jid = json_object_get(body, "id"), *jv = json_object_get(body, "version");
        json_int_t id = json_integer_value(jid), version = json_integer_value(jv);
        bool import = sr_mode_of(r->sr, subject) == SR_IMPORT;
        if ((jid && (id < 1 || id > INT_MAX)) || (jv && (version < 1 || version > INT_MAX))) {
            sr_api_error(r->call, 422, 42202, "id and version must be between 1 and 2^31-1");
        } else if (jid && id > 0 && !import) {
            sr_api_error(r->call, 422, 42205, "Subject %s is not in import mode: a schema id cannot be chosen",
                         subject);
        } else {
            register_schema(r->sr, r->call, subject, text, a, (int)id, import ? (int)version : 0, 0);
        }
        zl_avro_schema_free(a);
    }
    json_decref(body);
}

/* POST /subjects/{s}: is this schema registered under s? */
static void lookup(req_t *r, const char *subject) {
    const sr_state_t *st = sr_state(r->sr);
    json_t *body = body_object(r->call);
    if (!body) return;
    const char *text;
    zl_avro_schema_t *a = body_schema(r->call, body, &text);
    if (a) {
        bool deleted = arg_true(r->call, "deleted");
        const sr_subject_t *s = sr_subject_find(st, subject);
        char *canon = sr_canon(text, strlen(text));
        const sr_schema_t *x = canon ? sr_schema_by_canon(st, canon) : NULL;
        const sr_version_t *hit = NULL;
        for (size_t i = s ? s->n : 0; x && i-- > 0 && !hit;)
            if (s->v[i].id == x->id && (deleted || !s->v[i].deleted)) hit = &s->v[i];
        if (!s || (!sr_subject_live(s) && !deleted)) not_found_subject(r->call, subject);
        else if (!hit) sr_api_error(r->call, 404, 40403, "Schema not found");
        else reply(r->call, 200, version_json(st, subject, hit));
        free(canon);
        zl_avro_schema_free(a);
    }
    json_decref(body);
}

/* ---- deleting ---- */

static void on_deleted(sr_write_t *w, zl_err_t err) {
    if (err) {
        write_failed(w->call, err);
        return;
    }
    /* the answer was built before the write: what the request deleted */
    reply(w->call, 200, json_loadb(w->text, strlen(w->text), JSON_DECODE_ANY, NULL));
}

/* Starts a write of n records whose answer is the JSON `answer` (stolen). */
static void write_then_answer(req_t *r, zl_buf_t *keys, zl_buf_t *vals, int n, json_t *answer) {
    sr_write_t *w = sr_write_new(r->sr, r->call, on_deleted);
    char *a = json_dumps(answer, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(answer);
    if (!w || !a) {
        free(w);
        free(a);
        sr_api_error(r->call, 500, 50001, "out of memory");
        return;
    }
    w->text = a;
    sr_write_start(r->sr, w, keys, vals, n);
}

static void delete_subject(req_t *r, const char *subject) {
    if (!writable(r, subject)) return;
    const sr_subject_t *s = sr_subject_find(sr_state(r->sr), subject);
    bool permanent = arg_true(r->call, "permanent");
    if (!s || !s->n) {
        not_found_subject(r->call, subject);
        return;
    }
    size_t live = sr_subject_live(s);
    if (!permanent && !live) {
        sr_api_error(r->call, 404, 40404, "Subject '%s' was soft deleted. Set permanent=true to delete permanently",
                     subject);
        return;
    }
    if (permanent && live) {
        sr_api_error(r->call, 404, 40405, "Subject '%s' was not deleted first before being permanently deleted",
                     subject);
        return;
    }
    json_t *answer = json_array();
    int n = permanent ? (int)s->n : 1;
    zl_buf_t *keys = calloc((size_t)n, sizeof *keys), *vals = calloc((size_t)n, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        json_decref(answer);
        sr_api_error(r->call, 500, 50001, "out of memory");
        return;
    }
    for (size_t i = 0; i < s->n; i++)
        if (permanent || !s->v[i].deleted) json_array_append_new(answer, json_integer(s->v[i].version));
    if (permanent) { /* tombstones: compaction removes them from the topic too */
        for (int i = 0; i < n; i++) {
            zl_buf_init(&keys[i], 0);
            zl_buf_init(&vals[i], 0);
            sr_key_schema(&keys[i], subject, s->v[i].version);
        }
    } else {
        zl_buf_init(&keys[0], 0);
        zl_buf_init(&vals[0], 0);
        sr_key_delete_subject(&keys[0], subject);
        sr_val_delete_subject(&vals[0], subject, s->v[s->n - 1].version);
    }
    write_then_answer(r, keys, vals, n, answer);
    for (int i = 0; i < n; i++) {
        zl_buf_free(&keys[i]);
        zl_buf_free(&vals[i]);
    }
    free(keys);
    free(vals);
}

static void delete_version(req_t *r, const char *subject, const char *vs) {
    if (!writable(r, subject)) return;
    int version = parse_version(r->call, vs);
    if (version == -2) return;
    const sr_state_t *st = sr_state(r->sr);
    const sr_subject_t *s = sr_subject_find(st, subject);
    bool permanent = arg_true(r->call, "permanent");
    if (!s || !s->n) {
        not_found_subject(r->call, subject);
        return;
    }
    const sr_version_t *v = version < 0 ? sr_version_find(s, -1, permanent) : sr_version_find(s, version, true);
    if (!v) {
        sr_api_error(r->call, 404, 40402, "Version %s not found.", vs);
        return;
    }
    if (!permanent && v->deleted) {
        sr_api_error(r->call, 404, 40406, "Version %d was soft deleted. Set permanent=true to delete permanently",
                     v->version);
        return;
    }
    if (permanent && !v->deleted) {
        sr_api_error(r->call, 404, 40407, "Version %d not deleted first before being permanently deleted",
                     v->version);
        return;
    }
    zl_buf_t k, val;
    zl_buf_init(&k, 0);
    zl_buf_init(&val, 0);
    sr_key_schema(&k, subject, v->version);
    if (!permanent) {
        const sr_schema_t *x = sr_schema_by_id(st, v->id);
        sr_val_schema(&val, subject, v->version, v->id, x ? x->text : "", true);
    }
    write_then_answer(r, &k, &val, 1, json_integer(v->version));
    zl_buf_free(&k);
    zl_buf_free(&val);
}

/* ---- settings (config and mode) ---- */

static void put_setting(req_t *r, bool config, const char *subject) {
    json_t *body = body_object(r->call);
    if (!body) return;
    const char *field = config ? "compatibility" : "mode";
    const char *name = json_string_value(json_object_get(body, field));
    int level = config ? zl_compat_level_parse(name ? name : "") : sr_mode_parse(name);
    const sr_state_t *st = sr_state(r->sr);
    if (level < 0) {
        if (config) sr_api_error(r->call, 422, 42203, "Invalid compatibility level. Valid values are none, backward, "
                                 "forward, full, backward_transitive, forward_transitive, and full_transitive");
        else sr_api_error(r->call, 422, 42204, "Invalid mode. Valid values are READWRITE, READONLY and IMPORT");
    } else if (config && !writable(r, subject)) {
        /* answered */
    } else if (!config && level == SR_IMPORT && !arg_true(r->call, "force") &&
               (subject ? sr_subject_live(sr_subject_find(st, subject)) > 0 : st->subjects.count > 0)) {
        sr_api_error(r->call, 422, 42205, "Cannot import since found existing subjects");
    } else {
        zl_buf_t k, v;
        zl_buf_init(&k, 0);
        zl_buf_init(&v, 0);
        if (config) {
            sr_key_config(&k, subject);
            sr_val_config(&v, level);
        } else {
            sr_key_mode(&k, subject);
            sr_val_mode(&v, level);
        }
        write_then_answer(r, &k, &v, 1,
                          json_pack("{s:s}", field, config ? zl_compat_level_name(level) : sr_mode_name(level)));
        zl_buf_free(&k);
        zl_buf_free(&v);
    }
    json_decref(body);
}

static void get_setting(req_t *r, bool config, const char *subject) {
    const sr_state_t *st = sr_state(r->sr);
    const char *field = config ? "compatibilityLevel" : "mode";
    if (subject) {
        const sr_subject_t *s = sr_subject_find(st, subject);
        int own = s ? (config ? s->compat : s->mode) : -1;
        if (own < 0 && !arg_true(r->call, "defaultToGlobal")) {
            if (config) sr_api_error(r->call, 404, 40408, "Subject '%s' does not have subject-level compatibility "
                                     "configured", subject);
            else sr_api_error(r->call, 404, 40409, "Subject '%s' does not have subject-level mode configured",
                              subject);
            return;
        }
    }
    const sr_subject_t *s = subject ? sr_subject_find(st, subject) : NULL;
    const char *name = config ? zl_compat_level_name((zl_compat_level_t)sr_compat_of(r->sr, s))
                              : sr_mode_name(sr_mode_of(r->sr, subject));
    reply(r->call, 200, json_pack("{s:s}", field, name));
}

static void delete_setting(req_t *r, bool config, const char *subject) {
    const sr_state_t *st = sr_state(r->sr);
    const sr_subject_t *s = subject ? sr_subject_find(st, subject) : NULL;
    if (subject && !s) {
        not_found_subject(r->call, subject);
        return;
    }
    const char *field = config ? "compatibilityLevel" : "mode";
    const char *was = config ? zl_compat_level_name((zl_compat_level_t)sr_compat_of(r->sr, s))
                             : sr_mode_name(sr_mode_of(r->sr, subject));
    zl_buf_t k;
    zl_buf_init(&k, 0);
    if (config) sr_key_config(&k, subject);
    else sr_key_mode(&k, subject);
    write_then_answer(r, &k, NULL, 1, json_pack("{s:s}", field, was));
    zl_buf_free(&k);
}

static void setting(req_t *r, bool config, const char *subject) {
    if (!strcmp(r->method, "GET")) get_setting(r, config, subject);
    else if (!strcmp(r->method, "PUT")) put_setting(r, config, subject);
    else if (!strcmp(r->method, "DELETE")) delete_setting(r, config, subject);
    else sr_api_error(r->call, 405, 405, "HTTP 405 Method Not Allowed");
}

/* ---- compatibility ---- */

static void check_compat(req_t *r, const char *subject, const char *vs) {
    const sr_state_t *st = sr_state(r->sr);
    json_t *body = body_object(r->call);
    if (!body) return;
    const char *text;
    zl_avro_schema_t *a = body_schema(r->call, body, &text);
    json_decref(body);
    if (!a) return;
    const sr_subject_t *s = sr_subject_find(st, subject);
    int level = sr_compat_of(r->sr, s);
    json_t *msgs = json_array();
    bool ok = true;
    if (vs) { /* against that one version, in the level's direction(s) */
        int version = parse_version(r->call, vs);
        if (version == -2) goto out;
        const sr_version_t *v = sr_version_find(s, version, false);
        if (!s || !sr_subject_live(s)) {
            not_found_subject(r->call, subject);
            goto out;
        }
        if (!v) {
            sr_api_error(r->call, 404, 40402, "Version %s not found.", vs);
            goto out;
        }
        ok = level == ZL_COMPAT_NONE || sr_check_version(st, v, level, a, msgs);
    } else { /* against the versions the level names, as a registration would be */
        ok = sr_check_subject(st, s, level, a, msgs);
    }
    json_t *ans = json_pack("{s:b}", "is_compatible", ok);
    if (arg_true(r->call, "verbose") && !ok) json_object_set(ans, "messages", msgs);
    reply(r->call, 200, ans);
out:
    json_decref(msgs);
    zl_avro_schema_free(a);
}

/* ---- reads ---- */

static void list_subjects(req_t *r) {
    const sr_state_t *st = sr_state(r->sr);
    bool deleted = arg_true(r->call, "deleted");
    const char *prefix = zl_http_call_arg(r->call, "subjectPrefix");
    json_t *a = json_array();
    size_t b = 0;
    for (zl_hnode_t *n = zl_hmap_iter(&st->subjects, &b, NULL); n; n = zl_hmap_iter(&st->subjects, &b, n)) {
        const sr_subject_t *s = ZL_CONTAINER_OF(n, sr_subject_t, node);
        if (!s->n || (!deleted && !sr_subject_live(s))) continue;
        if (prefix && strncmp(s->name, prefix, strlen(prefix))) continue;
        json_array_append_new(a, json_string(s->name));
    }
    reply(r->call, 200, a);
}

static void list_versions(req_t *r, const char *subject) {
    const sr_subject_t *s = sr_subject_find(sr_state(r->sr), subject);
    bool deleted = arg_true(r->call, "deleted");
    if (!s || (!sr_subject_live(s) && !(deleted && s->n))) {
        not_found_subject(r->call, subject);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++)
        if (deleted || !s->v[i].deleted) json_array_append_new(a, json_integer(s->v[i].version));
    reply(r->call, 200, a);
}

static void get_version(req_t *r, const char *subject, const char *vs, const char *what) {
    const sr_state_t *st = sr_state(r->sr);
    int version = parse_version(r->call, vs);
    if (version == -2) return;
    bool deleted = arg_true(r->call, "deleted");
    const sr_subject_t *s = sr_subject_find(st, subject);
    if (!s || (!sr_subject_live(s) && !(deleted && s->n))) {
        not_found_subject(r->call, subject);
        return;
    }
    const sr_version_t *v = sr_version_find(s, version, deleted);
    if (!v) {
        sr_api_error(r->call, 404, 40402, "Version %s not found.", vs);
        return;
    }
    const sr_schema_t *x = sr_schema_by_id(st, v->id);
    if (!what) {
        reply(r->call, 200, version_json(st, subject, v));
    } else if (!strcmp(what, "schema")) {
        json_t *j = x ? json_loadb(x->text, strlen(x->text), JSON_DECODE_ANY, NULL) : NULL;
        reply(r->call, 200, j ? j : json_string(x ? x->text : ""));
    } else if (!strcmp(what, "referencedby")) {
        reply(r->call, 200, json_array()); /* references are not supported: nothing refers to it */
    } else {
        sr_api_error(r->call, 404, 404, "HTTP 404 Not Found");
    }
}

static void get_schema_id(req_t *r, const char *ids, const char *what) {
    const sr_state_t *st = sr_state(r->sr);
    char *end;
    long id = strtol(ids, &end, 10);
    const sr_schema_t *x = *ids && !*end && id > 0 && id <= INT_MAX ? sr_schema_by_id(st, (int)id) : NULL;
    if (!x) {
        sr_api_error(r->call, 404, 40403, "Schema %s not found", ids);
        return;
    }
    if (!what) {
        reply(r->call, 200, json_pack("{s:s}", "schema", x->text));
        return;
    }
    if (!strcmp(what, "schema")) {
        json_t *j = json_loadb(x->text, strlen(x->text), JSON_DECODE_ANY, NULL);
        reply(r->call, 200, j ? j : json_string(x->text));
        return;
    }
    bool versions = !strcmp(what, "versions");
    if (!versions && strcmp(what, "subjects")) {
        sr_api_error(r->call, 404, 404, "HTTP 404 Not Found");
        return;
    }
    bool deleted = arg_true(r->call, "deleted");
    json_t *a = json_array();
    size_t b = 0;
    for (zl_hnode_t *n = zl_hmap_iter(&st->subjects, &b, NULL); n; n = zl_hmap_iter(&st->subjects, &b, n)) {
        const sr_subject_t *s = ZL_CONTAINER_OF(n, sr_subject_t, node);
        bool listed = false;
        for (size_t i = 0; i < s->n; i++) {
            if (s->v[i].id != x->id || (s->v[i].deleted && !deleted) || (listed && !versions)) continue;
            json_array_append_new(a, versions ? json_pack("{s:s, s:i}", "subject", s->name, "version",
                                                          s->v[i].version)
                                              : json_string(s->name));
            listed = true;
        }
    }
    reply(r->call, 200, a);
}

/* ---- routing ---- */

static bool is(const req_t *r, const char *method, int n) { return r->n == n && !strcmp(r->method, method); }

static void route_subjects(req_t *r) {
    const char *s = r->n > 1 ? r->segs[1] : NULL;
    if (is(r, "GET", 1)) list_subjects(r);
    else if (is(r, "POST", 2)) lookup(r, s);
    else if (is(r, "DELETE", 2)) delete_subject(r, s);
    else if (r->n == 3 && !strcmp(r->segs[2], "versions") && !strcmp(r->method, "GET")) list_versions(r, s);
    else if (r->n == 3 && !strcmp(r->segs[2], "versions") && !strcmp(r->method, "POST")) post_versions(r, s);
    else if (r->n >= 4 && r->n <= 5 && !strcmp(r->segs[2], "versions") && !strcmp(r->method, "GET"))
        get_version(r, s, r->segs[3], r->n == 5 ? r->segs[4] : NULL);
    else if (is(r, "DELETE", 4) && !strcmp(r->segs[2], "versions")) delete_version(r, s, r->segs[3]);
    else sr_api_error(r->call, 404, 404, "HTTP 404 Not Found");
}

static void route(req_t *r) {
    const char *top = r->n ? r->segs[0] : "";
    if (!r->n && !strcmp(r->method, "GET")) {
        reply(r->call, 200, json_object());
    } else if (!strcmp(top, "subjects")) {
        route_subjects(r);
    } else if (!strcmp(top, "schemas") && is(r, "GET", 2) && !strcmp(r->segs[1], "types")) {
        reply(r->call, 200, json_pack("[s]", "AVRO"));
    } else if (!strcmp(top, "schemas") && r->n >= 3 && r->n <= 4 && !strcmp(r->segs[1], "ids") &&
               !strcmp(r->method, "GET")) {
        get_schema_id(r, r->segs[2], r->n == 4 ? r->segs[3] : NULL);
    } else if (!strcmp(top, "compatibility") && r->n >= 4 && r->n <= 5 && !strcmp(r->segs[1], "subjects") &&
               !strcmp(r->segs[3], "versions") && !strcmp(r->method, "POST")) {
        check_compat(r, r->segs[2], r->n == 5 ? r->segs[4] : NULL);
    } else if ((!strcmp(top, "config") || !strcmp(top, "mode")) && r->n <= 2) {
        setting(r, top[0] == 'c', r->n == 2 ? r->segs[1] : NULL);
    } else {
        sr_api_error(r->call, 404, 404, "HTTP 404 Not Found");
    }
}

void sr_api_handle(void *ctx, zl_http_call_t *call) {
    req_t r = {.sr = ctx, .call = call, .method = zl_http_call_method(call)};
    const char *url = zl_http_call_url(call);
    if (strlen(url) >= sizeof r.path) {
        sr_api_error(call, 414, 414, "URI too long");
        return;
    }
    strcpy(r.path, url);
    for (char *p = r.path, *save = NULL, *t; (t = strtok_r(p, "/", &save)) != NULL; p = NULL) {
        if (r.n == MAX_SEGS) {
            sr_api_error(call, 404, 404, "HTTP 404 Not Found");
            return;
        }
        r.segs[r.n++] = t;
    }
    route(&r);
}
