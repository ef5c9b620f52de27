/* Configuration.  Why one static table (conf_props.c): the flag, environment
 * variable, file key, --help line and docs/CONFIGURATION.md row of a property
 * are all derived from one entry, so they cannot drift apart (test_conf fails when the
 * committed Markdown differs from what the table generates).  Values live in
 * the zl_conf_t handle; string values may reference other properties as
 * ${name}, resolved after every change so getters stay const and cheap.
 * kafka.* keys are passed through verbatim to librdkafka, which validates
 * them; the table only carries zeelos' defaults for a few of them. */
#include "common/conf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/conf_int.h"
#include "common/log.h"

#define ZL_CONF_MAX_FILE (1u << 20) /* a properties file is small; stops /dev/zero */

typedef struct {
    char *key; /* full key, "kafka.acks" */
    char *value;
} zl_kv_t;

struct zl_conf {
    char *raw[ZL_NPROPS];   /* canonical text as set (NULL for ZL_PT_KAFKA) */
    char *exp[ZL_NPROPS];   /* ${name} references resolved */
    int64_t num[ZL_NPROPS]; /* INT value, BOOL 0/1, ENUM index */
    bool set[ZL_NPROPS];    /* set by a file, env or flag */
    bool help;
    zl_kv_t *kafka;
    size_t n_kafka, cap_kafka;
};

/* ---- small helpers ------------------------------------------------------- */

static void zl_msg(char *errstr, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void zl_msg(char *errstr, size_t n, const char *fmt, ...) {
    if (!errstr || !n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, n, fmt, ap);
    va_end(ap);
}

/* Prefixes errstr in place: "<prefix><errstr>". */
static void zl_msg_prefix(char *errstr, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void zl_msg_prefix(char *errstr, size_t n, const char *fmt, ...) {
    if (!errstr || !n) return;
    char *old = strdup(errstr);
    char pre[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(errstr, n, "%s%s", pre, old ? old : "");
    free(old);
}

static int zl_prop_find(const char *name) {
    for (size_t i = 0; i < ZL_NPROPS; i++)
        if (strcmp(zl_props[i].name, name) == 0) return (int)i;
    return -1;
}

static int zl_prop_find_n(const char *name, size_t len) {
    for (size_t i = 0; i < ZL_NPROPS; i++)
        if (strlen(zl_props[i].name) == len && memcmp(zl_props[i].name, name, len) == 0) return (int)i;
    return -1;
}

/* "--coap-port" for coap.port. */
static void zl_prop_flag(const zl_prop_t *p, char *out, size_t n) {
    snprintf(out, n, "--%s", p->name);
    for (char *s = out + 2; *s; s++)
        if (*s == '.') *s = '-';
}

/* "ZEELOS_COAP_PORT" for coap.port. */
static void zl_prop_env(const zl_prop_t *p, char *out, size_t n) {
    snprintf(out, n, "ZEELOS_%s", p->name);
    for (char *s = out; *s; s++)
        *s = (*s == '.' || *s == '-') ? '_' : (char)toupper((unsigned char)*s);
}

/* Finds the property whose flag or alias equals flag[0..len). */
static int zl_flag_find(const char *flag, size_t len) {
    char f[128];
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        zl_prop_flag(&zl_props[i], f, sizeof f);
        if (strlen(f) == len && memcmp(f, flag, len) == 0) return (int)i;
        const char *a = zl_props[i].aliases;
        while (a && *a) {
            size_t al = strcspn(a, " ");
            if (al == len && memcmp(a, flag, len) == 0) return (int)i;
            a += al;
            while (*a == ' ') a++;
        }
    }
    return -1;
}

static const char *zl_trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t l = strlen(s);
    while (l && isspace((unsigned char)s[l - 1])) s[--l] = 0;
    return s;
}

/* ---- kafka passthrough ----------------------------------------------------- */

static bool zl_kafka_key_ok(const char *key) {
    if (strncmp(key, "kafka.", 6) != 0 || !key[6]) return false;
    for (const char *s = key + 6; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-') return false;
    return true;
}

static zl_err_t zl_kafka_put(zl_conf_t *c, const char *key, const char *value) {
    char *v = strdup(value);
    if (!v) return ZL_ERR_NOMEM;
    for (size_t i = 0; i < c->n_kafka; i++)
        if (strcmp(c->kafka[i].key, key) == 0) {
            free(c->kafka[i].value);
            c->kafka[i].value = v;
            return ZL_OK;
        }
    if (c->n_kafka == c->cap_kafka) {
        size_t cap = c->cap_kafka ? c->cap_kafka * 2 : 16;
        zl_kv_t *k = realloc(c->kafka, cap * sizeof *k);
        if (!k) {
            free(v);
            return ZL_ERR_NOMEM;
        }
        c->kafka = k;
        c->cap_kafka = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return ZL_ERR_NOMEM;
    }
    c->kafka[c->n_kafka].key = k;
    c->kafka[c->n_kafka].value = v;
    c->n_kafka++;
    return ZL_OK;
}

/* ---- ${name} expansion ------------------------------------------------------- */

/* Appends the expansion of raw[i] to *out (malloc'd; *len used, *cap allocated). */
static zl_err_t zl_expand_into(const zl_conf_t *c, size_t i, int depth, char **out, size_t *len,
                               size_t *cap, char *msg, size_t n) {
    if (depth > 8) {
        zl_msg(msg, n, "reference cycle through '${%s}'", zl_props[i].name);
        return ZL_ERR_INVALID;
    }
    const char *s = c->raw[i] ? c->raw[i] : "";
    while (*s) {
        if (s[0] == '$' && s[1] == '{') {
            const char *end = strchr(s + 2, '}');
            if (!end) {
                zl_msg(msg, n, "unterminated '${' in '%s'", c->raw[i]);
                return ZL_ERR_INVALID;
            }
            int ref = zl_prop_find_n(s + 2, (size_t)(end - s - 2));
            if (ref < 0 || zl_props[ref].type == ZL_PT_KAFKA) {
                zl_msg(msg, n, "unknown property '%.*s' referenced in '%s'", (int)(end - s - 2),
                       s + 2, c->raw[i]);
                return ZL_ERR_INVALID;
            }
            zl_err_t e = zl_expand_into(c, (size_t)ref, depth + 1, out, len, cap, msg, n);
            if (e) return e;
            s = end + 1;
            continue;
        }
        const char *nx = strstr(s + 1, "${");
        size_t plen = nx ? (size_t)(nx - s) : strlen(s);
        if (*len + plen + 1 > *cap) {
            size_t nc = (*len + plen + 1) * 2;
            char *r = realloc(*out, nc);
            if (!r) return ZL_ERR_NOMEM;
            *out = r;
            *cap = nc;
        }
        memcpy(*out + *len, s, plen);
        *len += plen;
        (*out)[*len] = 0;
        s += plen;
    }
    return ZL_OK;
}

/* Recomputes exp[] for every string property; all or nothing. */
static zl_err_t zl_expand_all(zl_conf_t *c, char *msg, size_t n) {
    char *fresh[ZL_NPROPS] = {0};
    zl_err_t e = ZL_OK;
    for (size_t i = 0; i < ZL_NPROPS && !e; i++) {
        if (zl_props[i].type == ZL_PT_KAFKA) continue;
        if (zl_props[i].type != ZL_PT_STR) {
            fresh[i] = strdup(c->raw[i]);
            if (!fresh[i]) e = ZL_ERR_NOMEM;
            continue;
        }
        size_t len = 0, cap = 16;
        fresh[i] = malloc(cap);
        if (!fresh[i]) {
            e = ZL_ERR_NOMEM;
            break;
        }
        fresh[i][0] = 0;
        e = zl_expand_into(c, i, 0, &fresh[i], &len, &cap, msg, n);
    }
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        if (e) {
            free(fresh[i]);
        } else if (zl_props[i].type != ZL_PT_KAFKA) {
            free(c->exp[i]);
            c->exp[i] = fresh[i];
        }
    }
    if (e == ZL_ERR_NOMEM) zl_msg(msg, n, "out of memory");
    return e;
}

/* ---- value parsing ----------------------------------------------------------- */

static bool zl_parse_bool(const char *v, bool *out) {
    static const char *const t[] = {"true", "yes", "on", "1"}, *const f[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, t[i]) == 0) return *out = true, true;
        if (strcasecmp(v, f[i]) == 0) return *out = false, true;
    }
    return false;
}

/* Index of v in "a|b|c" (case-insensitive), canonical spelling copied to canon. */
static int zl_parse_enum(const char *values, const char *v, char *canon, size_t n) {
    int idx = 0;
    for (const char *a = values; *a; idx++) {
        size_t l = strcspn(a, "|");
        if (strlen(v) == l && strncasecmp(a, v, l) == 0) {
            snprintf(canon, n, "%.*s", (int)l, a);
            return idx;
        }
        a += l;
        if (*a == '|') a++;
    }
    return -1;
}

/* "avro, json" */
static void zl_enum_list(const char *values, char *out, size_t n) {
    size_t o = 0;
    out[0] = 0;
    for (const char *a = values; *a && o + 1 < n; a++) {
        int w = (*a == '|') ? snprintf(out + o, n - o, ", ") : snprintf(out + o, n - o, "%c", *a);
        if (w < 0 || (size_t)w >= n - o) break;
        o += (size_t)w;
    }
}

/* Validates and stores value for table property i; msg names no property. */
static zl_err_t zl_set_prop(zl_conf_t *c, size_t i, const char *value, char *msg, size_t n) {
    const zl_prop_t *p = &zl_props[i];
    char canon[64];
    const char *store = value;
    int64_t num = 0;
    switch (p->type) {
    case ZL_PT_KAFKA:
        c->set[i] = true;
        return zl_kafka_put(c, p->name, value);
    case ZL_PT_STR:
        break;
    case ZL_PT_INT: {
        char *tmp = strdup(value);
        if (!tmp) return ZL_ERR_NOMEM;
        const char *t = zl_trim(tmp);
        char *end = NULL;
        errno = 0;
        long long v = strtoll(t, &end, 10);
        bool ok = *t && end && !*end;
        bool range = errno == ERANGE;
        free(tmp);
        if (!ok) {
            zl_msg(msg, n, "'%s' is not an integer", value);
            return ZL_ERR_INVALID;
        }
        if (range || v < p->min || v > p->max) {
            zl_msg(msg, n, "%s is out of range [%" PRId64 ", %" PRId64 "]", value, p->min, p->max);
            return ZL_ERR_INVALID;
        }
        num = v;
        snprintf(canon, sizeof canon, "%lld", v);
        store = canon;
        break;
    }
    case ZL_PT_BOOL: {
        bool b;
        if (!zl_parse_bool(value, &b)) {
            zl_msg(msg, n, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", value);
            return ZL_ERR_INVALID;
        }
        num = b;
        store = b ? "true" : "false";
        break;
    }
    case ZL_PT_ENUM: {
        int idx = zl_parse_enum(p->values, value, canon, sizeof canon);
        if (idx < 0) {
            char list[256];
            zl_enum_list(p->values, list, sizeof list);
            zl_msg(msg, n, "'%s' is not one of: %s", value, list);
            return ZL_ERR_INVALID;
        }
        num = idx;
        store = canon;
        break;
    }
    }
    char *nv = strdup(store);
    if (!nv) return ZL_ERR_NOMEM;
    char *old = c->raw[i];
    c->raw[i] = nv;
    zl_err_t e = zl_expand_all(c, msg, n);
    if (e) {
        c->raw[i] = old;
        free(nv);
        char dummy[8];
        zl_expand_all(c, dummy, sizeof dummy);
        return e;
    }
    free(old);
    c->num[i] = num;
    c->set[i] = true;
    return ZL_OK;
}

/* ---- public API ---------------------------------------------------------------- */

zl_conf_t *zl_conf_new(void) {
    zl_conf_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    char msg[256];
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        if (zl_props[i].type == ZL_PT_KAFKA) {
            if (zl_kafka_put(c, zl_props[i].name, zl_props[i].def)) goto fail;
            continue;
        }
        c->raw[i] = strdup(zl_props[i].def);
        if (!c->raw[i]) goto fail;
    }
    if (zl_expand_all(c, msg, sizeof msg)) goto fail;
    /* Parse the defaults through the setter so num[] is right (and the
     * table is self-checked: a bad default fails every zl_conf_new). */
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        if (zl_props[i].type == ZL_PT_KAFKA || zl_props[i].type == ZL_PT_STR) continue;
        if (zl_set_prop(c, i, zl_props[i].def, msg, sizeof msg)) {
            ZL_ERROR("conf", "bad default for %s: %s", zl_props[i].name, msg);
            goto fail;
        }
        c->set[i] = false;
    }
    return c;
fail:
    zl_conf_destroy(c);
    return NULL;
}

void zl_conf_destroy(zl_conf_t *c) {
    if (!c) return;
    for (size_t i = 0; i < ZL_NPROPS; i++) {
        free(c->raw[i]);
        free(c->exp[i]);
    }
    for (size_t i = 0; i < c->n_kafka; i++) {
        free(c->kafka[i].key);
        free(c->kafka[i].value);
    }
    free(c->kafka);
    free(c);
}

zl_err_t zl_conf_set(zl_conf_t *c, const char *name, const char *value, char *errstr, size_t n) {
    if (!c || !name || !value) {
        zl_msg(errstr, n, "missing property name or value");
        return ZL_ERR_INVALID;
    }
    int i = zl_prop_find(name);
    if (i < 0) {
        if (strncmp(name, "kafka.", 6) == 0) {
            if (!zl_kafka_key_ok(name)) {
                zl_msg(errstr, n, "invalid kafka property name '%s'", name);
                return ZL_ERR_INVALID;
            }
            zl_err_t e = zl_kafka_put(c, name, value);
            if (e) zl_msg(errstr, n, "out of memory");
            return e;
        }
        zl_msg(errstr, n, "unknown property '%s'", name);
        return ZL_ERR_NOT_FOUND;
    }
    zl_err_t e = zl_set_prop(c, (size_t)i, value, errstr, n);
    if (e) zl_msg_prefix(errstr, n, "%s: ", name);
    return e;
}

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
            zl_msg(errstr, n, "%s:%d: NUL byte in line", origin, line);
            return ZL_ERR_INVALID;
        }
        char *l = strndup(text + pos, end - pos);
        if (!l) return ZL_ERR_NOMEM;
        pos = end + 1;
        char *s = (char *)zl_trim(l);
        if (!*s || *s == '#' || *s == '!') {
            free(l);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            zl_msg(errstr, n, "%s:%d: expected key=value, got '%s'", origin, line, s);
            free(l);
            return ZL_ERR_INVALID;
        }
        *eq = 0;
        const char *key = zl_trim(s), *value = zl_trim(eq + 1);
        if (!*key) {
            zl_msg(errstr, n, "%s:%d: missing property name before '='", origin, line);
            free(l);
            return ZL_ERR_INVALID;
        }
        zl_err_t e = zl_conf_set(c, key, value, errstr, n);
        free(l);
        if (e) {
            zl_msg_prefix(errstr, n, "%s:%d: ", origin, line);
            return e;
        }
    }
    return ZL_OK;
}

zl_err_t zl_conf_load_file(zl_conf_t *c, const char *path, char *errstr, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        zl_msg(errstr, n, "cannot open config file '%s': %s", path, strerror(errno));
        return ZL_ERR_IO;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            size_t nc = cap ? cap * 2 : 8192;
            char *d = realloc(data, nc);
            if (!d) {
                free(data);
                fclose(f);
                zl_msg(errstr, n, "out of memory reading '%s'", path);
                return ZL_ERR_NOMEM;
            }
            data = d;
            cap = nc;
        }
        size_t r = fread(data + len, 1, cap - len, f);
        len += r;
        if (r == 0) break;
        if (len > ZL_CONF_MAX_FILE) {
            free(data);
            fclose(f);
            zl_msg(errstr, n, "config file '%s' is larger than %u bytes", path, ZL_CONF_MAX_FILE);
            return ZL_ERR_TOO_LARGE;
        }
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(data);
        zl_msg(errstr, n, "cannot read config file '%s'", path);
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
        for (size_t i = 0; i < ZL_NPROPS && idx < 0; i++) {
            zl_prop_env(&zl_props[i], env, sizeof env);
            if (strlen(env) == nlen && memcmp(env, kv, nlen) == 0) idx = (int)i;
        }
        zl_err_t e;
        char name[160];
        if (idx >= 0) {
            e = zl_set_prop(c, (size_t)idx, eq + 1, errstr, n);
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
            zl_msg_prefix(errstr, n, "environment variable %.*s: ", (int)nlen, kv);
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
        zl_msg(errstr, n, "unknown option '%.*s' (see zeelos %s --help)", len, flag, cmd);
    else
        zl_msg(errstr, n, "unknown option '%.*s' (see zeelos --help)", len, flag);
}

/* Classifies argv[*i] (advancing *i past any value it consumes). */
static zl_err_t zl_arg_next(int argc, char **argv, int *i, bool after_dd, const char *cmd,
                            zl_arg_t *a, char *errstr, size_t n) {
    const char *arg = argv[*i];
    memset(a, 0, sizeof *a);
    a->flag = arg;
    a->flag_len = (int)strlen(arg);
    (*i)++;
    if (after_dd || arg[0] != '-' || arg[1] == 0) {
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
            zl_msg(errstr, n, "option '-X' requires a key=value argument");
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
        a->prop = zl_flag_find(arg, flen);
        if (a->prop < 0 && !eq && strncmp(arg, "--no-", 5) == 0) {
            char pos[128];
            snprintf(pos, sizeof pos, "--%s", arg + 5);
            int p = zl_flag_find(pos, strlen(pos));
            if (p >= 0 && zl_props[p].type == ZL_PT_BOOL) {
                a->prop = p;
                a->value = "false";
                return ZL_OK;
            }
        }
        if (a->prop < 0) {
            zl_unknown_option(errstr, n, arg, (int)flen, cmd);
            return ZL_ERR_INVALID;
        }
        if (zl_props[a->prop].type == ZL_PT_BOOL && !eq) {
            a->value = "true";
            return ZL_OK;
        }
    }
    if (eq) {
        a->value = eq + 1;
    } else if (*i < argc) {
        a->value = argv[(*i)++];
    } else {
        zl_msg(errstr, n, "option '%.*s' requires a value", (int)flen, arg);
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
        zl_err_t e = zl_arg_next(argc, argv, &i, dd, cmd, &a, errstr, n);
        if (e) return e;
        if (a.kind == ZL_ARG_HELP) {
            c->help = true;
            return ZL_OK;
        }
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind == ZL_ARG_POS) {
            if (npos >= max_pos || !positional) {
                zl_msg(errstr, n, "unexpected argument '%s' (see zeelos%s%s --help)", a.value,
                       cmd ? " " : "", cmd ? cmd : "");
                return ZL_ERR_INVALID;
            }
            positional[npos++] = a.value;
            if (n_pos) *n_pos = npos;
        }
    }
    dd = false;
    for (int i = first < 0 ? 0 : first; i < argc;) {
        zl_arg_next(argc, argv, &i, dd, cmd, &a, errstr, n);
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
        zl_arg_next(argc, argv, &i, dd, cmd, &a, errstr, n);
        if (a.kind == ZL_ARG_DASHDASH) dd = true;
        if (a.kind == ZL_ARG_PROP) {
            e = zl_set_prop(c, (size_t)a.prop, a.value, errstr, n);
            if (e) {
                zl_msg_prefix(errstr, n, "option '%.*s': ", a.flag_len, a.flag);
                return e;
            }
        } else if (a.kind == ZL_ARG_X) {
            const char *eq = strchr(a.value, '=');
            if (!eq || eq == a.value) {
                zl_msg(errstr, n, "option '-X' expects key=value, got '%s'", a.value);
                return ZL_ERR_INVALID;
            }
            char *key = strndup(a.value, (size_t)(eq - a.value));
            if (!key) return ZL_ERR_NOMEM;
            e = zl_conf_set(c, zl_trim(key), eq + 1, errstr, n);
            free(key);
            if (e) {
                zl_msg_prefix(errstr, n, "option '-X': ");
                return e;
            }
        }
    }
    return ZL_OK;
}

bool zl_conf_help_requested(const zl_conf_t *c) { return c && c->help; }

/* ---- getters ------------------------------------------------------------------------ */

static size_t zl_must_find(const char *name, const char *fn) {
    int i = zl_prop_find(name);
    if (i < 0 || zl_props[i].type == ZL_PT_KAFKA) {
        ZL_ERROR("conf", "%s: unknown property '%s' (programming error)", fn, name);
        abort();
    }
    return (size_t)i;
}

const char *zl_conf_str(const zl_conf_t *c, const char *name) {
    if (strncmp(name, "kafka.", 6) == 0) {
        for (size_t i = 0; i < c->n_kafka; i++)
            if (strcmp(c->kafka[i].key, name) == 0) return c->kafka[i].value;
        return NULL;
    }
    return c->exp[zl_must_find(name, "zl_conf_str")];
}

int64_t zl_conf_int(const zl_conf_t *c, const char *name) {
    size_t i = zl_must_find(name, "zl_conf_int");
    if (zl_props[i].type == ZL_PT_STR) {
        ZL_ERROR("conf", "zl_conf_int: '%s' is a string property (programming error)", name);
        abort();
    }
    return c->num[i];
}

bool zl_conf_bool(const zl_conf_t *c, const char *name) { return zl_conf_int(c, name) != 0; }

int zl_conf_enum(const zl_conf_t *c, const char *name) { return (int)zl_conf_int(c, name); }

bool zl_conf_is_set(const zl_conf_t *c, const char *name) {
    int i = zl_prop_find(name);
    if (i >= 0) return c->set[i];
    for (size_t k = 0; k < c->n_kafka; k++)
        if (strcmp(c->kafka[k].key, name) == 0) return true;
    return false;
}

void zl_conf_foreach_kafka(const zl_conf_t *c, void (*cb)(const char *k, const char *v, void *ctx),
                           void *ctx) {
    for (size_t i = 0; i < c->n_kafka; i++) cb(c->kafka[i].key + 6, c->kafka[i].value, ctx);
}

static bool zl_secret_key(const char *k) {
    return strstr(k, "password") || strstr(k, "secret") || strstr(k, "sasl.oauthbearer.config");
}

void zl_conf_write_properties(const zl_conf_t *c, FILE *out) {
    for (size_t i = 0; i < ZL_NPROPS; i++)
        if (zl_props[i].type != ZL_PT_KAFKA) fprintf(out, "%s=%s\n", zl_props[i].name, c->raw[i]);
    for (size_t i = 0; i < c->n_kafka; i++)
        fprintf(out, "%s=%s\n", c->kafka[i].key, zl_secret_key(c->kafka[i].key) ? "********" : c->kafka[i].value);
}

/* ---- help and Markdown ------------------------------------------------------------------ */

static void zl_cmd_list(unsigned cmds, char *out, size_t n) {
    size_t o = 0;
    out[0] = 0;
    for (size_t k = 0; k < sizeof zl_cmds / sizeof zl_cmds[0]; k++)
        if (cmds & zl_cmds[k].bit) {
            int w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", zl_cmds[k].name);
            if (w < 0 || (size_t)w >= n - o) break;
            o += (size_t)w;
        }
}

/* "--coap-port", "--id, --gw", "--kafka-bootstrap-servers, --kafka" */
static void zl_flags_text(const zl_prop_t *p, const char *sep, const char *quote, char *out, size_t n) {
    char f[128];
    zl_prop_flag(p, f, sizeof f);
    size_t o = (size_t)snprintf(out, n, "%s%s%s", quote, f, quote);
    const char *a = p->aliases;
    while (a && *a && o < n) {
        size_t al = strcspn(a, " ");
        int w = snprintf(out + o, n - o, "%s%s%.*s%s", sep, quote, (int)al, a, quote);
        if (w < 0) break;
        o += (size_t)w;
        a += al;
        while (*a == ' ') a++;
    }
}

/* Length of the first sentence of doc (up to and including ". "). */
static size_t zl_first_sentence(const char *doc) {
    const char *s = strstr(doc, ". ");
    return s ? (size_t)(s - doc + 1) : strlen(doc);
}

static void zl_write_help_filtered(FILE *out, unsigned cmds) {
    fprintf(out, "Options (every option is also a property: --config FILE, -X name=value, "
                 "ZEELOS_<NAME> environment variables; see docs/CONFIGURATION.md):\n");
    for (size_t s = 0; s < sizeof zl_sections / sizeof zl_sections[0]; s++) {
        bool any = false;
        for (size_t i = 0; i < ZL_NPROPS; i++) {
            const zl_prop_t *p = &zl_props[i];
            if (strcmp(p->section, zl_sections[s]) != 0 || !(p->cmds & cmds)) continue;
            if (!any) fprintf(out, "\n%s:\n", zl_sections[s]);
            any = true;
            char flags[256], left[600], list[256];
            zl_flags_text(p, ", ", "", flags, sizeof flags);
            const char *meta = "VALUE";
            if (p->type == ZL_PT_INT) meta = "N";
            if (p->type == ZL_PT_ENUM) {
                snprintf(list, sizeof list, "%s", p->values);
                meta = list;
            }
            if (p->type == ZL_PT_BOOL)
                snprintf(left, sizeof left, "  %s", flags);
            else
                snprintf(left, sizeof left, "  %s %s", flags, meta);
            if (strlen(left) > 36)
                fprintf(out, "%s\n%-37s", left, "");
            else
                fprintf(out, "%-37s", left);
            size_t sl = zl_first_sentence(p->doc);
            for (size_t k = 0; k < sl; k++)
                if (p->doc[k] != '`') fputc(p->doc[k], out);
            if (p->type != ZL_PT_BOOL) fprintf(out, " (default: %s)", *p->def ? p->def : "\"\"");
            fputc('\n', out);
        }
    }
    fprintf(out, "\nGeneral options:\n"
                 "  --config FILE                       load a properties file (key=value lines)\n"
                 "  -X NAME=VALUE                       set any property, or a kafka.* librdkafka "
                 "property\n"
                 "  -h, --help                          show this help\n");
}

void zl_conf_write_help(FILE *out) { zl_write_help_filtered(out, ZL_CMD_ALL); }

void zl_conf_write_help_cmd(FILE *out, const char *cmd) {
    unsigned bits = ZL_CMD_ALL;
    for (size_t k = 0; cmd && k < sizeof zl_cmds / sizeof zl_cmds[0]; k++)
        if (strcmp(zl_cmds[k].name, cmd) == 0) bits = zl_cmds[k].bit;
    zl_write_help_filtered(out, bits);
}

/* Markdown table cell: '|' escaped, newlines flattened. */
static void zl_md_cell(FILE *out, const char *s) {
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void zl_md_type(FILE *out, const zl_prop_t *p) {
    switch (p->type) {
    case ZL_PT_STR:
        fputs("string", out);
        break;
    case ZL_PT_KAFKA:
        fputs("string (librdkafka)", out);
        break;
    case ZL_PT_BOOL:
        fputs("bool", out);
        break;
    case ZL_PT_INT:
        if (p->max == INT64_MAX)
            fprintf(out, "int, ≥ %" PRId64, p->min);
        else
            fprintf(out, "int, %" PRId64 " .. %" PRId64, p->min, p->max);
        break;
    case ZL_PT_ENUM:
        fputs("enum: ", out);
        for (const char *a = p->values; *a;) {
            size_t l = strcspn(a, "|");
            fprintf(out, "%s`%.*s`", a == p->values ? "" : ", ", (int)l, a);
            a += l;
            if (*a == '|') a++;
        }
        break;
    }
}

static void zl_md_row(FILE *out, const zl_prop_t *p) {
    char flags[256], env[160], cmds[128];
    zl_flags_text(p, ", ", "`", flags, sizeof flags);
    zl_prop_env(p, env, sizeof env);
    zl_cmd_list(p->cmds, cmds, sizeof cmds);
    fprintf(out, "| `%s` | %s | `%s` | ", p->name, flags, env);
    zl_md_type(out, p);
    if (*p->def)
        fprintf(out, " | `%s` | %s | ", p->def, cmds);
    else
        fprintf(out, " | (empty) | %s | ", cmds);
    zl_md_cell(out, p->doc);
    fputs(" |\n", out);
}

void zl_conf_write_markdown(FILE *out) {
    fputs("# zeelos configuration\n\n"
          "<!-- Generated from the property table in src/common/conf.c by "
          "scripts/gen-config-doc.sh (or `zeelos config-doc`). Do not edit by hand: "
          "test_conf fails when this file is stale. -->\n\n"
          "Every `zeelos` command (`gateway`, `device`, `request`, `tail`) reads its settings "
          "from one property table. A property can be set in four places; a later one overrides "
          "an earlier one:\n\n"
          "1. the default listed below;\n"
          "2. a properties file given with `--config FILE`: one `name=value` per line, whitespace "
          "around `=` and at both ends of the line is ignored, lines starting with `#` or `!` are "
          "comments, blank lines are skipped. `--config` may be repeated; files are loaded in "
          "order. An unknown property or bad value is reported as `FILE:LINE: ...`;\n"
          "3. an environment variable: `ZEELOS_` followed by the property name in upper case with "
          "`.` and `-` replaced by `_` (`coap.port` → `ZEELOS_COAP_PORT`). Other `ZEELOS_*` "
          "variables are ignored with a warning;\n"
          "4. a command-line flag: `--` followed by the property name with `.` replaced by `-` "
          "(`coap.port` → `--coap-port 5683` or `--coap-port=5683`), an alias listed in the "
          "Flag column, or `-X name=value` (also `-Xname=value`) for any property. When a flag "
          "is repeated the last one wins.\n\n"
          "Value syntax:\n\n"
          "- **int**: decimal, optionally signed; out-of-range values are rejected.\n"
          "- **bool**: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`. A boolean flag takes no "
          "value (`--from-beginning`); use `--from-beginning=false` or `--no-from-beginning` to "
          "clear it.\n"
          "- **enum**: one of the listed values, case-insensitive.\n"
          "- **string**: may reference another property as `${name}`; references are resolved "
          "when the value is read, after every source was applied. `topic.registrations` "
          "defaults to `iot.${id}.registrations`, so `--id plant7` moves every topic to "
          "`iot.plant7.*`. A reference to an unknown property or a reference cycle is an "
          "error.\n\n"
          "Words that are not options (and every word after `--`) are the command's "
          "arguments. `-h` or `--help` prints the options of a command.\n\n",
          out);

    fputs("## Properties by command\n\n| Command | Properties |\n|---|---|\n", out);
    for (size_t k = 0; k < sizeof zl_cmds / sizeof zl_cmds[0]; k++) {
        fprintf(out, "| `zeelos %s` | ", zl_cmds[k].name);
        bool first = true;
        for (size_t i = 0; i < ZL_NPROPS; i++)
            if (zl_props[i].cmds & zl_cmds[k].bit) {
                fprintf(out, "%s`%s`", first ? "" : ", ", zl_props[i].name);
                first = false;
            }
        fputs(" |\n", out);
    }
    fputc('\n', out);

    for (size_t s = 0; s < sizeof zl_sections / sizeof zl_sections[0]; s++) {
        bool any = false;
        for (size_t i = 0; i < ZL_NPROPS; i++) {
            const zl_prop_t *p = &zl_props[i];
            if (p->type == ZL_PT_KAFKA || strcmp(p->section, zl_sections[s]) != 0) continue;
            if (!any)
                fprintf(out, "## %s\n\n| Property | Flag | Environment | Type | Default | "
                             "Commands | Description |\n|---|---|---|---|---|---|---|\n",
                        zl_sections[s]);
            any = true;
            zl_md_row(out, p);
        }
        if (any) fputc('\n', out);
    }

    fputs("## Kafka client properties (librdkafka passthrough)\n\n"
          "Every property whose name starts with `kafka.` is handed to librdkafka with the prefix "
          "removed (`kafka.security.protocol=SASL_SSL` → `security.protocol=SASL_SSL`). zeelos "
          "does not check these names or values; librdkafka does when the Kafka client is "
          "created, and the command fails with its message. See librdkafka's CONFIGURATION.md "
          "for the list. They are set like any other property: in a `--config` file, with "
          "`-X kafka.name=value`, or with an environment variable `ZEELOS_KAFKA_<NAME>`, where "
          "`<NAME>` is the librdkafka property in upper case with `.` replaced by `_` "
          "(`ZEELOS_KAFKA_SASL_USERNAME` → `kafka.sasl.username`; librdkafka properties whose "
          "name contains `_` cannot be set through the environment). A command hands the same set "
          "to every Kafka client it creates; librdkafka ignores producer-only properties on a "
          "consumer (with a warning) and vice versa.\n\n"
          "zeelos changes these librdkafka defaults; any source above overrides them:\n\n"
          "| Property | Flag | Environment | Type | Default | Commands | Description |\n"
          "|---|---|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < ZL_NPROPS; i++)
        if (zl_props[i].type == ZL_PT_KAFKA) zl_md_row(out, &zl_props[i]);
}

int zl_conf_cmd_doc(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc > 2) {
        fprintf(stderr, "usage: zeelos config-doc [OUTPUT.md]\n");
        return 2;
    }
    FILE *out = stdout;
    if (argc == 2) {
        out = fopen(argv[1], "w");
        if (!out) {
            fprintf(stderr, "zeelos config-doc: cannot write '%s': %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    zl_conf_write_markdown(out);
    int rc = ferror(out) ? 1 : 0;
    if (out != stdout && fclose(out) != 0) rc = 1;
    return rc;
}

/* ---- start-up shared by every command ---- */

zl_conf_t *zl_conf_setup(const char *cmd, int argc, char **argv, char **envp, const char **pos,
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
