/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos console`, the loop thread's half: start-up (users, models, the
 * Kafka thread, HTTP with or without TLS), the one-time login when nobody
 * can log in otherwise, readiness, and the orderly stop (HTTP first, so no
 * handler runs on a state being torn down). */
#include "roles/console/console.h"
#include "roles/console/console_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kafka/client.h"
#include "common/clock.h"
#include "common/log.h"

#define ONE_TIME_TTL_MS (15 * 60 * 1000)

struct zl_console {
    const zl_console_conf_t *conf;
    zl_metrics_t *metrics;
    zl_loop_t *loop;
    zl_http_t *http;
    cn_state_t *state;
    cn_kafka_t *kafka;
    zl_auth_t *auth;
    zl_models_t *models;
    cn_api_t api;
    char users_file[4096];
};

static void on_readyz(void *ctx, zl_http_call_t *call) {
    zl_console_t *c = ctx;
    bool ready = cn_state_ready(c->state);
    zl_buf_printf(zl_http_call_reply(call), "{\"ready\":%s,\"pendingRequests\":%zu}\n", ready ? "true" : "false",
                  cn_state_pending_count(c->state));
    zl_http_call_done(call, ready ? 200 : 503, "application/json");
}

static void print_login(zl_console_t *c) {
    char token[128], base[512];
    if (zl_auth_one_time(c->auth, ONE_TIME_TTL_MS, token, sizeof token)) {
        ZL_ERROR("console", "cannot create a one-time login");
        return;
    }
    const zl_console_conf_t *conf = c->conf;
    if (conf->public_url && *conf->public_url) {
        snprintf(base, sizeof base, "%s", conf->public_url);
        size_t l = strlen(base);
        if (l && base[l - 1] == '/') base[l - 1] = '\0';
    } else {
        const char *h = !strcmp(conf->host, "0.0.0.0") || !*conf->host ? "127.0.0.1" : conf->host;
        snprintf(base, sizeof base, "%s://%s:%d", c->api.tls ? "https" : "http", h, zl_http_port(c->http));
    }
    /* stdout on purpose: the token is a secret for whoever started the process, not for the logs */
    printf("console: one-time login: %s/#otl=%s\n", base, token);
    ZL_INFO("console", "the one-time login printed on stdout is an admin login, valid once, for 15 minutes");
    fflush(stdout);
}

zl_console_t *zl_console_new(const zl_console_conf_t *conf, char *errstr, size_t n) {
    zl_console_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    c->conf = conf;
    if (conf->kafka.format == 0 && (!conf->kafka.registry_url || !conf->kafka.registry_url[0])) {
        snprintf(errstr, n, "format=avro needs schema.registry.url (or use format=json)");
        goto fail;
    }
    if ((*conf->tls_cert != '\0') != (*conf->tls_key != '\0')) {
        snprintf(errstr, n, "console.tls.cert and console.tls.key go together: give both or neither");
        goto fail;
    }
    if (mkdir(conf->state_dir, 0700) && errno != EEXIST) {
        snprintf(errstr, n, "console.state.dir %s: %s", conf->state_dir, strerror(errno));
        goto fail;
    }
    snprintf(c->users_file, sizeof c->users_file, "%s", *conf->users_file ? conf->users_file : "");
    if (!*c->users_file) snprintf(c->users_file, sizeof c->users_file, "%s/users", conf->state_dir);
    zl_auth_conf_t ac = {.users_file = c->users_file, .tokens_file = conf->tokens_file,
                         .session_ttl_ms = conf->session_ttl_ms, .session_idle_ms = conf->session_idle_ms};
    if (!(c->auth = zl_auth_new(&ac, errstr, n))) goto fail;
    if (!(c->models = zl_models_new())) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (*conf->models_dir && zl_models_load_dir(c->models, conf->models_dir, errstr, n)) goto fail;
    if (!(c->metrics = zl_metrics_new()) || !(c->loop = zl_loop_new(&(zl_loop_cfg_t){0}, errstr, n))) {
        if (!c->metrics) snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (!(c->state = cn_state_new(conf, c->loop, c->metrics))) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (!(c->kafka = cn_kafka_new(conf, c->metrics, c->loop, cn_state_record, c->state, errstr, n))) goto fail;
    c->api = (cn_api_t){.conf = conf, .state = c->state, .kafka = c->kafka, .auth = c->auth, .models = c->models,
                        .tls = *conf->tls_cert != '\0'};
    c->api.c_requests = zl_metrics_counter(c->metrics, "zeelos_console_requests_total", NULL,
                                           "Management requests sent through the API.");
    c->api.c_denied = zl_metrics_counter(c->metrics, "zeelos_console_denied_total", NULL,
                                         "API calls refused: not logged in, wrong CSRF token, role, failed login.");
    c->http = c->api.tls ? zl_http_start_tls(conf->host, conf->port, c->metrics, conf->tls_cert, conf->tls_key,
                                             errstr, n)
                         : zl_http_start(conf->host, conf->port, c->metrics, errstr, n);
    if (!c->http) goto fail;
    zl_http_route_loop(c->http, "/readyz", c->loop, on_readyz, c);
    zl_http_route_loop(c->http, "/api/", c->loop, cn_api_handle, &c->api);
    zl_http_route_call(c->http, "/api/session", cn_api_session, &c->api);
    zl_http_route_call(c->http, "/", cn_api_static, &c->api);
    printf("console: listening on %s://%s:%d (gateways: %s)\n", c->api.tls ? "https" : "http", conf->host,
           zl_http_port(c->http), *conf->gateways ? conf->gateways : "all found");
    fflush(stdout);
    if (conf->one_time_login || zl_auth_principals(c->auth) == 0) {
        if (!zl_auth_principals(c->auth))
            ZL_WARN("console", "no user in %s and no token: printing a one-time login (add users with "
                               "`zeelos console-user add NAME`)", c->users_file);
        print_login(c);
    }
    return c;
fail:
    zl_console_destroy(c);
    return NULL;
}

int zl_console_run(zl_console_t *c) {
    char err[256];
    if (cn_kafka_start(c->kafka, err, sizeof err)) {
        ZL_ERROR("console", "%s", err);
        return 1;
    }
    zl_err_t e = zl_loop_run(c->loop);
    ZL_INFO("console", "stopped");
    return e == ZL_OK ? 0 : 1;
}

void zl_console_stop(zl_console_t *c) { zl_loop_stop(c->loop); }

void zl_console_destroy(zl_console_t *c) {
    if (!c) return;
    if (c->state) cn_state_streams_close(c->state);
    if (c->http) zl_http_stop(c->http);
    cn_kafka_destroy(c->kafka);
    if (c->state) cn_state_shutdown(c->state);
    if (c->loop) zl_loop_destroy(c->loop); /* runs what is still posted: dropped by the closed state */
    cn_state_destroy(c->state);
    zl_models_destroy(c->models);
    zl_auth_destroy(c->auth);
    zl_metrics_destroy(c->metrics);
    free(c);
}
