/* SPDX-License-Identifier: Apache-2.0 */
/* One error enum for every layer.
 *
 * Functions return zl_err_t: ZL_OK (0) on success, a negative code otherwise.
 * Setup calls additionally fill a caller-supplied errstr buffer with a human
 * sentence; hot-path calls only return the code and count it.  err.c maps each
 * code to a string; the protocol codes an error becomes live with their
 * protocol: zl_coap_err_code() (coap/errcode.h), zl_resp_code_of_err()
 * (kafka/records.h). */
#ifndef ZL_ERR_H
#define ZL_ERR_H

typedef enum {
    ZL_OK = 0,
    ZL_ERR_NOMEM = -1,        /* allocation failed */
    ZL_ERR_INVALID = -2,      /* malformed input (packet, path, body, config) */
    ZL_ERR_TRUNCATED = -3,    /* input ends before a length field says it should */
    ZL_ERR_NOT_FOUND = -4,    /* unknown endpoint, registration, path */
    ZL_ERR_UNSUPPORTED = -5,  /* valid but not implemented (content format, option) */
    ZL_ERR_TOO_LARGE = -6,    /* exceeds a configured or protocol limit */
    ZL_ERR_TIMEOUT = -7,      /* device did not answer in time */
    ZL_ERR_IO = -8,           /* socket / file / database error */
    ZL_ERR_FULL = -9,         /* a bounded queue is full (backpressure) */
    ZL_ERR_KAFKA = -10,       /* librdkafka reported an error */
    ZL_ERR_SCHEMA = -11,      /* Avro / schema registry error */
    ZL_ERR_CANCELLED = -12,   /* request cancelled (shutdown, deregistration) */
    ZL_ERR_RESET = -13,       /* device answered with RST */
    ZL_ERR_DENIED = -14,      /* not authenticated or not allowed (credentials, role) */
    ZL_ERR__COUNT = 15
} zl_err_t;

#include <stddef.h>

/* Writes a printf-style message into errstr (if non-NULL and non-empty) and
 * returns err, so parsers can `return zl_err_fmt(errstr, n, ZL_ERR_INVALID, ...)`. */
zl_err_t zl_err_fmt(char *errstr, size_t errstr_size, zl_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Static string naming the error ("invalid input", ...). Never NULL. */
const char *zl_err2str(zl_err_t err);

#endif
