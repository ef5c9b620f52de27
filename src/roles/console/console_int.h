/* SPDX-License-Identifier: Apache-2.0 */
/* Inside `zeelos console`: the pieces and who owns what.
 *
 *   HTTP threads ──(loop routes)──▶ loop thread: state.c (gateways, devices,
 *                                   pending requests, event log, SSE streams)
 *                                   api.c (REST handlers)
 *   kafka thread (ckafka.c, its own zl_loop) ──posts decoded records──▶ loop
 *   loop ──posts requests to send──▶ kafka thread
 *
 * Records cross threads as jansson objects whose ownership moves with the
 * post: the Kafka thread decodes (it may block on the schema registry, the
 * loop never does) and gives every record to the loop as one json_t. */
#ifndef ZL_CONSOLE_INT_H
#define ZL_CONSOLE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "roles/console/console.h"
#include "roles/console/auth.h"
#include "http/http.h"
#include "kafka/records.h"
#include "lwm2m/model.h"
#include "lwm2m/path.h"
#include "common/hmap.h"
#include "common/loop.h"
#include "common/metrics.h"
#include "common/wheel.h"

/* ---- the Kafka thread (ckafka.c) ---------------------------------------- */
typedef struct cn_kafka cn_kafka_t;

/* What the Kafka thread hands to the loop: one record, decoded. */
typedef enum {
    CN_REC_REGISTRATION = 0, /* j: {"kind":"NEW|UPDATE|DELETE", client fields...} */
    CN_REC_OBSERVATION,      /* j: {"path","observationId","ticket","timestamp","code","kind","values":[...]} */
    CN_REC_RESPONSE,         /* j: the same plus "message", "location", "objectLinks" */
    CN_REC_SENT,             /* j: {"ticket","error":null|"why"}: the request's delivery */
    CN_REC_TOPICS,           /* j: {"ready":bool, "gateways":{"gw":{"live":bool}}} */
} cn_rec_kind_t;

/* Called on the loop thread; takes ownership of j. */
typedef void (*cn_rec_fn)(void *ctx, cn_rec_kind_t kind, const char *gateway, const char *ep, json_t *j);

cn_kafka_t *cn_kafka_new(const zl_console_conf_t *conf, zl_metrics_t *m, zl_loop_t *loop, cn_rec_fn fn,
                         void *ctx, char *errstr, size_t n);
zl_err_t cn_kafka_start(cn_kafka_t *k, char *errstr, size_t n);
/* Loop thread: queues req (ownership passes, freed with zl_request_clear +
 * free) for gateway with the user's name as header zeelos-user.  ZL_ERR_FULL
 * when the Kafka thread's queue is full (req is then freed here too). */
zl_err_t cn_kafka_send(cn_kafka_t *k, const char *gateway, zl_request_t *req, const char *user);
void cn_kafka_stop(cn_kafka_t *k);
void cn_kafka_destroy(cn_kafka_t *k);

/* ---- state (state.c): loop thread only ---------------------------------- */
typedef struct cn_state cn_state_t;

cn_state_t *cn_state_new(const zl_console_conf_t *conf, zl_loop_t *loop, zl_metrics_t *m);
/* Before the loop goes: answers what waits (503), closes the streams, stops
 * the timers; records still posted are then dropped. */
void cn_state_shutdown(cn_state_t *s);
/* After zl_loop_destroy (touches no timer). */
void cn_state_destroy(cn_state_t *s);
/* A record from the Kafka thread (cn_rec_fn). */
void cn_state_record(void *ctx, cn_rec_kind_t kind, const char *gateway, const char *ep, json_t *j);
bool cn_state_ready(const cn_state_t *s);

/* Lists (new references). */
json_t *cn_state_gateways(cn_state_t *s, int64_t now);
json_t *cn_state_clients(cn_state_t *s, const char *gateway, const char *status, const char *q, int64_t now);
/* One client: *json (new reference) or ZL_ERR_NOT_FOUND, or ZL_ERR_INVALID
 * when ep is on several gateways and gateway is NULL (*gw_out untouched).
 * *gw_out: the gateway it is on (the state's string). */
zl_err_t cn_state_client(cn_state_t *s, const char *gateway, const char *ep, int64_t now, json_t **json,
                         const char **gw_out);
bool cn_state_sleeping(cn_state_t *s, const char *gateway, const char *ep, int64_t now);
/* Whether answers of gateway are followed (its management.rep assigned). */
bool cn_state_gateway_live(cn_state_t *s, const char *gateway);
/* The event log: the last limit events (new reference). */
json_t *cn_state_log(cn_state_t *s, size_t limit);
/* Publishes an event (log + SSE); takes ownership of data. */
void cn_state_event(cn_state_t *s, const char *type, const char *gateway, const char *ep, json_t *data);

/* Pending management requests: call waits for the answer with ticket (or
 * the timeout).  Takes ownership of info (the answer's base fields). */
typedef struct cn_pending cn_pending_t;
zl_err_t cn_state_pending_add(cn_state_t *s, const char *ticket, const char *gateway, const char *ep,
                              zl_http_call_t *call, int64_t timeout_ms, bool sleeping, json_t *info);
size_t cn_state_pending_count(const cn_state_t *s);

/* SSE: adds a stream with optional filters (copied). */
void cn_state_stream_add(cn_state_t *s, zl_http_stream_t *st, const char *gateway, const char *ep);
void cn_state_stream_closed(void *ctx, zl_http_stream_t *st);
/* Closes every stream (stop). */
void cn_state_streams_close(cn_state_t *s);

/* ---- the API (api.c): loop thread -------------------------------------- */
typedef struct {
    const zl_console_conf_t *conf;
    cn_state_t *state;
    cn_kafka_t *kafka;
    zl_auth_t *auth;
    zl_models_t *models;
    bool tls;
    uint64_t ticket_seq;
    zl_counter_t *c_requests, *c_denied;
} cn_api_t;

/* Routes "/api/" (loop route). */
void cn_api_handle(void *ctx, zl_http_call_t *call);
/* Routes "/api/session" (connection thread: the password hash runs there). */
void cn_api_session(void *ctx, zl_http_call_t *call);
/* Routes "/" (connection thread): the embedded web UI. */
void cn_api_static(void *ctx, zl_http_call_t *call);

/* Helpers shared by the handlers (api.c). */
void cn_reply_error(zl_http_call_t *call, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cn_reply_json(zl_http_call_t *call, int status, json_t *j); /* steals j */

/* The node of a write (path /o/i or /o/i/r) or create (/o or /o/i) body:
 * {"kind":"singleResource"|"multiResource"|"instance", ...}, values typed by
 * the node's "type", else the model (models may be NULL: built-ins), else
 * the JSON type.  A new node (caller frees), or NULL with err. */
zl_node_t *cn_node_from_json(const zl_models_t *models, zl_req_kind_t kind, const zl_path_t *path, const json_t *j,
                             char *err, size_t n);

/* Operations on devices (ops.c): builds the request of an API call. */
void cn_api_device_op(cn_api_t *a, zl_http_call_t *call, const zl_principal_t *p, const char *ep,
                      const char *rest);

#endif
