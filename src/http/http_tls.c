/* SPDX-License-Identifier: Apache-2.0 */
/* HTTPS start-up: reads the certificate and key files and hands their PEM
 * text to libmicrohttpd (GnuTLS underneath).  Why the files are read and
 * checked here rather than left to libmicrohttpd: it takes the PEM from
 * memory and, when it refuses it, says so in a log line that names neither
 * file; an operator needs to know which file is unreadable or holds the
 * wrong thing, so the common mistakes are caught first, by file name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

#define ZL_HTTP_PEM_MAX (1u << 20)

/* The whole file as a C string (caller frees), or NULL with errstr set. */
static char *zl_pem_read(const char *path, const char *what, char *errstr, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, n, "%s: cannot read TLS %s: %s", path, what, strerror(errno));
        return NULL;
    }
    zl_buf_t b;
    zl_buf_init(&b, ZL_HTTP_PEM_MAX);
    char chunk[4096];
    size_t got;
    zl_err_t e = ZL_OK;
    while (!e && (got = fread(chunk, 1, sizeof chunk, f)) > 0) e = zl_buf_append(&b, chunk, got);
    int rerr = ferror(f) ? errno : 0;
    fclose(f);
    if (e || rerr) {
        if (rerr) snprintf(errstr, n, "%s: cannot read TLS %s: %s", path, what, strerror(rerr));
        else snprintf(errstr, n, "%s: TLS %s larger than 1 MiB", path, what);
        if (b.data) explicit_bzero(b.data, b.len);
        zl_buf_free(&b);
        return NULL;
    }
    if (!zl_buf_cstr(&b)) {
        snprintf(errstr, n, "out of memory");
        zl_buf_free(&b);
        return NULL;
    }
    return (char *)zl_buf_steal(&b, NULL);
}

/* The PEM labels libmicrohttpd/GnuTLS accept for a certificate and a key. */
static bool zl_pem_has(const char *pem, const char *const *labels) {
    for (; *labels; labels++)
        if (strstr(pem, *labels)) return true;
    return false;
}

zl_http_t *zl_http_start_tls(const char *host, int port, zl_metrics_t *metrics, const char *cert_pem_file,
                             const char *key_pem_file, char *errstr, size_t errstr_size) {
    return zl_http_start_tls_ca(host, port, metrics, cert_pem_file, key_pem_file, NULL, errstr, errstr_size);
}

zl_http_t *zl_http_start_tls_ca(const char *host, int port, zl_metrics_t *metrics, const char *cert_pem_file,
                                const char *key_pem_file, const char *ca_pem_file, char *errstr,
                                size_t errstr_size) {
    char scratch[8];
    if (!errstr || !errstr_size) { /* errors are still composed, into nothing */
        errstr = scratch;
        errstr_size = sizeof scratch;
    }
    errstr[0] = 0;
    if (port == 0) return NULL;
    if (!cert_pem_file || !*cert_pem_file || !key_pem_file || !*key_pem_file) {
        snprintf(errstr, errstr_size, "TLS needs a certificate file and a key file");
        return NULL;
    }
    static const char *const cert_labels[] = {"-----BEGIN CERTIFICATE-----", NULL};
    static const char *const key_labels[] = {"-----BEGIN PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----",
                                             "-----BEGIN EC PRIVATE KEY-----", NULL};
    char *cert = zl_pem_read(cert_pem_file, "certificate", errstr, errstr_size);
    if (!cert) return NULL;
    char *key = zl_pem_read(key_pem_file, "key", errstr, errstr_size);
    if (!key) {
        free(cert);
        return NULL;
    }
    char *ca = NULL;
    if (ca_pem_file && *ca_pem_file) {
        if (!(ca = zl_pem_read(ca_pem_file, "CA certificate", errstr, errstr_size))) {
            free(cert);
            explicit_bzero(key, strlen(key));
            free(key);
            return NULL;
        }
    }
    const char *bad = NULL, *bad_file = key_pem_file;
    if (!zl_pem_has(cert, cert_labels)) {
        bad = "no PEM certificate (-----BEGIN CERTIFICATE-----)";
        bad_file = cert_pem_file;
    } else if (strstr(key, "-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
        bad = "the private key is encrypted (a key without passphrase is needed)";
    } else if (!zl_pem_has(key, key_labels)) {
        bad = "no PEM private key (-----BEGIN PRIVATE KEY-----)";
    } else if (ca && !zl_pem_has(ca, cert_labels)) {
        bad = "no PEM CA certificate (-----BEGIN CERTIFICATE-----)";
        bad_file = ca_pem_file;
    }
    if (bad) {
        snprintf(errstr, errstr_size, "%s: %s", bad_file, bad);
        free(cert);
        free(ca);
        explicit_bzero(key, strlen(key));
        free(key);
        return NULL;
    }
    return zl_http_start_pem(host, port, metrics, cert, key, ca, cert_pem_file, key_pem_file, errstr,
                             errstr_size);
}
