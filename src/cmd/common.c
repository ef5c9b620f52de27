/* Configuration start-up shared by every command. */
#include "cmd/common.h"

#include <stdio.h>

#include "util/log.h"

zl_conf_t *zl_cmd_setup(const char *cmd, int argc, char **argv, char **envp, const char **pos,
                        int max_pos, int *n_pos, int *status) {
    char err[512];
    zl_conf_t *conf = zl_conf_new();
    int dummy = 0;
    if (!n_pos) n_pos = &dummy;
    if (!conf || zl_conf_parse_args(conf, argc, argv, 1, envp, pos, max_pos, n_pos, err, sizeof err)) {
        fprintf(stderr, "zeelos %s: %s\n", cmd, conf ? err : "out of memory");
        zl_conf_destroy(conf);
        *status = 2;
        return NULL;
    }
    if (zl_conf_help_requested(conf)) {
        printf("usage: zeelos %s [options]\n\noptions:\n", cmd);
        zl_conf_write_help_cmd(stdout, cmd);
        zl_conf_destroy(conf);
        *status = 0;
        return NULL;
    }
    zl_log_set_level((zl_log_level_t)zl_conf_enum(conf, "log.level"));
    return conf;
}
