/* Shared start-up for the commands: parse configuration (defaults < --config
 * file < ZEELOS_* env < flags), handle --help, set the log level. */
#ifndef ZL_CMD_COMMON_H
#define ZL_CMD_COMMON_H
#include "util/conf.h"
/* Returns NULL and sets *status (0 after --help, 2 on a usage error). */
zl_conf_t *zl_cmd_setup(const char *cmd, int argc, char **argv, char **envp, const char **pos,
                        int max_pos, int *n_pos, int *status);
#endif
