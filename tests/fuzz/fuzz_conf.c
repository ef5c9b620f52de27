/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the configuration parsers: for every command's set of tables, the
 * input is loaded as a properties file, then split at newlines into a
 * command line for zl_conf_parse_args (with "ZEELOS_*" lines also offered as
 * environment), and the results are dumped so expansion, field writes and
 * rendering run on whatever was accepted. */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/conf.h"

static alignas(max_align_t) unsigned char fields[16384]; /* any command's config struct */

static void sink(const char *k, const char *v, void *ctx) {
    size_t *n = ctx;
    *n += strlen(k) + strlen(v);
}

static void exercise(zl_conf_t *c) {
    size_t n = 0;
    zl_conf_foreach_kafka(c, sink, &n);
    FILE *f = fopen("/dev/null", "w");
    if (f) {
        zl_conf_write_properties(c, f);
        fclose(f);
    }
    (void)n;
}

static zl_conf_t *bound(const zl_conf_cmd_t *cmd) {
    char err[256];
    zl_conf_t *c = zl_conf_new();
    if (c && zl_conf_bind_cmd(c, cmd, fields, err, sizeof err)) {
        fprintf(stderr, "bind %s: %s\n", cmd->name, err);
        abort(); /* the tables themselves are broken */
    }
    return c;
}

static void one_command(const zl_conf_cmd_t *cmd, const uint8_t *data, size_t size) {
    char err[256];
    zl_conf_t *c = bound(cmd);
    if (!c) return;
    zl_conf_load_string(c, (const char *)data, size, "fuzz", err, sizeof err);
    exercise(c);
    zl_conf_destroy(c);

    /* Same bytes as argv / envp words. */
    char *copy = malloc(size + 1);
    if (!copy) return;
    memcpy(copy, data, size);
    copy[size] = 0;
    char *argv[64], *envp[16];
    int argc = 0, envc = 0;
    argv[argc++] = (char *)cmd->name;
    for (char *tok = strtok(copy, "\n"); tok && argc < 63; tok = strtok(NULL, "\n")) {
        if (strstr(tok, "config")) /* no file access: /dev/zero, /dev/stdin */
            continue;
        if (strncmp(tok, "ZEELOS_", 7) == 0 && envc < 15)
            envp[envc++] = tok;
        else
            argv[argc++] = tok;
    }
    argv[argc] = NULL;
    envp[envc] = NULL;
    const char *pos[8];
    int npos = 0;
    c = bound(cmd);
    if (c) {
        if (zl_conf_parse_args(c, argc, argv, 1, envp, pos, 8, &npos, err, sizeof err) == ZL_OK)
            exercise(c);
        zl_conf_destroy(c);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    for (size_t i = 0; i < zl_n_commands; i++)
        if (zl_commands[i].conf) one_command(zl_commands[i].conf, data, size);
    return 0;
}
