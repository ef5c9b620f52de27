/* SPDX-License-Identifier: Apache-2.0 */
/* Liveness and readiness, as an orchestrator probes them.
 *
 * /healthz (liveness) answers 200 while the loop turns: each turn stamps a
 * heartbeat, and a loop that has not turned for 10 s (blocked, deadlocked)
 * gets 503, so a supervisor restarts the process.  Kafka being away is NOT a
 * liveness failure: restarting would not bring the broker back.
 * /readyz (readiness) says whether the gateway can do its whole job: the loop
 * turns, the Kafka cluster is reachable (broker connections in state UP per
 * librdkafka's statistics) and the management consumer holds its partitions;
 * 503 with the same JSON otherwise.  The spool slot reports the on-disk
 * spool's state once a spool is configured.
 *
 * Both are served on libmicrohttpd's threads and only read atomics the loop
 * thread writes (heartbeat each turn, the rest on the 100 ms serve timer), so
 * a blocked loop cannot block its own health check. */
#include <stdio.h>
#include <string.h>

#include "roles/gateway/gw_int.h"
#include "common/clock.h"

#define LOOP_STALL_MS 10000

static const char *const consumer_states[] = {"up", "joining", "restarting"};

void zl_gw_health_beat(void *ctx) {
    zl_gw_t *gw = ctx;
    atomic_store(&gw->health.beat_ms, zl_now_ms());
}

void zl_gw_health_sample(zl_gw_t *gw) {
    zl_gw_health_t *h = &gw->health;
    int up = zl_consumer_brokers_up(gw->consumer);
    atomic_store(&h->brokers_up, up);
    zl_gauge_set(gw->m.brokers_up, up);
    const char *cs = zl_consumer_state(gw->consumer);
    int ci = 2;
    for (int i = 0; i < 3; i++)
        if (!strcmp(cs, consumer_states[i])) ci = i;
    atomic_store(&h->consumer, ci);
    if (h->spool_state) atomic_store(&h->spool, h->spool_state(h->spool_ctx));
}

static int64_t stalled_ms(const zl_gw_health_t *h) {
    int64_t beat = atomic_load(&h->beat_ms);
    return beat ? zl_now_ms() - beat : 0;
}

/* GET /healthz, on an HTTP thread. */
static int on_healthz(void *ctx, const char *method, const char *url, const char *req_body, size_t req_len,
                      zl_buf_t *body, const char **content_type) {
    zl_gw_t *gw = ctx;
    (void)method, (void)url, (void)req_body, (void)req_len;
    *content_type = "text/plain; charset=utf-8";
    int64_t st = stalled_ms(&gw->health);
    if (st >= LOOP_STALL_MS) {
        zl_buf_printf(body, "loop stalled: no turn for %lld ms\n", (long long)st);
        return 503;
    }
    zl_buf_printf(body, "ok\n");
    return 200;
}

/* GET /readyz, on an HTTP thread. */
static int on_readyz(void *ctx, const char *method, const char *url, const char *req_body, size_t req_len,
                     zl_buf_t *body, const char **content_type) {
    zl_gw_t *gw = ctx;
    zl_gw_health_t *h = &gw->health;
    (void)method, (void)url, (void)req_body, (void)req_len;
    *content_type = "application/json";
    int64_t st = stalled_ms(h);
    int brokers = atomic_load(&h->brokers_up), ci = atomic_load(&h->consumer), sp = atomic_load(&h->spool);
    const char *broker = brokers < 0 ? "unknown" : brokers > 0 ? "up" : "down";
    const char *spool = sp < 0 ? "off" : sp == 0 ? "ok" : sp == 1 ? "spooling" : "full";
    bool loop_ok = st < LOOP_STALL_MS;
    bool ready = loop_ok && brokers > 0 && ci == 0 && sp != 2;
    zl_buf_printf(body, "{\"ready\":%s,\"loop\":\"%s\",\"broker\":\"%s\",\"consumer\":\"%s\",\"spool\":\"%s\"}\n",
                  ready ? "true" : "false", loop_ok ? "ok" : "stalled", broker, consumer_states[ci], spool);
    return ready ? 200 : 503;
}

void zl_gw_health_init(zl_gw_t *gw) {
    atomic_store(&gw->health.beat_ms, zl_now_ms());
    atomic_store(&gw->health.brokers_up, -1);
    atomic_store(&gw->health.consumer, 1);
    atomic_store(&gw->health.spool, -1);
}

void zl_gw_health_routes(zl_gw_t *gw) {
    zl_http_route(gw->http, "/healthz", on_healthz, gw);
    zl_http_route(gw->http, "/readyz", on_readyz, gw);
}
