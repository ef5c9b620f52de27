/* SPDX-License-Identifier: Apache-2.0 */
/* Direct Avro binary writers for the records on the hot path (avro_bin.c):
 * the same bytes as avro-c's generic values, without building them. */
#ifndef ZL_AVRO_BIN_H
#define ZL_AVRO_BIN_H

#include "kafka/records.h"
#include "common/buf.h"
#include "common/err.h"

/* Appends r as the Avro binary datum of AvroResponseObserve (when
 * r->observation_id is set) or AvroResponse, unframed, to out.  On error out
 * is as it was: ZL_ERR_INVALID for a code, kind or node the schema cannot
 * hold, ZL_ERR_NOMEM (or ZL_ERR_TOO_LARGE past out's max) otherwise. */
zl_err_t zl_avro_bin_response(const zl_rec_response_t *r, zl_buf_t *out);

#endif
