/* SPDX-License-Identifier: Apache-2.0 */
/* CoAP messages (RFC 7252 §3): parse a datagram into a view, serialize a view
 * into bytes.  Parsing never copies: option values and the payload point into
 * the datagram, which must outlive the zl_coap_msg_t.  Every length is checked
 * against the datagram before it is read (option delta/length extensions,
 * token length vs packet length, payload marker with nothing after it). */
#ifndef ZL_COAP_MSG_H
#define ZL_COAP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

enum { ZL_COAP_CON = 0, ZL_COAP_NON = 1, ZL_COAP_ACK = 2, ZL_COAP_RST = 3 };

#define ZL_COAP_CODE(c, d) ((uint8_t)(((c) << 5) | (d)))
enum {
    ZL_COAP_EMPTY = 0,
    ZL_COAP_GET = 1, ZL_COAP_POST = 2, ZL_COAP_PUT = 3, ZL_COAP_DELETE = 4,
    ZL_COAP_FETCH = 5, ZL_COAP_PATCH = 6, ZL_COAP_IPATCH = 7,
    ZL_COAP_CREATED = ZL_COAP_CODE(2, 1), ZL_COAP_DELETED = ZL_COAP_CODE(2, 2),
    ZL_COAP_VALID = ZL_COAP_CODE(2, 3), ZL_COAP_CHANGED = ZL_COAP_CODE(2, 4),
    ZL_COAP_CONTENT = ZL_COAP_CODE(2, 5), ZL_COAP_CONTINUE = ZL_COAP_CODE(2, 31),
    ZL_COAP_BAD_REQUEST = ZL_COAP_CODE(4, 0), ZL_COAP_UNAUTHORIZED = ZL_COAP_CODE(4, 1),
    ZL_COAP_BAD_OPTION = ZL_COAP_CODE(4, 2), ZL_COAP_FORBIDDEN = ZL_COAP_CODE(4, 3),
    ZL_COAP_NOT_FOUND = ZL_COAP_CODE(4, 4), ZL_COAP_METHOD_NOT_ALLOWED = ZL_COAP_CODE(4, 5),
    ZL_COAP_NOT_ACCEPTABLE = ZL_COAP_CODE(4, 6), ZL_COAP_INCOMPLETE = ZL_COAP_CODE(4, 8),
    ZL_COAP_PRECONDITION_FAILED = ZL_COAP_CODE(4, 12), ZL_COAP_TOO_LARGE = ZL_COAP_CODE(4, 13),
    ZL_COAP_UNSUPPORTED_CF = ZL_COAP_CODE(4, 15), ZL_COAP_INTERNAL_ERROR = ZL_COAP_CODE(5, 0),
    ZL_COAP_NOT_IMPLEMENTED = ZL_COAP_CODE(5, 1), ZL_COAP_SERVICE_UNAVAILABLE = ZL_COAP_CODE(5, 3),
    ZL_COAP_GATEWAY_TIMEOUT = ZL_COAP_CODE(5, 4)
};

enum {
    ZL_OPT_IF_MATCH = 1, ZL_OPT_URI_HOST = 3, ZL_OPT_ETAG = 4, ZL_OPT_IF_NONE_MATCH = 5,
    ZL_OPT_OBSERVE = 6, ZL_OPT_URI_PORT = 7, ZL_OPT_LOCATION_PATH = 8, ZL_OPT_URI_PATH = 11,
    ZL_OPT_CONTENT_FORMAT = 12, ZL_OPT_MAX_AGE = 14, ZL_OPT_URI_QUERY = 15, ZL_OPT_ACCEPT = 17,
    ZL_OPT_LOCATION_QUERY = 20, ZL_OPT_BLOCK2 = 23, ZL_OPT_BLOCK1 = 27, ZL_OPT_SIZE2 = 28,
    ZL_OPT_PROXY_URI = 35, ZL_OPT_PROXY_SCHEME = 39, ZL_OPT_SIZE1 = 60
};

#define ZL_COAP_MAX_OPTS 48
#define ZL_COAP_MAX_TOKEN 8

typedef struct {
    uint16_t num;
    uint16_t len;
    const uint8_t *val; /* borrowed */
} zl_coap_opt_t;

typedef struct {
    uint8_t type, code, tkl;
    uint16_t mid;
    uint8_t token[ZL_COAP_MAX_TOKEN];
    zl_coap_opt_t opts[ZL_COAP_MAX_OPTS];
    unsigned n_opts;
    const uint8_t *payload; /* borrowed; NULL when absent */
    size_t payload_len;
} zl_coap_msg_t;

/* Parses a datagram. Errors: ZL_ERR_TRUNCATED (lengths run past the end),
 * ZL_ERR_INVALID (version, token length > 8, reserved nibble 15, payload marker
 * without payload, empty message with content), ZL_ERR_TOO_LARGE (more than
 * ZL_COAP_MAX_OPTS options). On error, m->type/mid/tkl/token are still filled
 * whenever the 4-byte header (and token) were readable, so the caller can RST. */
zl_err_t zl_coap_parse(const uint8_t *p, size_t n, zl_coap_msg_t *m);

/* Serializes m (options in any order; sorted stably by number) into out.
 * Returns the length, or 0 if out_size is too small or an option is invalid. */
size_t zl_coap_serialize(const zl_coap_msg_t *m, uint8_t *out, size_t out_size);

/* Builders. Option values are borrowed: they must live until serialization.
 * zl_coap_add_uint stores its value in the caller-provided scratch (4 bytes). */
void zl_coap_init(zl_coap_msg_t *m, uint8_t type, uint8_t code, uint16_t mid);
zl_err_t zl_coap_add_opt(zl_coap_msg_t *m, uint16_t num, const void *val, size_t len);
zl_err_t zl_coap_add_uint(zl_coap_msg_t *m, uint16_t num, uint32_t v, uint8_t scratch[4]);
/* Adds one Uri-Path (or Location-Path) option per '/'-separated segment of path.
 * path is borrowed. */
zl_err_t zl_coap_add_path(zl_coap_msg_t *m, uint16_t num, const char *path);

const zl_coap_opt_t *zl_coap_opt(const zl_coap_msg_t *m, uint16_t num);
/* Decodes an unsigned option (0-4 bytes); returns def if absent, -1 if malformed. */
int64_t zl_coap_opt_uint(const zl_coap_msg_t *m, uint16_t num, int64_t def);
/* Concatenates options num as "/a/b" (Uri-Path, Location-Path) into out.
 * Returns ZL_ERR_TOO_LARGE if it does not fit. Empty -> "" */
zl_err_t zl_coap_path_string(const zl_coap_msg_t *m, uint16_t num, char *out, size_t out_size);

/* Block option (RFC 7959 §2.2). */
typedef struct {
    uint32_t num;
    bool more;
    uint8_t szx; /* size = 16 << szx, szx 0..6 */
} zl_coap_block_t;
/* Returns 1 if present and valid, 0 if absent, -1 if malformed. */
int zl_coap_get_block(const zl_coap_msg_t *m, uint16_t opt, zl_coap_block_t *b);
uint32_t zl_coap_block_encode(const zl_coap_block_t *b);

bool zl_coap_is_request(uint8_t code);
bool zl_coap_is_response(uint8_t code);
/* "2.05" style rendering into a 6-byte buffer. */
const char *zl_coap_code_str(uint8_t code, char buf[6]);

#endif
