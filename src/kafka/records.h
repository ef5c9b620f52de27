/* SPDX-License-Identifier: Apache-2.0 */
/* The zeelos Kafka records in C form, independent of the wire encoding.
 *
 * Producers fill these with borrowed pointers (nothing here is freed by the
 * serde); zl_request_t, the one record we decode, owns its fields and is
 * released with zl_request_clear().  Field meanings follow the zeelos contract
 * (docs/KAFKA.md). */
#ifndef ZL_RECORDS_H
#define ZL_RECORDS_H

#include <stdbool.h>
#include <stdint.h>
#include "lwm2m/link.h"
#include "lwm2m/node.h"
#include "lwm2m/path.h"
#include "common/err.h"

/* AvroRequestKind ordinals. */
typedef enum {
    ZL_RK_READ = 0, ZL_RK_WRITE, ZL_RK_WRITE_ATTRIBUTES, ZL_RK_EXECUTE, ZL_RK_OBSERVE,
    ZL_RK_OBSERVE_CANCEL, ZL_RK_DELETE, ZL_RK_DISCOVER, ZL_RK_CREATE, ZL_RK__COUNT
} zl_req_kind_t;

/* AvroResponseCode ordinals. */
typedef enum {
    ZL_RC_CREATED = 0, ZL_RC_DELETED, ZL_RC_CHANGED, ZL_RC_CONTENT, ZL_RC_BAD_REQUEST,
    ZL_RC_UNAUTHORIZED, ZL_RC_METHOD_NOT_ALLOWED, ZL_RC_FORBIDDEN, ZL_RC_NOT_FOUND,
    ZL_RC_NOT_ACCEPTABLE, ZL_RC_REQUEST_ENTITY_INCOMPLETE, ZL_RC_PRECONDITION_FAILED,
    ZL_RC_REQUEST_ENTITY_TOO_LARGE, ZL_RC_UNSUPPORTED_CONTENT_FORMAT,
    ZL_RC_INTERNAL_SERVER_ERROR, ZL_RC_UNKNOWN, ZL_RC__COUNT
} zl_resp_code_t;

/* AvroContentFormat ordinals. */
typedef enum { ZL_ACF_TLV = 0, ZL_ACF_JSON, ZL_ACF_TEXT, ZL_ACF_OPAQUE, ZL_ACF_LINK } zl_avro_cf_t;

typedef enum { ZL_REG_NEW = 0, ZL_REG_UPDATE = 1, ZL_REG_DELETE = 2 } zl_reg_kind_t;

typedef struct {
    const char *name;
    const char *value; /* NULL = valueless attribute; encoded as "" */
} zl_kv_t;

/* AvroRegistrationResponse{kind, body=New|Update|Delete}. */
typedef struct {
    zl_reg_kind_t kind;
    const char *ep, *server_id;
    int64_t last_up;               /* epoch ms */
    /* NEW and UPDATE */
    const char *reg_id, *address;
    int port;
    /* NEW only */
    int64_t reg_date;              /* epoch ms */
    const char *reg_addr;          /* server's local address string */
    int reg_port;
    const char *ver, *root;
    /* NEW: always present.  UPDATE: present when has_* is true / pointer non-NULL. */
    bool has_lt;
    int64_t lt;                    /* seconds */
    const char *sms;               /* NULL = absent */
    const char *bnd;               /* AvroBnd symbol "U", "UQ", ... NULL = absent (UPDATE only) */
    const char *binding;           /* zeelos 1.1: b exactly as the device sent it ("UT", "N"); NULL = absent */
    const zl_links_t *links;       /* NULL = absent (UPDATE only) */
    const zl_kv_t *attrs;          /* additional attributes; NULL/0 = absent in UPDATE, {} in NEW */
    size_t n_attrs;
    /* DELETE only */
    bool expired;
} zl_rec_registration_t;

typedef enum { ZL_BODY_NONE = 0, ZL_BODY_READ, ZL_BODY_DISCOVER, ZL_BODY_CREATE, ZL_BODY_GENERIC } zl_body_kind_t;

/* AvroResponse (management.rep) or, when observation_id != NULL, AvroResponseObserve. */
typedef struct {
    const char *ticket, *server_id, *ep, *path;
    const char *observation_id;    /* "[hex]" or NULL */
    int64_t timestamp;             /* epoch ms */
    zl_resp_code_t code;
    zl_req_kind_t kind;
    zl_body_kind_t body;
    const zl_node_t *content;      /* READ: node addressed by path */
    const char *content_path;      /* READ, optional: the path written in content's record instead of the
                                    * one derived from path (the seed's analytics wrote "<path>-max") */
    const char *text;              /* DISCOVER objectLinks, CREATE location, GENERIC message */
    /* zeelos 1.1, composite reads and notifications: the values read, as a
     * root container (kind OBJECT, id ZL_SENML_ROOT_ID, children objects),
     * written flat as rep.resources.  NULL: rep.resources is null. */
    const zl_node_t *values;
} zl_rec_response_t;

typedef enum { ZL_WRITE_REPLACE = 0, ZL_WRITE_UPDATE = 1 } zl_write_mode_t;

#define ZL_REQUEST_MAX_PATHS 256 /* composite paths in one request */

/* Longest ep (as /rd accepts) and path a request may carry: anything longer
 * is refused with BAD_REQUEST, never cut. */
#define ZL_REQ_MAX_EP 256
#define ZL_REQ_MAX_PATH 255

/* AvroRequest, decoded. Owns every pointer. */
typedef struct {
    char *server_id, *ep, *ticket, *path;
    zl_req_kind_t kind;
    zl_avro_cf_t content_format;
    enum { ZL_RQB_NONE = 0, ZL_RQB_CREATE, ZL_RQB_EXECUTE, ZL_RQB_WRITE_ATTRIBUTES, ZL_RQB_WRITE } body;
    zl_write_mode_t write_mode;    /* WRITE */
    zl_node_t *node;               /* CREATE: instance; WRITE: object/instance/resource */
    char *text;                    /* EXECUTE parameters; WRITE_ATTRIBUTES observeSpec */
    /* zeelos 1.1 fields (absent from writers on the original schema) */
    zl_path_t *paths;              /* payload.paths: composite read/observe/observeCancel */
    size_t n_paths;                /* 0 with paths == NULL: not composite */
    zl_node_t *values;             /* payload.resources: Write-Composite values as a root container */
    bool has_depth;                /* payload.depth (Discover) */
    int32_t depth;
    bool has_cf_code;              /* payload.contentFormatCode overrides content_format */
    int32_t cf_code;
} zl_request_t;

/* True if r is a composite operation (paths or values given). */
bool zl_request_is_composite(const zl_request_t *r);

void zl_request_clear(zl_request_t *r);

const char *zl_req_kind_name(zl_req_kind_t k);       /* "read", ..., "create" */
int zl_req_kind_parse(const char *s);                /* the Avro symbol; -1 if unknown */
/* A command-line word: the symbol or its kebab-case ("write-attributes"); -1 if unknown. */
int zl_req_kind_parse_word(const char *s);
const char *zl_resp_code_name(zl_resp_code_t c);     /* "CREATED", ... */
/* Maps a CoAP response code (class<<5|detail) to AvroResponseCode. */
zl_resp_code_t zl_resp_code_from_coap(int coap_code);
/* The AvroResponseCode management.rep carries when a request failed with err
 * (CONTENT for ZL_OK, INTERNAL_SERVER_ERROR for a code outside zl_err_t). */
zl_resp_code_t zl_resp_code_of_err(zl_err_t err);

#endif
