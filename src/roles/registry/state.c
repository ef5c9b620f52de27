/* SPDX-License-Identifier: Apache-2.0 */
/* The registry's state and the log records that change it.  The formats are
 * Confluent's _schemas topic (keys {"keytype":"SCHEMA","subject","version",
 * "magic":1}, {"keytype":"CONFIG"|"MODE","subject"|null,"magic":0},
 * {"keytype":"DELETE_SUBJECT"|"CLEAR_SUBJECT","subject"}; JSON values; a
 * tombstone deletes for good), so a log written by either registry reads the
 * same in both.  Applying is deterministic and first-claim-wins: a record
 * giving a (subject, version) to another id, or an id to another schema,
 * than an earlier record did is skipped — that is how concurrent writers
 * are ordered (sr_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "roles/registry/sr_int.h"
#include "common/array.h"
#include "common/log.h"

static const char *const mode_names[] = {"READWRITE", "READONLY", "IMPORT"};

const char *sr_mode_name(int mode) { return mode >= 0 && mode < 3 ? mode_names[mode] : "READWRITE"; }

int sr_mode_parse(const char *s) {
    for (int i = 0; s && i < 3; i++)
        if (!strcmp(s, mode_names[i])) return i;
    return -1;
}

zl_err_t sr_state_init(sr_state_t *st) {
    memset(st, 0, sizeof *st);
    st->compat = st->mode = -1;
    if (zl_hmap_init(&st->ids, 64) || zl_hmap_init(&st->canons, 64) || zl_hmap_init(&st->subjects, 64))
        return ZL_ERR_NOMEM;
    return ZL_OK;
}

static void schema_free(sr_schema_t *x) {
    free(x->text);
    free(x->canon);
    zl_avro_schema_free(x->avro);
    free(x);
}

static void subject_free(sr_subject_t *s) {
    free(s->name);
    free(s->v);
    free(s);
}

static void schema_node_free(zl_hnode_t *n, void *ctx) {
    (void)ctx;
    schema_free(ZL_CONTAINER_OF(n, sr_schema_t, by_id));
}

static void subject_node_free(zl_hnode_t *n, void *ctx) {
    (void)ctx;
    subject_free(ZL_CONTAINER_OF(n, sr_subject_t, node));
}

void sr_state_fini(sr_state_t *st) {
    zl_hmap_destroy(&st->ids, schema_node_free, NULL);
    zl_hmap_destroy(&st->subjects, subject_node_free, NULL);
    zl_hmap_free(&st->canons);
}

static uint64_t str_hash(const zl_hmap_t *m, const char *s) { return zl_hash_bytes(m->seed, s, strlen(s)); }

sr_subject_t *sr_subject_find(const sr_state_t *st, const char *name) {
    for (zl_hnode_t *n = zl_hmap_first(&st->subjects, str_hash(&st->subjects, name)); n; n = zl_hmap_next_same(n)) {
        sr_subject_t *s = ZL_CONTAINER_OF(n, sr_subject_t, node);
        if (!strcmp(s->name, name)) return s;
    }
    return NULL;
}

sr_schema_t *sr_schema_by_id(const sr_state_t *st, int id) {
    for (zl_hnode_t *n = zl_hmap_first(&st->ids, zl_hash_u64(st->ids.seed, (uint64_t)id)); n;
         n = zl_hmap_next_same(n)) {
        sr_schema_t *x = ZL_CONTAINER_OF(n, sr_schema_t, by_id);
        if (x->id == id) return x;
    }
    return NULL;
}

sr_schema_t *sr_schema_by_canon(const sr_state_t *st, const char *canon) {
    for (zl_hnode_t *n = zl_hmap_first(&st->canons, str_hash(&st->canons, canon)); n; n = zl_hmap_next_same(n)) {
        sr_schema_t *x = ZL_CONTAINER_OF(n, sr_schema_t, by_canon);
        if (!strcmp(x->canon, canon)) return x;
    }
    return NULL;
}

const sr_version_t *sr_version_find(const sr_subject_t *s, int version, bool deleted) {
    if (!s) return NULL;
    for (size_t i = s->n; i-- > 0;) {
        const sr_version_t *v = &s->v[i];
        if (v->deleted && !deleted) continue;
        if (version < 0 || v->version == version) return v;
        if (v->version < version) break;
    }
    return NULL;
}

size_t sr_subject_live(const sr_subject_t *s) {
    size_t k = 0;
    for (size_t i = 0; s && i < s->n; i++) k += !s->v[i].deleted;
    return k;
}

char *sr_canon(const char *text, size_t len) {
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    if (!j) return NULL;
    char *out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    json_decref(j);
    return out;
}

static sr_subject_t *subject_get(sr_state_t *st, const char *name) {
    sr_subject_t *s = sr_subject_find(st, name);
    if (s) return s;
    if (!(s = calloc(1, sizeof *s)) || !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    s->compat = s->mode = -1;
    if (zl_hmap_insert(&st->subjects, &s->node, str_hash(&st->subjects, name))) {
        subject_free(s);
        return NULL;
    }
    return s;
}

/* ---- applying records ---- */

static void skip(sr_state_t *st, const char *why, const char *subject, json_int_t version) {
    st->ignored++;
    ZL_WARN("registry", "log record skipped: %s (subject '%s', version %lld)", why, subject ? subject : "-",
            (long long)version);
}

static sr_schema_t *schema_get(sr_state_t *st, int id, const char *text, const char *subject, int version) {
    char *canon = sr_canon(text, strlen(text));
    if (!canon) {
        skip(st, "the schema is not JSON", subject, version);
        return NULL;
    }
    sr_schema_t *x = sr_schema_by_id(st, id);
    if (x) {
        bool same = !strcmp(x->canon, canon);
        free(canon);
        if (!same) skip(st, "its id belongs to another schema", subject, version);
        return same ? x : NULL;
    }
    if (!(x = calloc(1, sizeof *x)) || !(x->text = strdup(text))) {
        free(x);
        free(canon);
        return NULL;
    }
    x->id = id;
    x->canon = canon;
    char err[256];
    x->avro = zl_avro_schema_parse(text, strlen(text), err, sizeof err);
    if (!x->avro) ZL_WARN("registry", "schema id %d does not parse (%s): served, but never compatible", id, err);
    zl_hmap_insert(&st->ids, &x->by_id, zl_hash_u64(st->ids.seed, (uint64_t)id));
    if (!sr_schema_by_canon(st, canon)) zl_hmap_insert(&st->canons, &x->by_canon, str_hash(&st->canons, canon));
    return x;
}

static void apply_schema(sr_state_t *st, const char *subject, int version, json_t *val) {
    sr_subject_t *s = subject_get(st, subject);
    if (!s) return;
    size_t i = 0;
    while (i < s->n && s->v[i].version < version) i++;
    bool exists = i < s->n && s->v[i].version == version;
    if (!val) { /* tombstone: the version is gone for good */
        if (exists) {
            memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
            s->n--;
        }
        st->applied++;
        return;
    }
    json_int_t id = json_integer_value(json_object_get(val, "id"));
    const char *text = json_string_value(json_object_get(val, "schema"));
    const char *type = json_string_value(json_object_get(val, "schemaType"));
    bool deleted = json_is_true(json_object_get(val, "deleted"));
    if (id < 1 || id > INT32_MAX || !text) {
        skip(st, "no id or schema", subject, version);
        return;
    }
    if (type && strcmp(type, "AVRO")) {
        skip(st, "not an Avro schema", subject, version);
        return;
    }
    if (exists) {
        if (s->v[i].id != id) {
            skip(st, "the version was claimed first by another id", subject, version);
            return;
        }
        s->v[i].deleted = deleted;
        st->applied++;
        return;
    }
    if (!schema_get(st, (int)id, text, subject, version)) return;
    if (ZL_ARRAY_RESERVE(&s->v, &s->cap, s->n + 1, 8)) return;
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof *s->v);
    s->v[i] = (sr_version_t){.version = version, .id = (int)id, .deleted = deleted};
    s->n++;
    if (version > s->max_version) s->max_version = version;
    st->applied++;
}

/* DELETE_SUBJECT (soft) or CLEAR_SUBJECT (for good, what was soft-deleted). */
static void apply_subject_delete(sr_state_t *st, const char *subject, json_t *val, bool clear) {
    sr_subject_t *s = sr_subject_find(st, subject);
    if (!s || !val) return;
    json_t *jv = json_object_get(val, "version");
    json_int_t upto = json_is_integer(jv) ? json_integer_value(jv) : INT32_MAX;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].version <= upto && clear && s->v[i].deleted) continue; /* gone for good */
        if (s->v[i].version <= upto && !clear) s->v[i].deleted = true;
        s->v[k++] = s->v[i];
    }
    s->n = k;
    st->applied++;
}

void sr_state_apply(sr_state_t *st, const void *key, size_t klen, const void *val, size_t vlen) {
    json_t *k = key ? json_loadb(key, klen, 0, NULL) : NULL;
    json_t *v = val ? json_loadb(val, vlen, 0, NULL) : NULL;
    const char *type = json_string_value(json_object_get(k, "keytype"));
    json_t *js = json_object_get(k, "subject");
    const char *subject = json_string_value(js);
    if (!type || (val && !v)) {
        skip(st, "the key or value is not the registry's JSON", subject, -1);
    } else if (!strcmp(type, "SCHEMA")) {
        json_int_t version = json_integer_value(json_object_get(k, "version"));
        if (!subject || version < 1 || version > INT32_MAX) skip(st, "a schema key without subject or version",
                                                                 subject, version);
        else apply_schema(st, subject, (int)version, v);
    } else if (!strcmp(type, "CONFIG") || !strcmp(type, "MODE")) {
        bool config = type[0] == 'C';
        const char *name = json_string_value(json_object_get(v, config ? "compatibilityLevel" : "mode"));
        int level = !v ? -1 : config ? zl_compat_level_parse(name ? name : "") : sr_mode_parse(name);
        if (v && level < 0) {
            skip(st, config ? "unknown compatibility level" : "unknown mode", subject, -1);
        } else if (subject) {
            sr_subject_t *s = subject_get(st, subject);
            if (s) *(config ? &s->compat : &s->mode) = level;
            st->applied++;
        } else if (json_is_null(js) || !js) {
            *(config ? &st->compat : &st->mode) = level;
            st->applied++;
        }
    } else if (!strcmp(type, "DELETE_SUBJECT") || !strcmp(type, "CLEAR_SUBJECT")) {
        if (subject) apply_subject_delete(st, subject, v, type[0] == 'C');
    } else if (strcmp(type, "NOOP")) {
        skip(st, "unknown keytype", subject, -1);
    }
    json_decref(k);
    json_decref(v);
}

/* ---- writing records ---- */

static void put(zl_buf_t *b, json_t *j) {
    if (!j) return;
    char *s = json_dumps(j, JSON_COMPACT);
    if (s) zl_buf_append(b, s, strlen(s));
    free(s);
    json_decref(j);
}

void sr_key_schema(zl_buf_t *b, const char *subject, int version) {
    put(b, json_pack("{s:s, s:s, s:i, s:i}", "keytype", "SCHEMA", "subject", subject, "version", version,
                     "magic", 1));
}

void sr_val_schema(zl_buf_t *b, const char *subject, int version, int id, const char *text, bool deleted) {
    put(b, json_pack("{s:s, s:i, s:i, s:s, s:b}", "subject", subject, "version", version, "id", id, "schema",
                     text, "deleted", deleted));
}

static void key_setting(zl_buf_t *b, const char *type, const char *subject) {
    put(b, json_pack("{s:s, s:o, s:i}", "keytype", type, "subject", subject ? json_string(subject) : json_null(),
                     "magic", 0));
}

void sr_key_config(zl_buf_t *b, const char *subject) { key_setting(b, "CONFIG", subject); }
void sr_val_config(zl_buf_t *b, int level) {
    put(b, json_pack("{s:s}", "compatibilityLevel", zl_compat_level_name(level)));
}
void sr_key_mode(zl_buf_t *b, const char *subject) { key_setting(b, "MODE", subject); }
void sr_val_mode(zl_buf_t *b, int mode) { put(b, json_pack("{s:s}", "mode", sr_mode_name(mode))); }
void sr_key_delete_subject(zl_buf_t *b, const char *subject) { key_setting(b, "DELETE_SUBJECT", subject); }
void sr_val_delete_subject(zl_buf_t *b, const char *subject, int version) {
    put(b, json_pack("{s:s, s:i}", "subject", subject, "version", version));
}
