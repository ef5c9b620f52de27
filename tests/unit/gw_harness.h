/* Component-test plumbing for the gateway (tests/unit/test_gw_*.c): the
 * gateway runs in-process on its own thread against librdkafka's mock cluster
 * (no broker, no schema registry: format=json), and the test thread plays
 * both neighbours: a fake device on a loopback UDP socket (our CoAP codec,
 * coap/msg.h, only as a neutral encoder/decoder) and a Kafka client (a plain
 * librdkafka producer and a partition-assigned consumer).
 *
 * Every wait is on an event with a deadline (a record in Kafka, a datagram on
 * the device socket, a committed offset): nothing sleeps to synchronise.
 *
 * All configuration, construction, start and stop of the gateway is in two
 * adjacent functions of gw_harness.c, start_gateway() and stop_gateway(), so
 * a change of the gateway's construction API (typed config, common loop)
 * touches that one place.
 *
 * The gateway logs errors only; ZT_LOG=warn|info|debug shows more.
 *
 * Ownership: records (zt_rec_t) and their JSON belong to the harness and live
 * until zt_gw_stop(); zt_msg_t owns its datagram (the parsed view points into
 * it). */
#ifndef ZT_GW_HARNESS_H
#define ZT_GW_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coap/msg.h"

/* ---------------------------------------------------------------- gateway */

typedef struct {
    const char *id;          /* gateway id (topics iot.<id>.*); NULL: "gwtest" */
    int request_timeout_ms;  /* coap.request.timeout.ms; 0: 3000 */
    int queue_awake_ms;      /* queue.awake.ms; 0: the default */
} zt_gw_opts_t;

typedef enum { ZT_REG, ZT_OBS, ZT_REQ, ZT_REP, ZT_N_TOPICS } zt_topic_t;

typedef struct zt_gw zt_gw_t;

/* Creates the mock cluster (one broker, the four topics with one partition
 * each), a temporary data.dir, the gateway on 127.0.0.1 (CoAP port 0, no
 * HTTP) running zl_gw_run() on a thread, and the test's Kafka clients.
 * NULL (with the reason on stderr) on failure. */
zt_gw_t *zt_gw_start(const zt_gw_opts_t *o);
/* Stops and destroys the gateway, the clients, the mock cluster; removes
 * data.dir.  Returns what zl_gw_run() returned (0: a clean stop). */
int zt_gw_stop(zt_gw_t *h);

int zt_gw_coap_port(const zt_gw_t *h);
const char *zt_gw_id(const zt_gw_t *h);
const char *zt_gw_topic(const zt_gw_t *h, zt_topic_t t);

/* ---------------------------------------------------------------- Kafka side */

typedef struct {
    zt_topic_t topic;
    json_t *key;   /* parsed key ({"ep": ...}) or NULL */
    json_t *value; /* parsed value */
    int64_t offset;
    bool taken;
} zt_rec_t;

/* What a wanted record looks like; NULL fields match anything. */
typedef struct {
    const char *ep;          /* key.ep */
    const char *ticket;      /* value.ticket */
    const char *kind;        /* value.kind (registrations: NEW/UPDATE/DELETE) */
    const char *queue_state; /* registrations: the UPDATE's attributes["queue.state"] */
} zt_match_t;

/* Produces value (JSON text) to topic t and waits for the delivery report.
 * Returns the offset, or -1. */
int64_t zt_produce(zt_gw_t *h, zt_topic_t t, const char *value);
/* Produces a management request {"serverId","ep","ticket","payload":{kind,path,
 * contentFormat,body:null}} (kind read/observe/observeCancel/delete/discover). */
int64_t zt_request(zt_gw_t *h, const char *ep, const char *ticket, const char *kind, const char *path,
                   const char *content_format);
/* The first record on t matching m that no earlier wait returned, waiting up to
 * timeout_ms for it; marks it taken.  NULL on timeout. Borrowed. */
zt_rec_t *zt_wait_record(zt_gw_t *h, zt_topic_t t, const zt_match_t *m, int timeout_ms);
/* Polls for timeout_ms and returns the number of (untaken) records on t matching m:
 * for asserting that something did NOT happen. */
int zt_count_records(zt_gw_t *h, zt_topic_t t, const zt_match_t *m, int timeout_ms);
/* Waits until the gateway's consumer group committed an offset >= offset on
 * management.req partition 0 (the request was consumed and its answer or its
 * durable hold is done).  false on timeout. */
bool zt_wait_committed(zt_gw_t *h, int64_t offset, int timeout_ms);

/* Delays every response of the mock broker by rtt_ms (0: none again). */
void zt_kafka_set_rtt(zt_gw_t *h, int rtt_ms);

/* JSON helpers: the member at a dotted path ("rep.code"), NULL if absent.
 * A union branch {"full.Name": v} is stepped into by "*" ("rep.body.*.content.*.value"). */
json_t *zt_json_at(json_t *v, const char *dotted);
const char *zt_json_str(json_t *v, const char *dotted); /* NULL unless a string */

/* ---------------------------------------------------------------- device side */

typedef struct {
    uint8_t buf[1536];
    size_t len;
    zl_coap_msg_t m; /* view into buf */
} zt_msg_t;

typedef struct zt_dev zt_dev_t;

/* A device on a fresh UDP socket on 127.0.0.1, talking to the gateway's port. */
zt_dev_t *zt_dev_new(const zt_gw_t *h);
void zt_dev_free(zt_dev_t *d);

/* Waits up to timeout_ms for one datagram from the gateway. 1 got, 0 timeout, -1 error. */
int zt_dev_recv(zt_dev_t *d, zt_msg_t *out, int timeout_ms);
/* Sends a CON request (method, "/a/b" path, queries NULL-terminated, cf -1 =
 * none) and waits for its answer: piggybacked, or separate after an empty
 * ACK (the separate response is ACKed if CON).  *empty_ack_first tells which
 * (may be NULL).  Requests from the gateway arriving meanwhile are kept for
 * zt_dev_recv.  1 answer, 0 timeout, -1 error. */
int zt_dev_call(zt_dev_t *d, uint8_t method, const char *path, const char *const *queries, int cf,
                const void *payload, size_t len, zt_msg_t *resp, bool *empty_ack_first, int timeout_ms);
/* Answers request req (piggybacked ACK for CON, NON otherwise). observe >= 0
 * adds an Observe option, cf >= 0 a Content-Format. */
int zt_dev_reply(zt_dev_t *d, const zt_msg_t *req, uint8_t code, int cf, const void *payload, size_t len,
                 int64_t observe);
/* Sends a NON notification with the token of the observe request obs_req. */
int zt_dev_notify(zt_dev_t *d, const zt_msg_t *obs_req, uint32_t seq, int cf, const void *payload, size_t len);

/* Registers: POST /rd?ep=&lt=&lwm2m=1.1&b= with links; fills location ("/rd/<id>",
 * may be NULL). Returns the response code (0 on timeout). */
uint8_t zt_dev_register(zt_dev_t *d, const char *ep, int lt, const char *binding, const char *links,
                        char *location, size_t location_size);

/* The Uri-Path of m as "/3/0/0", written to out (returned). */
const char *zt_uri_path(const zt_msg_t *m, char *out, size_t n);

/* Milliseconds on the monotonic clock. */
int64_t zt_now_ms(void);

#endif
