/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos security add|remove|list`: device credentials are records of the
 * gateway's compacted security topic (key: endpoint name, value: JSON, a
 * tombstone removes them), so this tool only writes and reads that topic:
 * the cloud can provision an edge it cannot log in to, and every gateway
 * instance sees the same credentials in the same order.  Keys are read from
 * a file or the environment when possible and never printed. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roles/tools/tools.h"
#include "kafka/client.h"
#include "kafka/ktool.h"
#include "common/clock.h"
#include "common/log.h"

void zl_security_write_usage(FILE *out) {
    fprintf(out,
            "usage: zeelos security add ENDPOINT (--psk-identity ID (--psk-key HEX | --psk-key-file F) | --x509)\n"
            "       zeelos security remove ENDPOINT\n"
            "       zeelos security list\n"
            "\n"
            "Writes or reads the credentials of a gateway's devices on its security topic\n"
            "(iot.<gw>.security, --gw names the gateway). Keys are never printed.\n"
            "example: ZEELOS_PSK_KEY=73656372657450534b zeelos security add --gw edge1 sensor-1 --psk-identity sensor-1\n");
}

/* 1-64 bytes in hexadecimal (OpenSSL's decoder; the bytes are wiped). */
static bool is_hex(const char *s) {
    unsigned char b[64];
    size_t n = 0;
    bool ok = OPENSSL_hexstr2buf_ex(b, sizeof b, &n, s, '\0') == 1 && n > 0;
    OPENSSL_cleanse(b, sizeof b);
    ERR_clear_error();
    return ok;
}

/* The key in hex from --psk-key or --psk-key-file (first line); out gets it. */
static bool read_key(const zl_security_conf_t *c, char *out, size_t n) {
    if (c->psk_key_file && c->psk_key_file[0]) {
        FILE *f = fopen(c->psk_key_file, "r");
        if (!f || !fgets(out, (int)n, f)) {
            fprintf(stderr, "zeelos security: cannot read %s\n", c->psk_key_file);
            if (f) fclose(f);
            return false;
        }
        fclose(f);
        out[strcspn(out, "\r\n \t")] = 0;
    } else {
        snprintf(out, n, "%s", c->psk_key ? c->psk_key : "");
    }
    if (!is_hex(out)) {
        fprintf(stderr, "zeelos security: the PSK must be 1-64 bytes in hexadecimal (--psk-key, --psk-key-file or "
                        "ZEELOS_PSK_KEY)\n");
        return false;
    }
    return true;
}

typedef struct {
    zl_dr_t dr;
    int done; /* 0 waiting, 1 delivered, -1 failed */
    char why[160];
} put_t;

static void on_put(zl_dr_t *dr, zl_err_t err, const char *reason) {
    put_t *p = (put_t *)dr;
    p->done = err == ZL_OK ? 1 : -1;
    snprintf(p->why, sizeof p->why, "%s", reason ? reason : zl_err2str(err));
}

/* Writes value (NULL: a tombstone) under ep and waits for the acknowledgement. */
static int put(const zl_security_conf_t *c, const char *ep, const char *value) {
    char err[256];
    zl_producer_t *p = zl_producer_new(c->kafka.props, NULL, err, sizeof err);
    if (!p) {
        fprintf(stderr, "zeelos security: %s\n", err);
        return 1;
    }
    if (zl_producer_ensure_log(p, c->topic, (int)c->wait_ms, err, sizeof err))
        fprintf(stderr, "zeelos security: %s (the topic must be compacted)\n", err);
    put_t r = {.dr = {.cb = on_put}};
    zl_err_t e = zl_producer_send_raw(p, c->topic, ep, strlen(ep), value, value ? strlen(value) : 0, 0, &r.dr);
    if (e == ZL_OK) zl_producer_flush(p, (int)c->wait_ms); /* returns once it is acknowledged */
    zl_producer_destroy(p, 0);
    if (e != ZL_OK || r.done != 1) {
        fprintf(stderr, "zeelos security: %s was not written to %s: %s\n", ep, c->topic,
                e ? zl_err2str(e) : r.done ? r.why : "no acknowledgement in time");
        return 1;
    }
    printf("%s %s on %s\n", value ? "credentials written for" : "credentials removed for", ep, c->topic);
    return 0;
}

static int add(const zl_security_conf_t *c, const char *ep) {
    bool psk = c->psk_identity && c->psk_identity[0];
    if (psk == c->x509) {
        fprintf(stderr, "zeelos security add: give either --psk-identity with a key, or --x509\n");
        return 2;
    }
    if (psk && strlen(c->psk_identity) > 128) {
        fprintf(stderr, "zeelos security add: the PSK identity must be 1-128 bytes\n");
        return 2;
    }
    char key[256] = "";
    if (psk && !read_key(c, key, sizeof key)) return 2;
    json_t *v = psk ? json_pack("{s:s, s:{s:s, s:s}}", "endpoint", ep, "psk", "identity", c->psk_identity, "key", key)
                    : json_pack("{s:s, s:b}", "endpoint", ep, "x509", 1);
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    memset(key, 0, sizeof key);
    int rc = text ? put(c, ep, text) : 1;
    if (text) memset(text, 0, strlen(text));
    free(text);
    return rc;
}

typedef struct {
    json_t *by_ep; /* endpoint -> the latest value (null: removed) */
    int64_t seen;
} list_t;

static void on_record(void *ctx, const zl_kmsg_t *m) {
    list_t *l = ctx;
    l->seen++;
    if (!m->key || !m->key_len) return;
    char *ep = strndup((const char *)m->key, m->key_len);
    json_t *v = m->value ? json_loadb((const char *)m->value, m->value_len, 0, NULL) : json_null();
    if (ep) json_object_set_new(l->by_ep, ep, v ? v : json_string("(unreadable)"));
    free(ep);
}

static int list(const zl_security_conf_t *c) {
    char err[256];
    zl_ktool_t *k = zl_ktool_new(c->kafka.props, ZL_KTOOL_CONSUMER, err, sizeof err);
    if (!k) {
        fprintf(stderr, "zeelos security: %s\n", err);
        return 1;
    }
    list_t l = {.by_ep = json_object()};
    if (zl_ktool_assign(k, c->topic, true, (int)c->wait_ms, err, sizeof err)) {
        fprintf(stderr, "zeelos security: %s\n", err);
        zl_ktool_destroy(k);
        json_decref(l.by_ep);
        return 1;
    }
    /* the topic is small: read until it stays quiet for a second */
    int64_t quiet_since = zl_now_ms(), deadline = quiet_since + c->wait_ms;
    while (zl_now_ms() - quiet_since < 1000 && zl_now_ms() < deadline)
        if (zl_ktool_consume(k, 200, 1000, on_record, &l) > 0) quiet_since = zl_now_ms();
    zl_ktool_destroy(k);
    const char *ep;
    json_t *v;
    json_object_foreach(l.by_ep, ep, v) {
        if (json_is_null(v)) continue;
        json_t *psk = json_object_get(v, "psk");
        json_t *row = psk ? json_pack("{s:s, s:s, s:O}", "endpoint", ep, "mode", "psk", "identity",
                                      json_object_get(psk, "identity"))
                          : json_pack("{s:s, s:s, s:s}", "endpoint", ep, "mode",
                                      json_is_true(json_object_get(v, "x509")) ? "x509" : "unknown", "identity", ep);
        char *line = row ? json_dumps(row, JSON_COMPACT) : NULL;
        if (line) printf("%s\n", line);
        free(line);
        json_decref(row);
    }
    json_decref(l.by_ep);
    return 0;
}

int zl_security_run(const zl_security_conf_t *c, const char *const *w, int n) {
    if (n == 2 && (!w[1][0] || strlen(w[1]) > 256)) {
        fprintf(stderr, "zeelos security: the endpoint name must be 1-256 bytes\n");
        return 2;
    }
    if (n == 2 && !strcmp(w[0], "add")) return add(c, w[1]);
    if (n == 2 && !strcmp(w[0], "remove")) return put(c, w[1], NULL);
    if (n == 1 && !strcmp(w[0], "list")) return list(c);
    zl_security_write_usage(stderr);
    return 2;
}
