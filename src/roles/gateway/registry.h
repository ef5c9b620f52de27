/* SPDX-License-Identifier: Apache-2.0 */
/* The registration registry: every registered device, found by endpoint name
 * (management requests), by registration id (/rd/<id> updates) and by source
 * address (Send, queue mode), each in one hash probe; each registration has
 * its own expiry timer on the loop's wheel, so an update re-arms one timer and
 * nothing ever scans the fleet.
 *
 * The registry knows nothing of Kafka, SQLite or observations: the gateway
 * reacts to expiries through the on_expire callback.  Loop thread only. */
#ifndef ZL_REGISTRY_H
#define ZL_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "coap/endpoint.h"
#include "kafka/records.h"
#include "lwm2m/link.h"
#include "common/hmap.h"
#include "common/wheel.h"

struct zl_obs;
typedef struct zl_registry zl_registry_t;

typedef struct zl_reg {
    zl_hnode_t by_ep, by_id, by_peer;
    char id[12];
    char *ep, *ver, *sms, *root; /* owned */
    char bnd[8];
    int64_t lt;                  /* seconds */
    int64_t reg_date, last_up;   /* epoch ms */
    zl_coap_addr_t peer;
    bool secure;                 /* registered over DTLS (coaps) */
    char *identity;              /* owned: the DTLS identity it registered with (NULL: plain CoAP) */
    char *links_raw;             /* link-format text as registered (the source of truth) */
    zl_links_t links;
    char *attrs_raw;             /* additional attributes as "k=v&k2" */
    zl_kv_t *attrs;              /* parsed view into attrs_buf */
    size_t n_attrs;
    char *attrs_buf;
    zl_timer_t expiry;
    struct zl_obs *obs;          /* observations of this registration (owned by the gateway) */
    unsigned pending;            /* requests in flight that point here */
    /* queue mode (binding with Q): requests wait while the device sleeps */
    bool queue_mode, asleep;
    zl_timer_t sleep_timer, drain_timer;
    struct zl_mreq *q_head, *q_tail; /* owned by the gateway's queue (queue.c) */
    bool dead;                   /* unlinked; freed when pending drops to 0 */
    bool linked;
    zl_registry_t *registry;
} zl_reg_t;

struct zl_registry {
    zl_hmap_t by_ep, by_id, by_peer;
    zl_wheel_t *wheel;
    void (*on_expire)(void *ctx, zl_reg_t *reg); /* must unlink reg */
    void *ctx;
};

zl_err_t zl_registry_init(zl_registry_t *r, zl_wheel_t *wheel, void (*on_expire)(void *, zl_reg_t *),
                          void *ctx);
/* Frees every registration still linked. */
void zl_registry_fini(zl_registry_t *r);
size_t zl_registry_count(const zl_registry_t *r);

zl_reg_t *zl_registry_by_ep(const zl_registry_t *r, const char *ep);
zl_reg_t *zl_registry_by_id(const zl_registry_t *r, const char *id);
/* The registration made from peer over that transport (secure: coaps). */
zl_reg_t *zl_registry_by_peer(const zl_registry_t *r, const zl_coap_addr_t *peer, bool secure);

/* Links reg (the registry takes ownership) and arms its expiry at
 * last_up + lt (wall clock), so restored registrations expire on time too. */
void zl_registry_insert(zl_registry_t *r, zl_reg_t *reg);
/* Re-arms the expiry from reg->last_up and reg->lt (after an update). */
void zl_registry_touch(zl_registry_t *r, zl_reg_t *reg);
void zl_registry_set_peer(zl_registry_t *r, zl_reg_t *reg, const zl_coap_addr_t *peer);
/* Unlinks reg; frees it now, or when the last pending reference is released. */
void zl_registry_unlink(zl_registry_t *r, zl_reg_t *reg);

/* Registration objects. */
zl_reg_t *zl_reg_new(void);
void zl_reg_free(zl_reg_t *reg);
void zl_reg_hold(zl_reg_t *reg);
void zl_reg_release(zl_reg_t *reg);
/* Replaces the additional attributes with raw "k=v&k2" (ownership taken; NULL clears). */
zl_err_t zl_reg_set_attrs(zl_reg_t *reg, char *raw);
/* Replaces the links with raw link-format text (ownership taken) and derives
 * root from a link with rt="oma.lwm2m". ZL_ERR_INVALID (errstr) on bad syntax. */
zl_err_t zl_reg_set_links(zl_reg_t *reg, char *raw, char *errstr, size_t n);

/* Bindings (LwM2M 1.0 §5.3.1.1, 1.1/1.2 §6.2.1.1): letters U (UDP), S (SMS),
 * T (TCP), N (Non-IP) and Q (queue mode, the 1.0 way) in any order, each at
 * most once, at least one transport.  NULL if b is valid, else why not. */
const char *zl_bnd_check(const char *b);
/* The AvroBnd symbol closest to binding b (validated) with queue mode q: U,
 * T and N (IP and non-IP transports reached like UDP) count as "U", S as "S";
 * both give "US", Q (or q) adds the queue flag: UT -> "U", N with Q -> "UQ". */
const char *zl_bnd_symbol(const char *b, bool q);

#define ZL_REG_MAX_FORMATS 16
/* The content formats the device declared: the ct attribute of its root link
 * (</> or the link with rt="oma.lwm2m"; "ct=110" or ct="60 110 112") and a ct
 * registration parameter, in that order, without duplicates.  Returns how
 * many (at most cap) were written to out. */
size_t zl_reg_formats(const zl_reg_t *reg, int *out, size_t cap);

#endif
