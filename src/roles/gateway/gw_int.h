/* SPDX-License-Identifier: Apache-2.0 */
/* Gateway internals shared by the files of src/gateway/ (not a public API).
 *
 *   gateway.c   handle, event loop, start-up and shutdown
 *   registry.c  registrations in memory: maps by endpoint, id and address; expiry timers
 *   registration.c what happens to a registration: added, persisted, expired, removed, restored
 *   rd.c        the LwM2M registration interface (/rd) on CoAP
 *   events.c    registration events and notifications -> Kafka
 *   mgmt.c      management requests from Kafka -> device -> management.rep
 *   observe.c   observations: token -> ticket, persisted, restored on restart
 *   queue.c     queue mode: requests wait durably while a device sleeps
 *   send.c      LwM2M Send (POST /dp) -> observations, answered after Kafka acks
 *   composite.c Read-/Write-/Observe-Composite: checks and builds the CoAP request
 *   health.c    /healthz (liveness: the loop turns) and /readyz (Kafka, consumer, spool)
 *   outbox.c    every record to Kafka, or to the on-disk spool when Kafka cannot take it
 *   security.c  device credentials (security topic + store) and their binding to endpoint names
 *
 * Threading: everything here runs on the loop thread. */
#ifndef ZL_GW_INT_H
#define ZL_GW_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "coap/dtls.h"
#include "coap/endpoint.h"
#include "roles/gateway/gateway.h"
#include "http/http.h"
#include "common/metrics.h"
#include "kafka/client.h"
#include "kafka/logreader.h"
#include "kafka/reqdec.h"
#include "kafka/serde.h"
#include "lwm2m/link.h"
#include "lwm2m/model.h"
#include "lwm2m/path.h"
#include "roles/gateway/registry.h"
#include "store/spool.h"
#include "store/store.h"
#include "common/hmap.h"
#include "common/log.h"
#include "common/loop.h"
#include "common/wheel.h"

typedef struct zl_obs zl_obs_t;

/* One management request from consumption to its answer (mgmt.c, queue.c). */
typedef struct zl_mreq {
    zl_dr_t dr;
    struct zl_gw *gw;
    int32_t partition; /* -1 once its offset no longer depends on it (queued durably) */
    int64_t offset;
    zl_request_t req;
    zl_reg_t *reg;     /* holds a pending reference while the device is asked */
    char path[64];     /* normalised; "" for composite requests (req.path holds the joined paths) */
    char *obs_key;     /* composite observe/cancel: ZL_OBS_COMPOSITE_PREFIX + joined paths */
    uint64_t t0;
    /* the device's share, left out of zeelos_mgmt_gateway_seconds: the first
     * request's datagram sent (end of its turn), the last answer's arrival */
    uint64_t t_sent, t_answer;
    bool sending; /* in gw->sending until this turn's flush */
    /* while queued for a sleeping device */
    struct zl_mreq *q_next;
    zl_timer_t ttl;
    int64_t q_id; /* 0: never queued (ids start at 1; -1: queued, not durably) */
    /* tickets.c: in gw->tickets_live while served; a second delivery of the
     * same record is released with this one */
    zl_hnode_t live_node;
    bool live;
    int32_t alias_partition; /* -1: none */
    int64_t alias_offset;
} zl_mreq_t;

struct zl_obs {
    zl_hnode_t by_token;
    uint8_t token[8];
    uint8_t tkl;
    const char *ep, *path, *ticket, *reg_id; /* into strings[] */
    zl_obs_t *next_in_reg;
    struct zl_gw *gw;
    bool secure; /* its registration's transport: the token lives on coaps */
    int64_t shed_ms; /* a CON notification was left unacknowledged then, none delivered since (0: none) */
    char strings[];  /* ep, path, ticket, reg_id, each NUL-terminated */
};

typedef struct {
    zl_counter_t *reg_new, *reg_update, *reg_delete, *reg_expired, *reg_rejected;
    zl_gauge_t *registrations, *observations;
    zl_counter_t *notifications, *notif_errors;
    zl_counter_t *mgmt_requests, *mgmt_invalid, *mgmt_errors, *mgmt_timeouts;
    zl_counter_t *read_pauses;
    zl_counter_t *store_errors, *backpressure, *queued, *queue_expired;
    zl_counter_t *sends, *send_records, *send_rejected;
    zl_gauge_t *brokers_up;
    zl_counter_t *refused_foreign, *refused_takeover, *takeovers, *mgmt_too_large;
    zl_counter_t *mgmt_replayed, *mgmt_dup_skipped, *mgmt_interrupted;
    zl_counter_t *obs_reestablished;
    zl_gauge_t *spool_records, *spool_bytes, *answers_waiting;
    zl_counter_t *spool_appended, *spool_replayed, *spool_dropped, *spool_refused, *spool_errors, *spool_maybe_dup;
    zl_histogram_t *mgmt_latency, *mgmt_gateway, *notif_latency;
    zl_gauge_t *credentials;
    zl_counter_t *sec_unknown, *sec_invalid, *refused_security;
} zl_gw_metrics_t;

/* What the HTTP threads read for /healthz and /readyz (health.c): written by
 * the loop thread only. */
typedef struct {
    _Atomic int64_t beat_ms; /* last loop turn (zl_now_ms) */
    _Atomic int brokers_up;  /* -1 unknown, else broker connections UP */
    _Atomic int consumer;    /* 0 up, 1 joining, 2 restarting */
    _Atomic int spool;       /* -1 no spool, 0 ok, 1 spooling, 2 full */
    /* set by the spool when configured: its state as above (loop thread) */
    int (*spool_state)(void *ctx);
    void *spool_ctx;
} zl_gw_health_t;

struct zl_gw {
    const zl_gw_conf_t *conf;
    const char *id;
    const char *t_reg, *t_obs, *t_req, *t_rep;
    zl_loop_t *loop;    /* runs on wheel (below) */
    zl_loop_fd_t w_coap, w_producer, w_consumer, w_registry;
    zl_timer_t t_serve; /* serves the producer's queue every 100 ms */
    zl_wheel_t wheel;
    zl_coap_ep_t *coap;
    /* coaps: the DTLS endpoint (NULL when coaps.port=-1) and its transport handle */
    zl_coap_ep_t *coaps;
    zl_dtls_t *dtls;
    zl_loop_fd_t w_coaps, w_sec;
    zl_timer_t t_dtls;
    int coaps_port;
    /* security.c: credentials by endpoint name and by PSK identity */
    zl_hmap_t sec_by_ep, sec_by_psk;
    zl_logreader_t *sec_log;
    char local_host[64];
    int local_port;
    zl_registry_t regs;
    zl_hmap_t obs_by_token;
    zl_store_t *store;
    zl_models_t *models; /* built-ins + models.dir DDFs; types decoded values */
    zl_serde_t *serde;
    zl_reqdec_t *reqdec; /* management records, decoded without blocking on the registry */
    zl_producer_t *producer;
    zl_consumer_t *consumer;
    zl_metrics_t *metrics;
    zl_http_t *http;
    zl_gw_metrics_t m;
    int request_timeout_ms;
    bool cancel_active;
    int queue_awake_ms;
    int64_t queue_ttl_ms;
    int64_t default_lt;
    zl_buf_t kbuf, vbuf; /* scratch for encoding records, reused */
    char scratch[512];   /* response option scratch (Location-Path) */
    int retry_after_s;   /* Max-Age of 5.03 answers under backpressure */
    uint8_t max_age_opt[4];
    zl_gw_health_t health;
    zl_log_limit_t rd_log, takeover_log; /* refused registration traffic: rate-limited logs */
    zl_log_limit_t mgmt_log;             /* management records without a readable ticket */
    zl_hmap_t tickets_live;              /* tickets.c: requests being served, by ticket */
    zl_timer_t t_tickets;                /* tickets.c: expiry of stored tickets */
    zl_timer_t t_reobserve;              /* observe.c: re-establishes observations devices dropped */
    int turn_reads;      /* datagrams read this turn (coap.read.coalesce.us) */
    bool turn_mgmt;      /* a management request was consumed this turn: no pause */
    /* management requests whose datagram leaves with this turn's flush
     * (flush_coap stamps their t_sent); entries NULLed when freed first */
    struct zl_mreq **sending;
    size_t n_sending, cap_sending;
    /* outbox.c */
    zl_spool_t *spool;                   /* NULL: spool.enabled=false */
    zl_dr_t **spool_drs;                 /* spooled this turn: answered after the fsync */
    size_t n_spool_drs, cap_spool_drs;
    uint64_t replay_outstanding;         /* replayed records Kafka has not reported on */
    bool replay_failed;
    int64_t replay_after_ms, spool_io_failed_ms, stall_purge_ms;
    bool spool_io_full;        /* the last write failed (disk full), none succeeded since */
    uint64_t spool_full_bytes; /* the spool's size then */
    zl_log_limit_t spool_log;
    struct zl_waiting *wait_head, *wait_tail; /* no spool: answers waiting for room in the producer */
};

/* gateway.c: response helpers for device requests (rd.c, send.c) */
/* Sets code and a diagnostic payload (copied into gw->scratch). */
void zl_gw_diag(zl_gw_t *gw, zl_coap_msg_t *resp, uint8_t code, const char *msg);
/* 5.03 + Max-Age retry_after_s: Kafka is behind or unreachable; counted. */
void zl_gw_busy(zl_gw_t *gw, zl_coap_msg_t *resp, const char *why);

/* health.c */
void zl_gw_health_init(zl_gw_t *gw);
void zl_gw_health_routes(zl_gw_t *gw);      /* after gw->http exists */
void zl_gw_health_beat(void *ctx);          /* loop turn hook (ctx = gw) */
void zl_gw_health_sample(zl_gw_t *gw);      /* serve timer: Kafka, consumer, spool */

/* How a request reached the gateway: over DTLS (who = the session's
 * identity) or plain CoAP (secure false). */
typedef struct {
    bool secure;
    const zl_dtls_peer_t *who;
} zl_gw_via_t;

/* The endpoint a device talks through: coaps for DTLS registrations. */
static inline zl_coap_ep_t *zl_gw_coap(const zl_gw_t *gw, bool secure) { return secure ? gw->coaps : gw->coap; }

/* security.c */
#define ZL_SEC_MAX_KEY 64
#define RD_MAX_EP 256
typedef struct zl_sec_entry zl_sec_entry_t;
zl_err_t zl_sec_init(zl_gw_t *gw, char *errstr, size_t n); /* after the store and the producer */
void zl_sec_free(zl_gw_t *gw);
void zl_sec_serve(zl_gw_t *gw); /* the security topic's records */
/* Adds, replaces (value = JSON) or removes (NULL) the credentials of ep;
 * live: also stored, and the sessions and registration under the old ones
 * dropped.  ZL_ERR_INVALID with err for a value that does not parse. */
zl_err_t zl_sec_apply(zl_gw_t *gw, const char *ep, const char *value, bool live, char *err, size_t n);
/* zl_dtls_cfg_t.psk_lookup (ctx = gw). */
int zl_sec_psk(void *ctx, const char *identity, uint8_t *key, size_t max);
/* NULL when a request arriving via may speak for endpoint ep, else why not. */
const char *zl_sec_check(zl_gw_t *gw, const char *ep, const zl_gw_via_t *via);
/* The identity on record for ep (the endpoint name for X.509), or NULL. */
const char *zl_sec_identity(const zl_gw_t *gw, const char *ep);
/* The DTLS session at reg's address is still the identity reg registered
 * with (always true for plain CoAP registrations). */
bool zl_sec_peer_ok(zl_gw_t *gw, const zl_reg_t *reg);
/* The request came the way reg was registered (transport and identity). */
bool zl_sec_same(const zl_reg_t *reg, const zl_gw_via_t *via);

/* registration.c */
zl_err_t zl_gw_regs_init(zl_gw_t *gw);
/* Links a new registration (takes ownership). */
void zl_gw_reg_add(zl_gw_t *gw, zl_reg_t *reg);
/* Cancels its observations and unlinks it (freed once no request holds it). */
void zl_gw_reg_remove(zl_gw_t *gw, zl_reg_t *reg);
/* Announces reg's end (a DELETE event marked expired), forgets it in the
 * store and removes it: an expiry, or credentials that changed. */
void zl_gw_reg_drop(zl_gw_t *gw, zl_reg_t *reg);
zl_err_t zl_gw_reg_persist(zl_gw_t *gw, const zl_reg_t *reg);
void zl_gw_reg_restore(zl_gw_t *gw); /* loads registrations from the store */

/* send.c: LwM2M Send (POST /dp) */
void zl_send_handle(zl_gw_t *gw, const zl_coap_addr_t *peer, const zl_gw_via_t *via, const zl_coap_msg_t *req,
                    zl_coap_msg_t *resp);

/* rd.c */
void zl_rd_handle(zl_gw_t *gw, const zl_coap_addr_t *peer, const zl_gw_via_t *via, const zl_coap_msg_t *req,
                  zl_coap_msg_t *resp);

/* events.c: return ZL_ERR_FULL / ZL_ERR_KAFKA when the record could not be queued */
zl_err_t zl_ev_registration(zl_gw_t *gw, const zl_reg_t *reg, zl_reg_kind_t kind, bool expired,
                            const zl_reg_t *update_fields);
zl_err_t zl_ev_response(zl_gw_t *gw, const char *topic, const char *key_ep,
                        const zl_rec_response_t *r, zl_dr_t *dr);

/* outbox.c: records to Kafka, or to the spool when Kafka cannot take them */
zl_err_t zl_outbox_init(zl_gw_t *gw, char *errstr, size_t n); /* after gw->producer */
void zl_outbox_fini(zl_gw_t *gw);                             /* after the producer's final flush */
/* Publishes gw->kbuf/vbuf on topic.  ZL_OK when the producer or the spool has
 * it (dr, if any, is answered later); ZL_ERR_FULL when neither can take it. */
zl_err_t zl_outbox_send(zl_gw_t *gw, const char *topic, zl_dr_t *dr);
/* True while device data must be turned away (5.03, CON left unacknowledged):
 * the producer is congested and there is no spool, or the spool is full. */
bool zl_outbox_congested(zl_gw_t *gw);
void zl_outbox_turn(void *ctx);    /* loop turn hook: fsync, then answer the turn's spooled records */
void zl_outbox_replay(zl_gw_t *gw); /* hands spooled records back to the producer while it keeps up */

/* mgmt.c */
/* A management request record (borrowed until return), on the loop thread:
 * handed to gw->reqdec, which calls zl_mgmt_on_request in partition order. */
void zl_mgmt_on_message(void *ctx, const zl_kmsg_t *msg);
/* zl_reqdec_cb of gw->reqdec: answers, holds or dispatches the request. */
void zl_mgmt_on_request(void *ctx, const zl_kmsg_t *msg, zl_err_t err, zl_request_t *req, const char *errstr);
zl_mreq_t *zl_mgmt_new(zl_gw_t *gw, int32_t partition, int64_t offset);
/* Sends m to the device of reg (or answers it). */
void zl_mgmt_dispatch(zl_mreq_t *m, zl_reg_t *reg);
/* Answers m with an error code and a message. */
void zl_mgmt_fail(zl_mreq_t *m, zl_resp_code_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Frees m (its request, and its place among live tickets). */
void zl_mgmt_free(zl_mreq_t *m);
void zl_mgmt_sent(zl_gw_t *gw); /* loop turn, after the CoAP flush: stamps the turn's requests as sent */

/* tickets.c: at most one execution per ticket, across restarts */
zl_err_t zl_tickets_init(zl_gw_t *gw);
void zl_tickets_fini(zl_gw_t *gw);
/* A decoded request with a ticket, before it is served: true = serve it (its
 * ticket is now INFLIGHT and live); false = handled here (answer replayed,
 * folded into a live duplicate, or answered UNKNOWN after a crash) and m is
 * no longer the caller's. */
bool zl_tickets_admit(zl_gw_t *gw, zl_mreq_t *m);
/* m's answer was just produced from gw->kbuf/vbuf: keep it for replays. */
void zl_tickets_answered(zl_gw_t *gw, const zl_mreq_t *m);
void zl_tickets_live(zl_gw_t *gw, zl_mreq_t *m);    /* a restored queued request */
void zl_tickets_release(zl_gw_t *gw, zl_mreq_t *m); /* m is done (called by zl_mgmt_free) */

/* composite.c */
/* Validates composite m (kind vs paths/resources), sets req.path to the
 * joined paths ("/" for Write-Composite) and obs_key.  false: m was answered. */
bool zl_composite_check(zl_mreq_t *m);
/* Fills req (code, Content-Format, Accept, payload built in payload) for a
 * checked composite m.  false: m was answered with the error. */
bool zl_composite_build(zl_mreq_t *m, zl_coap_msg_t *req, zl_buf_t *payload, uint8_t cf_opt[4],
                        uint8_t accept_opt[4], bool *observe);

/* queue.c */
/* Keeps m (decoded from value/len) until reg wakes up; persists it and
 * releases its Kafka offset. */
void zl_queue_hold(zl_gw_t *gw, zl_reg_t *reg, zl_mreq_t *m, const void *value, size_t len);
/* reg talked to us: AWAKE event if it slept, deliver its queue, re-arm the sleep timer. */
void zl_queue_wake(zl_gw_t *gw, zl_reg_t *reg);
/* reg is going away: answer its queued requests. With `heir` (re-registration
 * of the same endpoint) they move to the new registration instead. */
void zl_queue_drop(zl_gw_t *gw, zl_reg_t *reg, zl_reg_t *heir);
void zl_queue_restore(zl_gw_t *gw);

/* observe.c */
/* Composite observations are keyed (in memory and in the store) by this
 * prefix + the joined paths, so they never match a single-path cancel; the
 * records show the joined paths without it. */
#define ZL_OBS_COMPOSITE_PREFIX "c:"
zl_err_t zl_obs_init(zl_gw_t *gw);
void zl_obs_fini(zl_gw_t *gw);
zl_obs_t *zl_obs_add(zl_gw_t *gw, zl_reg_t *reg, const uint8_t *token, uint8_t tkl,
                     const char *path, const char *ticket);
/* Cancels (passively) every observation of reg on path (NULL = all). Returns count. */
int zl_obs_cancel(zl_gw_t *gw, zl_reg_t *reg, const char *path);
/* Same; active = also tell the device (GET with Observe: 1, RFC 7641 §3.6). */
int zl_obs_cancel_mode(zl_gw_t *gw, zl_reg_t *reg, const char *path, bool active);
void zl_obs_restore(zl_gw_t *gw);
/* CoAP callback for notifications of an observation (ctx = zl_obs_t). */
void zl_obs_on_notify(void *ctx, zl_err_t err, const zl_coap_msg_t *resp);
/* zl_coap_ep_cfg_t.on_shed: obs_ctx is the zl_obs_t whose notification was turned away. */
void zl_obs_on_shed(void *ctx, void *obs_ctx);

/* Decodes a device response payload for path into a READ body. */
zl_err_t zl_gw_decode_content(const zl_models_t *models, const zl_coap_msg_t *resp, const char *path,
                              zl_node_t **out, char *errstr, size_t n);

#endif
