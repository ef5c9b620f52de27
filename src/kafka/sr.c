/* SPDX-License-Identifier: Apache-2.0 */
/* Schema Registry client over libcurl + jansson.  One easy handle per client,
 * reused so consecutive calls keep the connection alive.  TLS (CA, client
 * certificate) and basic auth are libcurl options set on every request; the
 * user:password is kept only here and wiped on destroy, never logged. */
#include "kafka/sr.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"

struct zl_sr {
    char *url; /* without trailing '/' */
    zl_sr_opts_t opts; /* url and copies of the other options (NULL when unset) */
    char *ca, *cert, *key, *userinfo;
    CURL *curl;
    const atomic_bool *abort; /* set: transfers in progress give up (zl_sr_set_abort) */
};

void zl_sr_set_abort(zl_sr_t *sr, const atomic_bool *flag) { sr->abort = flag; }

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
    (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load((const atomic_bool *)ud) ? 1 : 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

zl_sr_t *zl_sr_new(const char *url, char *errstr, size_t n) {
    zl_sr_opts_t o = {.url = url};
    return zl_sr_new_opts(&o, errstr, n);
}

/* A copy of an optional string option: *out NULL when s is NULL or "". */
static bool sr_dup_opt(const char *s, char **out) {
    *out = NULL;
    if (!s || !*s) return true;
    return (*out = strdup(s)) != NULL;
}

zl_sr_t *zl_sr_new_opts(const zl_sr_opts_t *o, char *errstr, size_t n) {
    if (!o || !o->url || !*o->url) {
        snprintf(errstr, n, "schema registry URL is empty");
        return NULL;
    }
    bool has_cert = o->cert && *o->cert, has_key = o->key && *o->key;
    if (has_cert != has_key) {
        snprintf(errstr, n, "schema registry client certificate: %s is set but %s is not",
                 has_cert ? "schema.registry.ssl.certificate.location" : "schema.registry.ssl.key.location",
                 has_cert ? "schema.registry.ssl.key.location" : "schema.registry.ssl.certificate.location");
        return NULL;
    }
    if (o->userinfo && *o->userinfo && !strchr(o->userinfo, ':')) {
        snprintf(errstr, n, "schema.registry.basic.auth.user.info must be user:password");
        return NULL;
    }
    pthread_once(&curl_once, curl_init_once);
    zl_sr_t *sr = calloc(1, sizeof *sr);
    if (!sr || !(sr->url = strdup(o->url)) || !(sr->curl = curl_easy_init()) || !sr_dup_opt(o->ca, &sr->ca) ||
        !sr_dup_opt(o->cert, &sr->cert) || !sr_dup_opt(o->key, &sr->key) ||
        !sr_dup_opt(o->userinfo, &sr->userinfo)) {
        snprintf(errstr, n, "out of memory creating schema registry client");
        zl_sr_destroy(sr);
        return NULL;
    }
    size_t l = strlen(sr->url);
    while (l > 0 && sr->url[l - 1] == '/') sr->url[--l] = 0;
    sr->opts = (zl_sr_opts_t){.url = sr->url, .ca = sr->ca, .cert = sr->cert, .key = sr->key,
                              .userinfo = sr->userinfo};
    return sr;
}

const zl_sr_opts_t *zl_sr_opts(const zl_sr_t *sr) { return &sr->opts; }

void zl_sr_destroy(zl_sr_t *sr) {
    if (!sr) return;
    if (sr->curl) curl_easy_cleanup(sr->curl);
    free(sr->url);
    free(sr->ca);
    free(sr->cert);
    free(sr->key);
    if (sr->userinfo) explicit_bzero(sr->userinfo, strlen(sr->userinfo));
    free(sr->userinfo);
    free(sr);
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud) {
    return zl_buf_append(ud, p, sz * nm) == ZL_OK ? sz * nm : 0;
}

/* Performs one request; *status gets the HTTP status, body the response. */
static zl_err_t http(zl_sr_t *sr, const char *url, const char *post, long *status, zl_buf_t *body,
                     char *errstr, size_t n) {
    CURL *c = sr->curl;
    char cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdr = NULL;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    if (sr->ca) curl_easy_setopt(c, CURLOPT_CAINFO, sr->ca);
    if (sr->cert) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, sr->cert);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c, CURLOPT_SSLKEY, sr->key);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (sr->userinfo) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, sr->userinfo);
    }
    if (sr->abort) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)sr->abort);
    }
    hdr = curl_slist_append(hdr, "Accept: application/vnd.schemaregistry.v1+json, application/json");
    if (post) {
        hdr = curl_slist_append(hdr, "Content-Type: application/vnd.schemaregistry.v1+json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        snprintf(errstr, n, "schema registry %s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
        return ZL_ERR_IO;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    return ZL_OK;
}

/* Formats a registry error: "HTTP 409 error_code 409: Schema being registered
 * is incompatible ..." (body used verbatim when it is not the usual JSON). */
static void http_error(const char *what, long status, zl_buf_t *body, char *errstr, size_t n) {
    json_t *j = json_loadb((const char *)body->data, body->len, 0, NULL);
    json_t *code = j ? json_object_get(j, "error_code") : NULL;
    json_t *msg = j ? json_object_get(j, "message") : NULL;
    if (json_is_string(msg))
        snprintf(errstr, n, "%s: HTTP %ld, error_code %lld: %s", what, status,
                 json_is_integer(code) ? (long long)json_integer_value(code) : (long long)status,
                 json_string_value(msg));
    else
        snprintf(errstr, n, "%s: HTTP %ld: %.200s", what, status,
                 body->len ? zl_buf_cstr(body) : "(empty body)");
    json_decref(j);
}

zl_err_t zl_sr_register(zl_sr_t *sr, const char *subject, const char *schema_text, int32_t *id,
                        char *errstr, size_t n) {
    char *esc = curl_easy_escape(sr->curl, subject, 0);
    json_t *req = json_pack("{s:s}", "schema", schema_text);
    char *post = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    zl_buf_t url, body;
    zl_buf_init(&url, 0);
    zl_buf_init(&body, 1 << 20);
    zl_err_t e = ZL_ERR_NOMEM;
    if (!esc || !post || zl_buf_printf(&url, "%s/subjects/%s/versions", sr->url, esc)) {
        snprintf(errstr, n, "out of memory");
        goto out;
    }
    long status = 0;
    if ((e = http(sr, zl_buf_cstr(&url), post, &status, &body, errstr, n))) goto out;
    char what[300];
    snprintf(what, sizeof what, "registering subject %s", subject);
    if (status != 200) {
        http_error(what, status, &body, errstr, n);
        e = ZL_ERR_SCHEMA;
        goto out;
    }
    json_t *j = json_loadb((const char *)body.data, body.len, 0, NULL);
    json_t *jid = j ? json_object_get(j, "id") : NULL;
    if (!json_is_integer(jid) || json_integer_value(jid) < 0 || json_integer_value(jid) > INT32_MAX) {
        snprintf(errstr, n, "%s: unexpected registry answer %.200s", what, zl_buf_cstr(&body));
        e = ZL_ERR_SCHEMA;
    } else {
        *id = (int32_t)json_integer_value(jid);
        e = ZL_OK;
    }
    json_decref(j);
out:
    curl_free(esc);
    free(post);
    zl_buf_free(&url);
    zl_buf_free(&body);
    return e;
}

zl_err_t zl_sr_fetch(zl_sr_t *sr, int32_t id, char **schema_text, char *errstr, size_t n) {
    zl_buf_t url, body;
    zl_buf_init(&url, 0);
    zl_buf_init(&body, 1 << 20);
    zl_err_t e;
    *schema_text = NULL;
    if (zl_buf_printf(&url, "%s/schemas/ids/%d", sr->url, (int)id)) {
        snprintf(errstr, n, "out of memory");
        e = ZL_ERR_NOMEM;
        goto out;
    }
    long status = 0;
    if ((e = http(sr, zl_buf_cstr(&url), NULL, &status, &body, errstr, n))) goto out;
    char what[64];
    snprintf(what, sizeof what, "fetching schema id %d", (int)id);
    if (status != 200) {
        http_error(what, status, &body, errstr, n);
        e = status == 404 ? ZL_ERR_NOT_FOUND : ZL_ERR_SCHEMA;
        goto out;
    }
    json_t *j = json_loadb((const char *)body.data, body.len, 0, NULL);
    json_t *js = j ? json_object_get(j, "schema") : NULL;
    if (!json_is_string(js)) {
        snprintf(errstr, n, "%s: unexpected registry answer %.200s", what, zl_buf_cstr(&body));
        e = ZL_ERR_SCHEMA;
    } else if (!(*schema_text = strdup(json_string_value(js)))) {
        e = ZL_ERR_NOMEM;
    }
    json_decref(j);
out:
    zl_buf_free(&url);
    zl_buf_free(&body);
    return e;
}
