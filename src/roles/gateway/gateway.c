/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway handle and its event loop.
 *
 * One thread runs the loop (common/loop.h): fd watches on the CoAP socket and
 * the producer's and the consumer's queue-event pipes; the timer wheel bounds
 * the epoll timeout.  Each turn: read datagrams (bounded batches), serve
 * Kafka reports and requests, run due timers, then the two turn hooks:
 * commit the store, then send every queued datagram (a device gets its answer
 * only once the state it implies is committed).  librdkafka and
 * libmicrohttpd own their threads and never touch gateway state (metrics are
 * atomic; work for the loop goes through zl_loop_post). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "roles/gateway/gw_int.h"
#include "coap/udp.h"
#include "common/clock.h"
#include "common/loop.h"
#include "common/log.h"

/* Routes device requests: exactly /dp is LwM2M Send, everything else the
 * registration interface (which answers 4.04 for unknown paths). */
void zl_gw_diag(zl_gw_t *gw, zl_coap_msg_t *resp, uint8_t code, const char *msg) {
    resp->code = code;
    snprintf(gw->scratch, sizeof gw->scratch, "%s", msg);
    resp->payload = (const uint8_t *)gw->scratch;
    resp->payload_len = strlen(gw->scratch);
}

void zl_gw_busy(zl_gw_t *gw, zl_coap_msg_t *resp, const char *why) {
    zl_counter_inc(gw->m.backpressure);
    zl_gw_diag(gw, resp, ZL_COAP_SERVICE_UNAVAILABLE, why);
    zl_coap_add_uint(resp, ZL_OPT_MAX_AGE, (uint32_t)gw->retry_after_s, gw->max_age_opt);
}

/* Every device request (register, update, de-register, Send) produces a
 * record; while the producer is over its high watermark they are turned
 * away with 5.03 + Max-Age before any work is done. */
static void on_coap_request(void *ctx, zl_coap_ep_t *ep, const zl_coap_addr_t *peer,
                            const zl_coap_msg_t *req, zl_coap_msg_t *resp) {
    zl_gw_t *gw = ctx;
    zl_gw_via_t via = {.secure = ep == gw->coaps && ep};
    if (via.secure && !(via.who = zl_dtls_peer(gw->dtls, peer))) return; /* cannot happen: the session delivered it */
    char path[8];
    if (zl_outbox_congested(gw)) {
        zl_gw_busy(gw, resp, gw->spool ? "Kafka is away and the spool is full; retry after Max-Age seconds"
                                       : "Kafka is behind; retry after Max-Age seconds");
        return;
    }
    if (zl_coap_path_string(req, ZL_OPT_URI_PATH, path, sizeof path) == ZL_OK && !strcmp(path, "/dp"))
        zl_send_handle(gw, peer, &via, req, resp);
    else
        zl_rd_handle(gw, peer, &via, req, resp);
}

/* Notifications of established observations: accepted only while Kafka keeps up. */
static bool admit_notification(void *ctx) {
    zl_gw_t *gw = ctx;
    return !zl_outbox_congested(gw);
}

#define C(field, name, help) ZL_COUNTER_DEF(zl_gw_metrics_t, field, name, help)
#define G(field, name, help) ZL_GAUGE_DEF(zl_gw_metrics_t, field, name, help)
static const zl_metric_def_t gw_metric_defs[] = {
    C(reg_new, "zeelos_registrations_total", "Successful LwM2M registrations."),
    C(reg_update, "zeelos_registration_updates_total", "Registration updates."),
    C(reg_delete, "zeelos_deregistrations_total", "De-registrations by devices."),
    C(reg_expired, "zeelos_registration_expiries_total", "Registrations that expired (lifetime passed without update)."),
    C(reg_rejected, "zeelos_registration_rejected_total", "Register/update/deregister requests answered with an error."),
    C(mgmt_too_large, "zeelos_mgmt_responses_too_large_total",
      "Management answers over management.response.max.bytes, replaced by a REQUEST_ENTITY_TOO_LARGE answer."),
    C(mgmt_replayed, "zeelos_mgmt_answers_replayed_total",
      "Management requests delivered again after their answer: the stored answer was published again, "
      "the device not asked."),
    C(mgmt_dup_skipped, "zeelos_mgmt_duplicates_skipped_total",
      "Management requests delivered again while the first delivery was still being served."),
    C(mgmt_interrupted, "zeelos_mgmt_interrupted_total",
      "Management requests cut off by a gateway crash before their answer, answered UNKNOWN instead of "
      "being executed again."),
    C(obs_reestablished, "zeelos_observations_reestablished_total",
      "Observations registered again (Observe: 0, same token) after a notification was turned away and "
      "none came for observe.reobserve.ms: the device had probably dropped them (RFC 7641 section 4.5)."),
    G(spool_records, "zeelos_spool_records", "Records in the spool that Kafka has not acknowledged yet."),
    G(spool_bytes, "zeelos_spool_bytes", "Bytes of the spool's segment files on disk."),
    G(answers_waiting, "zeelos_mgmt_answers_waiting",
      "Management answers waiting in memory for room in the producer's queue (spool.enabled=false only)."),
    C(spool_appended, "zeelos_spool_appended_total",
      "Records written to the spool (Kafka could not take them, or older ones were waiting there)."),
    C(spool_replayed, "zeelos_spool_replayed_total", "Spooled records Kafka acknowledged after a replay."),
    C(spool_dropped, "zeelos_spool_dropped_total",
      "Spooled records deleted undelivered to make room (spool.overflow=drop-oldest); logged."),
    C(spool_refused, "zeelos_spool_refused_total",
      "Records the spool could not take (full, or the disk refused the write): lost, or turned away; logged."),
    C(spool_errors, "zeelos_spool_errors_total", "Spool write, fsync or read failures (logged)."),
    C(spool_maybe_dup, "zeelos_spool_possibly_written_total",
      "Records spooled after their delivery timed out while in flight: the broker may have written "
      "them, so their replay may duplicate them."),
    C(takeovers, "zeelos_registration_takeovers_total",
      "Registrations of an endpoint name held by another host that replaced it (registration.takeover=replace)."),
    G(registrations, "zeelos_registrations", "Devices currently registered."),
    G(observations, "zeelos_observations", "Active observations started through Kafka."),
    G(brokers_up, "zeelos_kafka_brokers_up",
      "Broker connections of the management consumer in state UP (its coordinator included); -1 unknown."),
    C(notifications, "zeelos_notifications_total", "Observe notifications received and forwarded to Kafka."),
    C(notif_errors, "zeelos_notification_decode_errors_total",
      "Notifications whose payload could not be decoded (forwarded as an error record)."),
    C(mgmt_requests, "zeelos_mgmt_requests_total", "Management requests consumed."),
    C(mgmt_invalid, "zeelos_mgmt_requests_invalid_total",
      "Management request records that could not be decoded (logged and skipped)."),
    C(mgmt_errors, "zeelos_mgmt_responses_error_total", "Management responses with an error code."),
    C(mgmt_timeouts, "zeelos_mgmt_device_timeouts_total", "Management requests the device did not answer in time."),
    C(store_errors, "zeelos_store_errors_total", "SQLite write failures (logged)."),
    C(read_pauses, "zeelos_coap_read_pauses_total",
      "Pauses of coap.read.coalesce.us after a light loop turn (0 unless the option is set)."),
    C(sends, "zeelos_send_total", "LwM2M Send requests (POST /dp) accepted."),
    C(send_records, "zeelos_send_records_total",
      "Object instances from Send requests published on the observations topic."),
    C(send_rejected, "zeelos_send_rejected_total",
      "Send requests answered with an error (unregistered, format, payload)."),
    C(queued, "zeelos_queue_held_total", "Management requests held for a sleeping queue-mode device."),
    C(queue_expired, "zeelos_queue_expired_total",
      "Held requests answered with an error because the device did not wake up in time."),
    C(backpressure, "zeelos_backpressure_total", "Device requests answered 5.03 because Kafka could not take the record."),
};
#undef C
#undef G

static void init_metrics(zl_gw_t *gw) {
    zl_metrics_t *m = gw->metrics;
    zl_gw_metrics_t *g = &gw->m;
    zl_metrics_register(m, gw_metric_defs, sizeof gw_metric_defs / sizeof gw_metric_defs[0], g);
    g->refused_foreign = zl_metrics_counter(
        m, "zeelos_refused_registration_total", "reason=\"foreign_address\"",
        "Registration traffic refused for its origin: foreign_address = an Update or De-register from "
        "another address than the registration's; takeover = a Register of a name held by another host "
        "(registration.takeover=refuse).");
    g->refused_takeover = zl_metrics_counter(m, "zeelos_refused_registration_total", "reason=\"takeover\"", NULL);
    g->refused_security = zl_metrics_counter(m, "zeelos_refused_registration_total", "reason=\"security\"", NULL);
    g->credentials = zl_metrics_gauge(m, "zeelos_security_credentials", NULL,
                                      "Endpoints with device credentials on record (security.topic).");
    g->sec_unknown = zl_metrics_counter(m, "zeelos_security_unknown_identity_total", NULL,
                                        "DTLS handshakes with a PSK identity that has no credentials (refused).");
    g->sec_invalid = zl_metrics_counter(m, "zeelos_security_invalid_records_total", NULL,
                                        "Records of the security topic that were refused (logged with the offset).");
    static const double bounds[] = {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    g->mgmt_latency = zl_metrics_histogram(m, "zeelos_mgmt_request_duration_seconds",
                                           "Time from consuming a management request to queuing its response.",
                                           bounds, (int)(sizeof bounds / sizeof bounds[0]));
    static const double fine[] = {25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3};
    g->mgmt_gateway = zl_metrics_histogram(m, "zeelos_mgmt_gateway_seconds",
                                           "Gateway-added latency of a management request: consumed to sent to "
                                           "the device, plus the device's last answer to the response queued "
                                           "(requests held for a sleeping device are not counted).",
                                           fine, (int)(sizeof fine / sizeof fine[0]));
    g->notif_latency = zl_metrics_histogram(m, "zeelos_notification_gateway_seconds",
                                            "Gateway-added latency of a notification: datagram read from the "
                                            "socket to the record handed to the Kafka producer.",
                                            fine, (int)(sizeof fine / sizeof fine[0]));
}

/* ---- the loop: fd callbacks, the serve timer, the turn hooks ---- */

static void on_coap_fd(void *ctx, uint32_t events) {
    zl_gw_t *gw = ctx;
    (void)events;
    gw->turn_reads += zl_coap_ep_read(gw->coap, 16);
}

static void on_coaps_fd(void *ctx, uint32_t events) {
    zl_gw_t *gw = ctx;
    (void)events;
    gw->turn_reads += zl_coap_ep_read(gw->coaps, 16);
}

/* DTLS handshake retransmissions and timeouts, idle sessions. */
static void on_dtls_timer(zl_timer_t *t, void *ctx) {
    zl_gw_t *gw = ctx;
    int next = zl_dtls_tick(gw->dtls, zl_now_ms());
    zl_timer_arm(&gw->wheel, t, zl_now_ms() + next);
}

static void on_security_fd(void *ctx, uint32_t events) {
    (void)events;
    zl_sec_serve(ctx);
}

static void on_producer_fd(void *ctx, uint32_t events) {
    zl_gw_t *gw = ctx;
    (void)events;
    zl_producer_serve(gw->producer);
    zl_outbox_replay(gw); /* acknowledgements make room in the replay window */
}

/* Management requests per loop turn: a turn's requests leave together after
 * its commit, so a burst's last request waits for all before it (256 made a
 * 3.8 ms p99 of bursts at 1k/s; 64 keeps a turn near 0.5 ms). */
#define MGMT_PER_TURN 64

static void on_consumer_fd(void *ctx, uint32_t events) {
    zl_gw_t *gw = ctx;
    (void)events;
    zl_consumer_serve(gw->consumer, MGMT_PER_TURN);
}

/* Schema fetches finished: the management records that waited for them. */
static void on_registry_fd(void *ctx, uint32_t events) {
    zl_gw_t *gw = ctx;
    (void)events;
    zl_reqdec_serve(gw->reqdec);
}

#define SERVE_EVERY_MS 100

/* Belt and braces: serve the producer's queues even without a wake-up; poll
 * the consumer (its pipe only signals when records or events arrive, and a
 * consumer not polled for max.poll.interval.ms is thrown out of its group:
 * an idle gateway would stop answering requests); sample health. */
static void on_serve_timer(zl_timer_t *t, void *ctx) {
    zl_gw_t *gw = ctx;
    zl_producer_serve(gw->producer);
    zl_outbox_replay(gw);
    zl_consumer_serve(gw->consumer, MGMT_PER_TURN);
    zl_sec_serve(gw);
    zl_gw_health_sample(gw);
    zl_timer_arm(&gw->wheel, t, zl_now_ms() + SERVE_EVERY_MS);
}

/* A management partition taken away: requests still waiting for their
 * schema are dropped, since its next owner consumes them again. */
static void on_revoked(void *ctx, int32_t partition) {
    zl_gw_t *gw = ctx;
    zl_reqdec_drop_partition(gw->reqdec, partition);
}

/* Turn hook 1: one SQLite transaction for everything the turn changed (also
 * run by the CoAP endpoint before a full send batch leaves mid-turn, so no
 * answer ever leaves before the state it implies is committed). */
static void commit_store(void *ctx) {
    zl_gw_t *gw = ctx;
    if (zl_store_flush(gw->store)) {
        zl_counter_inc(gw->m.store_errors);
        ZL_ERROR("store", "commit failed: %s", zl_store_errmsg(gw->store));
    }
    if (gw->spool && zl_spool_sync(gw->spool)) zl_counter_inc(gw->m.spool_errors); /* and the spool's records */
}

/* Turn hook 2, after the commit: one sendmmsg for every queued datagram. */
static void flush_coap(void *ctx) {
    zl_gw_t *gw = ctx;
    zl_coap_ep_flush(gw->coap);
    if (gw->coaps) zl_coap_ep_flush(gw->coaps);
    zl_mgmt_sent(gw);
}

/* Turn hook, last: coap.read.coalesce.us.  A light turn (some datagrams, fewer
 * than a batch) means a low rate, where each wake-up costs more than the
 * datagrams it serves: wait a little so the next turn finds several.  The
 * turn's answers and records have already left.  Not while management
 * requests are being consumed (a burst of them would be slowed per turn). */
#define COALESCE_BELOW 32
static void coalesce_reads(void *ctx) {
    zl_gw_t *gw = ctx;
    int n = gw->turn_reads;
    bool mgmt = gw->turn_mgmt;
    gw->turn_reads = 0;
    gw->turn_mgmt = false;
    if (n > 0 && n < COALESCE_BELOW && !mgmt && gw->conf->read_coalesce_us > 0) {
        zl_counter_inc(gw->m.read_pauses);
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)gw->conf->read_coalesce_us * 1000L};
        nanosleep(&ts, NULL);
    }
}

/* A receive buffer smaller than asked (no CAP_NET_ADMIN, net.core.rmem_max
 * lower) is where datagrams go missing under a burst: say it once, at start. */
static void check_socket_buffer(int fd, int want) {
    int got = zl_udp_rcvbuf(fd);
    if (got >= 0 && got < want)
        ZL_WARN("gateway", "CoAP socket receive buffer is %d bytes, not the %d of coap.socket.buffer: the "
                "kernel capped it at net.core.rmem_max (sysctl -w net.core.rmem_max=%d, or run with "
                "CAP_NET_ADMIN); a burst that outlasts it is dropped (zeelos_coap_socket_drops_total)",
                got, want, want);
}

static zl_err_t loop_init(zl_gw_t *gw, char *errstr, size_t n) {
    gw->loop = zl_loop_new(&(zl_loop_cfg_t){.wheel = &gw->wheel}, errstr, n);
    if (!gw->loop) return ZL_ERR_IO;
    if (zl_loop_fd_add(gw->loop, &gw->w_coap, zl_coap_ep_fd(gw->coap), ZL_LOOP_IN, on_coap_fd, gw) ||
        zl_loop_fd_add(gw->loop, &gw->w_producer, zl_producer_fd(gw->producer), ZL_LOOP_IN, on_producer_fd,
                       gw) ||
        zl_loop_fd_add(gw->loop, &gw->w_consumer, zl_consumer_fd(gw->consumer), ZL_LOOP_IN, on_consumer_fd,
                       gw) ||
        (zl_reqdec_fd(gw->reqdec) >= 0 && zl_loop_fd_add(gw->loop, &gw->w_registry, zl_reqdec_fd(gw->reqdec),
                                                         ZL_LOOP_IN, on_registry_fd, gw)) ||
        zl_loop_on_turn(gw->loop, commit_store, gw) || zl_loop_on_turn(gw->loop, zl_outbox_turn, gw) ||
        zl_loop_on_turn(gw->loop, flush_coap, gw) ||
        zl_loop_on_turn(gw->loop, zl_gw_health_beat, gw) || zl_loop_on_turn(gw->loop, coalesce_reads, gw) ||
        (gw->coaps && zl_loop_fd_add(gw->loop, &gw->w_coaps, zl_coap_ep_fd(gw->coaps), ZL_LOOP_IN, on_coaps_fd, gw)) ||
        (gw->sec_log && zl_loop_fd_add(gw->loop, &gw->w_sec, zl_logreader_fd(gw->sec_log), ZL_LOOP_IN,
                                       on_security_fd, gw))) {
        snprintf(errstr, n, "epoll: %s", strerror(errno));
        return ZL_ERR_IO;
    }
    zl_timer_init(&gw->t_serve, on_serve_timer, gw);
    zl_timer_arm(&gw->wheel, &gw->t_serve, zl_now_ms() + SERVE_EVERY_MS);
    if (gw->dtls) {
        zl_timer_init(&gw->t_dtls, on_dtls_timer, gw);
        zl_timer_arm(&gw->wheel, &gw->t_dtls, zl_now_ms() + 100);
    }
    return ZL_OK;
}

zl_gw_t *zl_gw_new(const zl_gw_conf_t *conf, char *errstr, size_t n) {
    zl_gw_t *gw = calloc(1, sizeof *gw);
    if (!gw) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    gw->conf = conf;
    gw->id = conf->topics.id;
    gw->t_reg = conf->topics.registrations;
    gw->t_obs = conf->topics.observations;
    gw->t_req = conf->topics.mgmt_req;
    gw->t_rep = conf->topics.mgmt_rep;
    gw->request_timeout_ms = conf->request_timeout_ms;
    gw->default_lt = conf->default_lifetime_s;
    gw->queue_awake_ms = conf->queue_awake_ms;
    gw->cancel_active = conf->observe_cancel == 0;
    gw->queue_ttl_ms = conf->queue_ttl_ms;
    gw->retry_after_s = conf->retry_after_s;
    zl_buf_init(&gw->kbuf, 0);
    zl_buf_init(&gw->vbuf, 0);
    zl_wheel_init(&gw->wheel, zl_now_ms());
    gw->metrics = zl_metrics_new();
    if (!gw->metrics || zl_gw_regs_init(gw) || zl_obs_init(gw) || zl_tickets_init(gw)) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    init_metrics(gw);
    zl_gw_health_init(gw);

    gw->store = zl_store_open(conf->data_dir, errstr, n);
    if (!gw->store) goto fail;

    const char *models_dir = conf->models_dir;
    if (!(gw->models = zl_models_new())) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (models_dir && models_dir[0]) {
        if (zl_models_load_dir(gw->models, models_dir, errstr, n)) goto fail;
        ZL_INFO("gateway", "loaded %zu object models from %s", zl_models_loaded(gw->models), models_dir);
    }

    zl_format_t fmt = conf->kafka.format == 1 ? ZL_FORMAT_JSON : ZL_FORMAT_AVRO;
    gw->serde = zl_serde_new_kc(fmt, &conf->kafka, errstr, n);
    if (!gw->serde) goto fail;
    const struct { const char *topic; zl_val_type_t type; } topics[] = {
        {gw->t_reg, ZL_VAL_REGISTRATION}, {gw->t_obs, ZL_VAL_OBSERVE},
        {gw->t_rep, ZL_VAL_RESPONSE}, {gw->t_req, ZL_VAL_REQUEST}};
    for (int i = 0; i < 4; i++)
        if (zl_serde_register_topic(gw->serde, topics[i].topic, topics[i].type, errstr, n)) goto fail;

    gw->reqdec = zl_reqdec_new(gw->serde, conf->kafka.registry_url, zl_mgmt_on_request, gw, errstr, n);
    if (!gw->reqdec) goto fail;
    gw->producer = zl_producer_new(conf->kafka.props, gw->metrics, errstr, n);
    if (!gw->producer) goto fail;
    /* Create the four topics up front so consumers (tail, sinks, Streams apps)
     * can subscribe before the first record. Not fatal: a broker that forbids
     * it may still auto-create or have them already. */
    const char *const names[] = {gw->t_reg, gw->t_obs, gw->t_req, gw->t_rep};
    char terr[256];
    if (conf->topic_create_timeout_ms > 0 &&
        zl_producer_ensure_topics(gw->producer, names, 4, conf->topic_create_timeout_ms, terr, sizeof terr))
        ZL_WARN("kafka", "%s; continuing", terr);
    zl_producer_warm_topics(gw->producer, names, 4,
                            conf->topic_create_timeout_ms > 0 ? conf->topic_create_timeout_ms : 5000);
    gw->consumer = zl_consumer_new(conf->kafka.props, gw->id, gw->t_req, gw->metrics, zl_mgmt_on_message, gw,
                                   errstr, n);
    if (!gw->consumer) goto fail;
    zl_consumer_on_revoke(gw->consumer, on_revoked, gw);
    if (zl_outbox_init(gw, errstr, n)) goto fail;

    zl_coap_ep_cfg_t cc = {
        .ack_timeout_ms = conf->coap.ack_timeout_ms,
        .max_retransmit = conf->coap.max_retransmit,
        .max_body = (size_t)conf->coap.max_payload,
        .max_uploads = (unsigned)conf->coap.block_max_uploads,
        .max_upload_bytes = (size_t)conf->coap.block_max_bytes,
        .metrics = gw->metrics, .on_request = on_coap_request, .ctx = gw, .admit = admit_notification, .on_shed = zl_obs_on_shed,
        .before_send = commit_store};
    /* the transport is ours to open; the endpoint takes it over (and closes it) */
    if (zl_udp_open(conf->coap_host, conf->coap_port, conf->socket_buffer, &cc.io, errstr, n))
        goto fail;
    check_socket_buffer(cc.io.fd, conf->socket_buffer);
    gw->coap = zl_coap_ep_new(&cc, &gw->wheel, errstr, n);
    if (!gw->coap) goto fail;
    zl_coap_addr_host(zl_coap_ep_local(gw->coap), gw->local_host, sizeof gw->local_host);
    gw->local_port = zl_coap_addr_port(zl_coap_ep_local(gw->coap));
    /* credentials before the DTLS endpoint (its PSK lookups) and the restore (transports) */
    if (zl_sec_init(gw, errstr, n)) goto fail;
    gw->coaps_port = -1;
    if (conf->coaps_port >= 0) {
        zl_dtls_cfg_t dc = {.psk_lookup = zl_sec_psk, .ctx = gw, .cert_file = conf->dtls_cert,
                            .key_file = conf->dtls_key, .ca_file = conf->dtls_ca,
                            .ciphers = conf->dtls_ciphers && conf->dtls_ciphers[0] ? conf->dtls_ciphers : NULL,
                            .max_handshakes = (unsigned)conf->dtls_max_handshakes,
                            .max_sessions = (unsigned)conf->dtls_max_sessions,
                            .handshake_timeout_ms = conf->dtls_handshake_timeout_ms,
                            .idle_timeout_s = conf->dtls_idle_timeout_s, .metrics = gw->metrics};
        zl_coap_io_t udp;
        if (zl_udp_open(conf->coap_host, conf->coaps_port, conf->socket_buffer, &udp, errstr, n) ||
            zl_dtls_wrap(&dc, &udp, &cc.io, &gw->dtls, errstr, n))
            goto fail;
        gw->coaps = zl_coap_ep_new(&cc, &gw->wheel, errstr, n);
        if (!gw->coaps) goto fail;
        gw->coaps_port = zl_coap_addr_port(zl_coap_ep_local(gw->coaps));
    }

    zl_gw_reg_restore(gw);
    zl_obs_restore(gw);
    zl_queue_restore(gw);

    if (loop_init(gw, errstr, n)) goto fail;

    int hport = conf->http.port;
    if (hport) {
        gw->http = zl_http_start(conf->http.host, hport, gw->metrics, errstr, n);
        if (!gw->http) goto fail;
        zl_gw_health_routes(gw);
    }
    char hdesc[96] = "HTTP off";
    if (hport) snprintf(hdesc, sizeof hdesc, "HTTP on %s:%d", conf->http.host, hport);
    char sdesc[48] = "coaps off";
    if (gw->coaps) snprintf(sdesc, sizeof sdesc, "coaps (DTLS) on port %d", gw->coaps_port);
    ZL_INFO("gateway", "'%s' serving CoAP on %s:%d, %s, %s, Kafka %s (%s, librdkafka %s), topics %s %s %s %s",
            gw->id, gw->local_host, gw->local_port, sdesc, hdesc,
            conf->kafka.bootstrap_servers, fmt == ZL_FORMAT_JSON ? "json" : "avro", zl_kafka_version(),
            gw->t_reg, gw->t_obs, gw->t_req, gw->t_rep);
    return gw;
fail:
    zl_gw_destroy(gw);
    return NULL;
}

int zl_gw_coap_port(const zl_gw_t *gw) { return gw->local_port; }
int zl_gw_coaps_port(const zl_gw_t *gw) { return gw->coaps_port; }

void zl_gw_stop(zl_gw_t *gw) {
    if (gw->loop) zl_loop_stop(gw->loop); /* async-signal-safe */
}

int zl_gw_run(zl_gw_t *gw) {
    zl_err_t e = zl_loop_run(gw->loop);
    ZL_INFO("gateway", "stopping");
    return e == ZL_OK ? 0 : 1;
}

void zl_gw_destroy(zl_gw_t *gw) {
    if (!gw) return;
    if (gw->http) zl_http_stop(gw->http);
    /* after HTTP (no more posts), before the state posted work may use */
    zl_loop_destroy(gw->loop);
    /* Order matters: cancelling CoAP exchanges publishes their answers, whose
     * delivery reports release consumer offsets; so CoAP, then producer flush
     * (serves reports), then the consumer (commits), then the producer. */
    if (gw->coap) zl_coap_ep_destroy(gw->coap);
    if (gw->coaps) zl_coap_ep_destroy(gw->coaps); /* closes the DTLS sessions (close_notify) */
    gw->coap = gw->coaps = NULL; /* delivery reports served below find no endpoint to ACK through */
    gw->dtls = NULL;
    if (gw->producer) {
        zl_producer_serve(gw->producer);
        zl_producer_flush(gw->producer, 10000); /* what is left goes to the spool */
    }
    zl_outbox_fini(gw);
    if (gw->consumer) zl_consumer_destroy(gw->consumer);
    if (gw->producer) zl_producer_destroy(gw->producer, 0);
    zl_reqdec_destroy(gw->reqdec);
    zl_obs_fini(gw);
    zl_tickets_fini(gw);
    zl_registry_fini(&gw->regs);
    zl_sec_free(gw);
    if (gw->store) zl_store_close(gw->store);
    zl_models_destroy(gw->models);
    if (gw->serde) zl_serde_destroy(gw->serde);
    if (gw->metrics) zl_metrics_destroy(gw->metrics);
    zl_buf_free(&gw->kbuf);
    zl_buf_free(&gw->vbuf);
    free(gw->sending);
    free(gw);
}
