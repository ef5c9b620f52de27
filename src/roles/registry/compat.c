/* SPDX-License-Identifier: Apache-2.0 */
/* A candidate schema against a subject's versions, at a compatibility level:
 * the transitive levels compare it with every live (not soft-deleted)
 * version, the others with the latest only (or with the one version a
 * request names); each comparison is one or two Avro resolution checks of
 * kafka/avro_compat (BACKWARD: the candidate reads what the version wrote;
 * FORWARD: the version reads what the candidate writes; FULL: both).  Every
 * failed check becomes one message in Confluent's shape, naming Avro's
 * incompatibility type, the path, the version and the level. */
#include <stdio.h>
#include <string.h>

#include "roles/registry/sr_int.h"

/* Avro's SchemaIncompatibilityType for one of avro_compat's messages. */
static const char *error_type(const char *msg) {
    static const struct { const char *needle, *type; } map[] = { /* avro_resolve.c's wording */
        {"reader field has no default", "READER_FIELD_MISSING_DEFAULT_VALUE"},
        {"lacks writer symbol", "MISSING_ENUM_SYMBOLS"},
        {"but writer fixed", "FIXED_SIZE_MISMATCH"},
        {"the names differ", "NAME_MISMATCH"},
        {"no branch of the reader union", "MISSING_UNION_BRANCH"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strstr(msg, map[i].needle)) return map[i].type;
    return "TYPE_MISMATCH";
}

/* One direction: reader reads writer's data.  Appends a message on failure. */
static bool one(const zl_avro_schema_t *reader, const zl_avro_schema_t *writer, const sr_version_t *v,
                const sr_schema_t *old, bool backward, zl_compat_level_t level, json_t *msgs) {
    char why[512] = "";
    if (reader && writer && zl_avro_can_read(reader, writer, why, sizeof why) == ZL_OK) return true;
    if (!reader || !writer) snprintf(why, sizeof why, "version %d's schema does not parse here", v->version);
    char m[2048];
    snprintf(m, sizeof m,
             "{errorType:'%s', description:'%s: %s'}, {oldSchemaVersion: %d}, {oldSchema: '%s'}, "
             "{compatibility: '%s'}",
             error_type(why), backward ? "the new schema cannot read data written with the old one"
                                       : "the old schema cannot read data written with the new one",
             why, v->version, old ? old->text : "", zl_compat_level_name(level));
    json_array_append_new(msgs, json_string(m));
    return false;
}

bool sr_check_version(const sr_state_t *st, const sr_version_t *v, int level, const zl_avro_schema_t *cand,
                      json_t *msgs) {
    const sr_schema_t *x = sr_schema_by_id(st, v->id);
    const zl_avro_schema_t *old = x ? x->avro : NULL;
    zl_compat_level_t l = (zl_compat_level_t)level;
    bool back = l == ZL_COMPAT_BACKWARD || l == ZL_COMPAT_BACKWARD_TRANSITIVE || l == ZL_COMPAT_FULL ||
                l == ZL_COMPAT_FULL_TRANSITIVE;
    bool fwd = l == ZL_COMPAT_FORWARD || l == ZL_COMPAT_FORWARD_TRANSITIVE || l == ZL_COMPAT_FULL ||
               l == ZL_COMPAT_FULL_TRANSITIVE;
    bool ok = true;
    if (back) ok = one(cand, old, v, x, true, l, msgs) && ok;
    if (fwd) ok = one(old, cand, v, x, false, l, msgs) && ok;
    return ok;
}

bool sr_check_subject(const sr_state_t *st, const sr_subject_t *s, int level, const zl_avro_schema_t *cand,
                      json_t *msgs) {
    if (level == ZL_COMPAT_NONE || !s) return true;
    bool transitive = level == ZL_COMPAT_BACKWARD_TRANSITIVE || level == ZL_COMPAT_FORWARD_TRANSITIVE ||
                      level == ZL_COMPAT_FULL_TRANSITIVE;
    bool ok = true;
    for (size_t i = s->n; i-- > 0;) { /* newest first */
        if (s->v[i].deleted) continue;
        ok = sr_check_version(st, &s->v[i], level, cand, msgs) && ok;
        if (!transitive) break;
    }
    return ok;
}
