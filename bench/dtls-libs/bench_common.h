/* bench_common.h -- shared harness for bench_openssl.c and bench_mbedtls.c.
 * Why: the DTLS library choice must be made on the library's own CPU and
 * memory cost, not on kernel/UDP noise.  Both programs therefore run client
 * and server in ONE thread over these in-memory datagram queues (a packet is
 * a whole datagram, a full queue drops it like UDP would), and both use the
 * exact same timing/reporting code so the numbers are comparable. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <malloc.h>

#define DGQ_N 64
#define DGQ_MAX 2048
typedef struct { unsigned char d[DGQ_N][DGQ_MAX]; int len[DGQ_N]; int head, count; } dgq_t;
static dgq_t q_c2s, q_s2c;                 /* client->server, server->client */
typedef struct { dgq_t *rx, *tx; } end_t;  /* one endpoint's view */
static end_t CLI_END = { &q_s2c, &q_c2s }, SRV_END = { &q_c2s, &q_s2c };

static void dgq_reset(void) { q_c2s.head = q_c2s.count = q_s2c.head = q_s2c.count = 0; }
static long g_hvr;           /* HelloVerifyRequests seen: proves cookie exchange ran */
static int dgq_push(dgq_t *q, const unsigned char *p, size_t n)
{
    if (n > 13 && p[0] == 22 && p[13] == 3) g_hvr++;   /* handshake rec, HVR msg */
    if (q->count == DGQ_N || n > DGQ_MAX) return 0;   /* dropped, like UDP */
    int i = (q->head + q->count) % DGQ_N;
    memcpy(q->d[i], p, n); q->len[i] = (int)n; q->count++;
    return 1;
}
static int dgq_pop(dgq_t *q, unsigned char *p, size_t cap)
{
    if (!q->count) return -1;
    int n = q->len[q->head];
    if ((size_t)n > cap) n = (int)cap;             /* truncation, like recv() */
    memcpy(p, q->d[q->head], n);
    q->head = (q->head + 1) % DGQ_N; q->count--;
    return n;
}

static double now_s(clockid_t c)
{
    struct timespec t; clock_gettime(c, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
#define WALL() now_s(CLOCK_MONOTONIC)
#define TCPU() now_s(CLOCK_THREAD_CPUTIME_ID)

/* Bytes currently malloc'd (arena + mmap'd chunks). */
static size_t heap_used(void) { struct mallinfo2 m = mallinfo2(); return m.uordblks + m.hblkhd; }

static double g_srv_cpu;     /* accumulated server-side thread CPU seconds */
static double bench_secs = 1.0;
static const char *g_lib = "?";

static void report(const char *metric, double v, const char *unit)
{
    printf("RESULT %s %s %.3f %s\n", g_lib, metric, v, unit);
    fflush(stdout);
}

/* Run one handshake scenario for >= bench_secs (and >= 20 iterations).
 * f() returns 0 on success and adds server-side CPU to g_srv_cpu itself. */
typedef int (*hs_fn)(void *arg);
static void run_hs(const char *name, hs_fn f, void *arg)
{
    char m[128];
    for (int i = 0; i < 5; i++)
        if (f(arg)) { fprintf(stderr, "%s %s: handshake failed\n", g_lib, name); exit(1); }
    g_srv_cpu = 0; g_hvr = 0;
    long n = 0; double w0 = WALL(), c0 = TCPU(), w;
    do {
        if (f(arg)) { fprintf(stderr, "%s %s: handshake failed\n", g_lib, name); exit(1); }
        n++; w = WALL() - w0;
    } while (w < bench_secs || n < 20);
    double cpu = TCPU() - c0;
    if (g_hvr < n) { fprintf(stderr, "%s %s: only %ld HVR for %ld hs\n", g_lib, name, g_hvr, n); exit(1); }
    snprintf(m, sizeof m, "%s.server_cpu_us", name);   report(m, g_srv_cpu / n * 1e6, "us/hs");
    snprintf(m, sizeof m, "%s.server_hs_per_core", name); report(m, n / g_srv_cpu, "hs/s");
    snprintf(m, sizeof m, "%s.total_cpu_us", name);    report(m, cpu / n * 1e6, "us/hs");
    snprintf(m, sizeof m, "%s.total_hs_per_core", name); report(m, n / cpu, "hs/s");
    snprintf(m, sizeof m, "%s.total_hs_s_wall", name); report(m, n / w, "hs/s");
}

static void report_mem(const char *name, size_t before, size_t after, int n)
{
    char m[128];
    double per = ((double)after - (double)before) / n;
    snprintf(m, sizeof m, "%s.bytes_per_session", name); report(m, per, "B");
    snprintf(m, sizeof m, "%s.MB_for_100k", name);       report(m, per * 100000 / 1e6, "MB");
}

static const unsigned char PSK[16] = { 0x0b, 0x1e, 0x2a, 0x3c, 0x4d, 0x5f, 0x60, 0x71,
                                       0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8, 0xf9 };
static const char *PSK_ID = "urn:imei:490154203237518";
static unsigned char NOTIF[64] = "notify /3303/0/5700 23.5C (64-byte LwM2M-ish payload)";
#define MEM_SESSIONS 1000
#endif
