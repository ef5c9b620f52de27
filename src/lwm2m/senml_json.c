/* SPDX-License-Identifier: Apache-2.0 */
/* SenML JSON (content format 110) over jansson.  jansson parses the payload
 * (duplicate keys rejected, nesting bounded by its own depth limit, NUL
 * allowed inside strings so lengths are honoured rather than truncated); this
 * file maps each record object onto zl_senml_raw_t field by field, checking
 * every field's JSON type, and leaves name resolution, typing and the tree to
 * senml.c.  Encoding builds a jansson array and dumps it compact, with the
 * smallest real precision that reads every float back exactly. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/senml.h"
#include "common/num.h"

#define derr(d, e, ...) zl_err_fmt((d)->errstr, (d)->errstr_size, (e), __VA_ARGS__)

static bool key_is(const char *key, size_t klen, const char *lit) {
    return klen == strlen(lit) && memcmp(key, lit, klen) == 0;
}

static void get_num(const json_t *v, zl_senml_num_t *out) {
    memset(out, 0, sizeof *out);
    if (json_is_integer(v)) {
        out->is_int = true;
        out->i = (int64_t)json_integer_value(v);
    } else {
        out->d = json_real_value(v);
    }
}

/* Fills raw from the record object rec (index idx). */
static zl_err_t read_record(zl_senml_dec_t *dec, size_t idx, json_t *rec, zl_senml_raw_t *raw) {
    const char *key;
    size_t klen;
    json_t *v;
    memset(raw, 0, sizeof *raw);
    json_object_keylen_foreach(rec, key, klen, v) {
        char kx[48];
        const char *want = NULL; /* JSON type the key needs, for the error */
        if (key_is(key, klen, "bn") || key_is(key, klen, "n")) {
            if (!json_is_string(v)) { want = "a string"; goto bad; }
            if (key[0] == 'b') {
                raw->bn = json_string_value(v);
                raw->bn_len = json_string_length(v);
            } else {
                raw->n = json_string_value(v);
                raw->n_len = json_string_length(v);
            }
        } else if (key_is(key, klen, "bt") || key_is(key, klen, "t") || key_is(key, klen, "ut") ||
                   key_is(key, klen, "s") || key_is(key, klen, "bs")) {
            if (!json_is_number(v)) { want = "a number"; goto bad; }
        } else if (key_is(key, klen, "bv")) {
            if (!json_is_number(v)) { want = "a number"; goto bad; }
            raw->has_bv = true;
            get_num(v, &raw->bv);
        } else if (key_is(key, klen, "bver")) {
            if (!json_is_integer(v)) { want = "an integer"; goto bad; }
            if (json_integer_value(v) > 10)
                return derr(dec, ZL_ERR_UNSUPPORTED, "SenML record %zu: SenML version %lld is not supported",
                            idx, (long long)json_integer_value(v));
        } else if (key_is(key, klen, "u") || key_is(key, klen, "bu")) {
            if (!json_is_string(v)) { want = "a string"; goto bad; }
        } else if (key_is(key, klen, "v")) {
            if (!json_is_number(v)) { want = "a number"; goto bad; }
            raw->n_values++;
            raw->vkind = ZL_SENML_V_NUM;
            get_num(v, &raw->num);
        } else if (key_is(key, klen, "vb")) {
            if (!json_is_boolean(v)) { want = "a boolean"; goto bad; }
            raw->n_values++;
            raw->vkind = ZL_SENML_V_BOOL;
            raw->b = json_is_true(v);
        } else if (key_is(key, klen, "vs") || key_is(key, klen, "vd") || key_is(key, klen, "vlo")) {
            if (!json_is_string(v)) { want = "a string"; goto bad; }
            raw->n_values++;
            raw->vkind = key[1] == 's' ? ZL_SENML_V_STR : key[1] == 'd' ? ZL_SENML_V_DATA : ZL_SENML_V_LINK;
            raw->bytes = (const uint8_t *)json_string_value(v);
            raw->len = json_string_length(v);
            raw->data_b64 = raw->vkind == ZL_SENML_V_DATA;
        } else if (klen > 0 && key[klen - 1] == '_') {
            zl_senml_excerpt(key, klen, kx, sizeof kx);
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu: must-understand field \"%s\" is not supported",
                        idx, kx);
        }
        continue; /* other RFC 8428 / extension fields are ignored */
    bad:
        zl_senml_excerpt(key, klen, kx, sizeof kx);
        return derr(dec, ZL_ERR_INVALID, "SenML record %zu: \"%s\" is not %s", idx, kx, want);
    }
    return ZL_OK;
}

zl_err_t zl_senml_json_feed(zl_senml_dec_t *dec, const uint8_t *p, size_t n) {
    if (!p && n) return derr(dec, ZL_ERR_INVALID, "NULL payload");
    json_error_t je;
    json_t *root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root)
        return derr(dec, ZL_ERR_INVALID, "SenML JSON: %s at offset %d", je.text, je.position);
    zl_err_t e = ZL_OK;
    size_t count = json_is_array(root) ? json_array_size(root) : 0;
    if (!json_is_array(root))
        e = derr(dec, ZL_ERR_INVALID, "SenML JSON payload is not an array");
    else if (count > ZL_SENML_MAX_RECORDS)
        e = derr(dec, ZL_ERR_TOO_LARGE, "%zu SenML records (at most %d)", count, ZL_SENML_MAX_RECORDS);
    for (size_t i = 0; i < count && !e; i++) {
        json_t *rec = json_array_get(root, i);
        zl_senml_raw_t raw;
        if (!json_is_object(rec)) e = derr(dec, ZL_ERR_INVALID, "SenML record %zu is not an object", i);
        else if (!(e = read_record(dec, i, rec, &raw))) e = zl_senml_dec_add(dec, &raw);
    }
    json_decref(root);
    return e;
}

zl_err_t zl_senml_json_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                              char *errstr, size_t errstr_size) {
    return zl_senml_decode_with(zl_senml_json_feed, p, n, path, models, out, errstr, errstr_size);
}

/* ---- encoding ---- */

typedef struct {
    json_t *arr;
    int prec; /* largest %.Ng precision any float needs */
} jenc_t;

static zl_err_t set(json_t *obj, const char *key, json_t *v, zl_err_t if_null) {
    if (!v) return if_null;
    return json_object_set_new(obj, key, v) == 0 ? ZL_OK : ZL_ERR_NOMEM;
}

static zl_err_t json_emit(void *ctx, const char *bn, const char *n, const zl_value_t *v) {
    jenc_t *j = ctx;
    json_t *obj = json_object();
    if (!obj) return ZL_ERR_NOMEM;
    zl_err_t e = ZL_OK;
    if (bn) e = set(obj, "bn", json_string(bn), ZL_ERR_NOMEM);
    if (!e) e = set(obj, "n", json_string(n), ZL_ERR_NOMEM);
    if (!e && v) {
        switch (v->type) {
        case ZL_T_INTEGER:
        case ZL_T_TIME:
            e = set(obj, "v", json_integer((json_int_t)v->u.i), ZL_ERR_NOMEM);
            break;
        case ZL_T_FLOAT: {
            if (!isfinite(v->u.f)) { e = ZL_ERR_INVALID; break; }
            int prec = zl_double_precision(v->u.f);
            if (prec > j->prec) j->prec = prec;
            e = set(obj, "v", json_real(v->u.f), ZL_ERR_NOMEM);
            break;
        }
        case ZL_T_BOOLEAN:
            e = set(obj, "vb", json_boolean(v->u.b), ZL_ERR_NOMEM);
            break;
        case ZL_T_STRING:
            /* json_stringn refuses invalid UTF-8 */
            if (!v->bytes && v->len) { e = ZL_ERR_INVALID; break; }
            e = set(obj, "vs", json_stringn(v->bytes ? (const char *)v->bytes : "", v->len), ZL_ERR_INVALID);
            break;
        case ZL_T_OPAQUE:
        case ZL_T_NONE: {
            if (!v->bytes && v->len) { e = ZL_ERR_INVALID; break; }
            zl_buf_t b;
            zl_buf_init(&b, 0);
            e = zl_senml_b64url_encode(v->bytes, v->len, &b);
            if (!e) e = set(obj, "vd", json_stringn(b.len ? (const char *)b.data : "", b.len), ZL_ERR_NOMEM);
            zl_buf_free(&b);
            break;
        }
        case ZL_T_OBJLNK: {
            char tmp[16];
            snprintf(tmp, sizeof tmp, "%u:%u", (unsigned)v->u.lnk.oid, (unsigned)v->u.lnk.iid);
            e = set(obj, "vlo", json_string(tmp), ZL_ERR_NOMEM);
            break;
        }
        default:
            e = ZL_ERR_INVALID;
        }
    }
    if (!e && json_array_append_new(j->arr, obj) != 0) return ZL_ERR_NOMEM;
    if (e) json_decref(obj);
    return e;
}

zl_err_t zl_senml_json_encode_src(zl_senml_source_fn source, const void *src, zl_buf_t *out) {
    if (!out) return ZL_ERR_INVALID;
    jenc_t j = {.arr = json_array(), .prec = 1};
    if (!j.arr) return ZL_ERR_NOMEM;
    size_t start = out->len;
    zl_err_t e = source(src, json_emit, &j);
    if (!e) {
        char *s = json_dumps(j.arr, JSON_COMPACT | JSON_REAL_PRECISION(j.prec));
        if (!s) e = ZL_ERR_NOMEM;
        else e = zl_buf_append(out, s, strlen(s));
        free(s);
    }
    json_decref(j.arr);
    if (e) out->len = start;
    return e;
}

zl_err_t zl_senml_json_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out) {
    zl_senml_tree_t t = {node, path};
    return zl_senml_json_encode_src(zl_senml_tree_source, &t, out);
}
