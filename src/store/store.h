/* SPDX-License-Identifier: Apache-2.0 */
/* Durable gateway state in SQLite (WAL): registrations and the observation
 * token -> ticket map, so a gateway killed with SIGKILL comes back with every
 * device still registered and every Kafka-started observation still tied to
 * its ticket.
 *
 * Writes open a transaction lazily; zl_store_flush() commits it.  The gateway
 * calls flush once per loop turn, before it sends the CoAP responses of that
 * turn, so a device never holds a 2.01/2.04 for state that is not on disk
 * (WAL + synchronous=NORMAL: survives a process crash; an OS crash may lose
 * the last turn).  WAL checkpoints, the only fsyncs, run on the store's own
 * thread with its own connection.  Thread: the loop thread only.  Strings passed in are
 * copied by SQLite; strings passed to load callbacks live only during the call. */
#ifndef ZL_STORE_H
#define ZL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"

typedef struct zl_store zl_store_t;

typedef struct {
    const char *id, *ep, *ver, *bnd, *sms, *address, *links, *root, *attrs;
    int port;
    int64_t lt, reg_date, last_up; /* seconds, epoch ms, epoch ms */
} zl_store_reg_t;

typedef struct {
    const uint8_t *token;
    int tkl;
    const char *reg_id, *ep, *path, *ticket;
    const uint8_t *request; /* the observe request as sent (NULL: unknown, databases before 1.1) */
    size_t request_len;
} zl_store_obs_t;

/* Opens (creating dir and schema) <dir>/zeelos.db. */
zl_store_t *zl_store_open(const char *dir, char *errstr, size_t errstr_size);
void zl_store_close(zl_store_t *s); /* commits pending writes */
uint64_t zl_store_checkpoints(zl_store_t *s); /* checkpoints run by the store's thread so far */

zl_err_t zl_store_put_reg(zl_store_t *s, const zl_store_reg_t *r);   /* insert or replace by id */
zl_err_t zl_store_del_reg(zl_store_t *s, const char *id);            /* also its observations */
zl_err_t zl_store_load_regs(zl_store_t *s, void (*cb)(void *ctx, const zl_store_reg_t *r), void *ctx);

zl_err_t zl_store_put_obs(zl_store_t *s, const zl_store_obs_t *o);
zl_err_t zl_store_del_obs(zl_store_t *s, const uint8_t *token, int tkl);
zl_err_t zl_store_load_obs(zl_store_t *s, void (*cb)(void *ctx, const zl_store_obs_t *o), void *ctx);

/* Management requests waiting for a queue-mode device to wake up: the raw
 * request record (as consumed from Kafka) and its deadline (epoch ms). */
typedef struct {
    int64_t id;
    const char *ep;
    const uint8_t *value;
    size_t len;
    int64_t deadline;
} zl_store_queued_t;

/* Stores a queued request; *id receives its key. */
zl_err_t zl_store_put_queued(zl_store_t *s, const char *ep, const void *value, size_t len,
                             int64_t deadline, int64_t *id);
zl_err_t zl_store_del_queued(zl_store_t *s, int64_t id);
/* In arrival order. */
zl_err_t zl_store_load_queued(zl_store_t *s, void (*cb)(void *ctx, const zl_store_queued_t *q), void *ctx);

/* Management tickets, so a request is executed at most once across restarts:
 * INFLIGHT is written (and committed with the turn) before the request
 * reaches the device; DONE keeps the answer record (key and value as
 * produced) to replay it when the request is delivered again.  at: epoch ms,
 * for expiry. */
enum { ZL_TICKET_INFLIGHT = 1, ZL_TICKET_DONE = 2 };
zl_err_t zl_store_put_ticket(zl_store_t *s, const char *ticket, int state, int64_t at, const void *key,
                             size_t klen, const void *value, size_t vlen);
/* ZL_OK with *state and the stored answer in key/value (buffers reset first),
 * ZL_ERR_NOT_FOUND, or ZL_ERR_IO. */
zl_err_t zl_store_get_ticket(zl_store_t *s, const char *ticket, int *state, zl_buf_t *key, zl_buf_t *value);
zl_err_t zl_store_expire_tickets(zl_store_t *s, int64_t before); /* deletes tickets older than before */

/* Device credentials (roles/gateway/security.c): the JSON value kept per
 * endpoint name, as it came from the security topic (secret keys included:
 * the store's directory is the gateway's own, mode 0700). */
zl_err_t zl_store_put_security(zl_store_t *s, const char *ep, const char *value);
zl_err_t zl_store_del_security(zl_store_t *s, const char *ep);
zl_err_t zl_store_load_security(zl_store_t *s, void (*cb)(void *ctx, const char *ep, const char *value),
                                void *ctx);

zl_err_t zl_store_flush(zl_store_t *s);
/* Last SQLite error message (for logs). */
const char *zl_store_errmsg(zl_store_t *s);

#endif
