/* SPDX-License-Identifier: Apache-2.0 */
/* SenML (RFC 8428) as LwM2M 1.1 uses it (§7.4.5): SenML JSON, content
 * format 110, and SenML CBOR, content format 112.
 *
 * A payload is an array of records; each record's name resolves to
 * bn (base name, sticky until the next bn) + n and must be a full LwM2M path
 * to a resource ("/3/0/0") or resource instance ("/3/0/11/0") under the
 * requested path.  Exactly one value per record: v (number), vs (string),
 * vb (boolean), vd (opaque: base64url text in JSON, a byte string in CBOR)
 * or vlo (object link "oid:iid").  Times (bt, t) are checked to be numbers
 * and otherwise ignored: the node tree has no timestamp.  bv (base value) is
 * added to v as RFC 8428 §4.6 says; other RFC 8428 fields (u, bu, s, bs, ut)
 * are type-checked and ignored, unknown labels ending in '_' are rejected.
 *
 * Decoding returns a node whose kind matches the path depth, like
 * zl_tlv_decode: /oid OBJECT, /oid/iid INSTANCE, /oid/iid/rid RESOURCE or
 * MULTI (MULTI when the model says multiple or any record names a resource
 * instance), /oid/iid/rid/riid RES_INSTANCE.  Children come out sorted by id.
 * Values are typed from the built-in model (see senml.c for the rules); a
 * value of the wrong SenML kind for the model type is rejected.  At most
 * ZL_SENML_MAX_RECORDS records (ZL_ERR_TOO_LARGE beyond).
 *
 * Encoding writes one record per leaf: the first record carries bn = the
 * requested path plus '/' ("/3/0/") and every record a relative n ("0",
 * "7/1"); a single resource or resource instance is one record with a full
 * n ("/3/0/0").  Leaves typed ZL_T_NONE (raw bytes) are written as vd. */
#ifndef ZL_SENML_H
#define ZL_SENML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwm2m/model.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"
#include "common/buf.h"

#define ZL_SENML_MAX_RECORDS 10000
/* Decoding at the root path "/" (what LwM2M Send carries) yields a container
 * node of kind OBJECT with this id whose children are the OBJECT nodes named by
 * the records; it is not an LwM2M object and must not be encoded as one. */
#define ZL_SENML_ROOT_ID 65535

zl_err_t zl_senml_json_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                              char *errstr, size_t errstr_size);
/* On error out's length is restored. */
zl_err_t zl_senml_json_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out);

zl_err_t zl_senml_cbor_decode(const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out,
                              char *errstr, size_t errstr_size);
/* On error out's length is restored. */
zl_err_t zl_senml_cbor_encode(const zl_node_t *node, const zl_path_t *path, zl_buf_t *out);

/* ---- Shared record model (used by senml_json.c and senml_cbor.c) ---- */

/* A SenML number as the wire carried it: an integer (exact) or a double. */
typedef struct {
    bool is_int;
    int64_t i;
    double d;
} zl_senml_num_t;

typedef enum {
    ZL_SENML_V_NONE = 0,
    ZL_SENML_V_NUM,  /* v */
    ZL_SENML_V_STR,  /* vs */
    ZL_SENML_V_BOOL, /* vb */
    ZL_SENML_V_DATA, /* vd */
    ZL_SENML_V_LINK  /* vlo */
} zl_senml_vkind_t;

/* One record's fields as a format parser found them (pointers borrowed from
 * the parser's document, valid during zl_senml_dec_add only). */
typedef struct {
    const char *bn; /* NULL when absent */
    size_t bn_len;
    const char *n;  /* NULL when absent */
    size_t n_len;
    bool has_bv;
    zl_senml_num_t bv;
    zl_senml_vkind_t vkind;
    int n_values;          /* how many value fields the record had (must be 1) */
    zl_senml_num_t num;    /* V_NUM */
    bool b;                /* V_BOOL */
    const uint8_t *bytes;  /* V_STR, V_LINK: text; V_DATA: see data_b64 */
    size_t len;
    bool data_b64;         /* V_DATA bytes are base64url text (JSON) rather than raw (CBOR) */
} zl_senml_raw_t;

typedef struct {
    zl_path_t path;
    size_t index;     /* record index in the payload */
    zl_value_t value; /* owned until moved into the tree */
} zl_senml_rec_t;

/* Decoder state: sticky base fields and the resolved records. */
typedef struct {
    zl_path_t req;
    bool names_only; /* composite path lists: records carry names (any depth >= 1), no values */
    const zl_models_t *models; /* NULL: built-ins */
    char *errstr;
    size_t errstr_size;
    char bn[64];
    size_t bn_len;
    bool has_bv;
    zl_senml_num_t bv;
    size_t index;
    zl_senml_rec_t *recs;
    size_t n_recs, cap;
} zl_senml_dec_t;

/* Checks path (depth 1..4) and prepares dec; errstr may be NULL. */
zl_err_t zl_senml_dec_init(zl_senml_dec_t *dec, const zl_path_t *path, const zl_models_t *models,
                           char *errstr, size_t errstr_size);
/* Resolves, validates, types and stores one record (its index is the number
 * of records added before it). */
zl_err_t zl_senml_dec_add(zl_senml_dec_t *dec, const zl_senml_raw_t *raw);
/* Sorts, rejects duplicates and builds the node tree (*out owned by the caller). */
zl_err_t zl_senml_dec_finish(zl_senml_dec_t *dec, zl_node_t **out);
void zl_senml_dec_free(zl_senml_dec_t *dec);

/* Called once per record in order: bn is non-NULL for the first record of
 * a multi-record payload only; n is the (relative or full) name; v is NULL
 * for a record that only names a path (composite requests). */
typedef zl_err_t (*zl_senml_emit_fn)(void *ctx, const char *bn, const char *n, const zl_value_t *v);
/* Validates node against path (kind for the depth, id, child kinds) and
 * walks its leaves.  At the root path node must be the ZL_SENML_ROOT_ID
 * container; names are then absolute. */
zl_err_t zl_senml_walk(const zl_node_t *node, const zl_path_t *path, zl_senml_emit_fn fn, void *ctx);

/* What the JSON and CBOR encoders write: a source calls fn once per record. */
typedef zl_err_t (*zl_senml_source_fn)(const void *src, zl_senml_emit_fn fn, void *ctx);
typedef struct {
    const zl_node_t *node;
    const zl_path_t *path;
} zl_senml_tree_t;
zl_err_t zl_senml_tree_source(const void *tree, zl_senml_emit_fn fn, void *ctx); /* zl_senml_tree_t */
zl_err_t zl_senml_json_encode_src(zl_senml_source_fn source, const void *src, zl_buf_t *out);
zl_err_t zl_senml_cbor_encode_src(zl_senml_source_fn source, const void *src, zl_buf_t *out);
/* Parse a payload and zl_senml_dec_add() every record (no finish). */
zl_err_t zl_senml_json_feed(zl_senml_dec_t *dec, const uint8_t *p, size_t n);
zl_err_t zl_senml_cbor_feed(zl_senml_dec_t *dec, const uint8_t *p, size_t n);
typedef zl_err_t (*zl_senml_feed_fn)(zl_senml_dec_t *dec, const uint8_t *p, size_t n);
/* init + feed + finish: the whole decode of one format. */
zl_err_t zl_senml_decode_with(zl_senml_feed_fn feed, const uint8_t *p, size_t n, const zl_path_t *path,
                              const zl_models_t *models, zl_node_t **out, char *errstr, size_t errstr_size);

/* Composite operations (LwM2M 1.1 Read-/Observe-Composite, FETCH): the
 * request payload names the paths only, [{"n":"/3/0/0"},{"n":"/3303"}].
 * cf is ZL_CF_SENML_JSON or ZL_CF_SENML_CBOR (else ZL_ERR_UNSUPPORTED).
 * Decoding keeps the payload's order; *out (count entries) is owned by the
 * caller (free()).  At most ZL_SENML_MAX_RECORDS paths, none the root. */
zl_err_t zl_senml_paths_encode(int cf, const zl_path_t *paths, size_t count, zl_buf_t *out);
zl_err_t zl_senml_paths_decode(int cf, const uint8_t *p, size_t n, zl_path_t **out, size_t *count,
                               char *errstr, size_t errstr_size);

/* RFC 4648 §5 base64url without padding; the decoder also takes the standard
 * alphabet and padding.  Append to out; on error out's length is restored. */
zl_err_t zl_senml_b64url_encode(const uint8_t *p, size_t n, zl_buf_t *out);
zl_err_t zl_senml_b64url_decode(const char *s, size_t n, zl_buf_t *out);
/* Writes p[0..n) into out as a printable, truncated quoted excerpt for errors. */
void zl_senml_excerpt(const char *p, size_t n, char *out, size_t out_size);

#endif
