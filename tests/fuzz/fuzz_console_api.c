/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes what `zeelos console` parses from users of its API and from its
 * own files: the JSON node of a write or create body (ops.c: kinds, ids,
 * values typed by the built-in models) and the users and tokens files
 * (auth.c).  The first byte picks: 'U' users file, 'T' tokens file, else a
 * body; for a body the second byte picks the path (/3/0/14, /3/0, /3303,
 * /3303/7, /3/0/7) and the kind (write or create). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "roles/console/auth.h"
#include "roles/console/console_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load_file(const uint8_t *p, size_t n, bool users) {
    char path[] = "/tmp/zeelos-fuzz-console-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    bool ok = write(fd, p, n) == (ssize_t)n;
    close(fd);
    if (ok) {
        char err[512];
        zl_auth_conf_t c = {.users_file = users ? path : NULL, .tokens_file = users ? NULL : path,
                            .session_ttl_ms = 60000, .session_idle_ms = 60000};
        zl_auth_t *a = zl_auth_new(&c, err, sizeof err);
        if (a) {
            zl_principal_t pr;
            (void)zl_auth_check(a, "zeelos_session=abc", "Bearer fuzz", 1, &pr);
            zl_auth_destroy(a);
        }
    }
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    if (data[0] == 'U' || data[0] == 'T') {
        load_file(data + 1, size - 1, data[0] == 'U');
        return 0;
    }
    static const char *const paths[] = {"/3/0/14", "/3/0", "/3303", "/3303/7", "/3/0/7"};
    zl_path_t p;
    if (zl_path_parse(paths[data[1] % 5], &p, NULL, 0)) abort();
    zl_req_kind_t kind = data[1] & 0x80 ? ZL_RK_CREATE : ZL_RK_WRITE;
    json_t *j = json_loadb((const char *)data + 2, size - 2, JSON_DECODE_ANY, NULL);
    char err[512];
    zl_node_t *n = cn_node_from_json(NULL, kind, &p, j, err, sizeof err);
    if (n && (kind == ZL_RK_CREATE || p.len == 2) && n->kind != ZL_N_INSTANCE) abort();
    zl_node_free(n);
    json_decref(j);
    return 0;
}
