/* The gateway handle and its event loop.
 *
 * One thread runs the loop: epoll over the CoAP socket, the producer's and
 * the consumer's queue-event pipes and a wake-up eventfd; the timer wheel
 * bounds the epoll timeout.  Each turn: read datagrams (bounded batches),
 * serve Kafka reports and requests, run due timers, commit the store, then
 * send every queued datagram.  librdkafka and libmicrohttpd own their threads
 * and never touch gateway state (metrics are atomic). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"
#include "common/log.h"

enum { EV_COAP = 1, EV_PRODUCER, EV_CONSUMER, EV_WAKE };

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
    (void)ep;
    char path[8];
    if (zl_producer_congested(gw->producer)) {
        zl_gw_busy(gw, resp, "Kafka is behind; retry after Max-Age seconds");
        return;
    }
    if (zl_coap_path_string(req, ZL_OPT_URI_PATH, path, sizeof path) == ZL_OK && !strcmp(path, "/dp"))
        zl_send_handle(gw, peer, req, resp);
    else
        zl_rd_handle(gw, peer, req, resp);
}

/* Notifications of established observations: accepted only while Kafka keeps up. */
static bool admit_notification(void *ctx) {
    zl_gw_t *gw = ctx;
    return !zl_producer_congested(gw->producer);
}

static void init_metrics(zl_gw_t *gw) {
    zl_metrics_t *m = gw->metrics;
    zl_gw_metrics_t *g = &gw->m;
    g->reg_new = zl_metrics_counter(m, "zeelos_registrations_total", NULL, "Successful LwM2M registrations.");
    g->reg_update = zl_metrics_counter(m, "zeelos_registration_updates_total", NULL, "Registration updates.");
    g->reg_delete = zl_metrics_counter(m, "zeelos_deregistrations_total", NULL, "De-registrations by devices.");
    g->reg_expired = zl_metrics_counter(m, "zeelos_registration_expiries_total", NULL,
                                        "Registrations that expired (lifetime passed without update).");
    g->reg_rejected = zl_metrics_counter(m, "zeelos_registration_rejected_total", NULL,
                                         "Register/update/deregister requests answered with an error.");
    g->registrations = zl_metrics_gauge(m, "zeelos_registrations", NULL, "Devices currently registered.");
    g->observations = zl_metrics_gauge(m, "zeelos_observations", NULL, "Active observations started through Kafka.");
    g->notifications = zl_metrics_counter(m, "zeelos_notifications_total", NULL,
                                          "Observe notifications received and forwarded to Kafka.");
    g->notif_errors = zl_metrics_counter(m, "zeelos_notification_decode_errors_total", NULL,
                                         "Notifications whose payload could not be decoded (forwarded as an error record).");
    g->mgmt_requests = zl_metrics_counter(m, "zeelos_mgmt_requests_total", NULL, "Management requests consumed.");
    g->mgmt_invalid = zl_metrics_counter(m, "zeelos_mgmt_requests_invalid_total", NULL,
                                         "Management request records that could not be decoded (logged and skipped).");
    g->mgmt_errors = zl_metrics_counter(m, "zeelos_mgmt_responses_error_total", NULL,
                                        "Management responses with an error code.");
    g->mgmt_timeouts = zl_metrics_counter(m, "zeelos_mgmt_device_timeouts_total", NULL,
                                          "Management requests the device did not answer in time.");
    g->store_errors = zl_metrics_counter(m, "zeelos_store_errors_total", NULL, "SQLite write failures (logged).");
    g->sends = zl_metrics_counter(m, "zeelos_send_total", NULL, "LwM2M Send requests (POST /dp) accepted.");
    g->send_records = zl_metrics_counter(m, "zeelos_send_records_total", NULL,
                                         "Object instances from Send requests published on the observations topic.");
    g->send_rejected = zl_metrics_counter(m, "zeelos_send_rejected_total", NULL,
                                          "Send requests answered with an error (unregistered, format, payload).");
    g->queued = zl_metrics_counter(m, "zeelos_queue_held_total", NULL,
                                   "Management requests held for a sleeping queue-mode device.");
    g->queue_expired = zl_metrics_counter(m, "zeelos_queue_expired_total", NULL,
                                          "Held requests answered with an error because the device did not wake up in time.");
    g->backpressure = zl_metrics_counter(m, "zeelos_backpressure_total", NULL,
                                         "Device requests answered 5.03 because Kafka could not take the record.");
    static const double bounds[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    g->mgmt_latency = zl_metrics_histogram(m, "zeelos_mgmt_request_duration_seconds",
                                           "Time from consuming a management request to queuing its response.",
                                           bounds, (int)(sizeof bounds / sizeof bounds[0]));
    static const double fine[] = {25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3};
    g->notif_latency = zl_metrics_histogram(m, "zeelos_notification_gateway_seconds",
                                            "Gateway-added latency of a notification: datagram read from the "
                                            "socket to the record handed to the Kafka producer.",
                                            fine, (int)(sizeof fine / sizeof fine[0]));
}

static int add_fd(zl_gw_t *gw, int fd, uint32_t tag) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
    return epoll_ctl(gw->epfd, EPOLL_CTL_ADD, fd, &ev);
}

zl_gw_t *zl_gw_new(const zl_conf_t *conf, char *errstr, size_t n) {
    zl_gw_t *gw = calloc(1, sizeof *gw);
    if (!gw) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    gw->conf = conf;
    gw->epfd = gw->wakefd = -1;
    gw->id = zl_conf_str(conf, "id");
    gw->t_reg = zl_conf_str(conf, "topic.registrations");
    gw->t_obs = zl_conf_str(conf, "topic.observations");
    gw->t_req = zl_conf_str(conf, "topic.management.req");
    gw->t_rep = zl_conf_str(conf, "topic.management.rep");
    gw->request_timeout_ms = (int)zl_conf_int(conf, "coap.request.timeout.ms");
    gw->default_lt = zl_conf_int(conf, "registration.lifetime.default");
    gw->queue_awake_ms = (int)zl_conf_int(conf, "queue.awake.ms");
    gw->cancel_active = zl_conf_enum(conf, "observe.cancel") == 0;
    gw->queue_ttl_ms = zl_conf_int(conf, "queue.request.ttl.ms");
    gw->retry_after_s = (int)zl_conf_int(conf, "backpressure.retry.s");
    zl_buf_init(&gw->kbuf, 0);
    zl_buf_init(&gw->vbuf, 0);
    zl_wheel_init(&gw->wheel, zl_now_ms());
    gw->metrics = zl_metrics_new();
    if (!gw->metrics || zl_gw_regs_init(gw) || zl_obs_init(gw)) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    init_metrics(gw);

    gw->store = zl_store_open(zl_conf_str(conf, "data.dir"), errstr, n);
    if (!gw->store) goto fail;

    const char *models_dir = zl_conf_str(conf, "models.dir");
    if (!(gw->models = zl_models_new())) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (models_dir && models_dir[0]) {
        if (zl_models_load_dir(gw->models, models_dir, errstr, n)) goto fail;
        ZL_INFO("gateway", "loaded %zu object models from %s", zl_models_loaded(gw->models), models_dir);
    }

    zl_format_t fmt = zl_conf_enum(conf, "format") == 1 ? ZL_FORMAT_JSON : ZL_FORMAT_AVRO;
    gw->serde = zl_serde_new(fmt, zl_conf_str(conf, "schema.registry.url"), errstr, n);
    if (!gw->serde) goto fail;
    const struct { const char *topic; zl_val_type_t type; } topics[] = {
        {gw->t_reg, ZL_VAL_REGISTRATION}, {gw->t_obs, ZL_VAL_OBSERVE},
        {gw->t_rep, ZL_VAL_RESPONSE}, {gw->t_req, ZL_VAL_REQUEST}};
    for (int i = 0; i < 4; i++)
        if (zl_serde_register_topic(gw->serde, topics[i].topic, topics[i].type, errstr, n)) goto fail;

    gw->producer = zl_producer_new(conf, gw->metrics, errstr, n);
    if (!gw->producer) goto fail;
    /* Create the four topics up front so consumers (tail, sinks, Streams apps)
     * can subscribe before the first record. Not fatal: a broker that forbids
     * it may still auto-create or have them already. */
    const char *const names[] = {gw->t_reg, gw->t_obs, gw->t_req, gw->t_rep};
    char terr[256];
    if (zl_producer_ensure_topics(gw->producer, names, 4, 10000, terr, sizeof terr))
        ZL_WARN("kafka", "%s; continuing", terr);
    gw->consumer = zl_consumer_new(conf, gw->id, gw->t_req, zl_mgmt_on_message, gw, errstr, n);
    if (!gw->consumer) goto fail;

    zl_coap_ep_cfg_t cc = {
        .host = zl_conf_str(conf, "coap.host"), .port = (int)zl_conf_int(conf, "coap.port"),
        .ack_timeout_ms = (int)zl_conf_int(conf, "coap.ack.timeout.ms"),
        .max_retransmit = (int)zl_conf_int(conf, "coap.max.retransmit"),
        .max_body = (size_t)zl_conf_int(conf, "coap.max.payload"),
        .metrics = gw->metrics, .on_request = on_coap_request, .ctx = gw, .admit = admit_notification};
    gw->coap = zl_coap_ep_new(&cc, &gw->wheel, errstr, n);
    if (!gw->coap) goto fail;
    zl_coap_addr_host(zl_coap_ep_local(gw->coap), gw->local_host, sizeof gw->local_host);
    gw->local_port = zl_coap_addr_port(zl_coap_ep_local(gw->coap));

    zl_gw_reg_restore(gw);
    zl_obs_restore(gw);
    zl_queue_restore(gw);

    gw->epfd = epoll_create1(EPOLL_CLOEXEC);
    gw->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (gw->epfd < 0 || gw->wakefd < 0 || add_fd(gw, zl_coap_ep_fd(gw->coap), EV_COAP) ||
        add_fd(gw, zl_producer_fd(gw->producer), EV_PRODUCER) ||
        add_fd(gw, zl_consumer_fd(gw->consumer), EV_CONSUMER) || add_fd(gw, gw->wakefd, EV_WAKE)) {
        snprintf(errstr, n, "epoll: %s", strerror(errno));
        goto fail;
    }

    int hport = (int)zl_conf_int(conf, "http.port");
    if (hport) {
        gw->http = zl_http_start(zl_conf_str(conf, "http.host"), hport, gw->metrics, errstr, n);
        if (!gw->http) goto fail;
    }
    ZL_INFO("gateway", "'%s' serving CoAP on %s:%d, HTTP on %s:%d, Kafka %s (%s), topics %s %s %s %s",
            gw->id, gw->local_host, gw->local_port, zl_conf_str(conf, "http.host"), hport,
            zl_conf_str(conf, "kafka.bootstrap.servers"), fmt == ZL_FORMAT_JSON ? "json" : "avro",
            gw->t_reg, gw->t_obs, gw->t_req, gw->t_rep);
    return gw;
fail:
    zl_gw_destroy(gw);
    return NULL;
}

int zl_gw_coap_port(const zl_gw_t *gw) { return gw->local_port; }

void zl_gw_stop(zl_gw_t *gw) {
    gw->stop = 1;
    uint64_t one = 1;
    if (write(gw->wakefd, &one, sizeof one) < 0) {
    }
}

int zl_gw_run(zl_gw_t *gw) {
    struct epoll_event evs[8];
    int64_t last_poll = 0;
    while (!gw->stop) {
        int timeout = zl_wheel_timeout(&gw->wheel, zl_now_ms(), 100);
        int n = epoll_wait(gw->epfd, evs, 8, timeout);
        if (n < 0 && errno != EINTR) {
            ZL_ERROR("gateway", "epoll_wait: %s", strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++) {
            switch (evs[i].data.u32) {
            case EV_COAP: zl_coap_ep_read(gw->coap, 16); break;
            case EV_PRODUCER: zl_producer_serve(gw->producer); break;
            case EV_CONSUMER: zl_consumer_serve(gw->consumer, 256); break;
            case EV_WAKE: {
                uint64_t v;
                if (read(gw->wakefd, &v, sizeof v) < 0) {
                }
                break;
            }
            }
        }
        int64_t now = zl_now_ms();
        zl_wheel_run(&gw->wheel, now);
        if (now - last_poll >= 100) { /* belt and braces: serve queues even without a wake-up */
            zl_producer_serve(gw->producer);
            last_poll = now;
        }
        if (zl_store_flush(gw->store)) {
            zl_counter_inc(gw->m.store_errors);
            ZL_ERROR("store", "commit failed: %s", zl_store_errmsg(gw->store));
        }
        zl_coap_ep_flush(gw->coap);
    }
    ZL_INFO("gateway", "stopping");
    return 0;
}

void zl_gw_destroy(zl_gw_t *gw) {
    if (!gw) return;
    if (gw->http) zl_http_stop(gw->http);
    /* Order matters: cancelling CoAP exchanges publishes their answers, whose
     * delivery reports release consumer offsets; so CoAP, then producer flush
     * (serves reports), then the consumer (commits), then the producer. */
    if (gw->coap) zl_coap_ep_destroy(gw->coap);
    if (gw->producer) {
        zl_producer_serve(gw->producer);
        zl_producer_flush(gw->producer, 10000);
    }
    if (gw->consumer) zl_consumer_destroy(gw->consumer);
    if (gw->producer) zl_producer_destroy(gw->producer, 0);
    zl_obs_fini(gw);
    zl_registry_fini(&gw->regs);
    if (gw->store) zl_store_close(gw->store);
    zl_models_destroy(gw->models);
    if (gw->serde) zl_serde_destroy(gw->serde);
    if (gw->metrics) zl_metrics_destroy(gw->metrics);
    if (gw->epfd >= 0) close(gw->epfd);
    if (gw->wakefd >= 0) close(gw->wakefd);
    zl_buf_free(&gw->kbuf);
    zl_buf_free(&gw->vbuf);
    free(gw);
}
