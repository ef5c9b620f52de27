/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration: property tables owned by the modules that read them.
 *
 * A module declares a zl_conf_table_t next to its config struct: one entry per
 * property (name, type, default, range or allowed values, flag aliases, doc),
 * each bound to a typed field of the struct with ZL_CONF_FIELD (offsetof plus a
 * compile-time check of the field's C type).  A command binds the tables it
 * reads, each to a struct of its own, and parses: defaults < --config FILE <
 * ZEELOS_* environment < flags.  The flag (--coap-port), environment variable
 * (ZEELOS_COAP_PORT), file key, --help line and docs/CONFIGURATION.md row of a
 * property all derive from its entry.  This file knows no command and no
 * module.
 *
 * Keys starting with "kafka." are a passthrough map handed to librdkafka
 * (without the prefix), which validates them; a table may carry a zeelos
 * default for one of them (type ZL_CONF_KAFKA).
 *
 * Ownership: string fields written into a bound struct point into storage
 * owned by the zl_conf_t.  They stay valid until zl_conf_destroy() or the
 * next change of the configuration (zl_conf_set, load, parse), whichever
 * comes first; after parsing, keep the zl_conf_t alive as long as the
 * struct is used. */
#ifndef ZL_CONF_H
#define ZL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/err.h"

typedef struct zl_conf zl_conf_t;

typedef enum {
    ZL_CONF_STR,   /* field: const char * (${name} references resolved) */
    ZL_CONF_INT,   /* field: int or int64_t, checked against [min, max] */
    ZL_CONF_BOOL,  /* field: bool */
    ZL_CONF_ENUM,  /* field: int, the index of the value in `values` */
    ZL_CONF_KAFKA, /* kafka.* passthrough key with a zeelos default; field (optional): const char * */
} zl_conf_type_t;

/* C type of the bound field (set by ZL_CONF_FIELD; 0 = not bound). */
typedef enum { ZL_CONF_C_NONE, ZL_CONF_C_STR, ZL_CONF_C_INT, ZL_CONF_C_I64, ZL_CONF_C_BOOL } zl_conf_ctype_t;

typedef struct {
    const char *name; /* dotted: "coap.port" */
    zl_conf_type_t type;
    const char *def;     /* default as text, parsed like any value */
    int64_t min, max;    /* ZL_CONF_INT */
    const char *values;  /* ZL_CONF_ENUM: "avro|json", canonical spelling */
    const char *aliases; /* extra flags, ' ' separated: "--gw" */
    const char *doc;     /* first sentence = --help text; Markdown backticks allowed */
    size_t off;          /* field offset in the bound struct */
    zl_conf_ctype_t ctype;
} zl_conf_prop_t;

/* Binds an entry to field f of struct T (a type mismatch does not compile). */
#define ZL_CONF_FIELD(T, f)                                                                        \
    .off = offsetof(T, f),                                                                         \
    .ctype = _Generic(((T *)0)->f, const char *: ZL_CONF_C_STR, int: ZL_CONF_C_INT,                \
                      int64_t: ZL_CONF_C_I64, bool: ZL_CONF_C_BOOL)

typedef struct {
    const char *title; /* section heading in --help and docs/CONFIGURATION.md */
    const zl_conf_prop_t *props;
    size_t n;
} zl_conf_table_t;

/* const zl_conf_table_t t = ZL_CONF_TABLE("Title", entries); */
#define ZL_CONF_TABLE(title_, entries)                                                             \
    {.title = (title_), .props = (entries), .n = sizeof(entries) / sizeof((entries)[0])}

/* A command's configuration: the tables it binds, each at an offset of one
 * struct of the command (for binding, --help, and the Commands column of the
 * docs). */
typedef struct {
    const zl_conf_table_t *table;
    size_t off;
} zl_conf_part_t;

typedef struct {
    const char *name; /* "gateway" */
    const zl_conf_part_t *parts;
    size_t n_parts;
} zl_conf_cmd_t;

#define ZL_CONF_PART(T, member, table_) {.table = &(table_), .off = offsetof(T, member)}
/* const zl_conf_cmd_t c = ZL_CONF_CMD("gateway", parts); */
#define ZL_CONF_CMD(name_, parts_)                                                                 \
    {.name = (name_), .parts = (parts_), .n_parts = sizeof(parts_) / sizeof((parts_)[0])}

zl_conf_t *zl_conf_new(void); /* no table bound yet */
void zl_conf_destroy(zl_conf_t *c);

/* Binds table t to the struct at dst (NULL if no entry has a field): writes
 * every default into it.  ZL_ERR_INVALID (errstr says why) when a name is
 * already bound by another table, a field's C type does not fit the entry's
 * type, or a default does not parse: programming errors. */
zl_err_t zl_conf_bind(zl_conf_t *c, const zl_conf_table_t *t, void *dst, char *errstr, size_t n);
/* Binds every part of cmd, part i to (char *)base + parts[i].off. */
zl_err_t zl_conf_bind_cmd(zl_conf_t *c, const zl_conf_cmd_t *cmd, void *base, char *errstr, size_t n);

/* Sets one bound property by its dotted name ("coap.port") or a "kafka.*" key.
 * Validates the type and range; ZL_ERR_INVALID / ZL_ERR_NOT_FOUND with errstr. */
zl_err_t zl_conf_set(zl_conf_t *c, const char *name, const char *value, char *errstr, size_t n);
zl_err_t zl_conf_load_file(zl_conf_t *c, const char *path, char *errstr, size_t n);
/* Like zl_conf_load_file on an in-memory properties text (len bytes, need not
 * be NUL-terminated); origin names it in errors ("origin:LINE: ..."). */
zl_err_t zl_conf_load_string(zl_conf_t *c, const char *text, size_t len, const char *origin,
                             char *errstr, size_t n);
zl_err_t zl_conf_load_env(zl_conf_t *c, char *const *envp, char *errstr, size_t n);
/* Parses argv[first..argc): --name value, --name=value, -X key=value, --config FILE.
 * Non-option words are returned in order through positional[] (up to max_pos;
 * they point into argv); *n_pos receives their count. Applies file, then env,
 * then flags.  argv[first - 1] names the command in messages. */
zl_err_t zl_conf_parse_args(zl_conf_t *c, int argc, char **argv, int first, char *const *envp,
                            const char **positional, int max_pos, int *n_pos,
                            char *errstr, size_t n);
/* True when zl_conf_parse_args saw -h/--help.  parse_args then returns ZL_OK
 * at once (no file, env or flag applied): print help and exit 0. */
bool zl_conf_help_requested(const zl_conf_t *c);

/* True if the bound property (or kafka.* key) was set by a file, env var, flag
 * or zl_conf_set (kafka.* keys with a zeelos default count as set).  For
 * commands whose default depends on whether the user chose a value. */
bool zl_conf_is_set(const zl_conf_t *c, const char *name);
/* kafka.* passthrough: the value of key ("kafka.acks"), NULL if absent. */
const char *zl_conf_kafka(const zl_conf_t *c, const char *key);
/* Calls cb for every kafka.* key set, with the prefix removed. */
void zl_conf_foreach_kafka(const zl_conf_t *c, void (*cb)(const char *k, const char *v, void *ctx),
                           void *ctx);
/* Effective configuration as a properties file (kafka.* secrets masked). */
void zl_conf_write_properties(const zl_conf_t *c, FILE *out);

/* ---- conf_doc.c ---- */

/* "--flag VALUE  doc (default)" lines of the bound tables, for --help. */
void zl_conf_write_help(const zl_conf_t *c, FILE *out);
/* The Markdown reference (docs/CONFIGURATION.md) of every table the commands
 * bind; the Commands column lists the commands binding a row's table. */
void zl_conf_write_markdown(FILE *out, const zl_conf_cmd_t *const *cmds, size_t n_cmds);

#endif
