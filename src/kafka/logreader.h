/* SPDX-License-Identifier: Apache-2.0 */
/* A reader of a state log: one single-partition topic (compacted, e.g. the
 * schema registry's _schemas) read from its first record by a consumer that
 * joins no group, served on the owner's loop through a wake-up fd like the
 * gateway's consumer (client.h).  Every instance of a role reads the whole
 * log and builds the same state from it; the log's order is the only
 * arbiter between instances that write concurrently.  The owner learns how
 * far it has read (zl_logreader_position), which is how a writer waits for
 * its own record to come back before answering (read-your-writes). */
#ifndef ZL_KAFKA_LOGREADER_H
#define ZL_KAFKA_LOGREADER_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka/client.h"
#include "common/conf.h"

typedef struct zl_logreader zl_logreader_t;

/* Opens a reader of topic (which must exist and have exactly one partition;
 * metadata is fetched blocking, up to timeout_ms: set-up only) with every
 * kafka.* property of conf.  cb gets each record, borrowed (zl_kmsg_t), a
 * tombstone with value NULL. */
zl_logreader_t *zl_logreader_new(const zl_conf_t *conf, const char *topic, zl_consumer_cb cb, void *ctx,
                                 int timeout_ms, char *errstr, size_t n);
void zl_logreader_destroy(zl_logreader_t *r);
/* Readable when records or events wait; then call zl_logreader_serve. */
int zl_logreader_fd(const zl_logreader_t *r);
/* Hands up to max records to cb; returns how many. */
int zl_logreader_serve(zl_logreader_t *r, int max);
/* The offset of the next record to read: every record below it was handed to cb. */
int64_t zl_logreader_position(const zl_logreader_t *r);
/* True once the reader reached the end of the log (it had read everything
 * there was at that moment); stays true. */
bool zl_logreader_at_end(const zl_logreader_t *r);

#endif
