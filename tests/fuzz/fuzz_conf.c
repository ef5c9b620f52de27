/* Fuzzes the configuration parsers: the input is loaded as a properties file,
 * then split at newlines into a command line for zl_conf_parse_args (with
 * "ZEELOS_*" lines also offered as environment), and the results are read
 * back and dumped so expansion and rendering run on whatever was accepted. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

static void sink(const char *k, const char *v, void *ctx) {
    size_t *n = ctx;
    *n += strlen(k) + strlen(v);
}

static void exercise(zl_conf_t *c) {
    size_t n = 0;
    n += strlen(zl_conf_str(c, "topic.registrations"));
    n += (size_t)zl_conf_int(c, "coap.port");
    n += zl_conf_bool(c, "tail.from.beginning");
    n += (size_t)zl_conf_enum(c, "format");
    zl_conf_foreach_kafka(c, sink, &n);
    FILE *f = fopen("/dev/null", "w");
    if (f) {
        zl_conf_write_properties(c, f);
        fclose(f);
    }
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    zl_conf_t *c = zl_conf_new();
    if (!c) return 0;
    zl_conf_load_string(c, (const char *)data, size, "fuzz", err, sizeof err);
    exercise(c);
    zl_conf_destroy(c);

    /* Same bytes as argv / envp words. */
    char *copy = malloc(size + 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    copy[size] = 0;
    char *argv[64], *envp[16];
    int argc = 0, envc = 0;
    argv[argc++] = (char *)"gateway";
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
    c = zl_conf_new();
    if (c) {
        if (zl_conf_parse_args(c, argc, argv, 1, envp, pos, 8, &npos, err, sizeof err) == ZL_OK)
            exercise(c);
        zl_conf_destroy(c);
    }
    free(copy);
    return 0;
}
