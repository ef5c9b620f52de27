/* SPDX-License-Identifier: Apache-2.0 */
/* cmd/: one thin file per command (parse its configuration, call its role)
 * and the command list (commands.c).  Entry points get argv[0] = the command
 * name and return the process exit status (0 ok, 1 runtime failure, 2 usage). */
#ifndef ZL_CMD_H
#define ZL_CMD_H

#include <stddef.h>
#include <stdio.h>
#include "common/conf.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv, char **envp);
    const char *summary;
    const zl_conf_cmd_t *conf; /* the tables it binds; NULL: none */
    void (*usage)(FILE *out);  /* --help before the options: synopsis and words; NULL: "[options]" */
} zl_cmd_t;

extern const zl_cmd_t zl_commands[];
extern const size_t zl_n_commands;

/* log.level, bound by every command (table in commands.c). */
typedef struct {
    int level; /* a zl_log_level_t */
} zl_cmd_log_conf_t;
extern const zl_conf_table_t zl_cmd_log_table;

/* Start-up shared by every command: binds spec's tables to the struct at
 * base, parses defaults < --config file < ZEELOS_* env < flags, collects up
 * to max_pos positional words into pos (pointing into argv), handles --help
 * and sets the log level from log (a member of *base).  Returns the
 * configuration (owner of base's strings: destroy it after the role) or NULL
 * with *status set (0 after --help, 2 on a usage error). */
zl_conf_t *zl_cmd_setup(const zl_conf_cmd_t *spec, void *base, const zl_cmd_log_conf_t *log, int argc,
                        char **argv, char **envp, const char **pos, int max_pos, int *n_pos, int *status);

/* The Markdown reference of every command's tables (docs/CONFIGURATION.md). */
void zl_cmd_write_markdown(FILE *out);

int zl_cmd_gateway(int argc, char **argv, char **envp);
int zl_cmd_device(int argc, char **argv, char **envp);
int zl_cmd_request(int argc, char **argv, char **envp);
int zl_cmd_tail(int argc, char **argv, char **envp);
int zl_cmd_security(int argc, char **argv, char **envp);
int zl_cmd_bench(int argc, char **argv, char **envp);
int zl_cmd_registry(int argc, char **argv, char **envp);
int zl_cmd_sink(int argc, char **argv, char **envp);
int zl_cmd_analytics(int argc, char **argv, char **envp);
int zl_cmd_console(int argc, char **argv, char **envp);
int zl_cmd_console_user(int argc, char **argv, char **envp);
int zl_cmd_config_doc(int argc, char **argv, char **envp);

extern const zl_conf_cmd_t zl_security_conf;
extern const zl_conf_cmd_t zl_gateway_conf, zl_device_conf, zl_request_conf, zl_tail_conf, zl_bench_conf,
    zl_registry_conf, zl_sink_conf, zl_analytics_conf, zl_console_conf;

#endif
