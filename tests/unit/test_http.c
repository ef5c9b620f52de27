/* HTTP endpoint: /metrics and /healthz over a real socket (libcurl), 404/405,
 * a registered route receiving a POST body, the 1 MiB body cap, port 0 =
 * disabled, and the bind error message. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

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
    CHECK_STR((char *)r.body.data, "{\"error\":\"not found\"}");
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

    zl_http_stop(h);
    zl_metrics_destroy(m);
    curl_global_cleanup();
    TEST_MAIN_END();
}
