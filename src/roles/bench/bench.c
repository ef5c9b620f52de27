/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos bench`: drives a bench-mode fleet against a running gateway and
 * measures what arrives in Kafka, by consuming the gateway's topics itself.
 *
 *   1. registrations: starts `zeelos device --device-bench` (same binary)
 *      with the device.* options and counts the NEW events of its devices on
 *      topic.registrations (rate between the first and the last one);
 *   2. management: reads of /3/0/0 produced to topic.management.req at
 *      bench.mgmt.rate for bench.mgmt.s, round-robin over the fleet; latency
 *      = response consumed - request produced (both here);
 *   3. observe /3303/0 of every device over Kafka (tickets bo-<i>);
 *   4. notifications for bench.duration.s: every record on
 *      topic.observations carries the device's send time (epoch us, 5700)
 *      and sequence number (5601): per device, gaps count missing and
 *      repeats duplicated (benchstat.c; consume.c reads the records);
 *      latency end to end = the time this process consumed the record -
 *      the send time, and gateway side =
 *      the record's Kafka CreateTime (set by the gateway's producer at
 *      produce(), ms resolution, truncated) - the send time.
 * The gateway's CPU and RSS are sampled every second (bench.gateway.pid).
 * Table to stdout, JSON to bench.out, a progress line on stderr.
 * Wall clocks are shared: devices, gateway and bench run on one host. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "roles/bench/benchstat.h"
#include "roles/bench/bench.h"
#include "roles/bench/bench_int.h"
#include "kafka/ktool.h"
#include "common/array.h"
#include "common/conf.h" /* zl_conf_set on the kafka.* passthrough */
#include "common/clock.h"
#include "common/log.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int64_t wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

typedef struct {
    double t, cpu_pct, rss_mib;
    const char *phase;
} sample_t;

typedef struct {
    const zl_bench_conf_t *conf;
    zl_serde_t *s;
    zl_ktool_t *cons, *prod;
    const char *t_reg, *t_obs, *t_req, *t_rep;
    char prefix[64];
    int count;
    const char *phase;
    int64_t t_start_us;
    zl_buf_t txt, key, val;
    zl_observe_t obs; /* scratch of zl_bench_obs_read */
    long undecodable, foreign;
    /* registrations */
    uint8_t *registered;
    long reg_new, reg_other;
    int64_t reg_first_us, reg_last_us, fleet_start_us;
    /* management */
    int64_t *mgmt_sent_us;
    long mgmt_total, mgmt_sent, mgmt_ok, mgmt_err;
    int64_t mgmt_first_us, mgmt_last_us;
    zl_hist_t mgmt_lat;
    /* observe */
    uint8_t *observed;
    long obs_ok, obs_err;
    /* notifications */
    zl_bench_devs_t *devs;
    zl_seq_stats_t st;
    int64_t win_lo_us, win_hi_us;
    long in_window;
    zl_hist_t e2e, gw;
    /* gateway sampling */
    int gw_pid;
    long clk_tck;
    double last_cpu_s, last_sample_t;
    sample_t *samples;
    int n_samples;
    size_t cap_samples;
    double idle_rss_mib;
} bench_t;

/* ------------------------------------------------------------ sampling */

static int read_proc(int pid, double *cpu_s, double *rss_mib, long tck) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, stt = 0;
    /* after ")": state(3) ... utime(14) stime(15) */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) != 2)
        return -1;
    *cpu_s = (double)(ut + stt) / (double)tck;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (!(f = fopen(path, "r"))) return -1;
    *rss_mib = 0;
    while (fgets(buf, sizeof buf, f))
        if (!strncmp(buf, "VmRSS:", 6)) *rss_mib = strtod(buf + 6, NULL) / 1024.0;
    fclose(f);
    return 0;
}

static void sample(bench_t *b) {
    if (!b->gw_pid) return;
    double t = (double)(wall_us() - b->t_start_us) / 1e6, cpu_s, rss;
    if (read_proc(b->gw_pid, &cpu_s, &rss, b->clk_tck)) return;
    double pct = t > b->last_sample_t ? 100.0 * (cpu_s - b->last_cpu_s) / (t - b->last_sample_t) : 0;
    if (ZL_ARRAY_RESERVE(&b->samples, &b->cap_samples, (size_t)b->n_samples + 1, 256)) return;
    b->samples[b->n_samples++] = (sample_t){t, b->n_samples ? pct : 0, rss, b->phase};
    b->last_cpu_s = cpu_s;
    b->last_sample_t = t;
}

static void phase_cpu(const bench_t *b, const char *phase, double *avg, double *peak_cpu, double *max_rss) {
    double sum = 0;
    int n = 0;
    *avg = *peak_cpu = *max_rss = 0;
    for (int i = 1; i < b->n_samples; i++) {
        if (strcmp(b->samples[i].phase, phase)) continue;
        sum += b->samples[i].cpu_pct;
        n++;
        if (b->samples[i].cpu_pct > *peak_cpu) *peak_cpu = b->samples[i].cpu_pct;
        if (b->samples[i].rss_mib > *max_rss) *max_rss = b->samples[i].rss_mib;
    }
    if (n) *avg = sum / n;
}

/* -------------------------------------------------------------- records */

/* The string value after `"name":"` in text (copied into out), or NULL. */
static const char *json_str_after(const char *text, const char *pat, char *out, size_t n) {
    const char *p = strstr(text, pat);
    if (!p) return NULL;
    p += strlen(pat);
    size_t i = 0;
    while (p[i] && p[i] != '"' && i + 1 < n) out[i] = p[i], i++;
    out[i] = 0;
    return out;
}

/* "<prefix>-<digits>" (len bytes) with index < count, else -1. */
static int dev_index(const bench_t *b, const char *ep, size_t len) {
    size_t pl = strlen(b->prefix);
    if (len <= pl + 1 || len > pl + 10 || strncmp(ep, b->prefix, pl) || ep[pl] != '-') return -1;
    long i = 0;
    for (size_t k = pl + 1; k < len; k++) {
        if (ep[k] < '0' || ep[k] > '9') return -1;
        i = i * 10 + (ep[k] - '0');
    }
    return i < b->count ? (int)i : -1;
}

/* A notification of the fleet: sequence accounting, and the latencies of
 * those sent in the window (consume.c reads the record). */
static void on_observation(bench_t *b, const zl_kmsg_t *m, int64_t now_us) {
    zl_bench_obs_t o;
    int r = zl_bench_obs_read(b->s, &b->obs, m, &o);
    zl_seq_t *seq = NULL;
    if (r < 0) b->undecodable++;
    if (r || dev_index(b, o.ep, o.ep_len) < 0 || !(seq = zl_bench_devs_seq(b->devs, o.ep, o.ep_len))) {
        if (r >= 0) b->foreign++;
        return;
    }
    zl_seq_add(seq, o.seq, &b->st);
    int64_t s = o.send_us;
    if (b->win_lo_us && s >= b->win_lo_us && s < b->win_hi_us) {
        b->in_window++;
        zl_hist_add(&b->e2e, now_us - s);
        int64_t ct = m->timestamp;
        if (ct > 0) zl_hist_add(&b->gw, ct * 1000 - s);
    }
}

static void on_record(void *ctx, const zl_kmsg_t *m) {
    bench_t *b = ctx;
    int64_t now_us = wall_us();
    const char *topic = m->topic;
    char err[256];
    if (!strcmp(topic, b->t_obs)) {
        on_observation(b, m, now_us);
        return;
    }
    /* registrations and management responses: a few per device, read as JSON text */
    zl_buf_reset(&b->txt);
    if (zl_serde_to_json(b->s, m->value, m->value_len, &b->txt, err, sizeof err) || zl_buf_putc(&b->txt, 0)) {
        b->undecodable++;
        return;
    }
    const char *t = (const char *)b->txt.data;
    char ep[96], tk[64];
    if (!strcmp(topic, b->t_reg)) {
        int i = json_str_after(t, "\"ep\":\"", ep, sizeof ep) ? dev_index(b, ep, strlen(ep)) : -1;
        if (i < 0 || !strstr(t, "\"kind\":\"NEW\"")) {
            b->reg_other++;
            return;
        }
        if (b->registered[i]) return; /* re-registration */
        b->registered[i] = 1;
        if (!b->reg_new++) b->reg_first_us = now_us;
        b->reg_last_us = now_us;
    } else if (!strcmp(topic, b->t_rep)) {
        if (!json_str_after(t, "\"ticket\":\"", tk, sizeof tk)) return;
        bool ok = strstr(t, "\"code\":\"CONTENT\"") != NULL;
        char *end;
        if (!strncmp(tk, "bm-", 3)) {
            long k = strtol(tk + 3, &end, 10);
            if (*end || k < 0 || k >= b->mgmt_sent || !b->mgmt_sent_us[k]) return;
            zl_hist_add(&b->mgmt_lat, now_us - b->mgmt_sent_us[k]);
            b->mgmt_sent_us[k] = 0; /* answered */
            if (ok) b->mgmt_ok++;
            else b->mgmt_err++;
            b->mgmt_last_us = now_us;
        } else if (!strncmp(tk, "bo-", 3)) {
            long k = strtol(tk + 3, &end, 10);
            if (*end || k < 0 || k >= b->count || b->observed[k]) return;
            b->observed[k] = 1;
            if (ok) b->obs_ok++;
            else b->obs_err++;
        }
    }
}

/* Consumes for up to wait_ms (at least one poll), services the producer and
 * the sampler, prints progress. */
static void pump(bench_t *b, int wait_ms) {
    static int64_t next_sample, next_progress;
    int64_t end = zl_now_ms() + wait_ms;
    do {
        int got = zl_ktool_consume_batch(b->cons, wait_ms > 0 ? 10 : 0, 4096, on_record, b);
        if (b->prod) zl_ktool_poll(b->prod, 0);
        int64_t now = zl_now_ms();
        if (now >= next_sample) {
            sample(b);
            next_sample = now + 1000;
        }
        if (now >= next_progress) {
            next_progress = now + 1000;
            const sample_t *sm = b->n_samples ? &b->samples[b->n_samples - 1] : NULL;
            fprintf(stderr, "%sbench %-13s %4llds reg %ld/%d mgmt %ld/%ld obs %ld notif %ld "
                    "missing %llu dup %llu gw %.0f%% %.1f MiB%s",
                    isatty(2) ? "\r" : "", b->phase, (long long)((wall_us() - b->t_start_us) / 1000000),
                    b->reg_new, b->count, b->mgmt_ok + b->mgmt_err, b->mgmt_sent, b->obs_ok,
                    (long)b->st.delivered, (unsigned long long)b->st.missing,
                    (unsigned long long)b->st.duplicated, sm ? sm->cpu_pct : 0, sm ? sm->rss_mib : 0,
                    isatty(2) ? "   " : "\n");
        }
        if (!got && wait_ms <= 0) break;
    } while (zl_now_ms() < end && !stop);
}

static int produce_req(bench_t *b, const char *ep, const char *ticket, zl_req_kind_t kind, const char *path) {
    zl_request_t req = {.server_id = (char *)b->conf->topics.id, .ep = (char *)ep,
                        .ticket = (char *)ticket, .path = (char *)path, .kind = kind,
                        .content_format = ZL_ACF_TLV};
    zl_buf_reset(&b->key);
    zl_buf_reset(&b->val);
    if (zl_serde_key(b->s, b->t_req, ep, &b->key) || zl_serde_request(b->s, b->t_req, &req, &b->val)) return -1;
    for (;;) {
        const char *why = NULL;
        zl_err_t e = zl_ktool_produce(b->prod, b->t_req, &b->key, &b->val, NULL, &why);
        if (e == ZL_ERR_FULL && !stop) {
            pump(b, 5);
            continue;
        }
        if (e) ZL_WARN("bench", "produce to %s: %s", b->t_req, why ? why : zl_err2str(e));
        return e ? -1 : 0;
    }
}

static void dev_name(const bench_t *b, int i, char *out, size_t n) {
    unsigned width = 1;
    for (int k = b->count - 1; k >= 10; k /= 10) width++;
    snprintf(out, n, "%.63s-%0*u", b->prefix, (int)(width & 7), (unsigned)i % 1000000u);
}

/* ---------------------------------------------------------------- fleet */

static pid_t start_fleet(bench_t *b, const char *log_path) {
    const zl_bench_fleet_t *c = &b->conf->fleet;
    char cnt[24], ramp[24], nms[24], lt[24], wk[24];
    snprintf(cnt, sizeof cnt, "%d", b->count);
    snprintf(ramp, sizeof ramp, "%d", c->ramp);
    snprintf(nms, sizeof nms, "%d", c->notify_ms);
    snprintf(lt, sizeof lt, "%d", c->lifetime);
    snprintf(wk, sizeof wk, "%d", c->workers);
    const char *argv[32] = {"zeelos", "device", "--server", c->server, "--ep", b->prefix,
                            "--count", cnt, "--device-ramp", ramp, "--device-notify-ms", nms,
                            "--device-lifetime", lt, "--device-workers", wk, "--device-bench",
                            "--log-level", "warn"};
    int n = 19;
    if (*c->bind) {
        argv[n++] = "--device-bind";
        argv[n++] = c->bind;
    }
    if (c->notify_con) argv[n++] = "--device-notify-con";
    if (c->shared_socket) argv[n++] = "--device-shared-socket";
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) dup2(fd, 2);
        execv("/proc/self/exe", (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* "notifications sent N" of the fleet's last status line in its log, -1 if none.
 * With CON notifications a device coalesces state changes made while one is
 * unacknowledged (RFC 7641 §4.5.2), so "missing" sequence numbers are not
 * losses; sent - delivered is. */
static long fleet_sent(const char *log_path) {
    FILE *f = fopen(log_path, "r");
    if (!f) return -1;
    char line[1024];
    long sent = -1;
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "notifications sent ");
        if (p) sent = strtol(p + strlen("notifications sent "), NULL, 10);
    }
    fclose(f);
    return sent;
}

static void stop_fleet(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGINT);
    for (int i = 0; i < 1200; i++) { /* de-registrations: up to 2 min */
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* --------------------------------------------------------------- report */

static json_t *hist_json(const zl_hist_t *h, double scale) {
    return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "count", (json_int_t)h->n,
                     "min", h->n ? (double)h->min / scale : 0.0, "mean", h->n ? h->sum / (double)h->n / scale : 0.0,
                     "p50", (double)zl_hist_quantile(h, 0.50) / scale,
                     "p99", (double)zl_hist_quantile(h, 0.99) / scale,
                     "p99_9", (double)zl_hist_quantile(h, 0.999) / scale, "max", h->n ? (double)h->max / scale : 0.0);
}

static void print_hist(const char *name, const zl_hist_t *h) {
    printf("| %-44s | p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms (n=%llu) |\n", name,
           zl_hist_quantile(h, 0.5) / 1000.0, zl_hist_quantile(h, 0.99) / 1000.0,
           zl_hist_quantile(h, 0.999) / 1000.0, h->n ? h->max / 1000.0 : 0.0, (unsigned long long)h->n);
}

/* ---------------------------------------------------------------- phases */

/* Allocates the per-device state: 0, or the exit status after printing why. */
static int bench_init(bench_t *b, const zl_bench_conf_t *conf) {
    b->conf = conf;
    b->phase = "setup";
    b->t_start_us = wall_us();
    b->count = conf->fleet.count;
    snprintf(b->prefix, sizeof b->prefix, "%s", *conf->fleet.ep ? conf->fleet.ep : "bench");
    b->t_reg = conf->topics.registrations;
    b->t_obs = conf->topics.observations;
    b->t_req = conf->topics.mgmt_req;
    b->t_rep = conf->topics.mgmt_rep;
    b->gw_pid = conf->gateway_pid;
    b->clk_tck = sysconf(_SC_CLK_TCK);
    zl_hist_init(&b->mgmt_lat);
    zl_hist_init(&b->e2e);
    zl_hist_init(&b->gw);
    zl_buf_init(&b->txt, 0);
    zl_buf_init(&b->key, 0);
    zl_buf_init(&b->val, 0);
    b->registered = calloc((size_t)b->count, 1);
    b->observed = calloc((size_t)b->count, 1);
    b->devs = zl_bench_devs_new();
    b->mgmt_total = (long)conf->mgmt_rate * conf->mgmt_s;
    b->mgmt_sent_us = calloc((size_t)(b->mgmt_total + 1), sizeof *b->mgmt_sent_us);
    if (!b->registered || !b->observed || !b->devs || !b->mgmt_sent_us) {
        fprintf(stderr, "zeelos bench: out of memory\n");
        return 1;
    }
    if (b->gw_pid && kill(b->gw_pid, 0) && errno == ESRCH) {
        fprintf(stderr, "zeelos bench: --gateway-pid %d: no such process\n", b->gw_pid);
        return 2;
    }
    return 0;
}

/* Producer, consumer, and every topic assigned at its end: 0 or -1. */
static int bench_connect(bench_t *b) {
    char err[512] = "";
    const zl_kafka_conf_t *kc = &b->conf->kafka;
    if (!(b->s = zl_ktool_serde(kc, err, sizeof err)) ||
        zl_serde_register_topic(b->s, b->t_req, ZL_VAL_REQUEST, err, sizeof err) ||
        !(b->prod = zl_ktool_new(kc->props, ZL_KTOOL_PRODUCER, err, sizeof err)) ||
        /* after the producer, which has no use for the consumer's fetch settings */
        !(b->cons = zl_bench_consumer_new(kc, err, sizeof err))) {
        fprintf(stderr, "zeelos bench: %s\n", err);
        return -1;
    }
    /* every topic at its end before anything happens: nothing is missed */
    const char *topics[] = {b->t_reg, b->t_obs, b->t_rep};
    for (int i = 0; i < 3; i++) {
        zl_err_t e = zl_ktool_assign(b->cons, topics[i], false, 10000, err, sizeof err);
        if (e) {
            fprintf(stderr, "zeelos bench: %s%s\n", err,
                    e == ZL_ERR_NOT_FOUND ? " (is the gateway running with this --gw and --format?)" : "");
            return -1;
        }
    }
    return 0;
}

/* 1. starts the fleet and counts its registrations: 0, or -1 when the fleet
 * could not start or exited (*fleet_pid is then 0 or still to be stopped). */
static int phase_registrations(bench_t *b, pid_t *fleet_pid, const char *log_path) {
    b->phase = "registrations";
    b->fleet_start_us = wall_us();
    *fleet_pid = start_fleet(b, log_path);
    if (*fleet_pid < 0) {
        fprintf(stderr, "zeelos bench: fork: %s\n", strerror(errno));
        *fleet_pid = 0;
        return -1;
    }
    long last = -1;
    int64_t idle_since = zl_now_ms();
    while (!stop && b->reg_new < b->count) {
        pump(b, 200);
        if (b->reg_new != last) last = b->reg_new, idle_since = zl_now_ms();
        if (zl_now_ms() - idle_since > 30000) {
            fprintf(stderr, "\nzeelos bench: registrations stalled at %ld/%d (see %s)\n", b->reg_new,
                    b->count, log_path);
            break;
        }
        if (waitpid(*fleet_pid, NULL, WNOHANG) == *fleet_pid) {
            fprintf(stderr, "\nzeelos bench: the fleet exited (see %s)\n", log_path);
            *fleet_pid = 0;
            return -1;
        }
    }
    return 0;
}

/* 2. management round trips at bench.mgmt.rate. */
static void phase_management(bench_t *b) {
    char ep[96], tk[64];
    long mgmt_rate = b->conf->mgmt_rate;
    b->phase = "management";
    int64_t t0 = zl_now_ms();
    b->mgmt_first_us = wall_us();
    while (!stop && b->mgmt_sent < b->mgmt_total) {
        long due = (long)((zl_now_ms() - t0) * mgmt_rate / 1000) + 1;
        if (due > b->mgmt_total) due = b->mgmt_total;
        while (b->mgmt_sent < due && !stop) {
            dev_name(b, (int)(b->mgmt_sent % b->count), ep, sizeof ep);
            snprintf(tk, sizeof tk, "bm-%ld", b->mgmt_sent);
            b->mgmt_sent_us[b->mgmt_sent] = wall_us();
            if (produce_req(b, ep, tk, ZL_RK_READ, "/3/0/0")) b->mgmt_sent_us[b->mgmt_sent] = 0;
            b->mgmt_sent++;
        }
        pump(b, 0);
    }
    int64_t deadline = zl_now_ms() + 30000;
    while (!stop && b->mgmt_ok + b->mgmt_err < b->mgmt_sent && zl_now_ms() < deadline) pump(b, 100);
}

/* 3. observe /3303/0 everywhere. */
static void phase_observe(bench_t *b) {
    char ep[96], tk[64];
    b->phase = "observe";
    for (int i = 0; i < b->count && !stop; i++) {
        dev_name(b, i, ep, sizeof ep);
        snprintf(tk, sizeof tk, "bo-%d", i);
        produce_req(b, ep, tk, ZL_RK_OBSERVE, "/3303/0");
        if (i % 256 == 0) pump(b, 0);
    }
    int64_t deadline = zl_now_ms() + 60000;
    while (!stop && b->obs_ok + b->obs_err < b->count && zl_now_ms() < deadline) pump(b, 100);
}

/* 4. notifications for bench.duration.s, then the fleet stops and the drain. */
static void phase_notifications(bench_t *b, pid_t *fleet_pid) {
    b->phase = "notifications";
    b->win_lo_us = wall_us();
    b->win_hi_us = b->win_lo_us + (int64_t)b->conf->duration_s * 1000000;
    while (!stop && wall_us() < b->win_hi_us) pump(b, 100);
    /* the fleet stops first, so nothing is in flight when the drain ends and
     * what it says it sent can be held against what arrived */
    if (*fleet_pid > 0) {
        stop_fleet(*fleet_pid);
        *fleet_pid = 0;
    }
    b->phase = "drain";
    int64_t drain_end = zl_now_ms() + b->conf->drain_ms;
    while (!stop && zl_now_ms() < drain_end) pump(b, 100);
}

/* --------------------------------------------------------------- report */

static const char *const phases[] = {"registrations", "management", "observe", "notifications"};

/* The figures of the table and the JSON file. */
typedef struct {
    double reg_rate, reg_all, mgmt_rt, notif_rate, expected;
    double cpu[4], peak[4], rss[4];
    long sent; /* fleet notifications sent, -1 unknown */
    long long undelivered;
} report_t;

static void report_compute(const bench_t *b, const char *log_path, report_t *r) {
    const zl_bench_conf_t *c = b->conf;
    double reg_span = (double)(b->reg_last_us - b->reg_first_us) / 1e6;
    r->reg_rate = b->reg_new > 1 && reg_span > 0 ? (double)(b->reg_new - 1) / reg_span : 0;
    r->reg_all = b->reg_new ? (double)(b->reg_last_us - b->fleet_start_us) / 1e6 : 0;
    double mgmt_span = (double)(b->mgmt_last_us - b->mgmt_first_us) / 1e6;
    r->mgmt_rt = mgmt_span > 0 ? (double)(b->mgmt_ok + b->mgmt_err) / mgmt_span : 0;
    r->notif_rate = (double)b->in_window / c->duration_s;
    r->expected = (double)b->count * c->duration_s * 1000.0 / (double)c->fleet.notify_ms;
    for (int i = 0; i < 4; i++) phase_cpu(b, phases[i], &r->cpu[i], &r->peak[i], &r->rss[i]);
    r->sent = c->start_fleet ? fleet_sent(log_path) : -1;
    r->undelivered = r->sent >= 0 ? (long long)r->sent - (long long)b->st.delivered : -1;
}

static const char *format_name(const bench_t *b) { return b->conf->kafka.format == 1 ? "json" : "avro"; }

static void report_print(const bench_t *b, const report_t *r) {
    const zl_bench_conf_t *c = b->conf;
    int duration = c->duration_s;
    printf("\n| zeelos bench: gateway %s, %d devices, format %s | |\n|---|---|\n", c->topics.id, b->count,
           format_name(b));
    if (c->start_fleet)
        printf("| %-44s | %ld/%d NEW; %.0f/s (first to last); all in %.2f s from fleet start |\n",
               "registrations", b->reg_new, b->count, r->reg_rate, r->reg_all);
    if (b->mgmt_total)
        printf("| %-44s | %ld ok, %ld error of %ld sent at %ld/s target; %.0f round trips/s |\n",
               "management reads /3/0/0", b->mgmt_ok, b->mgmt_err, b->mgmt_sent, (long)c->mgmt_rate,
               r->mgmt_rt);
    if (b->mgmt_total) print_hist("management latency (produce -> response)", &b->mgmt_lat);
    printf("| %-44s | %ld ok, %ld error of %d |\n", "observe /3303/0", b->obs_ok, b->obs_err, b->count);
    printf("| %-44s | %ld in %d s = %.0f/s (expected %.0f/s) |\n", "notifications delivered (sent in window)",
           b->in_window, duration, r->notif_rate, r->expected / duration);
    if (r->sent >= 0)
        printf("| %-44s | %ld sent, %llu delivered, %lld not delivered |\n", "fleet notifications (whole run)",
               r->sent, (unsigned long long)b->st.delivered, r->undelivered);
    printf("| %-44s | %llu delivered, %llu missing, %llu duplicated, %llu late |\n", "sequence accounting (whole run)",
           (unsigned long long)b->st.delivered, (unsigned long long)b->st.missing,
           (unsigned long long)b->st.duplicated, (unsigned long long)b->st.reordered);
    print_hist("latency device send -> consumed by bench", &b->e2e);
    print_hist("latency device send -> Kafka CreateTime (ms)", &b->gw);
    if (b->gw_pid) {
        printf("| %-44s | %.1f MiB |\n", "gateway RSS idle (before the fleet)", b->idle_rss_mib);
        for (int i = 0; i < 4; i++)
            if (r->rss[i] > 0) /* a phase with samples */
            printf("| gateway during %-29s | CPU avg %.0f%% peak %.0f%% of a core; RSS max %.1f MiB |\n",
                   phases[i], r->cpu[i], r->peak[i], r->rss[i]);
    }
    if (b->undecodable || b->foreign)
        printf("| %-44s | %ld undecodable, %ld not from this fleet |\n", "other records", b->undecodable,
               b->foreign);
}

/* Writes the results to bench.out: 0 or -1. */
static int report_json(const bench_t *b, const report_t *r) {
    const zl_bench_conf_t *c = b->conf;
    long mgmt_rate = c->mgmt_rate;
    json_t *j = json_object();
    json_object_set_new(j, "date_utc", json_integer(b->t_start_us / 1000000));
    json_object_set_new(j, "gateway", json_string(c->topics.id));
    json_object_set_new(j, "format", json_string(format_name(b)));
    json_object_set_new(j, "devices", json_integer(b->count));
    json_object_set_new(j, "notify_ms", json_integer(c->fleet.notify_ms));
    json_object_set_new(j, "duration_s", json_integer(c->duration_s));
    json_object_set_new(j, "registrations",
                        json_pack("{s:b,s:I,s:f,s:f}", "measured", (int)c->start_fleet, "count",
                                  (json_int_t)b->reg_new, "per_s", r->reg_rate, "all_registered_s", r->reg_all));
    json_t *mg = json_pack("{s:I,s:I,s:I,s:I,s:f}", "target_per_s", (json_int_t)mgmt_rate, "sent",
                           (json_int_t)b->mgmt_sent, "ok", (json_int_t)b->mgmt_ok, "error",
                           (json_int_t)b->mgmt_err, "round_trips_per_s", r->mgmt_rt);
    json_object_set_new(mg, "latency_ms", hist_json(&b->mgmt_lat, 1000.0));
    json_object_set_new(j, "management", mg);
    json_object_set_new(j, "observe", json_pack("{s:I,s:I}", "ok", (json_int_t)b->obs_ok, "error",
                                                (json_int_t)b->obs_err));
    json_t *no = json_pack("{s:I,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I}", "delivered_in_window",
                           (json_int_t)b->in_window, "per_s", r->notif_rate, "expected_per_s",
                           r->expected / c->duration_s, "delivered", (json_int_t)b->st.delivered, "missing",
                           (json_int_t)b->st.missing, "duplicated", (json_int_t)b->st.duplicated, "late",
                           (json_int_t)b->st.reordered, "undecodable", (json_int_t)b->undecodable,
                           "foreign", (json_int_t)b->foreign);
    if (r->sent >= 0) {
        json_object_set_new(no, "fleet_sent", json_integer(r->sent));
        json_object_set_new(no, "not_delivered", json_integer(r->undelivered));
    }
    json_object_set_new(no, "latency_e2e_ms", hist_json(&b->e2e, 1000.0));
    json_object_set_new(no, "latency_createtime_ms", hist_json(&b->gw, 1000.0));
    json_object_set_new(j, "notifications", no);
    if (b->gw_pid) {
        json_t *g = json_object(), *ser = json_array();
        json_object_set_new(g, "pid", json_integer(b->gw_pid));
        json_object_set_new(g, "idle_rss_mib", json_real(b->idle_rss_mib));
        for (int i = 0; i < 4; i++)
            json_object_set_new(g, phases[i], json_pack("{s:f,s:f,s:f}", "cpu_avg_pct", r->cpu[i],
                                                        "cpu_peak_pct", r->peak[i], "rss_max_mib", r->rss[i]));
        for (int i = 0; i < b->n_samples; i++)
            json_array_append_new(ser, json_pack("{s:f,s:s,s:f,s:f}", "t", b->samples[i].t, "phase",
                                                 b->samples[i].phase, "cpu_pct", b->samples[i].cpu_pct,
                                                 "rss_mib", b->samples[i].rss_mib));
        json_object_set_new(g, "samples", ser);
        json_object_set_new(j, "gateway_process", g);
    }
    int rc = 0;
    if (json_dump_file(j, c->out, JSON_INDENT(1))) {
        fprintf(stderr, "zeelos bench: cannot write %s\n", c->out);
        rc = -1;
    }
    json_decref(j);
    return rc;
}

static void bench_free(bench_t *b) {
    zl_ktool_destroy(b->prod);
    zl_ktool_destroy(b->cons);
    zl_serde_destroy(b->s);
    zl_buf_free(&b->txt);
    zl_buf_free(&b->key);
    zl_buf_free(&b->val);
    free(b->registered);
    free(b->observed);
    zl_bench_devs_free(b->devs);
    zl_observe_free(&b->obs);
    free(b->mgmt_sent_us);
    free(b->samples);
}

int zl_bench_run(const zl_bench_conf_t *conf) {
    static bench_t bb;
    bench_t *b = &bb;
    if (*conf->consume_topic) return zl_bench_consume_only(conf);
    pid_t fleet_pid = 0;
    int rc = bench_init(b, conf);
    if (rc) goto out;
    rc = 1;
    if (bench_connect(b)) goto out;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    pump(b, 1100); /* idle sample(s) */
    if (b->n_samples) b->idle_rss_mib = b->samples[b->n_samples - 1].rss_mib;

    char log_path[600];
    snprintf(log_path, sizeof log_path, "%s%s", *conf->out ? conf->out : "zeelos-bench", ".fleet.log");
    if (conf->start_fleet && phase_registrations(b, &fleet_pid, log_path)) goto out;
    if (b->mgmt_total > 0 && !stop) phase_management(b);
    if (!stop) phase_observe(b);
    if (!stop) phase_notifications(b, &fleet_pid);
    if (isatty(2)) fputc('\n', stderr);
    b->phase = "stop";
    if (fleet_pid > 0) {
        stop_fleet(fleet_pid);
        fleet_pid = 0;
    }
    sample(b);
    rc = 0;

    report_t r;
    report_compute(b, log_path, &r);
    report_print(b, &r);
    if (*conf->out && report_json(b, &r)) rc = 1;
out:
    if (fleet_pid > 0) stop_fleet(fleet_pid);
    bench_free(b);
    return rc;
}
