/* SPDX-License-Identifier: Apache-2.0 */
/* OMA LwM2M JSON codec on jansson.  Decoding is strict: the document must be
 * an object with only "bn", "bt" and a required "e" array; each entry an
 * object with only "n", "t" and exactly one of "v"/"sv"/"bv"/"ov"; duplicate
 * keys are rejected by jansson (JSON_REJECT_DUPLICATES), duplicate entries by
 * the shared entry list.  Names are bn + n concatenated as in SenML; a single
 * trailing '/' is dropped so that {"bn":"/3/0/9/","e":[{"v":1}]} also works.
 * Encoding writes the document itself (jansson escapes the strings) so
 * floats come out in their shortest round-trip form ("21.5", not
 * "21.500000000000000"), always with a '.' or exponent so that a reader
 * without a model still sees a float. */
#include "lwm2m/lwm2m_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/base64.h"
#include "lwm2m/lwm2m_entries.h"
#include "lwm2m/text.h"

#define NAME_MAX_LEN 64 /* "/65534/65534/65534/65534" is 24 chars */

typedef struct {
    char *errstr;
    size_t errstr_size;
    const zl_models_t *models;
} jctx_t;

#define jerr(c, e, ...) zl_err_fmt((c)->errstr, (c)->errstr_size, (e), __VA_ARGS__)

static const char *jtype_name(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Converts the one value key of entry i into a value typed by the model. */
static zl_err_t entry_value(jctx_t *c, size_t i, const char *name, const zl_path_t *path,
                            const char *key, const json_t *jv, zl_value_t *v) {
    zl_type_t t = zl_entries_model_type(c->models, path);
    memset(v, 0, sizeof *v);
    if (strcmp(key, "v") == 0) {
        if (!json_is_number(jv))
            return jerr(c, ZL_ERR_INVALID, "e[%zu] (%s): \"v\" is %s, not a number", i, name, jtype_name(jv));
        switch (t) {
        case ZL_T_INTEGER:
        case ZL_T_TIME:
            if (json_is_integer(jv)) {
                v->u.i = (int64_t)json_integer_value(jv);
            } else {
                double d = json_real_value(jv);
                /* 1e3 is an integer written as a real; 1.5 is not */
                if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != floor(d))
                    return jerr(c, ZL_ERR_INVALID, "e[%zu] (%s): %g is not a valid %s", i, name, d,
                                zl_type_name(t));
                v->u.i = (int64_t)d;
            }
            v->type = t;
            return ZL_OK;
        case ZL_T_FLOAT:
            v->type = ZL_T_FLOAT;
            v->u.f = json_number_value(jv);
            return ZL_OK;
        case ZL_T_NONE:
            if (json_is_integer(jv)) {
                v->type = ZL_T_INTEGER;
                v->u.i = (int64_t)json_integer_value(jv);
            } else {
                v->type = ZL_T_FLOAT;
                v->u.f = json_real_value(jv);
            }
            return ZL_OK;
        default:
            break;
        }
    } else if (strcmp(key, "bv") == 0) {
        if (!json_is_boolean(jv))
            return jerr(c, ZL_ERR_INVALID, "e[%zu] (%s): \"bv\" is %s, not a boolean", i, name, jtype_name(jv));
        if (t == ZL_T_BOOLEAN || t == ZL_T_NONE) {
            v->type = ZL_T_BOOLEAN;
            v->u.b = json_is_true(jv);
            return ZL_OK;
        }
    } else { /* "sv" or "ov" */
        if (!json_is_string(jv))
            return jerr(c, ZL_ERR_INVALID, "e[%zu] (%s): \"%s\" is %s, not a string", i, name, key,
                        jtype_name(jv));
        const uint8_t *s = (const uint8_t *)json_string_value(jv);
        size_t len = json_string_length(jv);
        zl_type_t want;
        if (key[0] == 'o') want = (t == ZL_T_OBJLNK || t == ZL_T_NONE) ? ZL_T_OBJLNK : ZL_T_NONE;
        else want = (t == ZL_T_STRING || t == ZL_T_NONE) ? ZL_T_STRING : t == ZL_T_OPAQUE ? ZL_T_OPAQUE : ZL_T_NONE;
        if (want != ZL_T_NONE) {
            zl_err_t e = zl_text_decode(s, len, want, v);
            if (e == ZL_ERR_INVALID)
                return jerr(c, ZL_ERR_INVALID, "e[%zu] (%s): \"%s\" is not a valid %s%s", i, name, key,
                            zl_type_name(want), want == ZL_T_OPAQUE ? " (Base64)" : "");
            return e;
        }
    }
    return jerr(c, ZL_ERR_INVALID, "e[%zu] (%s): \"%s\" does not fit the model type %s", i, name, key,
                zl_type_name(t));
}

static zl_err_t decode_entry(jctx_t *c, zl_entries_t *es, size_t i, const char *bn, const json_t *ent) {
    if (!json_is_object(ent))
        return jerr(c, ZL_ERR_INVALID, "e[%zu] is %s, not an object", i, jtype_name(ent));
    const char *n = "";
    const char *vkey = NULL;
    const json_t *jv = NULL;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)ent, key, val) {
        if (strcmp(key, "n") == 0) {
            if (!json_is_string(val))
                return jerr(c, ZL_ERR_INVALID, "e[%zu]: \"n\" is %s, not a string", i, jtype_name(val));
            n = json_string_value(val);
        } else if (strcmp(key, "t") == 0) {
            if (!json_is_number(val))
                return jerr(c, ZL_ERR_INVALID, "e[%zu]: \"t\" is %s, not a number", i, jtype_name(val));
        } else if (strcmp(key, "v") == 0 || strcmp(key, "sv") == 0 || strcmp(key, "bv") == 0 ||
                   strcmp(key, "ov") == 0) {
            if (vkey)
                return jerr(c, ZL_ERR_INVALID, "e[%zu]: both \"%s\" and \"%s\" given", i, vkey, key);
            vkey = key;
            jv = val;
        } else {
            return jerr(c, ZL_ERR_INVALID, "e[%zu]: unknown key \"%.32s\"", i, key);
        }
    }
    if (!vkey) return jerr(c, ZL_ERR_INVALID, "e[%zu]: no value (\"v\", \"sv\", \"bv\" or \"ov\")", i);
    char name[NAME_MAX_LEN + 1];
    size_t bl = strlen(bn), nl = strlen(n);
    if (bl + nl > NAME_MAX_LEN)
        return jerr(c, ZL_ERR_INVALID, "e[%zu]: name longer than %d characters", i, NAME_MAX_LEN);
    memcpy(name, bn, bl);
    memcpy(name + bl, n, nl);
    name[bl + nl] = 0;
    if (bl + nl > 1 && name[bl + nl - 1] == '/') name[bl + nl - 1] = 0;
    zl_path_t path;
    char perr[96];
    if (zl_path_parse(name, &path, perr, sizeof perr) != ZL_OK)
        return jerr(c, ZL_ERR_INVALID, "e[%zu]: invalid name \"%s\": %s", i, name, perr);
    zl_value_t v;
    zl_err_t e = entry_value(c, i, name, &path, vkey, jv, &v);
    if (e) return e;
    char aerr[128];
    e = zl_entries_add(es, &path, &v, aerr, sizeof aerr);
    if (e) return jerr(c, e, "e[%zu]: %s", i, aerr);
    return ZL_OK;
}

static zl_err_t decode_doc(jctx_t *c, zl_entries_t *es, const json_t *root) {
    if (!json_is_object(root))
        return jerr(c, ZL_ERR_INVALID, "LwM2M JSON payload is %s, not an object", jtype_name(root));
    const char *bn = "";
    const json_t *arr = NULL;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)root, key, val) {
        if (strcmp(key, "bn") == 0) {
            if (!json_is_string(val))
                return jerr(c, ZL_ERR_INVALID, "\"bn\" is %s, not a string", jtype_name(val));
            bn = json_string_value(val);
        } else if (strcmp(key, "bt") == 0) {
            if (!json_is_number(val))
                return jerr(c, ZL_ERR_INVALID, "\"bt\" is %s, not a number", jtype_name(val));
        } else if (strcmp(key, "e") == 0) {
            if (!json_is_array(val))
                return jerr(c, ZL_ERR_INVALID, "\"e\" is %s, not an array", jtype_name(val));
            arr = val;
        } else {
            return jerr(c, ZL_ERR_INVALID, "unknown key \"%.32s\" in LwM2M JSON payload", key);
        }
    }
    if (!arr) return jerr(c, ZL_ERR_INVALID, "LwM2M JSON payload has no \"e\" array");
    size_t n = json_array_size(arr);
    if (n > ZL_ENTRIES_MAX)
        return jerr(c, ZL_ERR_TOO_LARGE, "%zu entries (at most %d)", n, ZL_ENTRIES_MAX);
    for (size_t i = 0; i < n; i++) {
        zl_err_t e = decode_entry(c, es, i, bn, json_array_get(arr, i));
        if (e) return e;
    }
    return ZL_OK;
}

zl_err_t zl_lwm2m_json_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                              char *errstr, size_t errstr_size) {
    jctx_t c = {errstr, errstr_size, models};
    if (errstr && errstr_size) errstr[0] = 0;
    *out = NULL;
    if (!path || path->len == 0 || path->len > ZL_PATH_MAX_DEPTH)
        return jerr(&c, ZL_ERR_INVALID, "LwM2M JSON needs an object, instance, resource or resource instance path");
    if (!p && n) return jerr(&c, ZL_ERR_INVALID, "NULL payload");
    if (n > ZL_LWM2M_JSON_MAX_INPUT)
        return jerr(&c, ZL_ERR_TOO_LARGE, "LwM2M JSON payload of %zu bytes (at most %u)", n,
                    ZL_LWM2M_JSON_MAX_INPUT);
    json_error_t je;
    json_t *root = json_loadb((const char *)(p ? (const void *)p : ""), n, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return jerr(&c, ZL_ERR_INVALID, "not JSON (offset %d): %s", je.position, je.text);
    zl_entries_t es;
    zl_entries_init(&es, path, models, "entry");
    zl_err_t e = decode_doc(&c, &es, root);
    json_decref(root);
    if (!e) {
        char berr[128] = "";
        e = zl_entries_build(&es, out, berr, sizeof berr);
        if (e && berr[0]) jerr(&c, e, "%s", berr);
    }
    zl_entries_free(&es);
    return e;
}

/* ---- encoding ---- */

typedef struct {
    zl_buf_t *out;
    uint8_t base_len; /* ids of the leaf path already in "bn" */
    size_t count;
} jenc_t;

/* Appends s[0..n) as a JSON string literal; ZL_ERR_INVALID unless UTF-8 without NUL. */
static zl_err_t put_jstring(zl_buf_t *out, const char *s, size_t n) {
    if (n && memchr(s, 0, n)) return ZL_ERR_INVALID;
    json_t *j = json_stringn(s ? s : "", n);
    if (!j) return ZL_ERR_INVALID;
    char *d = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(j);
    if (!d) return ZL_ERR_NOMEM;
    zl_err_t e = zl_buf_append(out, d, strlen(d));
    free(d);
    return e;
}

static zl_err_t put_leaf(void *ctx, const zl_path_t *path, const zl_value_t *v) {
    jenc_t *j = ctx;
    zl_buf_t *out = j->out;
    zl_err_t e;
    char name[NAME_MAX_LEN];
    size_t k = 0;
    name[0] = 0;
    for (uint8_t i = j->base_len; i < path->len; i++)
        k += (size_t)snprintf(name + k, sizeof name - k, "%s%u", k ? "/" : "", (unsigned)path->ids[i]);
    bool first = j->count++ == 0;
    if ((e = zl_buf_append(out, first ? "{\"n\":\"" : ",{\"n\":\"", first ? 6 : 7)) ||
        (e = zl_buf_append(out, name, k)))
        return e;
    switch (v->type) {
    case ZL_T_INTEGER:
    case ZL_T_TIME:
        if ((e = zl_buf_append(out, "\",\"v\":", 6))) return e;
        e = zl_text_encode(v, out);
        break;
    case ZL_T_FLOAT: {
        if (!isfinite(v->u.f)) return ZL_ERR_INVALID;
        if ((e = zl_buf_append(out, "\",\"v\":", 6))) return e;
        size_t start = out->len;
        if ((e = zl_text_encode(v, out))) return e;
        if (!memchr(out->data + start, '.', out->len - start) && !memchr(out->data + start, 'e', out->len - start))
            e = zl_buf_append(out, ".0", 2);
        break;
    }
    case ZL_T_BOOLEAN:
        e = zl_buf_printf(out, "\",\"bv\":%s", v->u.b ? "true" : "false");
        break;
    case ZL_T_OBJLNK:
        e = zl_buf_printf(out, "\",\"ov\":\"%u:%u\"", (unsigned)v->u.lnk.oid, (unsigned)v->u.lnk.iid);
        break;
    case ZL_T_OPAQUE: {
        zl_buf_t b64;
        zl_buf_init(&b64, 0);
        e = zl_base64_encode(v->bytes, v->len, &b64);
        if (!e) e = zl_buf_append(out, "\",\"sv\":", 7);
        if (!e) e = put_jstring(out, (const char *)b64.data, b64.len);
        zl_buf_free(&b64);
        break;
    }
    case ZL_T_STRING:
    case ZL_T_NONE:
        if (!v->bytes && v->len) return ZL_ERR_INVALID;
        if ((e = zl_buf_append(out, "\",\"sv\":", 7))) return e;
        e = put_jstring(out, (const char *)v->bytes, v->len);
        break;
    default:
        return ZL_ERR_INVALID;
    }
    if (e) return e;
    return zl_buf_putc(out, '}');
}

zl_err_t zl_lwm2m_json_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out) {
    if (!node || !path || !out) return ZL_ERR_INVALID;
    zl_err_t e = zl_entries_check_tree(node, path);
    if (e) return e;
    size_t start = out->len;
    bool leaf = node->kind == ZL_N_RESOURCE || node->kind == ZL_N_RES_INSTANCE;
    zl_path_t base = *path;
    if (leaf) base.len--;
    char bn[32];
    zl_path_format(&base, bn, sizeof bn);
    jenc_t j = {out, base.len, 0};
    if ((e = zl_buf_printf(out, "{\"bn\":\"%s%s\",\"e\":[", bn, base.len ? "/" : "")) ||
        (e = zl_entries_walk(node, path, put_leaf, &j)) || (e = zl_buf_append(out, "]}", 2)))
        out->len = start;
    return e;
}
