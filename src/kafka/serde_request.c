/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a decoded AvroRequest (a generic avro-c value of our reader schema)
 * into zl_request_t, field by field with a path in every error ("payload.body.
 * AvroWriteRequest.mode: ..."), apart from serde.c's framing and caches. */
#include "kafka/serde_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kafka/avro_node.h"
#include "kafka/avro_util.h"
#include "common/utf8.h"

/* Copies a string field of rec into *dst. */
static zl_err_t get_str(const avro_value_t *rec, const char *name, char **dst, const char *where,
                        char *errstr, size_t n) {
    avro_value_t f;
    const char *str = NULL;
    size_t sz = 0;
    if (zl_avro_get_field(rec, name, &f, NULL)) {
        snprintf(errstr, n, "%s%s: missing field", where, name);
        return ZL_ERR_INVALID;
    }
    if (avro_value_get_type(&f) != AVRO_STRING || avro_value_get_string(&f, &str, &sz)) {
        snprintf(errstr, n, "%s%s: expected string", where, name);
        return ZL_ERR_INVALID;
    }
    size_t len = sz ? sz - 1 : 0;
    if (str && memchr(str, 0, len)) {
        snprintf(errstr, n, "%s%s: contains a NUL byte", where, name);
        return ZL_ERR_INVALID;
    }
    if (str && !zl_utf8_valid(str, len)) {
        snprintf(errstr, n, "%s%s: not valid UTF-8", where, name);
        return ZL_ERR_INVALID;
    }
    free(*dst);
    *dst = strndup(str ? str : "", len);
    return *dst ? ZL_OK : ZL_ERR_NOMEM;
}

static zl_err_t get_enum(const avro_value_t *rec, const char *name, int *out, const char *where,
                         char *errstr, size_t n) {
    avro_value_t f;
    if (zl_avro_get_field(rec, name, &f, NULL) || avro_value_get_type(&f) != AVRO_ENUM ||
        avro_value_get_enum(&f, out)) {
        snprintf(errstr, n, "%s%s: expected an enum symbol", where, name);
        return ZL_ERR_INVALID;
    }
    return ZL_OK;
}

/* The optional field name of rec: its value in *b, false when null/absent. */
static bool get_opt(const avro_value_t *rec, const char *name, avro_value_t *b) {
    avro_value_t f;
    return zl_avro_get_field(rec, name, &f, NULL) == 0 && avro_value_get_current_branch(&f, b) == 0 &&
           avro_value_get_type(b) != AVRO_NULL;
}

/* payload.paths, resources, depth, contentFormatCode (zeelos 1.1). */
static zl_err_t extract_v11(const avro_value_t *p, zl_request_t *out, char *errstr, size_t n) {
    avro_value_t b;
    if (get_opt(p, "paths", &b)) {
        size_t cnt = 0;
        avro_value_get_size(&b, &cnt);
        if (cnt == 0 || cnt > ZL_REQUEST_MAX_PATHS) {
            snprintf(errstr, n, "payload.paths: %zu paths (1 to %d)", cnt, ZL_REQUEST_MAX_PATHS);
            return ZL_ERR_INVALID;
        }
        if (!(out->paths = calloc(cnt, sizeof *out->paths))) return ZL_ERR_NOMEM;
        for (size_t i = 0; i < cnt; i++) {
            avro_value_t s;
            const char *str = NULL;
            size_t sz = 0;
            char perr[80];
            if (avro_value_get_by_index(&b, i, &s, NULL) || avro_value_get_string(&s, &str, &sz) || !str ||
                zl_path_parse(str, &out->paths[i], perr, sizeof perr)) {
                snprintf(errstr, n, "payload.paths[%zu]: not a LwM2M path", i);
                return ZL_ERR_INVALID;
            }
            if (out->paths[i].len == 0) {
                snprintf(errstr, n, "payload.paths[%zu]: the root path cannot be part of a composite", i);
                return ZL_ERR_INVALID;
            }
            out->n_paths = i + 1;
        }
    }
    if (get_opt(p, "resources", &b)) {
        zl_err_t e = zl_avro_leaves_from_array(&b, &out->values, "payload.resources", errstr, n);
        if (e) return e;
    }
    if (get_opt(p, "depth", &b)) {
        out->has_depth = avro_value_get_int(&b, &out->depth) == 0;
        if (out->depth < 0 || out->depth > 3) {
            snprintf(errstr, n, "payload.depth: %d is not 0..3", (int)out->depth);
            return ZL_ERR_INVALID;
        }
    }
    if (get_opt(p, "contentFormatCode", &b)) {
        out->has_cf_code = avro_value_get_int(&b, &out->cf_code) == 0;
        if (out->cf_code < 0 || out->cf_code > 65535) {
            snprintf(errstr, n, "payload.contentFormatCode: %d is not 0..65535", (int)out->cf_code);
            return ZL_ERR_INVALID;
        }
    }
    return ZL_OK;
}

/* Fills out from an AvroRequest value (generic, of our reader schema). */
zl_err_t zl_serde_extract_request(const avro_value_t *v, zl_request_t *out, char *errstr, size_t n) {
    zl_err_t e;
    avro_value_t p, u, b, f;
    int kind = 0, cf = 0;
    /* the three identifying fields are read independently, so a request with
     * a bad ep still yields its ticket (and gets an answer naming the field) */
    static const char *const top[] = {"ticket", "serverId", "ep"};
    char **dst[] = {&out->ticket, &out->server_id, &out->ep};
    zl_err_t first = ZL_OK;
    for (int i = 0; i < 3; i++) {
        e = get_str(v, top[i], dst[i], "", first ? NULL : errstr, first ? 0 : n);
        if (e && !first) first = e;
        if (e == ZL_ERR_NOMEM) return e;
    }
    if (first) return first;
    if (strlen(out->ep) > ZL_REQ_MAX_EP) {
        snprintf(errstr, n, "ep: longer than %d bytes", ZL_REQ_MAX_EP);
        return ZL_ERR_INVALID;
    }
    if (zl_avro_get_field(v, "payload", &p, NULL)) {
        snprintf(errstr, n, "payload: missing field");
        return ZL_ERR_INVALID;
    }
    if ((e = get_enum(&p, "kind", &kind, "payload.", errstr, n))) return e;
    out->kind = (zl_req_kind_t)kind;
    if ((e = get_str(&p, "path", &out->path, "payload.", errstr, n)) ||
        (e = get_enum(&p, "contentFormat", &cf, "payload.", errstr, n)))
        return e;
    if (strlen(out->path) > ZL_REQ_MAX_PATH) {
        snprintf(errstr, n, "payload.path: longer than %d bytes", ZL_REQ_MAX_PATH);
        return ZL_ERR_INVALID;
    }
    out->content_format = (zl_avro_cf_t)cf;
    out->body = ZL_RQB_NONE;
    if (zl_avro_get_field(&p, "body", &u, NULL) || avro_value_get_current_branch(&u, &b)) {
        snprintf(errstr, n, "payload.body: missing field");
        return ZL_ERR_INVALID;
    }
    const char *bname = "";
    if (avro_value_get_type(&b) == AVRO_RECORD)
        bname = avro_schema_name(zl_avro_deref(avro_value_get_schema(&b)));
    if (strcmp(bname, "AvroExecuteRequest") == 0) {
        out->body = ZL_RQB_EXECUTE;
        e = get_str(&b, "parameters", &out->text, "payload.body.AvroExecuteRequest.", errstr, n);
    } else if (strcmp(bname, "AvroWriteAttributesRequest") == 0) {
        out->body = ZL_RQB_WRITE_ATTRIBUTES;
        e = get_str(&b, "observeSpec", &out->text, "payload.body.AvroWriteAttributesRequest.",
                    errstr, n);
    } else if (strcmp(bname, "AvroWriteRequest") == 0) {
        int mode = 0;
        out->body = ZL_RQB_WRITE;
        if ((e = get_enum(&b, "mode", &mode, "payload.body.AvroWriteRequest.", errstr, n))) return e;
        out->write_mode = (zl_write_mode_t)mode;
        if (zl_avro_get_field(&b, "node", &f, NULL)) {
            snprintf(errstr, n, "payload.body.AvroWriteRequest.node: missing field");
            return ZL_ERR_INVALID;
        }
        e = zl_avro_node_from_union(&f, &out->node, "payload.body.AvroWriteRequest.node", errstr, n);
    } else if (strcmp(bname, "AvroCreateRequest") == 0) {
        out->body = ZL_RQB_CREATE;
        if (zl_avro_get_field(&b, "instance", &f, NULL)) {
            snprintf(errstr, n, "payload.body.AvroCreateRequest.instance: missing field");
            return ZL_ERR_INVALID;
        }
        e = zl_avro_node_from_union(&f, &out->node, "payload.body.AvroCreateRequest.instance",
                                    errstr, n);
    }
    if (e) return e;
    if ((e = extract_v11(&p, out, errstr, n))) return e;
    /* a body the kind cannot do without (Write-Composite carries its values instead) */
    static const struct { zl_req_kind_t kind; int body; const char *what; } need[] = {
        {ZL_RK_WRITE, ZL_RQB_WRITE, "AvroWriteRequest"},
        {ZL_RK_WRITE_ATTRIBUTES, ZL_RQB_WRITE_ATTRIBUTES, "AvroWriteAttributesRequest"},
        {ZL_RK_CREATE, ZL_RQB_CREATE, "AvroCreateRequest"},
    };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (out->kind == need[i].kind && (int)out->body != need[i].body &&
            !(out->kind == ZL_RK_WRITE && out->values)) {
            snprintf(errstr, n, "payload.body: a %s request needs an %s body",
                     zl_req_kind_name(out->kind), need[i].what);
            return ZL_ERR_INVALID;
        }
    }
    return ZL_OK;
}

/* JSON mode, conversion failed: still salvage the fields that identify the
 * request so the gateway can answer BAD_REQUEST to the right ticket. */
void zl_serde_salvage_json(const json_t *j, zl_request_t *out) {
    static const char *const top[] = {"serverId", "ep", "ticket"};
    char **dst[] = {&out->server_id, &out->ep, &out->ticket};
    for (int i = 0; i < 3; i++) {
        const json_t *f = json_object_get(j, top[i]);
        if (json_is_string(f) && !*dst[i] && strlen(json_string_value(f)) == json_string_length(f))
            *dst[i] = strdup(json_string_value(f));
    }
    const json_t *p = json_object_get(j, "payload");
    const json_t *k = json_object_get(p, "kind"), *path = json_object_get(p, "path");
    int ki = json_is_string(k) ? zl_req_kind_parse(json_string_value(k)) : -1;
    if (ki >= 0) out->kind = (zl_req_kind_t)ki;
    if (json_is_string(path) && !out->path) out->path = strdup(json_string_value(path));
}
