/* SPDX-License-Identifier: Apache-2.0 */
/* SenML CBOR (content format 112, RFC 8428 §6) over libcbor.
 *
 * libcbor's cbor_load() allocates a container as soon as it reads its
 * header, so a 9-byte header claiming 2^60 elements would become a huge
 * malloc, and cbor_decref() frees nested containers recursively.  A
 * pre-scan with the allocation-free cbor_stream_decode() therefore walks the
 * item headers first and rejects (before anything is loaded) containers that
 * claim more elements than there are bytes left, nesting deeper than SenML
 * can use, tags, stray breaks, trailing bytes and absurd item counts.  The
 * loaded tree is then mapped record by record onto zl_senml_raw_t with the
 * RFC 8428 integer labels (bn -2, bt -3, bu -4, bv -5, bs -6, bver -1, n 0,
 * u 1, v 2, vs 3, vb 4, s 5, t 6, ut 7, vd 8) plus the LwM2M text label
 * "vlo"; duplicate labels in a record are rejected.  Encoding builds the
 * items with libcbor using the smallest integer width, a 4-byte float when
 * it represents the double exactly, and serialises them in one go. */
#include <cbor.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/senml.h"
#include "common/utf8.h"

#define derr(d, e, ...) zl_err_fmt((d)->errstr, (d)->errstr_size, (e), __VA_ARGS__)

#define CB_MAX_DEPTH 8
#define CB_MAX_ITEMS (40 * ZL_SENML_MAX_RECORDS)

enum { L_BVER = -1, L_BN = -2, L_BT = -3, L_BU = -4, L_BV = -5, L_BS = -6,
       L_N = 0, L_U = 1, L_V = 2, L_VS = 3, L_VB = 4, L_S = 5, L_T = 6, L_UT = 7, L_VD = 8 };

/* ---- pre-scan ---- */

enum { EV_NONE, EV_ITEM, EV_ARRAY, EV_MAP, EV_INDEF_ARRAY, EV_INDEF_MAP, EV_INDEF_STR, EV_BREAK, EV_TAG };

typedef struct {
    int kind;
    uint64_t size;
} ev_t;

static void ev_item(void *c) { ((ev_t *)c)->kind = EV_ITEM; }
static void ev_u8(void *c, uint8_t v) { (void)v; ev_item(c); }
static void ev_u16(void *c, uint16_t v) { (void)v; ev_item(c); }
static void ev_u32(void *c, uint32_t v) { (void)v; ev_item(c); }
static void ev_u64(void *c, uint64_t v) { (void)v; ev_item(c); }
static void ev_str(void *c, cbor_data d, size_t n) { (void)d; (void)n; ev_item(c); }
static void ev_f(void *c, float f) { (void)f; ev_item(c); }
static void ev_d(void *c, double d) { (void)d; ev_item(c); }
static void ev_b(void *c, bool b) { (void)b; ev_item(c); }
static void ev_arr(void *c, size_t n) { ((ev_t *)c)->kind = EV_ARRAY; ((ev_t *)c)->size = n; }
static void ev_map(void *c, size_t n) { ((ev_t *)c)->kind = EV_MAP; ((ev_t *)c)->size = n; }
static void ev_iarr(void *c) { ((ev_t *)c)->kind = EV_INDEF_ARRAY; }
static void ev_imap(void *c) { ((ev_t *)c)->kind = EV_INDEF_MAP; }
static void ev_istr(void *c) { ((ev_t *)c)->kind = EV_INDEF_STR; }
static void ev_brk(void *c) { ((ev_t *)c)->kind = EV_BREAK; }
static void ev_tag(void *c, uint64_t v) { (void)v; ((ev_t *)c)->kind = EV_TAG; }

static const struct cbor_callbacks scan_cb = {
    .uint8 = ev_u8, .uint16 = ev_u16, .uint32 = ev_u32, .uint64 = ev_u64,
    .negint8 = ev_u8, .negint16 = ev_u16, .negint32 = ev_u32, .negint64 = ev_u64,
    .byte_string = ev_str, .byte_string_start = ev_istr,
    .string = ev_str, .string_start = ev_istr,
    .array_start = ev_arr, .indef_array_start = ev_iarr,
    .map_start = ev_map, .indef_map_start = ev_imap,
    .tag = ev_tag,
    .float2 = ev_f, .float4 = ev_f, .float8 = ev_d,
    .undefined = ev_item, .null = ev_item, .boolean = ev_b,
    .indef_break = ev_brk,
};

typedef struct {
    uint64_t remaining; /* items left in a definite container */
    bool indef;
    bool odd;           /* indefinite map: a key is waiting for its value */
    bool is_map;
} frame_t;

static zl_err_t prescan(zl_senml_dec_t *dec, const uint8_t *p, size_t n) {
    frame_t st[CB_MAX_DEPTH];
    size_t depth = 0, off = 0, items = 0;
    if (n == 0) return derr(dec, ZL_ERR_INVALID, "empty SenML CBOR payload (an array is required)");
    for (;;) {
        if (off >= n)
            return derr(dec, ZL_ERR_TRUNCATED, "SenML CBOR ends inside a container at offset %zu", off);
        ev_t ev = {EV_NONE, 0};
        struct cbor_decoder_result r = cbor_stream_decode(p + off, n - off, &scan_cb, &ev);
        if (r.status == CBOR_DECODER_NEDATA)
            return derr(dec, ZL_ERR_TRUNCATED, "CBOR item at offset %zu is truncated", off);
        if (r.status != CBOR_DECODER_FINISHED || ev.kind == EV_NONE || r.read == 0)
            return derr(dec, ZL_ERR_INVALID, "malformed CBOR at offset %zu", off);
        size_t at = off;
        off += r.read;
        if (++items > CB_MAX_ITEMS)
            return derr(dec, ZL_ERR_TOO_LARGE, "more than %d CBOR items", CB_MAX_ITEMS);
        if (at == 0 && ev.kind != EV_ARRAY && ev.kind != EV_INDEF_ARRAY)
            return derr(dec, ZL_ERR_INVALID, "SenML CBOR payload is not an array");
        if (at == 0 && ev.kind == EV_ARRAY && ev.size > ZL_SENML_MAX_RECORDS)
            return derr(dec, ZL_ERR_TOO_LARGE, "%llu SenML records (at most %d)",
                        (unsigned long long)ev.size, ZL_SENML_MAX_RECORDS);
        bool done = false;
        switch (ev.kind) {
        case EV_TAG:
            return derr(dec, ZL_ERR_INVALID, "CBOR tag at offset %zu (SenML uses none)", at);
        case EV_ITEM:
            done = true;
            break;
        case EV_ARRAY:
        case EV_MAP: {
            uint64_t need = ev.kind == EV_MAP ? 2 : 1;
            if (ev.size > (n - off) / need)
                return derr(dec, ZL_ERR_TRUNCATED, "CBOR %s at offset %zu claims %llu entries, %zu bytes left",
                            ev.kind == EV_MAP ? "map" : "array", at, (unsigned long long)ev.size, n - off);
            if (ev.size == 0) { done = true; break; }
            if (depth == CB_MAX_DEPTH)
                return derr(dec, ZL_ERR_INVALID, "CBOR nested deeper than %d at offset %zu", CB_MAX_DEPTH, at);
            st[depth++] = (frame_t){.remaining = ev.size * need, .is_map = ev.kind == EV_MAP};
            break;
        }
        case EV_INDEF_ARRAY:
        case EV_INDEF_MAP:
        case EV_INDEF_STR:
            if (depth == CB_MAX_DEPTH)
                return derr(dec, ZL_ERR_INVALID, "CBOR nested deeper than %d at offset %zu", CB_MAX_DEPTH, at);
            st[depth++] = (frame_t){.indef = true, .is_map = ev.kind == EV_INDEF_MAP};
            break;
        case EV_BREAK:
            if (depth == 0 || !st[depth - 1].indef)
                return derr(dec, ZL_ERR_INVALID, "unexpected CBOR break at offset %zu", at);
            if (st[depth - 1].odd)
                return derr(dec, ZL_ERR_INVALID, "CBOR map key without a value before offset %zu", at);
            depth--;
            done = true;
            break;
        default:
            return derr(dec, ZL_ERR_INVALID, "malformed CBOR at offset %zu", at);
        }
        /* A completed item counts towards its container; full definite
         * containers complete in turn. */
        while (done) {
            if (depth == 0) {
                if (off != n)
                    return derr(dec, ZL_ERR_INVALID, "%zu trailing bytes after the SenML CBOR array at offset %zu",
                                n - off, off);
                return ZL_OK;
            }
            frame_t *f = &st[depth - 1];
            if (f->indef) {
                if (f->is_map) f->odd = !f->odd;
                done = false;
            } else if (--f->remaining == 0) {
                depth--;
            } else {
                done = false;
            }
        }
    }
}

/* ---- decoding ---- */

/* Borrows or (for indefinite strings) concatenates a string's bytes. */
static zl_err_t get_bytes(const cbor_item_t *it, zl_buf_t *scratch, const uint8_t **p, size_t *n) {
    static const uint8_t empty[1];
    bool text = cbor_isa_string(it);
    bool definite = text ? cbor_string_is_definite(it) : cbor_bytestring_is_definite(it);
    if (definite) {
        *n = text ? cbor_string_length(it) : cbor_bytestring_length(it);
        *p = text ? cbor_string_handle(it) : cbor_bytestring_handle(it);
        if (!*p) *p = empty;
        return ZL_OK;
    }
    size_t count = text ? cbor_string_chunk_count(it) : cbor_bytestring_chunk_count(it);
    cbor_item_t **ch = text ? cbor_string_chunks_handle(it) : cbor_bytestring_chunks_handle(it);
    zl_buf_reset(scratch);
    for (size_t i = 0; i < count; i++) {
        const uint8_t *cp;
        size_t cn;
        /* libcbor only loads definite chunks of the same major type */
        zl_err_t e = get_bytes(ch[i], scratch, &cp, &cn);
        if (!e && cn) e = zl_buf_append(scratch, cp, cn);
        if (e) return e;
    }
    *p = scratch->len ? scratch->data : empty;
    *n = scratch->len;
    return ZL_OK;
}

static bool get_num(const cbor_item_t *it, zl_senml_num_t *out) {
    memset(out, 0, sizeof *out);
    if (cbor_isa_uint(it)) {
        uint64_t u = cbor_get_int(it);
        if (u <= INT64_MAX) { out->is_int = true; out->i = (int64_t)u; }
        else out->d = (double)u;
        return true;
    }
    if (cbor_isa_negint(it)) {
        uint64_t u = cbor_get_int(it); /* value is -1 - u */
        if (u <= INT64_MAX) { out->is_int = true; out->i = -1 - (int64_t)u; }
        else out->d = -1.0 - (double)u;
        return true;
    }
    if (cbor_isa_float_ctrl(it) && cbor_is_float(it)) {
        out->d = cbor_float_get_float(it);
        return true;
    }
    return false;
}

typedef struct {
    zl_buf_t key, bn, n, val;
} scratch_t;

static const char *label_name(int64_t l) {
    switch (l) {
    case L_BVER: return "bver";
    case L_BN: return "bn";
    case L_BT: return "bt";
    case L_BU: return "bu";
    case L_BV: return "bv";
    case L_BS: return "bs";
    case L_N: return "n";
    case L_U: return "u";
    case L_V: return "v";
    case L_VS: return "vs";
    case L_VB: return "vb";
    case L_S: return "s";
    case L_T: return "t";
    case L_UT: return "ut";
    case L_VD: return "vd";
    default: return "?";
    }
}

static zl_err_t read_record(zl_senml_dec_t *dec, size_t idx, const cbor_item_t *rec, scratch_t *s,
                            zl_senml_raw_t *raw) {
    memset(raw, 0, sizeof *raw);
    size_t np = cbor_map_size(rec);
    struct cbor_pair *pairs = cbor_map_handle(rec);
    uint32_t seen = 0; /* labels -8..23 */
    bool seen_vlo = false;
    zl_err_t e;
    for (size_t i = 0; i < np; i++) {
        const cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
        const char *want = NULL;
        int64_t label;
        if (cbor_isa_uint(k) && cbor_get_int(k) <= 1000) {
            label = (int64_t)cbor_get_int(k);
        } else if (cbor_isa_negint(k) && cbor_get_int(k) <= 1000) {
            label = -1 - (int64_t)cbor_get_int(k);
        } else if (cbor_isa_string(k)) {
            const uint8_t *kp;
            size_t kn;
            if ((e = get_bytes(k, &s->key, &kp, &kn))) return e;
            if (kn == 3 && memcmp(kp, "vlo", 3) == 0) {
                if (seen_vlo)
                    return derr(dec, ZL_ERR_INVALID, "SenML record %zu: duplicate label \"vlo\"", idx);
                seen_vlo = true;
                if (!cbor_isa_string(v))
                    return derr(dec, ZL_ERR_INVALID, "SenML record %zu: \"vlo\" is not a text string", idx);
                raw->n_values++;
                raw->vkind = ZL_SENML_V_LINK;
                if ((e = get_bytes(v, &s->val, &raw->bytes, &raw->len))) return e;
            } else if (kn > 0 && kp[kn - 1] == '_') {
                char kx[48];
                zl_senml_excerpt((const char *)kp, kn, kx, sizeof kx);
                return derr(dec, ZL_ERR_INVALID, "SenML record %zu: must-understand label \"%s\" is not supported",
                            idx, kx);
            }
            continue; /* other text labels: extensions we ignore */
        } else if (cbor_isa_uint(k) || cbor_isa_negint(k)) {
            continue; /* far-out integer labels: unknown, ignored */
        } else {
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu: label %zu is neither an integer nor text", idx, i);
        }
        if (label >= -8 && label <= 23) {
            uint32_t bit = 1u << (label + 8);
            if (seen & bit)
                return derr(dec, ZL_ERR_INVALID, "SenML record %zu: duplicate label %lld (%s)", idx,
                            (long long)label, label_name(label));
            seen |= bit;
        }
        switch (label) {
        case L_BN:
        case L_N: {
            if (!cbor_isa_string(v)) { want = "a text string"; break; }
            const uint8_t *sp;
            size_t sn;
            if ((e = get_bytes(v, label == L_BN ? &s->bn : &s->n, &sp, &sn))) return e;
            if (label == L_BN) { raw->bn = (const char *)sp; raw->bn_len = sn; }
            else { raw->n = (const char *)sp; raw->n_len = sn; }
            break;
        }
        case L_BU:
        case L_U:
            if (!cbor_isa_string(v)) want = "a text string";
            break;
        case L_BT:
        case L_T:
        case L_UT:
        case L_S:
        case L_BS: {
            zl_senml_num_t x;
            if (!get_num(v, &x)) want = "a number";
            break;
        }
        case L_BV:
            if (!get_num(v, &raw->bv)) { want = "a number"; break; }
            raw->has_bv = true;
            break;
        case L_BVER: {
            if (!cbor_isa_uint(v)) { want = "an unsigned integer"; break; }
            if (cbor_get_int(v) > 10)
                return derr(dec, ZL_ERR_UNSUPPORTED, "SenML record %zu: SenML version %llu is not supported",
                            idx, (unsigned long long)cbor_get_int(v));
            break;
        }
        case L_V:
            if (!get_num(v, &raw->num)) { want = "a number"; break; }
            raw->n_values++;
            raw->vkind = ZL_SENML_V_NUM;
            break;
        case L_VB:
            /* libcbor 0.8's cbor_is_bool() asserts on floats: check ctrl first */
            if (!cbor_isa_float_ctrl(v) || !cbor_float_ctrl_is_ctrl(v) || !cbor_is_bool(v)) {
                want = "a boolean";
                break;
            }
            raw->n_values++;
            raw->vkind = ZL_SENML_V_BOOL;
            raw->b = cbor_get_bool(v);
            break;
        case L_VS:
        case L_VD:
            if (label == L_VS ? !cbor_isa_string(v) : !cbor_isa_bytestring(v)) {
                want = label == L_VS ? "a text string" : "a byte string";
                break;
            }
            raw->n_values++;
            raw->vkind = label == L_VS ? ZL_SENML_V_STR : ZL_SENML_V_DATA;
            if ((e = get_bytes(v, &s->val, &raw->bytes, &raw->len))) return e;
            break;
        default:
            break; /* unknown integer label: ignored */
        }
        if (want)
            return derr(dec, ZL_ERR_INVALID, "SenML record %zu: %s (label %lld) is not %s", idx,
                        label_name(label), (long long)label, want);
    }
    return ZL_OK;
}

zl_err_t zl_senml_cbor_feed(zl_senml_dec_t *dec, const uint8_t *p, size_t n) {
    zl_err_t e;
    if (!p && n) return derr(dec, ZL_ERR_INVALID, "NULL payload");
    if ((e = prescan(dec, p, n))) return e;
    struct cbor_load_result lr;
    cbor_item_t *root = cbor_load(p, n, &lr);
    if (!root) {
        if (lr.error.code == CBOR_ERR_MEMERROR) return ZL_ERR_NOMEM;
        return derr(dec, ZL_ERR_INVALID, "malformed CBOR (libcbor error %d at offset %zu)", (int)lr.error.code,
                    lr.error.position);
    }
    if (!cbor_isa_array(root)) { /* prescan checked; defensive */
        cbor_decref(&root);
        return derr(dec, ZL_ERR_INVALID, "SenML CBOR payload is not an array");
    }
    size_t count = cbor_array_size(root);
    cbor_item_t **recs = cbor_array_handle(root);
    scratch_t s;
    zl_buf_init(&s.key, 0);
    zl_buf_init(&s.bn, 0);
    zl_buf_init(&s.n, 0);
    zl_buf_init(&s.val, 0);
    if (count > ZL_SENML_MAX_RECORDS)
        e = derr(dec, ZL_ERR_TOO_LARGE, "%zu SenML records (at most %d)", count, ZL_SENML_MAX_RECORDS);
    for (size_t i = 0; i < count && !e; i++) {
        zl_senml_raw_t raw;
        if (!cbor_isa_map(recs[i])) e = derr(dec, ZL_ERR_INVALID, "SenML record %zu is not a map", i);
        else if (!(e = read_record(dec, i, recs[i], &s, &raw))) e = zl_senml_dec_add(dec, &raw);
    }
    zl_buf_free(&s.key);
    zl_buf_free(&s.bn);
    zl_buf_free(&s.n);
    zl_buf_free(&s.val);
    cbor_decref(&root);
    return e;
}

zl_err_t zl_senml_cbor_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                              char *errstr, size_t errstr_size) {
    return zl_senml_decode_with(zl_senml_cbor_feed, p, n, path, models, out, errstr, errstr_size);
}

/* ---- encoding ---- */

static cbor_item_t *build_uint(uint64_t u) {
    if (u <= UINT8_MAX) return cbor_build_uint8((uint8_t)u);
    if (u <= UINT16_MAX) return cbor_build_uint16((uint16_t)u);
    if (u <= UINT32_MAX) return cbor_build_uint32((uint32_t)u);
    return cbor_build_uint64(u);
}

static cbor_item_t *build_int(int64_t i) {
    if (i >= 0) return build_uint((uint64_t)i);
    uint64_t u = ~(uint64_t)i; /* -1 - i */
    if (u <= UINT8_MAX) return cbor_build_negint8((uint8_t)u);
    if (u <= UINT16_MAX) return cbor_build_negint16((uint16_t)u);
    if (u <= UINT32_MAX) return cbor_build_negint32((uint32_t)u);
    return cbor_build_negint64(u);
}

static cbor_item_t *build_label(int l) { return build_int(l); }

/* Adds key -> val to map, consuming both references (NULL: out of memory). */
static zl_err_t put(cbor_item_t *map, cbor_item_t *key, cbor_item_t *val) {
    zl_err_t e = ZL_OK;
    if (!key || !val || !cbor_map_add(map, (struct cbor_pair){.key = key, .value = val})) e = ZL_ERR_NOMEM;
    if (key) cbor_decref(&key);
    if (val) cbor_decref(&val);
    return e;
}

static zl_err_t count_emit(void *ctx, const char *bn, const char *n, const zl_value_t *v) {
    (void)bn;
    (void)n;
    (void)v;
    (*(size_t *)ctx)++;
    return ZL_OK;
}

static zl_err_t cbor_emit(void *ctx, const char *bn, const char *n, const zl_value_t *v) {
    static const uint8_t empty[1];
    cbor_item_t *arr = ctx;
    cbor_item_t *map = cbor_new_definite_map((bn ? 1u : 0u) + 1u + (v ? 1u : 0u));
    if (!map) return ZL_ERR_NOMEM;
    zl_err_t e = ZL_OK;
    if (bn) e = put(map, build_label(L_BN), cbor_build_stringn(bn, strlen(bn)));
    if (!e) e = put(map, build_label(L_N), cbor_build_stringn(n, strlen(n)));
    if (!e && v) {
        switch (v->type) {
        case ZL_T_INTEGER:
        case ZL_T_TIME:
            e = put(map, build_label(L_V), build_int(v->u.i));
            break;
        case ZL_T_FLOAT: {
            if (!isfinite(v->u.f)) { e = ZL_ERR_INVALID; break; }
            float f = (float)v->u.f;
            e = put(map, build_label(L_V), (double)f == v->u.f ? cbor_build_float4(f) : cbor_build_float8(v->u.f));
            break;
        }
        case ZL_T_BOOLEAN:
            e = put(map, build_label(L_VB), cbor_build_bool(v->u.b));
            break;
        case ZL_T_STRING:
            if ((!v->bytes && v->len) || !zl_utf8_valid(v->bytes, v->len)) { e = ZL_ERR_INVALID; break; }
            e = put(map, build_label(L_VS), cbor_build_stringn(v->len ? (const char *)v->bytes : "", v->len));
            break;
        case ZL_T_OPAQUE:
        case ZL_T_NONE:
            if (!v->bytes && v->len) { e = ZL_ERR_INVALID; break; }
            e = put(map, build_label(L_VD), cbor_build_bytestring(v->len ? v->bytes : empty, v->len));
            break;
        case ZL_T_OBJLNK: {
            char tmp[16];
            int k = snprintf(tmp, sizeof tmp, "%u:%u", (unsigned)v->u.lnk.oid, (unsigned)v->u.lnk.iid);
            e = put(map, cbor_build_stringn("vlo", 3), cbor_build_stringn(tmp, (size_t)k));
            break;
        }
        default:
            e = ZL_ERR_INVALID;
        }
    }
    if (!e && !cbor_array_push(arr, map)) e = ZL_ERR_NOMEM;
    cbor_decref(&map);
    return e;
}

zl_err_t zl_senml_cbor_encode_src(zl_senml_source_fn source, const void *src, zl_buf_t *out) {
    if (!out) return ZL_ERR_INVALID;
    size_t count = 0;
    zl_err_t e = source(src, count_emit, &count);
    if (e) return e;
    cbor_item_t *arr = cbor_new_definite_array(count);
    if (!arr) return ZL_ERR_NOMEM;
    size_t start = out->len;
    e = source(src, cbor_emit, arr);
    if (!e) {
        unsigned char *buf = NULL;
        size_t cap = 0;
        size_t len = cbor_serialize_alloc(arr, &buf, &cap);
        if (!len) e = ZL_ERR_NOMEM;
        else e = zl_buf_append(out, buf, len);
        free(buf);
    }
    cbor_decref(&arr);
    if (e) out->len = start;
    return e;
}

zl_err_t zl_senml_cbor_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out) {
    zl_senml_tree_t t = {node, path};
    return zl_senml_cbor_encode_src(zl_senml_tree_source, &t, out);
}
