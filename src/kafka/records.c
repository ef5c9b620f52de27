/* SPDX-License-Identifier: Apache-2.0 */
/* Names and code mappings for the record enums of records.h, and the
 * destructor of the one record we decode (zl_request_t).  Kept apart from the
 * serde so the gateway can use them without touching Avro. */
#include "kafka/records.h"

#include <stdlib.h>
#include <string.h>

static const char *const req_kind_names[ZL_RK__COUNT] = {
    "read", "write", "writeAttributes", "execute", "observe", "observeCancel",
    "delete", "discover", "create"};

static const char *const resp_code_names[ZL_RC__COUNT] = {
    "CREATED", "DELETED", "CHANGED", "CONTENT", "BAD_REQUEST", "UNAUTHORIZED",
    "METHOD_NOT_ALLOWED", "FORBIDDEN", "NOT_FOUND", "NOT_ACCEPTABLE",
    "REQUEST_ENTITY_INCOMPLETE", "PRECONDITION_FAILED", "REQUEST_ENTITY_TOO_LARGE",
    "UNSUPPORTED_CONTENT_FORMAT", "INTERNAL_SERVER_ERROR", "UNKNOWN"};

void zl_request_clear(zl_request_t *r) {
    if (!r) return;
    free(r->server_id);
    free(r->ep);
    free(r->ticket);
    free(r->path);
    free(r->text);
    zl_node_free(r->node);
    free(r->paths);
    zl_node_free(r->values);
    memset(r, 0, sizeof *r);
}

bool zl_request_is_composite(const zl_request_t *r) { return r->paths != NULL || r->values != NULL; }

const char *zl_req_kind_name(zl_req_kind_t k) {
    return ((unsigned)k < ZL_RK__COUNT) ? req_kind_names[k] : "unknown";
}

/* True if s spells name in kebab-case: "write-attributes" for "writeAttributes". */
static bool kebab_equal(const char *s, const char *name) {
    for (; *name; name++) {
        if (*name >= 'A' && *name <= 'Z') {
            if (*s++ != '-' || *s++ != *name - 'A' + 'a') return false;
        } else if (*s++ != *name) {
            return false;
        }
    }
    return *s == 0;
}

int zl_req_kind_parse(const char *s) {
    if (!s) return -1;
    for (int i = 0; i < ZL_RK__COUNT; i++)
        if (strcmp(s, req_kind_names[i]) == 0) return i;
    return -1;
}

int zl_req_kind_parse_word(const char *s) {
    int k = zl_req_kind_parse(s);
    for (int i = 0; s && k < 0 && i < ZL_RK__COUNT; i++)
        if (kebab_equal(s, req_kind_names[i])) k = i;
    return k;
}

const char *zl_resp_code_name(zl_resp_code_t c) {
    return ((unsigned)c < ZL_RC__COUNT) ? resp_code_names[c] : "UNKNOWN";
}

/* The codes Leshan 1.0's ResponseCode knows; anything else is UNKNOWN, as in
 * the original (which maps unrecognised CoAP codes to ResponseCode UNKNOWN). */
zl_resp_code_t zl_resp_code_from_coap(int coap_code) {
    switch (coap_code) {
    case (2 << 5) | 1: return ZL_RC_CREATED;
    case (2 << 5) | 2: return ZL_RC_DELETED;
    case (2 << 5) | 4: return ZL_RC_CHANGED;
    case (2 << 5) | 5: return ZL_RC_CONTENT;
    case (4 << 5) | 0: return ZL_RC_BAD_REQUEST;
    case (4 << 5) | 1: return ZL_RC_UNAUTHORIZED;
    case (4 << 5) | 3: return ZL_RC_FORBIDDEN;
    case (4 << 5) | 4: return ZL_RC_NOT_FOUND;
    case (4 << 5) | 5: return ZL_RC_METHOD_NOT_ALLOWED;
    case (4 << 5) | 6: return ZL_RC_NOT_ACCEPTABLE;
    case (4 << 5) | 8: return ZL_RC_REQUEST_ENTITY_INCOMPLETE;
    case (4 << 5) | 12: return ZL_RC_PRECONDITION_FAILED;
    case (4 << 5) | 13: return ZL_RC_REQUEST_ENTITY_TOO_LARGE;
    case (4 << 5) | 15: return ZL_RC_UNSUPPORTED_CONTENT_FORMAT;
    case (5 << 5) | 0: return ZL_RC_INTERNAL_SERVER_ERROR;
    default: return ZL_RC_UNKNOWN;
    }
}

zl_resp_code_t zl_resp_code_of_err(zl_err_t err) {
    switch (err) {
    case ZL_OK: return ZL_RC_CONTENT;
    case ZL_ERR_INVALID:
    case ZL_ERR_TRUNCATED: return ZL_RC_BAD_REQUEST;
    case ZL_ERR_NOT_FOUND: return ZL_RC_NOT_FOUND;
    case ZL_ERR_UNSUPPORTED: return ZL_RC_UNSUPPORTED_CONTENT_FORMAT;
    case ZL_ERR_TOO_LARGE: return ZL_RC_REQUEST_ENTITY_TOO_LARGE;
    case ZL_ERR_RESET: return ZL_RC_UNKNOWN;
    case ZL_ERR_DENIED: return ZL_RC_FORBIDDEN;
    default: return ZL_RC_INTERNAL_SERVER_ERROR; /* NOMEM, TIMEOUT, IO, FULL, KAFKA, SCHEMA, CANCELLED */
    }
}
