/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos analytics`, the loop thread's half: jobs and ids at start-up, the
 * HTTP endpoint, the stop signal, and the processor thread's end (proc.c
 * does the work).
 *
 * Why the instance id is kept in a file: the transactional id must be the
 * same after a crash (the new producer fences the old one and aborts its
 * transaction at once) and different between instances of one application
 * running side by side; a random id persisted in the state directory is both
 * without asking the user to number the instances. */
#include "roles/analytics/analytics.h"
#include "roles/analytics/analytics_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kafka/client.h"
#include "http/http.h"
#include "common/log.h"
#include "common/loop.h"

struct zl_analytics {
    const zl_analytics_conf_t *conf;
    zl_metrics_t *metrics;
    zl_loop_t *loop;
    zl_http_t *http;
    an_proc_t *proc;
    char app_id[256], txn_id[400];
    volatile int stopping;
};

/* The instance id kept in dir (created on first use). */
static zl_err_t instance_id(const char *dir, char *out, size_t cap, char *errstr, size_t n) {
    char path[4096];
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(errstr, n, "analytics.state.dir %s: %s", dir, strerror(errno));
        return ZL_ERR_IO;
    }
    snprintf(path, sizeof path, "%s/instance.id", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        bool ok = fgets(out, (int)cap, f) != NULL;
        fclose(f);
        out[strcspn(out, "\r\n")] = '\0';
        if (ok && *out) return ZL_OK;
    }
    unsigned char rnd[8];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && read(fd, rnd, sizeof rnd) == (ssize_t)sizeof rnd;
    if (fd >= 0) close(fd);
    if (!ok || cap < 17) {
        snprintf(errstr, n, "cannot draw an instance id");
        return ZL_ERR_IO;
    }
    for (int i = 0; i < 8; i++) snprintf(out + 2 * i, 3, "%02x", rnd[i]);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!(f = fopen(tmp, "w")) || fprintf(f, "%s\n", out) < 0 || fflush(f) || fsync(fileno(f)) || fclose(f) ||
        rename(tmp, path)) {
        snprintf(errstr, n, "cannot write %s: %s", path, strerror(errno));
        return ZL_ERR_IO;
    }
    return ZL_OK;
}

static void on_proc_done(void *ctx) {
    zl_analytics_t *a = ctx;
    zl_loop_stop(a->loop);
}

static void on_readyz(void *ctx, zl_http_call_t *call) {
    zl_analytics_t *a = ctx;
    int parts = an_proc_partitions(a->proc);
    zl_buf_printf(zl_http_call_reply(call), "{\"application\":\"%s\",\"partitions\":%d}\n", a->app_id, parts);
    zl_http_call_done(call, parts > 0 && !a->stopping ? 200 : 503, "application/json");
}

zl_analytics_t *zl_analytics_new(const zl_analytics_conf_t *conf, char *errstr, size_t n) {
    zl_analytics_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    a->conf = conf;
    an_jobs_t jobs = {0};
    const char *gw = conf->topics.id;
    if (conf->job && *conf->job) {
        if (an_jobs_load(conf->job, gw, &jobs, errstr, n)) goto fail;
    } else if (conf->preset && *conf->preset) {
        if (an_jobs_preset(conf->preset, gw, &jobs, errstr, n)) goto fail;
    } else {
        snprintf(errstr, n, "nothing to run: give --preset max-temp-30s|per-minute or --job FILE");
        goto fail;
    }
    if (conf->kafka.format == 0 && (!conf->kafka.registry_url || !conf->kafka.registry_url[0])) {
        snprintf(errstr, n, "format=avro needs schema.registry.url (or use format=json)");
        goto fail;
    }
    snprintf(a->app_id, sizeof a->app_id, "%s%s", conf->app_id && *conf->app_id ? "" : "zeelos-analytics-",
             conf->app_id && *conf->app_id ? conf->app_id : jobs.jobs[0].name);
    char inst[128];
    if (conf->instance_id && *conf->instance_id) snprintf(inst, sizeof inst, "%s", conf->instance_id);
    else if (instance_id(conf->state_dir, inst, sizeof inst, errstr, n)) goto fail;
    snprintf(a->txn_id, sizeof a->txn_id, "%s-%s", a->app_id, inst);
    if (!(a->metrics = zl_metrics_new()) || !(a->loop = zl_loop_new(&(zl_loop_cfg_t){0}, errstr, n))) {
        if (!a->metrics) snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (conf->print) setvbuf(stdout, NULL, _IOLBF, 0); /* a line per result, also into a pipe or a file */
    if (!(a->proc = an_proc_new(conf, &jobs, a->app_id, a->txn_id, a->metrics, a->loop, on_proc_done, a, errstr, n)))
        goto fail;
    if (conf->port && !(a->http = zl_http_start(conf->host, conf->port, a->metrics, errstr, n))) goto fail;
    if (a->http) zl_http_route_loop(a->http, "/readyz", a->loop, on_readyz, a);
    ZL_INFO("analytics", "metrics on %s:%d, format %s (librdkafka %s)", conf->host, zl_http_port(a->http),
            conf->kafka.format ? "json" : "avro", zl_kafka_version());
    return a;
fail:
    an_jobs_free(&jobs);
    zl_analytics_destroy(a);
    return NULL;
}

int zl_analytics_run(zl_analytics_t *a) {
    char err[256];
    if (an_proc_start(a->proc, err, sizeof err)) {
        ZL_ERROR("analytics", "%s", err);
        return 1;
    }
    zl_err_t e = zl_loop_run(a->loop);
    an_proc_stop(a->proc);
    int status = an_proc_destroy(a->proc); /* joins: the last transaction is committed */
    a->proc = NULL;
    ZL_INFO("analytics", "stopped");
    return e == ZL_OK ? status : 1;
}

void zl_analytics_stop(zl_analytics_t *a) {
    a->stopping = 1;
    if (a->proc) an_proc_stop(a->proc); /* the thread commits, then posts its end to the loop */
}

void zl_analytics_destroy(zl_analytics_t *a) {
    if (!a) return;
    if (a->http) zl_http_stop(a->http);
    if (a->proc) {
        an_proc_stop(a->proc);
        an_proc_destroy(a->proc);
    }
    if (a->loop) zl_loop_destroy(a->loop);
    zl_metrics_destroy(a->metrics);
    free(a);
}
