/* SPDX-License-Identifier: Apache-2.0 */
/* Basic authentication of the HTTP server (zl_http_require_basic) over a
 * real socket with libcurl: the users file's errors name file and line,
 * writes need credentials (401 + WWW-Authenticate otherwise), reads and the
 * probes stay open unless reads_too, console-style name:role:hash lines are
 * accepted.  Client certificates are covered by tests/security. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http/http.h"
#include "test.h"

static int on_any(void *ctx, const char *method, const char *url, const char *req_body, size_t req_len,
                  zl_buf_t *body, const char **content_type) {
    (void)ctx, (void)method, (void)url, (void)req_body, (void)req_len;
    zl_buf_append(body, "{}", 2);
    *content_type = NULL;
    return 200;
}

static size_t on_hdr(char *p, size_t sz, size_t n, void *ud) {
    if (!strncasecmp(p, "WWW-Authenticate: Basic", 23)) *(int *)ud = 1;
    return sz * n;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
    (void)p, (void)ud;
    return sz * n;
}

/* Status of METHOD url with userpwd (NULL: none); *challenge set when the
 * answer asks for basic auth. */
static long req(int port, const char *method, const char *path, const char *userpwd, int *challenge) {
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    int ch = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "POST")) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_hdr);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ch);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (userpwd) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (challenge) *challenge = ch;
    return status;
}

/* "$pbkdf2-sha256$1000$<salt>$<hash>" of password. */
static void hash_of(const char *password, char *out, size_t n) {
    const unsigned char salt[16] = "0123456789abcdef";
    unsigned char h[32], s64[32], h64[48];
    PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof salt, 1000, EVP_sha256(), sizeof h, h);
    EVP_EncodeBlock(s64, salt, sizeof salt);
    EVP_EncodeBlock(h64, h, sizeof h);
    snprintf(out, n, "$pbkdf2-sha256$1000$%s$%s", (char *)s64, (char *)h64);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[] = "/tmp/zl_http_auth_XXXXXX", file[128], err[512], text[512], h1[128], h2[128], expect[256];
    if (!GUARD(mkdtemp(dir))) TEST_MAIN_END();
    snprintf(file, sizeof file, "%s/users", dir);
    zl_http_t *h = zl_http_start("127.0.0.1", -1, NULL, err, sizeof err);
    if (!GUARD(h)) TEST_MAIN_END();
    zl_http_route(h, "/", on_any, NULL);
    int port = zl_http_port(h);

    /* the users file's errors */
    CHECK(zl_http_require_basic(h, file, false, err, sizeof err) == ZL_ERR_INVALID);
    snprintf(expect, sizeof expect, "%s: cannot read users file: No such file or directory", file);
    CHECK_STR(err, expect);
    write_file(file, "# nobody\n\n");
    CHECK(zl_http_require_basic(h, file, false, err, sizeof err) == ZL_ERR_INVALID);
    snprintf(expect, sizeof expect, "%s: no users", file);
    CHECK_STR(err, expect);
    write_file(file, "# users\nalice:secret\n");
    CHECK(zl_http_require_basic(h, file, false, err, sizeof err) == ZL_ERR_INVALID);
    snprintf(expect, sizeof expect,
             "%s:2: the hash must be $pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>", file);
    CHECK_STR(err, expect);
    CHECK(strstr(err, "secret") == NULL || strstr(err, "secret") > strstr(err, "$<salt")); /* no password */
    hash_of("pw-alice", h1, sizeof h1);
    hash_of("pw-bob", h2, sizeof h2);
    snprintf(text, sizeof text, "alice:%s\nalice:%s\n", h1, h2);
    write_file(file, text);
    CHECK(zl_http_require_basic(h, file, false, err, sizeof err) == ZL_ERR_INVALID);
    snprintf(expect, sizeof expect, "%s:2: user listed twice", file);
    CHECK_STR(err, expect);

    /* before any users file: everything open */
    CHECK_EQ_INT(req(port, "POST", "/subjects/x/versions", NULL, NULL), 200);

    /* name:hash and the console's name:role:hash */
    snprintf(text, sizeof text, "# registry users\nalice:%s\nbob:admin:%s\n", h1, h2);
    write_file(file, text);
    CHECK(zl_http_require_basic(h, file, false, err, sizeof err) == ZL_OK);
    int ch = 0;
    CHECK_EQ_INT(req(port, "POST", "/subjects/x/versions", NULL, &ch), 401);
    CHECK_EQ_INT(ch, 1);
    CHECK_EQ_INT(req(port, "DELETE", "/subjects/x", NULL, NULL), 401);
    CHECK_EQ_INT(req(port, "PUT", "/config", NULL, NULL), 401);
    CHECK_EQ_INT(req(port, "POST", "/subjects/x/versions", "alice:pw-bob", NULL), 401);
    CHECK_EQ_INT(req(port, "POST", "/subjects/x/versions", "carol:pw-alice", NULL), 401);
    CHECK_EQ_INT(req(port, "POST", "/subjects/x/versions", "alice:pw-alice", NULL), 200);
    CHECK_EQ_INT(req(port, "POST", "/subjects/x/versions", "alice:pw-alice", NULL), 200); /* remembered */
    CHECK_EQ_INT(req(port, "POST", "/subjects/x/versions", "bob:pw-bob", NULL), 200);
    CHECK_EQ_INT(req(port, "GET", "/subjects", NULL, NULL), 200);
    CHECK_EQ_INT(req(port, "GET", "/metrics", NULL, NULL), 200);
    CHECK_EQ_INT(req(port, "GET", "/healthz", NULL, NULL), 200);

    /* reads too */
    CHECK(zl_http_require_basic(h, file, true, err, sizeof err) == ZL_OK);
    CHECK_EQ_INT(req(port, "GET", "/subjects", NULL, &ch), 401);
    CHECK_EQ_INT(ch, 1);
    CHECK_EQ_INT(req(port, "GET", "/subjects", "bob:pw-bob", NULL), 200);
    CHECK_EQ_INT(req(port, "GET", "/metrics", NULL, NULL), 200);
    CHECK_EQ_INT(req(port, "GET", "/healthz", NULL, NULL), 200);

    zl_http_stop(h);
    unlink(file);
    rmdir(dir);
    curl_global_cleanup();
    TEST_MAIN_END();
}
