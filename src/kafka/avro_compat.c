/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing and validating Avro schemas into the tree of avro_compat_int.h, and
 * writing them in Parsing Canonical Form.  Why a parser of our own: see
 * avro_compat.h (avro-c accepts schemas the spec forbids).  Resolution of a
 * reader against a writer is in avro_resolve.c. */
#include "kafka/avro_compat_int.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/buf.h"

#define AVC_MAX_DEPTH 128 /* schema nesting; real schemas stay far below */

static const char *const kind_names[] = {
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
    "record", "enum", "fixed", "array", "map", "union", "reference",
};

const char *avc_kind_name(avc_kind_t k) {
    return (size_t)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

const avc_node_t *avc_deref(const avc_node_t *n) {
    while (n && n->kind == AVC_REF) n = n->child;
    return n;
}

size_t avc_push(avc_path_t *p, const char *fmt, ...) {
    size_t old = p->len;
    if (old < sizeof p->s - 1) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(p->s + old, sizeof p->s - old, fmt, ap);
        va_end(ap);
        if (k > 0) p->len = old + (size_t)k < sizeof p->s ? old + (size_t)k : sizeof p->s - 1;
    }
    return old;
}

void avc_pop(avc_path_t *p, size_t len) {
    p->len = len;
    p->s[len] = 0;
}

void avc_message(char *out, size_t n, const char *location, const char *reason) {
    if (!out || !n) return;
    size_t len = strlen(location);
    if (len > 160) snprintf(out, n, "...%s: %s", location + len - 150, reason);
    else snprintf(out, n, "%s: %s", len ? location : "/", reason);
}

static int primitive_kind(const char *s) {
    for (int k = AVC_NULL; k <= AVC_STRING; k++)
        if (strcmp(s, kind_names[k]) == 0) return k;
    return -1;
}

/* ---- the parser's state and its messages --------------------------------- */

typedef struct {
    zl_avro_schema_t *s;
    avc_node_t **tail;  /* where the next node is linked */
    char *err;
    size_t errn;
    bool failed;
    int depth;
    avc_path_t at;      /* the value being parsed */
} pctx_t;

/* Records the first failure as "location: message"; returns NULL so that
 * node-returning parsers can `return fail(...)`. */
__attribute__((format(printf, 2, 3))) static void *fail(pctx_t *p, const char *fmt, ...) {
    if (p->failed) return NULL;
    p->failed = true;
    if (!p->err || !p->errn) return NULL;
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    avc_message(p->err, p->errn, p->at.s, msg);
    return NULL;
}

/* Input text as a message shows it: printable ASCII (so a message is valid
 * UTF-8 and JSON-safe wherever it is cut), at most about n - 4 characters. */
static const char *shown(const char *s, char *buf, size_t n) {
    size_t o = 0;
    for (; *s && o + 4 < n; s++) buf[o++] = (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?';
    if (*s) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = 0;
    return buf;
}

static avc_node_t *new_node(pctx_t *p, avc_kind_t kind) {
    avc_node_t *n = calloc(1, sizeof *n);
    if (!n) return fail(p, "out of memory");
    n->kind = kind;
    n->enum_default = -1;
    *p->tail = n;
    p->tail = &n->next;
    return n;
}

static char *dup_or_fail(pctx_t *p, const char *s) {
    char *d = strdup(s);
    if (!d) fail(p, "out of memory");
    return d;
}

/* ---- names ---------------------------------------------------------------- */

/* [A-Za-z_][A-Za-z0-9_]* over s[0..n) */
static bool valid_simple(const char *s, size_t n) {
    if (!n || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

/* One or more simple names joined by dots. */
static bool valid_dotted(const char *s) {
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (!valid_simple(s, n)) return false;
        if (!dot) return true;
        s = dot + 1;
    }
}

/* name qualified by ns unless it holds a dot or ns is empty: malloc'd. */
static char *qualify(const char *name, const char *ns) {
    if (strchr(name, '.') || !ns || !*ns) return strdup(name);
    size_t a = strlen(ns), b = strlen(name);
    char *f = malloc(a + b + 2);
    if (!f) return NULL;
    memcpy(f, ns, a);
    f[a] = '.';
    memcpy(f + a + 1, name, b + 1);
    return f;
}

static avc_node_t *find_named(const zl_avro_schema_t *s, const char *fullname) {
    for (size_t i = 0; i < s->n_named; i++)
        if (strcmp(s->named[i]->fullname, fullname) == 0) return s->named[i];
    return NULL;
}

/* A reference by name: a fullname when it holds a dot, else relative to ns,
 * falling back to the null namespace as Java does.  NULL when undefined. */
static avc_node_t *resolve_name(pctx_t *p, const char *name, const char *ns) {
    char *full = qualify(name, ns);
    if (!full) return fail(p, "out of memory");
    avc_node_t *d = find_named(p->s, full);
    free(full);
    if (!d && !strchr(name, '.')) d = find_named(p->s, name);
    return d;
}

static avc_node_t *reference(pctx_t *p, const char *name, const char *ns) {
    avc_node_t *d = resolve_name(p, name, ns);
    char b[48];
    if (!d) return p->failed ? NULL : fail(p, "unknown type \"%s\"", shown(name, b, sizeof b));
    avc_node_t *n = new_node(p, AVC_REF);
    if (n) n->child = d;
    return n;
}

/* A JSON array of names (aliases): each valid, qualified by ns when asked. */
static bool parse_aliases(pctx_t *p, json_t *j, const char *ns, bool dotted, char ***out, size_t *count) {
    if (!j) return true;
    size_t at = avc_push(&p->at, "/aliases");
    if (!json_is_array(j)) {
        fail(p, "\"aliases\" must be an array of names");
        return false;
    }
    *out = calloc(json_array_size(j) + 1, sizeof **out);
    if (!*out) return fail(p, "out of memory"), false;
    size_t i;
    json_t *a;
    json_array_foreach(j, i, a) {
        const char *s = json_string_value(a);
        if (!s || !(dotted ? valid_dotted(s) : valid_simple(s, strlen(s)))) {
            char b[48];
            avc_push(&p->at, "/%zu", i);
            fail(p, "invalid alias \"%s\"", s ? shown(s, b, sizeof b) : "(not a string)");
            return false;
        }
        (*out)[(*count)++] = dotted ? qualify(s, ns) : strdup(s);
        if (!(*out)[*count - 1]) return fail(p, "out of memory"), false;
    }
    avc_pop(&p->at, at);
    return true;
}

/* The name, fullname and aliases of a record, enum or fixed, registered as a
 * definition before its body is parsed so the body may refer to it. */
static avc_node_t *parse_named(pctx_t *p, json_t *j, const char *ns, avc_kind_t kind) {
    const char *name = json_string_value(json_object_get(j, "name"));
    if (!name) return fail(p, "a %s needs a \"name\" (a string)", avc_kind_name(kind));
    char b[48];
    if (!valid_dotted(name)) return fail(p, "invalid name \"%s\"", shown(name, b, sizeof b));
    if (!strchr(name, '.')) {
        json_t *nsj = json_object_get(j, "namespace");
        if (nsj && !json_is_null(nsj)) {
            ns = json_string_value(nsj);
            if (!ns) return fail(p, "\"namespace\" must be a string");
            if (*ns && !valid_dotted(ns)) return fail(p, "invalid namespace \"%s\"", shown(ns, b, sizeof b));
        }
    }
    avc_node_t *n = new_node(p, kind);
    if (!n) return NULL;
    if (!(n->fullname = qualify(name, ns))) return fail(p, "out of memory");
    const char *dot = strrchr(n->fullname, '.');
    n->name = dot ? dot + 1 : n->fullname;
    if (primitive_kind(n->fullname) >= 0) return fail(p, "a %s may not be named %s", avc_kind_name(kind), name);
    if (find_named(p->s, n->fullname)) return fail(p, "redefinition of %s", n->fullname);
    if (ZL_ARRAY_RESERVE(&p->s->named, &p->s->cap_named, p->s->n_named + 1, 16)) return fail(p, "out of memory");
    p->s->named[p->s->n_named++] = n;
    /* unqualified aliases are relative to the type's own namespace */
    char *own_ns = dup_or_fail(p, n->fullname);
    if (!own_ns) return NULL;
    own_ns[dot ? (size_t)(dot - n->fullname) : 0] = 0;
    bool ok = parse_aliases(p, json_object_get(j, "aliases"), own_ns, true, &n->aliases, &n->n_aliases);
    free(own_ns);
    return ok ? n : NULL;
}

/* ---- the schema kinds ----------------------------------------------------- */

static avc_node_t *parse_schema(pctx_t *p, json_t *j, const char *ns);

static bool parse_field(pctx_t *p, avc_node_t *rec, size_t i, json_t *f, const char *ns) {
    if (!json_is_object(f)) return fail(p, "a field must be a JSON object"), false;
    const char *name = json_string_value(json_object_get(f, "name"));
    if (!name) return fail(p, "a field needs a \"name\" (a string)"), false;
    char b[48];
    if (!valid_simple(name, strlen(name))) return fail(p, "invalid field name \"%s\"", shown(name, b, sizeof b)), false;
    avc_push(&p->at, " (%s)", name);
    for (size_t k = 0; k < i; k++)
        if (strcmp(rec->fields[k].name, name) == 0) return fail(p, "duplicate field name \"%s\"", name), false;
    avc_field_t *fd = &rec->fields[i];
    if (!(fd->name = dup_or_fail(p, name))) return false;
    rec->n_fields = i + 1;
    json_t *order = json_object_get(f, "order");
    if (order) {
        const char *o = json_string_value(order);
        if (!o || (strcmp(o, "ascending") && strcmp(o, "descending") && strcmp(o, "ignore")))
            return fail(p, "\"order\" must be \"ascending\", \"descending\" or \"ignore\""), false;
    }
    if (!parse_aliases(p, json_object_get(f, "aliases"), NULL, false, &fd->aliases, &fd->n_aliases)) return false;
    json_t *type = json_object_get(f, "type");
    if (!type) return fail(p, "field \"%s\" needs a \"type\"", name), false;
    size_t at = avc_push(&p->at, "/type");
    if (!(fd->type = parse_schema(p, type, ns))) return false;
    avc_pop(&p->at, at);
    json_t *def = json_object_get(f, "default");
    if (def) { /* checked once the whole schema is known: see check_defaults() */
        fd->def = json_incref(def);
        if (!(fd->def_at = dup_or_fail(p, p->at.s))) return false;
    }
    return true;
}

static avc_node_t *parse_record(pctx_t *p, json_t *j, const char *ns) {
    avc_node_t *n = parse_named(p, j, ns, AVC_RECORD);
    if (!n) return NULL;
    n->index = p->s->n_records++;
    json_t *fields = json_object_get(j, "fields");
    if (!json_is_array(fields)) return fail(p, "a record needs \"fields\" (an array)");
    if (!(n->fields = calloc(json_array_size(fields) + 1, sizeof *n->fields))) return fail(p, "out of memory");
    /* the fields' types are in the record's namespace */
    char *child_ns = dup_or_fail(p, n->fullname);
    if (!child_ns) return NULL;
    child_ns[n->name == n->fullname ? 0 : (size_t)(n->name - 1 - n->fullname)] = 0;
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        size_t at = avc_push(&p->at, "/fields/%zu", i);
        bool ok = parse_field(p, n, i, f, child_ns);
        avc_pop(&p->at, at);
        if (!ok) break;
    }
    free(child_ns);
    return p->failed ? NULL : n;
}

static avc_node_t *parse_enum(pctx_t *p, json_t *j, const char *ns) {
    avc_node_t *n = parse_named(p, j, ns, AVC_ENUM);
    if (!n) return NULL;
    json_t *syms = json_object_get(j, "symbols");
    if (!json_is_array(syms)) return fail(p, "an enum needs \"symbols\" (an array)");
    if (!(n->symbols = calloc(json_array_size(syms) + 1, sizeof *n->symbols))) return fail(p, "out of memory");
    size_t i;
    json_t *sj;
    json_array_foreach(syms, i, sj) {
        const char *s = json_string_value(sj);
        size_t at = avc_push(&p->at, "/symbols/%zu", i);
        if (!s) return fail(p, "an enum symbol must be a string");
        char b[48];
        if (!valid_simple(s, strlen(s))) return fail(p, "invalid enum symbol \"%s\"", shown(s, b, sizeof b));
        for (size_t k = 0; k < i; k++)
            if (strcmp(n->symbols[k], s) == 0) return fail(p, "duplicate enum symbol \"%s\"", s);
        if (!(n->symbols[n->n_symbols++] = dup_or_fail(p, s))) return NULL;
        avc_pop(&p->at, at);
    }
    json_t *def = json_object_get(j, "default");
    if (def && !json_is_null(def)) {
        const char *d = json_string_value(def);
        for (size_t k = 0; d && k < n->n_symbols && n->enum_default < 0; k++)
            if (strcmp(n->symbols[k], d) == 0) n->enum_default = (long)k;
        if (n->enum_default < 0) {
            avc_push(&p->at, "/default");
            return fail(p, "the enum default must be one of the symbols");
        }
    }
    return n;
}

static avc_node_t *parse_fixed(pctx_t *p, json_t *j, const char *ns) {
    avc_node_t *n = parse_named(p, j, ns, AVC_FIXED);
    if (!n) return NULL;
    json_t *size = json_object_get(j, "size");
    if (!json_is_integer(size) || json_integer_value(size) < 0 || json_integer_value(size) > INT32_MAX)
        return fail(p, "a fixed needs a \"size\" (an integer from 0 to 2147483647)");
    n->size = json_integer_value(size);
    return n;
}

static avc_node_t *parse_union(pctx_t *p, json_t *j, const char *ns) {
    avc_node_t *n = new_node(p, AVC_UNION);
    if (!n) return NULL;
    if (!(n->branches = calloc(json_array_size(j) + 1, sizeof *n->branches))) return fail(p, "out of memory");
    size_t i;
    json_t *b;
    json_array_foreach(j, i, b) {
        size_t at = avc_push(&p->at, "/%zu", i);
        if (json_is_array(b)) return fail(p, "a union may not directly contain another union");
        avc_node_t *br = parse_schema(p, b, ns);
        if (!br) return NULL;
        const avc_node_t *d = avc_deref(br);
        for (size_t k = 0; k < n->n_branches; k++) {
            const avc_node_t *e = avc_deref(n->branches[k]);
            if (e->kind != d->kind) continue;
            if (!AVC_IS_NAMED(d->kind)) return fail(p, "duplicate %s in union", avc_kind_name(d->kind));
            if (strcmp(e->fullname, d->fullname) == 0) return fail(p, "duplicate %s in union", d->fullname);
        }
        n->branches[n->n_branches++] = br;
        avc_pop(&p->at, at);
    }
    return n;
}

static avc_node_t *parse_object(pctx_t *p, json_t *j, const char *ns) {
    json_t *tj = json_object_get(j, "type");
    if (!tj) return fail(p, "missing \"type\"");
    const char *t = json_string_value(tj);
    if (!t) return fail(p, "\"type\" must be a string");
    int prim = primitive_kind(t);
    avc_node_t *n;
    if (prim >= 0) {
        n = new_node(p, (avc_kind_t)prim);
    } else if (strcmp(t, "record") == 0) {
        n = parse_record(p, j, ns);
    } else if (strcmp(t, "enum") == 0) {
        n = parse_enum(p, j, ns);
    } else if (strcmp(t, "fixed") == 0) {
        n = parse_fixed(p, j, ns);
    } else if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
        bool arr = t[0] == 'a';
        json_t *c = json_object_get(j, arr ? "items" : "values");
        if (!c) return fail(p, "%s needs \"%s\"", arr ? "an array" : "a map", arr ? "items" : "values");
        if (!(n = new_node(p, arr ? AVC_ARRAY : AVC_MAP))) return NULL;
        size_t at = avc_push(&p->at, arr ? "/items" : "/values");
        if (!(n->child = parse_schema(p, c, ns))) return NULL;
        avc_pop(&p->at, at);
    } else {
        n = reference(p, t, ns); /* {"type": "Name"}: Java reads it as a reference */
    }
    const char *lt = json_string_value(json_object_get(j, "logicalType"));
    if (n && lt && n->kind != AVC_REF && !(n->logical = dup_or_fail(p, lt))) return NULL;
    return n;
}

static avc_node_t *parse_schema(pctx_t *p, json_t *j, const char *ns) {
    if (p->depth >= AVC_MAX_DEPTH) return fail(p, "schema nested deeper than %d levels", AVC_MAX_DEPTH);
    p->depth++;
    avc_node_t *n;
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        int prim = primitive_kind(s);
        n = prim >= 0 ? new_node(p, (avc_kind_t)prim) : reference(p, s, ns);
    } else if (json_is_array(j)) {
        n = parse_union(p, j, ns);
    } else if (json_is_object(j)) {
        n = parse_object(p, j, ns);
    } else {
        n = fail(p, "a schema must be a JSON string, object or array");
    }
    p->depth--;
    return n;
}

/* ---- default values (spec "Complex Types / Records": the JSON encoding) ---- */

/* Number of code points of UTF-8 s if each is below 256 (bytes and fixed
 * defaults map code points 0-255 to bytes), else -1. */
static long byte_string_len(const char *s, size_t n) {
    long count = 0;
    for (size_t i = 0; i < n; count++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) i++;
        else if ((c == 0xC2 || c == 0xC3) && i + 1 < n) i += 2;
        else return -1;
    }
    return count;
}

static bool default_ok(pctx_t *p, const avc_node_t *t, json_t *v) {
    t = avc_deref(t);
    bool ok;
    switch (t->kind) {
    case AVC_NULL: ok = json_is_null(v); break;
    case AVC_BOOLEAN: ok = json_is_boolean(v); break;
    case AVC_INT:
        ok = json_is_integer(v) && json_integer_value(v) >= INT32_MIN && json_integer_value(v) <= INT32_MAX;
        break;
    case AVC_LONG: ok = json_is_integer(v); break;
    case AVC_FLOAT:
    case AVC_DOUBLE: ok = json_is_number(v); break;
    case AVC_STRING: ok = json_is_string(v); break;
    case AVC_BYTES: ok = json_is_string(v) && byte_string_len(json_string_value(v), json_string_length(v)) >= 0; break;
    case AVC_FIXED:
        ok = json_is_string(v) && byte_string_len(json_string_value(v), json_string_length(v)) == t->size;
        break;
    case AVC_ENUM:
        ok = false;
        for (size_t k = 0; json_is_string(v) && k < t->n_symbols && !ok; k++)
            ok = strcmp(t->symbols[k], json_string_value(v)) == 0;
        break;
    case AVC_UNION:
        if (!t->n_branches) return fail(p, "a union without branches can have no default"), false;
        return default_ok(p, t->branches[0], v);
    case AVC_ARRAY:
        if (!(ok = json_is_array(v))) break;
        for (size_t i = 0; i < json_array_size(v); i++) {
            size_t at = avc_push(&p->at, "/%zu", i);
            if (!default_ok(p, t->child, json_array_get(v, i))) return false;
            avc_pop(&p->at, at);
        }
        break;
    case AVC_MAP: {
        if (!(ok = json_is_object(v))) break;
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            char b[48];
            size_t at = avc_push(&p->at, "/%s", shown(k, b, sizeof b));
            if (!default_ok(p, t->child, e)) return false;
            avc_pop(&p->at, at);
        }
        break;
    }
    case AVC_RECORD:
        if (!(ok = json_is_object(v))) break;
        for (size_t i = 0; i < t->n_fields; i++) {
            const avc_field_t *f = &t->fields[i];
            json_t *e = json_object_get(v, f->name);
            size_t at = avc_push(&p->at, "/%s", f->name);
            /* a missing member takes the field's default, which is checked on its own */
            if (!e && !f->def)
                return fail(p, "missing, and field %s of %s has no default", f->name, t->fullname), false;
            if (e && !default_ok(p, f->type, e)) return false;
            avc_pop(&p->at, at);
        }
        break;
    default: ok = false; break;
    }
    if (!ok) {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
        bool cut = text && strlen(text) > 40;
        fail(p, "%.40s%s is not a valid %s%s%s", text ? text : "the value", cut ? "..." : "", avc_kind_name(t->kind),
             t->fullname ? " " : "", t->fullname ? t->fullname : "");
        free(text);
    }
    return ok;
}

static bool check_defaults(pctx_t *p) {
    for (const avc_node_t *n = p->s->nodes; n; n = n->next) {
        for (size_t i = 0; n->kind == AVC_RECORD && i < n->n_fields; i++) {
            const avc_field_t *f = &n->fields[i];
            if (!f->def) continue;
            avc_pop(&p->at, 0);
            avc_push(&p->at, "%s/default", f->def_at);
            if (!default_ok(p, f->type, f->def)) return false;
        }
    }
    return true;
}

/* ---- the public calls ------------------------------------------------------ */

zl_avro_schema_t *zl_avro_schema_parse(const char *json, size_t len, char *errstr, size_t n) {
    if (errstr && n) errstr[0] = 0;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
    if (!root) {
        char b[sizeof jerr.text];
        zl_err_fmt(errstr, n, ZL_ERR_INVALID, "not JSON: %s (line %d, column %d)", shown(jerr.text, b, sizeof b),
                   jerr.line, jerr.column);
        return NULL;
    }
    zl_avro_schema_t *s = calloc(1, sizeof *s);
    if (!s) {
        json_decref(root);
        zl_err_fmt(errstr, n, ZL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pctx_t p = {.s = s, .tail = &s->nodes, .err = errstr, .errn = n};
    s->root = parse_schema(&p, root, NULL);
    if (s->root) check_defaults(&p);
    json_decref(root);
    if (p.failed) {
        zl_avro_schema_free(s);
        return NULL;
    }
    return s;
}

static void free_names(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void zl_avro_schema_free(zl_avro_schema_t *s) {
    if (!s) return;
    for (avc_node_t *n = s->nodes, *next; n; n = next) {
        next = n->next;
        for (size_t i = 0; i < n->n_fields; i++) {
            avc_field_t *f = &n->fields[i];
            free(f->name);
            free_names(f->aliases, f->n_aliases);
            json_decref(f->def);
            free(f->def_at);
        }
        free(n->fields);
        free(n->fullname);
        free_names(n->aliases, n->n_aliases);
        free(n->logical);
        free_names(n->symbols, n->n_symbols);
        free(n->branches);
        free(n);
    }
    free(s->named);
    free(s);
}

/* Parsing Canonical Form: [PRIMITIVES] simple names, [FULLNAMES] fullnames and
 * no namespace, [STRIP] only type, name, fields, symbols, items, values and
 * size, [ORDER] in that order, no whitespace.  Names and symbols were
 * validated as [A-Za-z0-9_.], so no string needs escaping. */
static void canon(zl_buf_t *b, const avc_node_t *n, zl_err_t *e) {
    if (*e) return;
    switch (n->kind) {
    case AVC_REF: *e = zl_buf_printf(b, "\"%s\"", n->child->fullname); return;
    case AVC_RECORD:
        *e = zl_buf_printf(b, "{\"name\":\"%s\",\"type\":\"record\",\"fields\":[", n->fullname);
        for (size_t i = 0; i < n->n_fields && !*e; i++) {
            *e = zl_buf_printf(b, "%s{\"name\":\"%s\",\"type\":", i ? "," : "", n->fields[i].name);
            canon(b, n->fields[i].type, e);
            if (!*e) *e = zl_buf_putc(b, '}');
        }
        if (!*e) *e = zl_buf_append(b, "]}", 2);
        return;
    case AVC_ENUM:
        *e = zl_buf_printf(b, "{\"name\":\"%s\",\"type\":\"enum\",\"symbols\":[", n->fullname);
        for (size_t i = 0; i < n->n_symbols && !*e; i++) *e = zl_buf_printf(b, "%s\"%s\"", i ? "," : "", n->symbols[i]);
        if (!*e) *e = zl_buf_append(b, "]}", 2);
        return;
    case AVC_FIXED:
        *e = zl_buf_printf(b, "{\"name\":\"%s\",\"type\":\"fixed\",\"size\":%lld}", n->fullname, (long long)n->size);
        return;
    case AVC_ARRAY:
    case AVC_MAP:
        *e = zl_buf_printf(b, "{\"type\":\"%s\",\"%s\":", avc_kind_name(n->kind),
                           n->kind == AVC_ARRAY ? "items" : "values");
        canon(b, n->child, e);
        if (!*e) *e = zl_buf_putc(b, '}');
        return;
    case AVC_UNION:
        *e = zl_buf_putc(b, '[');
        for (size_t i = 0; i < n->n_branches && !*e; i++) {
            if (i) *e = zl_buf_putc(b, ',');
            canon(b, n->branches[i], e);
        }
        if (!*e) *e = zl_buf_putc(b, ']');
        return;
    default: *e = zl_buf_printf(b, "\"%s\"", avc_kind_name(n->kind)); return;
    }
}

char *zl_avro_schema_canonical(const zl_avro_schema_t *s) {
    if (!s) return NULL;
    zl_buf_t b;
    zl_buf_init(&b, 0);
    zl_err_t e = ZL_OK;
    canon(&b, s->root, &e);
    if (!e && !zl_buf_cstr(&b)) e = ZL_ERR_NOMEM;
    if (e) {
        zl_buf_free(&b);
        return NULL;
    }
    size_t len;
    return (char *)zl_buf_steal(&b, &len);
}
