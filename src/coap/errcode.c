/* SPDX-License-Identifier: Apache-2.0 */
/* zl_err_t -> CoAP response code (see errcode.h). */
#include "coap/errcode.h"
#include "coap/msg.h"

uint8_t zl_coap_err_code(zl_err_t err) {
    switch (err) {
    case ZL_OK: return ZL_COAP_CONTENT;
    case ZL_ERR_INVALID:
    case ZL_ERR_TRUNCATED: return ZL_COAP_BAD_REQUEST;
    case ZL_ERR_NOT_FOUND: return ZL_COAP_NOT_FOUND;
    case ZL_ERR_UNSUPPORTED: return ZL_COAP_UNSUPPORTED_CF;
    case ZL_ERR_TOO_LARGE: return ZL_COAP_TOO_LARGE;
    case ZL_ERR_TIMEOUT: return ZL_COAP_GATEWAY_TIMEOUT;
    case ZL_ERR_DENIED: return ZL_COAP_FORBIDDEN;
    case ZL_ERR_FULL:
    case ZL_ERR_KAFKA:
    case ZL_ERR_CANCELLED: return ZL_COAP_SERVICE_UNAVAILABLE;
    case ZL_ERR_NOMEM:
    case ZL_ERR_IO:
    case ZL_ERR_SCHEMA:
    case ZL_ERR_RESET:
    default: return ZL_COAP_INTERNAL_ERROR;
    }
}
