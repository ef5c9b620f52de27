/* SPDX-License-Identifier: Apache-2.0 */
/* Direct writers for the records on the hot path (avro_bin.c): the same
 * Avro binary, or Avro JSON text, as avro-c's generic values and
 * zl_avro_write_json produce, without building the values. */
#ifndef ZL_AVRO_BIN_H
#define ZL_AVRO_BIN_H

#include <stdbool.h>
#include "kafka/records.h"
#include "common/buf.h"
#include "common/err.h"

/* Appends r as the datum of AvroResponseObserve (when r->observation_id is
 * set) or AvroResponse to out: Avro binary, unframed, or (json) its Avro JSON
 * encoding.  On error out is as it was: ZL_ERR_INVALID for a code, kind or
 * node the schema cannot hold, ZL_ERR_NOMEM (or ZL_ERR_TOO_LARGE past out's
 * max) otherwise. */
zl_err_t zl_avro_bin_response(const zl_rec_response_t *r, bool json, zl_buf_t *out);

#endif
