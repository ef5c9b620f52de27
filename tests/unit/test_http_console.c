/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP additions the console needs, over real sockets (libcurl): request
 * headers, cookies and the peer address in a call, response headers (two
 * Set-Cookie) and nosniff on every answer, connection-thread call routes,
 * Server-Sent Events streams (writes in order, on_close when the client
 * leaves, the owner closing, zl_http_stop with a stream open, ZL_ERR_FULL
 * for a client that stops reading, the keepalive comment) and HTTPS (a
 * request and a stream) with a self-signed certificate made by openssl. */
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/loop.h"
#include "http/http.h"
#include "test.h"

/* ---- a client ---- */

typedef struct {
    long status;
    CURLcode rc;
    zl_buf_t body, hdrs;
    const char *stop_at; /* abort the transfer once the body holds this */
} resp_t;

static size_t on_data(char *p, size_t sz, size_t n, void *ud) {
    resp_t *r = ud;
    if (zl_buf_append(&r->body, p, sz * n) != ZL_OK) return 0;
    if (r->stop_at && strstr(zl_buf_cstr(&r->body), r->stop_at)) return 0; /* hang up */
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
    resp_t *r = ud;
    return zl_buf_append(&r->hdrs, p, sz * n) == ZL_OK ? sz * n : 0;
}

/* headers: NULL-terminated "Name: value" lines to send. */
static void fetch_ex(const char *scheme, int port, const char *method, const char *path, const char *body,
                     const char *const *headers, long timeout_s, resp_t *r) {
    char url[256];
    snprintf(url, sizeof url, "%s://127.0.0.1:%d%s", scheme, port, path);
    const char *stop_at = r->stop_at;
    memset(r, 0, sizeof *r);
    r->stop_at = stop_at;
    zl_buf_init(&r->body, 0);
    zl_buf_init(&r->hdrs, 0);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    struct curl_slist *hl = NULL;
    for (; headers && *headers; headers++) hl = curl_slist_append(hl, *headers);
    if (hl) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    r->rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    zl_buf_cstr(&r->body);
    zl_buf_cstr(&r->hdrs);
    curl_easy_cleanup(c);
}

static void fetch(int port, const char *method, const char *path, const char *body, resp_t *r) {
    r->stop_at = NULL;
    fetch_ex("http", port, method, path, body, NULL, 10, r);
}

static void resp_free(resp_t *r) {
    zl_buf_free(&r->body);
    zl_buf_free(&r->hdrs);
}

static int count_of(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* ---- the loop, and what its handlers tell the main thread ---- */

typedef struct {
    zl_loop_t *loop;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    zl_http_stream_t *stream; /* the last stream a handler opened */
    int closes;               /* on_close calls */
    int wrong_thread;
    int full;                 /* test_full: 1 = ZL_ERR_FULL seen, -1 = never */
    size_t queued;
} env_t;

static env_t env = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* CHECK for handlers (loop and connection threads): the harness's counters
 * are the main thread's, so failures are counted here and checked at the end. */
static int thread_fails;
#define TCHECK(cond) do { if (!(cond)) { pthread_mutex_lock(&env.mu); thread_fails++; \
    pthread_mutex_unlock(&env.mu); fprintf(stderr, "%s:%d: TCHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

static void *loop_main(void *arg) {
    (void)arg;
    zl_loop_run(env.loop);
    return NULL;
}

/* Waits until *field != 0 (or 10 s); returns its value. */
static long wait_for(void *const *ptr, const int *num) {
    int64_t until = zl_now_ms() + 10000;
    pthread_mutex_lock(&env.mu);
    while ((ptr ? *ptr == NULL : *num == 0) && zl_now_ms() < until) {
        pthread_mutex_unlock(&env.mu);
        usleep(5000);
        pthread_mutex_lock(&env.mu);
    }
    long v = ptr ? (*ptr != NULL) : *num;
    pthread_mutex_unlock(&env.mu);
    return v;
}

static void on_close(void *ctx, zl_http_stream_t *s) {
    (void)ctx;
    pthread_mutex_lock(&env.mu);
    if (!pthread_equal(pthread_self(), env.thread)) env.wrong_thread++;
    if (s == env.stream) env.stream = NULL;
    env.closes++;
    pthread_mutex_unlock(&env.mu);
}

/* GET /events: a stream, with a header of the handler's own. */
static void on_events(void *ctx, zl_http_call_t *call) {
    (void)ctx;
    TCHECK(zl_http_call_set_header(call, "X-Stream", "yes") == ZL_OK);
    zl_http_stream_t *s = zl_http_call_stream(call, NULL, on_close, NULL);
    TCHECK(s != NULL);
    pthread_mutex_lock(&env.mu);
    env.stream = s;
    pthread_mutex_unlock(&env.mu);
}

/* GET /h: echoes headers, a cookie and the peer; answers two cookies. */
static void on_headers(void *ctx, zl_http_call_t *call) {
    (void)ctx;
    const char *x = zl_http_call_header(call, "x-test"), *sid = zl_http_call_cookie(call, "sid");
    zl_buf_printf(zl_http_call_reply(call), "%s|%s|%s|%s|%s", x ? x : "-", sid ? sid : "-",
                  zl_http_call_peer(call), zl_http_call_header(call, "X-Absent") ? "present" : "absent",
                  zl_http_call_header(call, "HOST") ? "host" : "no-host");
    TCHECK(zl_http_call_set_header(call, "Set-Cookie", "a=1; HttpOnly") == ZL_OK);
    TCHECK(zl_http_call_set_header(call, "Set-Cookie", "b=2; Secure") == ZL_OK);
    TCHECK(zl_http_call_set_header(call, "Bad Name", "x") == ZL_ERR_INVALID);
    TCHECK(zl_http_call_set_header(call, "X-Split", "a\r\nInjected: 1") == ZL_ERR_INVALID);
    TCHECK(zl_http_call_set_header(call, "content-length", "3") == ZL_ERR_INVALID);
    zl_http_call_done(call, 200, "text/plain");
}

/* ---- headers in and out, nosniff everywhere ---- */

static void test_headers(int port) {
    resp_t r = {0};
    const char *hdrs[] = {"X-Test: hello there", "Cookie: theme=dark; sid=s3cr3t", NULL};
    fetch_ex("http", port, "GET", "/h", NULL, hdrs, 10, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR((char *)r.body.data, "hello there|s3cr3t|127.0.0.1|absent|host");
    CHECK(strstr((char *)r.hdrs.data, "Set-Cookie: a=1; HttpOnly\r\n") != NULL);
    CHECK(strstr((char *)r.hdrs.data, "Set-Cookie: b=2; Secure\r\n") != NULL);
    CHECK(strstr((char *)r.hdrs.data, "X-Content-Type-Options: nosniff\r\n") != NULL);
    CHECK(strstr((char *)r.hdrs.data, "Content-Type: text/plain\r\n") != NULL);
    CHECK(strstr((char *)r.hdrs.data, "Injected") == NULL);
    resp_free(&r);

    /* the server's own answers: /metrics, /healthz, 404, 405 */
    const char *paths[][2] = {{"GET", "/metrics"}, {"GET", "/healthz"}, {"GET", "/nope"}, {"POST", "/metrics"}};
    const long want[] = {200, 200, 404, 405};
    for (int i = 0; i < 4; i++) {
        fetch(port, paths[i][0], paths[i][1], NULL, &r);
        CHECK_EQ_INT(r.status, want[i]);
        CHECK_EQ_INT(count_of((char *)r.hdrs.data, "X-Content-Type-Options: nosniff\r\n"), 1);
        resp_free(&r);
    }
    fetch(port, "GET", "/nope", NULL, &r);
    CHECK_STR((char *)r.body.data, "{\"code\":\"not_found\",\"message\":\"not found\"}");
    resp_free(&r);
}

/* ---- call routes: the handler runs on the connection's thread ---- */

static zl_http_call_t *forgotten;

static void on_call(void *ctx, zl_http_call_t *call) {
    (void)ctx;
    TCHECK(!pthread_equal(pthread_self(), env.thread)); /* not on the loop */
    if (!strcmp(zl_http_call_url(call), "/c/forget")) { /* returns without completing: 500 */
        pthread_mutex_lock(&env.mu);
        forgotten = call;
        pthread_mutex_unlock(&env.mu);
        return;
    }
    const char *a = zl_http_call_arg(call, "q");
    zl_buf_printf(zl_http_call_reply(call), "%s %s %s q=%s %s %s", zl_http_call_method(call),
                  zl_http_call_url(call), zl_http_call_body(call, NULL), a ? a : "-",
                  zl_http_call_header(call, "x-who"), zl_http_call_peer(call));
    TCHECK(zl_http_call_set_header(call, "Content-Type", "text/html; charset=utf-8") == ZL_OK);
    TCHECK(zl_http_call_set_header(call, "Set-Cookie", "sid=1") == ZL_OK);
    zl_http_call_done(call, 201, "ignored/because-set");
}

static void test_call_route(int port) {
    resp_t r = {0};
    const char *hdrs[] = {"X-Who: me", NULL};
    fetch_ex("http", port, "POST", "/c/login?q=1", "pw", hdrs, 10, &r);
    CHECK_EQ_INT(r.status, 201);
    CHECK_STR((char *)r.body.data, "POST /c/login pw q=1 me 127.0.0.1");
    CHECK(strstr((char *)r.hdrs.data, "Content-Type: text/html; charset=utf-8\r\n") != NULL);
    CHECK(strstr((char *)r.hdrs.data, "ignored") == NULL);
    CHECK(strstr((char *)r.hdrs.data, "Set-Cookie: sid=1\r\n") != NULL);
    CHECK(strstr((char *)r.hdrs.data, "X-Content-Type-Options: nosniff\r\n") != NULL);
    resp_free(&r);

    fetch(port, "GET", "/c/forget", NULL, &r);
    CHECK_EQ_INT(r.status, 500);
    resp_free(&r);
    pthread_mutex_lock(&env.mu);
    zl_http_call_t *late = forgotten;
    forgotten = NULL;
    pthread_mutex_unlock(&env.mu);
    if (GUARD(late)) zl_http_call_done(late, 200, NULL); /* late: discarded, freed */
}

/* ---- streams ---- */

typedef struct {
    const char *text;
    bool close_after;
} write_t;

static void do_write(void *ctx) {
    write_t *w = ctx;
    pthread_mutex_lock(&env.mu);
    zl_http_stream_t *s = env.stream;
    if (s && w->close_after) env.stream = NULL;
    pthread_mutex_unlock(&env.mu);
    if (!s) return;
    TCHECK(zl_http_stream_write(s, w->text, strlen(w->text)) == ZL_OK);
    if (w->close_after) zl_http_stream_close(s);
}

typedef struct {
    int port;
    const char *stop_at;
    long timeout_s;
    resp_t r;
} client_t;

static void *client_main(void *arg) {
    client_t *c = arg;
    c->r.stop_at = c->stop_at;
    fetch_ex("http", c->port, "GET", "/events", NULL, NULL, c->timeout_s, &c->r);
    return NULL;
}

static void test_stream(int port) {
    /* the client hangs up after the third event: on_close follows */
    client_t cl = {.port = port, .stop_at = "data: 3\n\n", .timeout_s = 10};
    pthread_t t;
    pthread_create(&t, NULL, client_main, &cl);
    CHECK(wait_for((void *const *)&env.stream, NULL));
    static write_t w[] = {{"data: 1\n\n", false}, {"data: 2\n\n", false}, {"data: 3\n\n", false}};
    for (int i = 0; i < 3; i++) CHECK(zl_loop_post(env.loop, do_write, &w[i]) == ZL_OK);
    pthread_join(t, NULL);
    CHECK_EQ_INT(cl.r.status, 200);
    CHECK_STR((char *)cl.r.body.data, "data: 1\n\ndata: 2\n\ndata: 3\n\n");
    const char *h = (const char *)cl.r.hdrs.data;
    CHECK(strstr(h, "Content-Type: text/event-stream\r\n") != NULL);
    CHECK(strstr(h, "Cache-Control: no-cache\r\n") != NULL);
    CHECK(strstr(h, "X-Accel-Buffering: no\r\n") != NULL);
    CHECK(strstr(h, "X-Content-Type-Options: nosniff\r\n") != NULL);
    CHECK(strstr(h, "X-Stream: yes\r\n") != NULL);
    resp_free(&cl.r);
    CHECK_EQ_INT(wait_for(NULL, &env.closes), 1);

    /* the owner ends the stream: the client sees a complete response, and
     * on_close does not run */
    client_t c2 = {.port = port, .timeout_s = 10};
    pthread_create(&t, NULL, client_main, &c2);
    CHECK(wait_for((void *const *)&env.stream, NULL));
    static write_t bye = {"data: bye\n\n", true};
    CHECK(zl_loop_post(env.loop, do_write, &bye) == ZL_OK);
    pthread_join(t, NULL);
    CHECK_EQ_INT(c2.r.rc, CURLE_OK);
    CHECK_STR((char *)c2.r.body.data, "data: bye\n\n");
    resp_free(&c2.r);
    usleep(200 * 1000);
    pthread_mutex_lock(&env.mu);
    CHECK_EQ_INT(env.closes, 1);
    env.closes = 0;
    pthread_mutex_unlock(&env.mu);
}

/* Loop thread: writes until the stream says FULL several times running
 * (the client takes nothing), at most 64 MiB. */
static void fill(void *ctx) {
    (void)ctx;
    static char chunk[64 * 1024];
    memset(chunk, 'x', sizeof chunk);
    zl_http_stream_t *s = env.stream;
    int full_run = 0;
    size_t queued = 0;
    while (s && queued < (64u << 20) && full_run < 10) {
        zl_err_t e = zl_http_stream_write(s, chunk, sizeof chunk);
        if (e == ZL_ERR_FULL) {
            full_run++;
            usleep(50 * 1000); /* a reading client would drain meanwhile */
        } else {
            TCHECK(e == ZL_OK);
            if (e) break;
            full_run = 0;
            queued += sizeof chunk;
        }
    }
    pthread_mutex_lock(&env.mu);
    env.queued = queued;
    env.full = full_run >= 10 ? 1 : -1;
    pthread_mutex_unlock(&env.mu);
}

static void test_full(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    const char req[] = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(send(fd, req, sizeof req - 1, 0) == (ssize_t)(sizeof req - 1));
    CHECK(wait_for((void *const *)&env.stream, NULL));
    CHECK(zl_loop_post(env.loop, fill, NULL) == ZL_OK); /* and never read */
    CHECK_EQ_INT(wait_for(NULL, &env.full), 1);
    CHECK(env.queued >= (1u << 20) - (64u << 10)); /* at least the buffer's worth went in */
    close(fd); /* the client leaves: on_close */
    CHECK_EQ_INT(wait_for(NULL, &env.closes), 1);
    pthread_mutex_lock(&env.mu);
    env.closes = 0;
    pthread_mutex_unlock(&env.mu);
}

/* zl_http_stop with a stream open: returns at once, the client is cut off,
 * on_close reaches the loop. */
static void test_stop_with_stream(void) {
    char err[256];
    zl_http_t *h = zl_http_start("127.0.0.1", -1, NULL, err, sizeof err);
    if (!GUARD(h)) return;
    zl_http_route_loop(h, "/events", env.loop, on_events, NULL);
    client_t cl = {.port = zl_http_port(h), .timeout_s = 30};
    pthread_t t;
    pthread_create(&t, NULL, client_main, &cl);
    CHECK(wait_for((void *const *)&env.stream, NULL));
    static write_t w = {"data: x\n\n", false};
    CHECK(zl_loop_post(env.loop, do_write, &w) == ZL_OK);
    usleep(100 * 1000);
    int64_t t0 = zl_now_ms();
    zl_http_stop(h);
    int64_t took = zl_now_ms() - t0;
    CHECK(took < 2000);
    pthread_join(t, NULL);
    CHECK_STR((char *)cl.r.body.data, "data: x\n\n");
    resp_free(&cl.r);
    CHECK_EQ_INT(wait_for(NULL, &env.closes), 1);
    pthread_mutex_lock(&env.mu);
    env.closes = 0;
    pthread_mutex_unlock(&env.mu);
}

/* A stream with nothing to say gets ": keepalive" after 15 s (runs beside
 * the other tests). */
static client_t keep = {.stop_at = ": keepalive\n\n", .timeout_s = 25};

static void *keep_main(void *arg) {
    client_t *c = arg;
    c->r.stop_at = c->stop_at;
    fetch_ex("http", c->port, "GET", "/quiet", NULL, NULL, c->timeout_s, &c->r);
    return NULL;
}

static zl_http_stream_t *quiet;
static int quiet_closed;

static void on_quiet_close(void *ctx, zl_http_stream_t *s) {
    (void)ctx, (void)s;
    quiet = NULL;
    quiet_closed++;
}

static void on_quiet(void *ctx, zl_http_call_t *call) {
    (void)ctx;
    quiet = zl_http_call_stream(call, "text/event-stream; charset=utf-8", on_quiet_close, NULL);
}

/* ---- TLS ---- */

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int tls_port;

static void *tls_client_main(void *arg) {
    fetch_ex("https", tls_port, "GET", "/events", NULL, NULL, 10, arg);
    return NULL;
}

static void test_tls(void) {
    char dir[] = "/tmp/zl_http_tls_XXXXXX", cert[128], key[128], cmd[512], err[512];
    if (!GUARD(mkdtemp(dir))) return;
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout %s -out %s 2>&1",
             key, cert);
    FILE *p = popen(cmd, "r");
    if (!GUARD(p)) return;
    char line[256];
    while (fgets(line, sizeof line, p)) {}
    CHECK_EQ_INT(pclose(p), 0);

    zl_http_t *h = zl_http_start_tls("127.0.0.1", -1, NULL, cert, key, err, sizeof err);
    if (!GUARD(h)) {
        fprintf(stderr, "start_tls: %s\n", err);
        return;
    }
    CHECK(zl_http_is_tls(h));
    zl_http_route_loop(h, "/h", env.loop, on_headers, NULL);
    resp_t r = {0};
    fetch_ex("https", zl_http_port(h), "GET", "/healthz", NULL, NULL, 10, &r);
    CHECK_EQ_INT(r.rc, CURLE_OK);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR((char *)r.body.data, "ok");
    resp_free(&r);
    fetch_ex("https", zl_http_port(h), "GET", "/h", NULL, NULL, 10, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK(strstr((char *)r.hdrs.data, "Set-Cookie: b=2; Secure\r\n") != NULL);
    resp_free(&r);
    /* a stream over TLS: one event, then the client hangs up */
    zl_http_route_loop(h, "/events", env.loop, on_events, NULL);
    r.stop_at = "data: tls\n\n";
    pthread_t t;
    tls_port = zl_http_port(h);
    pthread_create(&t, NULL, tls_client_main, &r);
    CHECK(wait_for((void *const *)&env.stream, NULL));
    static write_t w = {"data: tls\n\n", false};
    CHECK(zl_loop_post(env.loop, do_write, &w) == ZL_OK);
    pthread_join(t, NULL);
    CHECK_STR((char *)r.body.data, "data: tls\n\n");
    CHECK(strstr((char *)r.hdrs.data, "Content-Type: text/event-stream\r\n") != NULL);
    resp_free(&r);
    CHECK_EQ_INT(wait_for(NULL, &env.closes), 1);
    pthread_mutex_lock(&env.mu);
    env.closes = 0;
    pthread_mutex_unlock(&env.mu);
    r.stop_at = NULL;
    fetch_ex("http", zl_http_port(h), "GET", "/healthz", NULL, NULL, 5, &r); /* plain HTTP: no answer */
    CHECK(r.status != 200);
    resp_free(&r);
    zl_http_stop(h);

    /* errors name the file */
    char missing[160], expect[320];
    snprintf(missing, sizeof missing, "%s/missing.pem", dir);
    CHECK(zl_http_start_tls("127.0.0.1", -1, NULL, missing, key, err, sizeof err) == NULL);
    snprintf(expect, sizeof expect, "%s: cannot read TLS certificate: No such file or directory", missing);
    CHECK_STR(err, expect);
    CHECK(zl_http_start_tls("127.0.0.1", -1, NULL, cert, missing, err, sizeof err) == NULL);
    snprintf(expect, sizeof expect, "%s: cannot read TLS key: No such file or directory", missing);
    CHECK_STR(err, expect);
    CHECK(zl_http_start_tls("127.0.0.1", -1, NULL, key, key, err, sizeof err) == NULL); /* swapped */
    snprintf(expect, sizeof expect, "%s: no PEM certificate (-----BEGIN CERTIFICATE-----)", key);
    CHECK_STR(err, expect);
    CHECK(zl_http_start_tls("127.0.0.1", -1, NULL, cert, cert, err, sizeof err) == NULL);
    snprintf(expect, sizeof expect, "%s: no PEM private key (-----BEGIN PRIVATE KEY-----)", cert);
    CHECK_STR(err, expect);
    char bad[160];
    snprintf(bad, sizeof bad, "%s/bad.pem", dir);
    write_file(bad, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    CHECK(zl_http_start_tls("127.0.0.1", -1, NULL, cert, bad, err, sizeof err) == NULL);
    CHECK(strstr(err, cert) != NULL && strstr(err, bad) != NULL && strstr(err, "refused") != NULL);
    fprintf(stderr, "(refused pair: %s)\n", err);
    CHECK(zl_http_start_tls("127.0.0.1", 0, NULL, cert, key, err, sizeof err) == NULL); /* disabled */
    CHECK_STR(err, "");

    unlink(bad);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char err[256];
    env.loop = zl_loop_new(NULL, err, sizeof err);
    if (!GUARD(env.loop)) TEST_MAIN_END();
    pthread_t lt;
    pthread_create(&lt, NULL, loop_main, NULL);
    env.thread = lt; /* before any request: handlers read it */

    zl_metrics_t *m = zl_metrics_new();
    zl_http_t *h = zl_http_start("127.0.0.1", -1, m, err, sizeof err);
    if (!GUARD(h)) TEST_MAIN_END();
    CHECK(!zl_http_is_tls(h));
    CHECK(!zl_http_is_tls(NULL));
    int port = zl_http_port(h);
    zl_http_route_loop(h, "/h", env.loop, on_headers, NULL);
    zl_http_route_loop(h, "/events", env.loop, on_events, NULL);
    zl_http_route_loop(h, "/quiet", env.loop, on_quiet, NULL);
    zl_http_route_call(h, "/c/", on_call, NULL);

    keep.port = port;
    pthread_t kt;
    pthread_create(&kt, NULL, keep_main, &keep);

    test_headers(port);
    test_call_route(port);
    test_stream(port);
    test_full(port);
    test_stop_with_stream();
    test_tls();

    pthread_join(kt, NULL); /* the client hung up at the keepalive */
    CHECK_EQ_INT(keep.r.status, 200);
    CHECK_STR((char *)keep.r.body.data, ": keepalive\n\n");
    CHECK(strstr((char *)keep.r.hdrs.data, "Content-Type: text/event-stream; charset=utf-8\r\n") != NULL);
    resp_free(&keep.r);

    zl_http_stop(h);
    zl_loop_stop(env.loop);
    pthread_join(lt, NULL);
    zl_loop_destroy(env.loop); /* runs the posted on_close of /quiet */
    CHECK_EQ_INT(quiet_closed, 1);
    CHECK(quiet == NULL);
    CHECK_EQ_INT(env.wrong_thread, 0);
    CHECK_EQ_INT(thread_fails, 0);
    zl_metrics_destroy(m);
    curl_global_cleanup();
    TEST_MAIN_END();
}
