/* SPDX-License-Identifier: Apache-2.0 */
/* Decoding of management request records without blocking the loop.
 *
 * A request's writer schema may not be cached yet; fetching it from the
 * registry takes up to seconds, and the gateway's loop serves every device.
 * So a record whose schema is not cached is parked (copied) while a worker
 * thread fetches it (zl_sr_async_t), and decoded when the result is served
 * on the loop; the cache is the serde's, as before.
 *
 * Order: records of one partition are handed on in offset order - a record
 * arriving while an earlier one of its partition is parked waits behind it,
 * even if its own schema is cached; other partitions are not held up.
 * Outcome: identical to a blocking decode - a failed fetch makes the record
 * that asked for it fail with the registry's reason, and the records after
 * it with the same id see "lookup failed recently" as before.
 *
 * Thread: one (the loop).  The registry worker only touches zl_sr_async_t. */
#ifndef ZL_KAFKA_REQDEC_H
#define ZL_KAFKA_REQDEC_H

#include "kafka/client.h"
#include "kafka/records.h"
#include "kafka/serde.h"

/* One decoded (or undecodable) request record, in partition order.  msg is
 * borrowed until return.  err: ZL_OK or why decoding failed (errstr says
 * what, as zl_serde_decode_request() put it; "empty value" for a record
 * without one).  req is handed over: the callee owns it and must
 * zl_request_clear() it (or move it); on error it holds what could be read
 * (ticket, ep, ...) so the request can still be answered. */
typedef void (*zl_reqdec_cb)(void *ctx, const zl_kmsg_t *msg, zl_err_t err, zl_request_t *req,
                             const char *errstr);

typedef struct zl_reqdec zl_reqdec_t;

/* s (borrowed, outlives the decoder) decodes; sr_url (NULL/empty, or JSON
 * format: every record decodes at once) is where missing schemas come from. */
zl_reqdec_t *zl_reqdec_new(zl_serde_t *s, const char *sr_url, zl_reqdec_cb cb, void *ctx,
                           char *errstr, size_t n);
/* Parked records are dropped (their offsets were never released, so they are
 * consumed again after a restart). */
void zl_reqdec_destroy(zl_reqdec_t *d);

/* Decodes msg now (cb runs before this returns) or parks a copy of it. */
void zl_reqdec_submit(zl_reqdec_t *d, const zl_kmsg_t *msg);

/* Readable while fetch results wait; -1 when no registry is used. */
int zl_reqdec_fd(const zl_reqdec_t *d);
/* Takes the results in, hands on every record they unblock. */
void zl_reqdec_serve(zl_reqdec_t *d);
/* Records parked now (tests, metrics). */
size_t zl_reqdec_parked(const zl_reqdec_t *d);
/* The partition was revoked: its parked records are dropped unanswered (the
 * partition's next owner consumes them again from the committed offset, so
 * executing them here would run them twice). */
void zl_reqdec_drop_partition(zl_reqdec_t *d, int32_t partition);

#endif
