/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the sources of a configuration: properties files (or text),
 * ZEELOS_* environment variables and the command line (see conf.h for the
 * precedence).  Each value goes through the same setter as zl_conf_set. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/conf.h"
#include "common/conf_int.h"
#include "common/log.h"

#define ZL_CONF_MAX_FILE (1u << 20) /* a properties file is small; stops /dev/zero */

zl_err_t zl_conf_load_string(zl_conf_t *c, const char *text, size_t len, const char *origin,
                             char *errstr, size_t n) {
    if (!origin) origin = "config";
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        line++;
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        if (memchr(text + pos, 0, end - pos)) {
            zl_conf_msg(errstr, n, "%s:%d: NUL byte in line", origin, line);
            return ZL_ERR_INVALID;
        }
        char *l = strndup(text + pos, end - pos);
        if (!l) return ZL_ERR_NOMEM;
        pos = end + 1;
        char *s = (char *)zl_conf_trim(l);
        if (!*s || *s == '#' || *s == '!') {
            free(l);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            zl_conf_msg(errstr, n, "%s:%d: expected key=value, got '%s'", origin, line, s);
            free(l);
            return ZL_ERR_INVALID;
        }
        *eq = 0;
        const char *key = zl_conf_trim(s), *value = zl_conf_trim(eq + 1);
        if (!*key) {
            zl_conf_msg(errstr, n, "%s:%d: missing property name before '='", origin, line);
            free(l);
            return ZL_ERR_INVALID;
        }
        zl_err_t e = zl_conf_set(c, key, value, errstr, n);
        free(l);
        if (e) {
            zl_conf_msg_prefix(errstr, n, "%s:%d: ", origin, line);
            return e;
        }
    }
    return ZL_OK;
}

zl_err_t zl_conf_load_file(zl_conf_t *c, const char *path, char *errstr, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        zl_conf_msg(errstr, n, "cannot open config file '%s': %s", path, strerror(errno));
        return ZL_ERR_IO;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (ZL_ARRAY_RESERVE(&data, &cap, len + 4096, 8192)) { /* at least 4 KiB to read into */
            free(data);
            fclose(f);
            zl_conf_msg(errstr, n, "out of memory reading '%s'", path);
            return ZL_ERR_NOMEM;
        }
        size_t r = fread(data + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
        if (len > ZL_CONF_MAX_FILE) {
            free(data);
            fclose(f);
            zl_conf_msg(errstr, n, "config file '%s' is larger than %u bytes", path, ZL_CONF_MAX_FILE);
            return ZL_ERR_TOO_LARGE;
        }
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(data);
        zl_conf_msg(errstr, n, "cannot read config file '%s'", path);
        return ZL_ERR_IO;
    }
    zl_err_t e = zl_conf_load_string(c, data, len, path, errstr, n);
    free(data);
    return e;
}

zl_err_t zl_conf_load_env(zl_conf_t *c, char *const *envp, char *errstr, size_t n) {
    for (; envp && *envp; envp++) {
        const char *kv = *envp;
        if (strncmp(kv, "ZEELOS_", 7) != 0) continue;
        const char *eq = strchr(kv, '=');
        if (!eq) continue;
        size_t nlen = (size_t)(eq - kv);
        int idx = -1;
        char env[160];
        for (size_t i = 0; i < c->n_slots && idx < 0; i++) {
            zl_conf_prop_env(c->slots[i].p, env, sizeof env);
            if (strlen(env) == nlen && memcmp(env, kv, nlen) == 0) idx = (int)i;
        }
        zl_err_t e;
        char name[160];
        if (idx >= 0) {
            e = zl_conf_set_slot(c, (size_t)idx, eq + 1, errstr, n);
        } else if (nlen > 13 && strncmp(kv, "ZEELOS_KAFKA_", 13) == 0 && nlen < sizeof name) {
            snprintf(name, sizeof name, "kafka.%.*s", (int)(nlen - 13), kv + 13);
            for (char *s = name + 6; *s; s++)
                *s = (*s == '_') ? '.' : (char)tolower((unsigned char)*s);
            e = zl_conf_set(c, name, eq + 1, errstr, n);
        } else {
            ZL_WARN("conf", "ignoring unknown environment variable %.*s", (int)nlen, kv);
            continue;
        }
        if (e) {
            zl_conf_msg_prefix(errstr, n, "environment variable %.*s: ", (int)nlen, kv);
            return e;
        }
    }
    return ZL_OK;
}

/* ---- command line ------------------------------------------------------------------- */

typedef enum { ZL_ARG_POS, ZL_ARG_DASHDASH, ZL_ARG_HELP, ZL_ARG_CONFIG, ZL_ARG_PROP, ZL_ARG_X } zl_argkind_t;

typedef struct {
    zl_argkind_t kind;
    int prop;          /* ZL_ARG_PROP */
    const char *value; /* POS word, CONFIG path, PROP value, X key=value */
    const char *flag;  /* as written, for messages */
    int flag_len;
} zl_arg_t;

static void zl_unknown_option(char *errstr, size_t n, const char *flag, int len, const char *cmd) {
    if (cmd)
        zl_conf_msg(errstr, n, "unknown option '%.*s' (see zeelos %s --help)", len, flag, cmd);
    else
        zl_conf_msg(errstr, n, "unknown option '%.*s' (see zeelos --help)", len, flag);
}

/* Classifies argv[*i] (advancing *i past any value it consumes). */
static zl_err_t zl_arg_next(const zl_conf_t *c, int argc, char **argv, int *i, bool after_dd, const char *cmd,
                            zl_arg_t *a, char *errstr, size_t n) {
    const char *arg = argv[*i];
    memset(a, 0, sizeof *a);
    a->flag = arg;
    a->flag_len = (int)strlen(arg);
    (*i)++;
    /* no option starts with a digit: "-03:00", "-5" are words (negative values) */
    if (after_dd || arg[0] != '-' || arg[1] == 0 || (arg[1] >= '0' && arg[1] <= '9') || arg[1] == '.') {
        a->kind = ZL_ARG_POS;
        a->value = arg;
        return ZL_OK;
    }
    if (strcmp(arg, "--") == 0) return a->kind = ZL_ARG_DASHDASH, ZL_OK;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return a->kind = ZL_ARG_HELP, ZL_OK;
    if (strncmp(arg, "-X", 2) == 0) {
        a->kind = ZL_ARG_X;
        a->flag_len = 2;
        if (arg[2]) {
            a->value = arg + 2;
        } else if (*i < argc) {
            a->value = argv[(*i)++];
        } else {
            zl_conf_msg(errstr, n, "option '-X' requires a key=value argument");
            return ZL_ERR_INVALID;
        }
        return ZL_OK;
    }
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t flen = eq ? (size_t)(eq - arg) : strlen(arg);
    a->flag_len = (int)flen;
    if (flen == 8 && strncmp(arg, "--config", 8) == 0) {
        a->kind = ZL_ARG_CONFIG;
    } else {
        a->kind = ZL_ARG_PROP;
        a->prop = zl_conf_flag_find(c, arg, flen);
        if (a->prop < 0 && !eq && strncmp(arg, "--no-", 5) == 0) {
            char pos[128];
            snprintf(pos, sizeof pos, "--%s", arg + 5);
            int p = zl_conf_flag_find(c, pos, strlen(pos));
            if (p >= 0 && c->slots[p].p->type == ZL_CONF_BOOL) {
                a->prop = p;
                a->value = "false";
                return ZL_OK;
            }
        }
        if (a->prop < 0) {
            zl_unknown_option(errstr, n, arg, (int)flen, cmd);
            return ZL_ERR_INVALID;
        }
        if (c->slots[a->prop].p->type == ZL_CONF_BOOL && !eq) {
            a->value = "true";
            return ZL_OK;
        }
    }
    if (eq) {
        a->value = eq + 1;
    } else if (*i < argc) {
        a->value = argv[(*i)++];
    } else {
        zl_conf_msg(errstr, n, "option '%.*s' requires a value", (int)flen, arg);
        return ZL_ERR_INVALID;
    }
    return ZL_OK;
}

static const char *zl_cmd_name(int argc, char **argv, int first) {
    if (first < 1 || first > argc || !argv[first - 1]) return NULL;
    const char *s = strrchr(argv[first - 1], '/');
    s = s ? s + 1 : argv[first - 1];
    return strcmp(s, "zeelos") == 0 ? NULL : s;
}

zl_err_t zl_conf_parse_args(zl_conf_t *c, int argc, char **argv, int first, char *const *envp,
                            const char **positional, int max_pos, int *n_pos, char *errstr,
                            size_t n) {
    const char *cmd = zl_cmd_name(argc, argv, first);
    zl_arg_t a;
    int npos = 0;
    if (n_pos) *n_pos = 0;
    /* Pass 1: syntax, --help, positional words; files are loaded in order. */
    bool dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_err_t e = zl_arg_next(c, argc, argv, &i, dd, cmd, &a, errstr, n);
        if (e) return e;
        if (a.kind == ZL_ARG_HELP) {
            c->help = true;
            return ZL_OK;
        }
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind == ZL_ARG_POS) {
            if (npos >= max_pos || !positional) {
                zl_conf_msg(errstr, n, "unexpected argument '%s' (see zeelos%s%s --help)", a.value,
                       cmd ? " " : "", cmd ? cmd : "");
                return ZL_ERR_INVALID;
            }
            positional[npos++] = a.value;
            if (n_pos) *n_pos = npos;
        }
    }
    dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_arg_next(c, argc, argv, &i, dd, cmd, &a, errstr, n);
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind != ZL_ARG_CONFIG) continue;
        zl_err_t e = zl_conf_load_file(c, a.value, errstr, n);
        if (e) return e;
    }
    zl_err_t e = zl_conf_load_env(c, envp, errstr, n);
    if (e) return e;
    /* Pass 2: flags, left to right (the last one wins). */
    dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_arg_next(c, argc, argv, &i, dd, cmd, &a, errstr, n);
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind == ZL_ARG_PROP) {
            e = zl_conf_set_slot(c, (size_t)a.prop, a.value, errstr, n);
            if (e) {
                zl_conf_msg_prefix(errstr, n, "option '%.*s': ", a.flag_len, a.flag);
                return e;
            }
        } else if (a.kind == ZL_ARG_X) {
            const char *eq = strchr(a.value, '=');
            if (!eq || eq == a.value) {
                zl_conf_msg(errstr, n, "option '-X' expects key=value, got '%s'", a.value);
                return ZL_ERR_INVALID;
            }
            char *key = strndup(a.value, (size_t)(eq - a.value));
            if (!key) return ZL_ERR_NOMEM;
            e = zl_conf_set(c, zl_conf_trim(key), eq + 1, errstr, n);
            free(key);
            if (e) {
                zl_conf_msg_prefix(errstr, n, "option '-X': ");
                return e;
            }
        }
    }
    return ZL_OK;
}

bool zl_conf_help_requested(const zl_conf_t *c) { return c && c->help; }
