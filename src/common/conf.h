/* Configuration: one property table (name, type, default, doc) for every
 * zeelos command.  The same table parses properties files (key=value lines,
 * '#' comments), command-line flags (--coap-port 5683 == coap.port=5683),
 * environment variables (ZEELOS_COAP_PORT), and generates
 * docs/CONFIGURATION.md.  Keys starting with "kafka." are not in the table:
 * they are kept verbatim and handed to librdkafka (without the prefix), which
 * validates them.  Precedence: defaults < --config file < environment < flags. */
#ifndef ZL_CONF_H
#define ZL_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "common/err.h"

typedef struct zl_conf zl_conf_t;

zl_conf_t *zl_conf_new(void);            /* every property at its default */
void zl_conf_destroy(zl_conf_t *c);

/* Sets one property by its dotted name ("coap.port") or a "kafka.*" key.
 * Validates the type and range; ZL_ERR_INVALID / ZL_ERR_NOT_FOUND with errstr. */
zl_err_t zl_conf_set(zl_conf_t *c, const char *name, const char *value, char *errstr, size_t n);
zl_err_t zl_conf_load_file(zl_conf_t *c, const char *path, char *errstr, size_t n);
zl_err_t zl_conf_load_env(zl_conf_t *c, char *const *envp, char *errstr, size_t n);
/* Parses argv[first..argc): --name value, --name=value, -X key=value, --config FILE.
 * Non-option words are returned in order through positional[] (up to max_pos);
 * *n_pos receives their count. Applies file, then env, then flags. */
zl_err_t zl_conf_parse_args(zl_conf_t *c, int argc, char **argv, int first, char *const *envp,
                            const char **positional, int max_pos, int *n_pos,
                            char *errstr, size_t n);

const char *zl_conf_str(const zl_conf_t *c, const char *name);   /* never NULL for table keys */
int64_t zl_conf_int(const zl_conf_t *c, const char *name);
bool zl_conf_bool(const zl_conf_t *c, const char *name);

/* Calls cb for every kafka.* key set, with the prefix removed. */
void zl_conf_foreach_kafka(const zl_conf_t *c, void (*cb)(const char *k, const char *v, void *ctx),
                           void *ctx);
/* Writes the Markdown reference (docs/CONFIGURATION.md). */
void zl_conf_write_markdown(FILE *out);
/* Writes "--flag VALUE  doc (default)" lines for --help. */
void zl_conf_write_help(FILE *out);

/* ---- additions ---------------------------------------------------------- */

/* Like zl_conf_load_file on an in-memory properties text (len bytes, need not
 * be NUL-terminated); origin names it in errors ("origin:LINE: ..."). */
zl_err_t zl_conf_load_string(zl_conf_t *c, const char *text, size_t len, const char *origin,
                             char *errstr, size_t n);
/* True when zl_conf_parse_args saw -h/--help.  parse_args then returns ZL_OK
 * at once (no file, env or flag applied): print help and exit 0. */
bool zl_conf_help_requested(const zl_conf_t *c);
/* Index of an enum property's value in its allowed list (format: avro=0, json=1). */
int zl_conf_enum(const zl_conf_t *c, const char *name);
/* True if the property (or kafka.* key) was set by a file, env var, flag or
 * zl_conf_set (kafka.* keys with a zeelos default count as set). */
bool zl_conf_is_set(const zl_conf_t *c, const char *name);
/* --help text limited to the properties one command reads ("gateway",
 * "device", "request", "tail"; NULL or unknown = all). */
void zl_conf_write_help_cmd(FILE *out, const char *cmd);
/* Effective configuration as a properties file (kafka.* secrets masked). */
void zl_conf_write_properties(const zl_conf_t *c, FILE *out);
/* `zeelos config-doc [OUT.md]`: writes the Markdown reference to stdout or OUT.md. */
int zl_conf_cmd_doc(int argc, char **argv, char **envp);

/* Getters: zl_conf_str returns the value with ${name} references resolved
 * (for any table property; kafka.* keys: the value or NULL if unset).
 * zl_conf_int works for int, bool (0/1) and enum (index) properties.
 * An unknown name (or zl_conf_int on a string) is a programming error: logged, abort(). */

/* Start-up shared by every command: parse configuration (defaults < --config
 * file < ZEELOS_* env < flags), handle --help, set the log level.  Returns NULL
 * and sets *status (0 after --help, 2 on a usage error). */
zl_conf_t *zl_conf_setup(const char *cmd, int argc, char **argv, char **envp, const char **pos,
                         int max_pos, int *n_pos, int *status);

#endif
