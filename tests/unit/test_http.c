/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP endpoint: /metrics and /healthz over a real socket (libcurl), 404/405,
 * a registered route receiving a POST body, the 1 MiB body cap, port 0 =
 * disabled, the bind error message, and routes answered on a loop thread
 * (at once, and in a later turn from a timer). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/loop.h"
#include "http/http.h"
#include "test.h"

typedef struct {
    long status;
    zl_buf_t body;
    char ctype[128];
} resp_t;

static size_t on_data(char *p, size_t sz, size_t n, void *ud) {
    resp_t *r = ud;
    return zl_buf_append(&r->body, p, sz * n) == ZL_OK ? sz * n : 0;
}

static int use_chunked; /* send the body with Transfer-Encoding: chunked (no length) */

static void fetch(int port, const char *method, const char *path, const char *body, size_t len, resp_t *r) {
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    memset(r, 0, sizeof *r);
    zl_buf_init(&r->body, 0);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    struct curl_slist *hdrs = NULL;
    if (use_chunked) {
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) fprintf(stderr, "curl %s %s: %s\n", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ct) snprintf(r->ctype, sizeof r->ctype, "%s", ct);
    zl_buf_cstr(&r->body);
    curl_easy_cleanup(c);
}

static int echo(void *ctx, const char *method, const char *url, const char *req_body, size_t req_len,
                zl_buf_t *body, const char **content_type) {
    int *calls = ctx;
    (*calls)++;
    zl_buf_printf(body, "%s %s %zu %s", method, url, req_len, req_body);
    *content_type = "text/plain";
    return 201;
}

static int deeper(void *ctx, const char *method, const char *url, const char *req_body, size_t req_len,
                  zl_buf_t *body, const char **content_type) {
    zl_buf_printf(body, "{\"deeper\":true}");
    return 200;
}

/* ---- loop routes: state owned by the loop thread, read and changed there */

typedef struct {
    zl_loop_t *loop;
    pthread_t thread;
    int hits;                /* loop-owned: only the loop thread touches it */
    int wrong_thread;
    zl_timer_t later;
    zl_http_call_t *pending; /* answered by the timer, a later turn */
} loop_state_t;

static void on_state(void *ctx, zl_http_call_t *call) {
    loop_state_t *st = ctx;
    if (!pthread_equal(pthread_self(), st->thread)) st->wrong_thread++;
    st->hits++;
    size_t len;
    const char *body = zl_http_call_body(call, &len);
    zl_buf_printf(zl_http_call_reply(call), "{\"hits\":%d,\"method\":\"%s\",\"url\":\"%s\",\"body\":\"%s\",\"len\":%zu}",
                  st->hits, zl_http_call_method(call), zl_http_call_url(call), body, len);
    zl_http_call_done(call, 200, NULL);
}

static void on_later(zl_timer_t *t, void *ctx) {
    loop_state_t *st = ctx;
    (void)t;
    if (!pthread_equal(pthread_self(), st->thread)) st->wrong_thread++;
    zl_buf_printf(zl_http_call_reply(st->pending), "later %d", st->hits);
    zl_http_call_done(st->pending, 202, "text/plain");
    st->pending = NULL;
}

/* Completes in a later turn: keeps the call, arms a timer on the loop's wheel. */
static void on_deferred(void *ctx, zl_http_call_t *call) {
    loop_state_t *st = ctx;
    if (!pthread_equal(pthread_self(), st->thread)) st->wrong_thread++;
    st->pending = call;
    zl_timer_arm(zl_loop_wheel(st->loop), &st->later, zl_now_ms() + 20);
}

static void on_bad_status(void *ctx, zl_http_call_t *call) {
    (void)ctx;
    zl_http_call_done(call, 42, NULL);
}

static void note_thread(void *ctx) {
    loop_state_t *st = ctx;
    st->thread = pthread_self();
}

static void *loop_main(void *arg) {
    loop_state_t *st = arg;
    zl_loop_run(st->loop);
    return NULL;
}

static loop_state_t st;

static void test_loop_routes(zl_http_t *h, int port) {
    char err[128];
    st.loop = zl_loop_new(NULL, err, sizeof err);
    CHECK(st.loop != NULL);
    zl_timer_init(&st.later, on_later, &st);
    /* the loop thread learns its id in its first turn, before any request */
    CHECK(zl_loop_post(st.loop, note_thread, &st) == ZL_OK);
    pthread_t th;
    pthread_create(&th, NULL, loop_main, &st);
    zl_http_route_loop(h, "/state", st.loop, on_state, &st);
    zl_http_route_loop(h, "/later", st.loop, on_deferred, &st);
    zl_http_route_loop(h, "/bad", st.loop, on_bad_status, &st);

    resp_t r;
    fetch(port, "GET", "/state", NULL, 0, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR((char *)r.body.data, "{\"hits\":1,\"method\":\"GET\",\"url\":\"/state\",\"body\":\"\",\"len\":0}");
    CHECK(strncmp(r.ctype, "application/json", 16) == 0);
    zl_buf_free(&r.body);

    fetch(port, "POST", "/state/x", "abc", 3, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR((char *)r.body.data, "{\"hits\":2,\"method\":\"POST\",\"url\":\"/state/x\",\"body\":\"abc\",\"len\":3}");
    zl_buf_free(&r.body);

    fetch(port, "GET", "/later", NULL, 0, &r);
    CHECK_EQ_INT(r.status, 202);
    CHECK_STR((char *)r.body.data, "later 2");
    CHECK_STR(r.ctype, "text/plain");
    zl_buf_free(&r.body);

    fetch(port, "GET", "/bad", NULL, 0, &r);
    CHECK_EQ_INT(r.status, 500);
    zl_buf_free(&r.body);

    zl_loop_stop(st.loop);
    pthread_join(th, NULL);
    CHECK_EQ_INT(st.hits, 2);
    CHECK_EQ_INT(st.wrong_thread, 0);
    /* the server outlives the loop's thread here, so the loop is destroyed
     * after zl_http_stop (main) */
}

/* ---- zl_http_stop while a connection waits for a loop ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    zl_http_call_t *held; /* taken by the handler, completed after the stop */
    int port;
    resp_t r;
} hold_t;

static void on_hold(void *ctx, zl_http_call_t *call) {
    hold_t *x = ctx;
    pthread_mutex_lock(&x->mu);
    x->held = call;
    pthread_cond_signal(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

static void finish_held(void *ctx) {
    hold_t *x = ctx;
    zl_buf_printf(zl_http_call_reply(x->held), "too late");
    zl_http_call_done(x->held, 200, NULL); /* nobody waits any more: discarded */
    x->held = NULL;
}

static void *hold_client(void *arg) {
    hold_t *x = arg;
    fetch(x->port, "GET", "/hold", NULL, 0, &x->r);
    return NULL;
}

static void test_stop_releases_waiters(void) {
    char err[128];
    static hold_t x = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    static loop_state_t ls;
    ls.loop = zl_loop_new(NULL, err, sizeof err);
    pthread_t lt, ct;
    pthread_create(&lt, NULL, loop_main, &ls);
    zl_http_t *h = zl_http_start("127.0.0.1", -1, NULL, err, sizeof err);
    CHECK(h != NULL);
    zl_http_route_loop(h, "/hold", ls.loop, on_hold, &x);
    x.port = zl_http_port(h);
    pthread_create(&ct, NULL, hold_client, &x);
    pthread_mutex_lock(&x.mu);
    while (!x.held) pthread_cond_wait(&x.cv, &x.mu); /* the loop has the call */
    pthread_mutex_unlock(&x.mu);
    zl_http_stop(h); /* must not wait ZL_HTTP_LOOP_TIMEOUT_S for the handler */
    pthread_join(ct, NULL);
    CHECK(x.r.status == 503 || x.r.status == 0); /* answered "stopping", or cut off */
    zl_buf_free(&x.r.body);
    /* the handler completes later; the call is freed then (ASan: no leak, no UAF) */
    CHECK(zl_loop_post(ls.loop, finish_held, &x) == ZL_OK);
    zl_loop_stop(ls.loop); /* after the post: it runs in the loop's last turn or at destroy */
    pthread_join(lt, NULL);
    zl_loop_destroy(ls.loop);
    CHECK(x.held == NULL);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char err[256];

    CHECK(zl_http_start("127.0.0.1", 0, NULL, err, sizeof err) == NULL);
    CHECK_STR(err, "");

    zl_metrics_t *m = zl_metrics_new();
    zl_counter_t *c = zl_metrics_counter(m, "zeelos_test_total", "kind=\"a\"", "Test counter.");
    zl_counter_add(c, 42);
    zl_http_t *h = zl_http_start("127.0.0.1", -1, m, err, sizeof err);
    CHECK(h != NULL);
    if (!h) {
        fprintf(stderr, "start: %s\n", err);
        TEST_MAIN_END();
    }
    int port = zl_http_port(h);
    CHECK(port > 0);
    int calls = 0;
    zl_http_route(h, "/api/", echo, &calls);
    zl_http_route(h, "/api/deeper/", deeper, NULL);

    resp_t r;
    fetch(port, "GET", "/metrics", NULL, 0, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK(strncmp(r.ctype, "text/plain; version=0.0.4", 25) == 0);
    CHECK(strstr((char *)r.body.data, "zeelos_test_total{kind=\"a\"} 42\n") != NULL);
    zl_buf_free(&r.body);

    zl_counter_inc(c);
    fetch(port, "GET", "/metrics", NULL, 0, &r);
    CHECK(strstr((char *)r.body.data, "zeelos_test_total{kind=\"a\"} 43\n") != NULL);
    zl_buf_free(&r.body);

    fetch(port, "POST", "/metrics", "x", 1, &r);
    CHECK_EQ_INT(r.status, 405);
    zl_buf_free(&r.body);

    fetch(port, "GET", "/healthz", NULL, 0, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR((char *)r.body.data, "ok");
    zl_buf_free(&r.body);

    fetch(port, "GET", "/nope", NULL, 0, &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK_STR((char *)r.body.data, "{\"code\":\"not_found\",\"message\":\"not found\"}");
    CHECK(strncmp(r.ctype, "application/json", 16) == 0);
    zl_buf_free(&r.body);

    fetch(port, "POST", "/api/echo", "hello world", 11, &r);
    CHECK_EQ_INT(r.status, 201);
    CHECK_STR((char *)r.body.data, "POST /api/echo 11 hello world");
    CHECK_STR(r.ctype, "text/plain");
    CHECK_EQ_INT(calls, 1);
    zl_buf_free(&r.body);

    fetch(port, "GET", "/api/deeper/x", NULL, 0, &r); /* longest prefix wins */
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR((char *)r.body.data, "{\"deeper\":true}");
    CHECK(strncmp(r.ctype, "application/json", 16) == 0);
    zl_buf_free(&r.body);

    size_t big = (1u << 20) + 1;
    char *huge = malloc(big);
    memset(huge, 'a', big);
    fetch(port, "PUT", "/api/big", huge, big, &r);
    CHECK_EQ_INT(r.status, 413);
    CHECK_EQ_INT(calls, 1); /* handler not called */
    zl_buf_free(&r.body);
    fetch(port, "PUT", "/api/big", huge, big - 1, &r); /* exactly 1 MiB is accepted */
    CHECK_EQ_INT(r.status, 201);
    CHECK_EQ_INT(calls, 2);
    zl_buf_free(&r.body);
    use_chunked = 1; /* no Content-Length: the cap applies while reading */
    fetch(port, "POST", "/api/big", huge, big, &r);
    CHECK_EQ_INT(r.status, 413);
    CHECK_EQ_INT(calls, 2);
    zl_buf_free(&r.body);
    fetch(port, "POST", "/api/small", "abc", 3, &r);
    CHECK_EQ_INT(r.status, 201);
    CHECK_STR((char *)r.body.data, "POST /api/small 3 abc");
    zl_buf_free(&r.body);
    use_chunked = 0;
    free(huge);

    /* Second server on the same port: error names host:port and errno. */
    zl_http_t *h2 = zl_http_start("127.0.0.1", port, NULL, err, sizeof err);
    CHECK(h2 == NULL);
    char expect[128];
    snprintf(expect, sizeof expect, "cannot listen on HTTP 127.0.0.1:%d: Address already in use", port);
    CHECK_STR(err, expect);

    test_loop_routes(h, port);
    test_stop_releases_waiters();

    zl_http_stop(h);
    zl_loop_destroy(st.loop); /* after the server: no connection posts any more */
    zl_metrics_destroy(m);
    curl_global_cleanup();
    TEST_MAIN_END();
}
