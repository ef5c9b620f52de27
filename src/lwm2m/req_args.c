/* SPDX-License-Identifier: Apache-2.0 */
/* The value words of `zeelos request` (see req_args.h): typed values, the
 * create value list and the Execute argument check, all before anything is
 * sent, so a typo is a usage error here and not a device's 4.00. */
#include "lwm2m/req_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwm2m/base64.h"
#include "lwm2m/model.h"
#include "common/buf.h"

int zl_req_parse_value(zl_type_t type, const char *arg, zl_value_t *v, char *err, size_t n) {
    char *end = NULL;
    errno = 0;
    switch (type) {
    case ZL_T_STRING:
        if (zl_value_set_bytes(v, ZL_T_STRING, arg, strlen(arg))) goto bad;
        return 0;
    case ZL_T_INTEGER:
    case ZL_T_TIME:
        v->type = type;
        v->u.i = strtoll(arg, &end, 10);
        break;
    case ZL_T_FLOAT:
        v->type = ZL_T_FLOAT;
        v->u.f = strtod(arg, &end);
        break;
    case ZL_T_BOOLEAN:
        v->type = ZL_T_BOOLEAN;
        if (!strcmp(arg, "true") || !strcmp(arg, "1")) v->u.b = true;
        else if (!strcmp(arg, "false") || !strcmp(arg, "0")) v->u.b = false;
        else goto bad;
        return 0;
    case ZL_T_OBJLNK: {
        unsigned a, b;
        int used = 0;
        if (sscanf(arg, "%5u:%5u%n", &a, &b, &used) != 2 || arg[used] || a > 65535 || b > 65535) goto bad;
        v->type = ZL_T_OBJLNK;
        v->u.lnk.oid = (uint16_t)a;
        v->u.lnk.iid = (uint16_t)b;
        return 0;
    }
    case ZL_T_OPAQUE: {
        zl_buf_t raw;
        zl_buf_init(&raw, 0);
        int bad = zl_base64_decode(arg, strlen(arg), &raw) ||
                  zl_value_set_bytes(v, ZL_T_OPAQUE, raw.data, raw.len);
        zl_buf_free(&raw);
        if (bad) goto bad;
        return 0;
    }
    default:
        goto bad;
    }
    if (end && end != arg && !*end && !errno) return 0;
bad:
    snprintf(err, n, "'%s' is not a valid %s value%s", arg, zl_type_name(type),
             type == ZL_T_OPAQUE ? " (give Base64)" : type == ZL_T_OBJLNK ? " (oid:iid)" : "");
    return -1;
}

/* "FLOAT" -> ZL_T_FLOAT; -1 if not a type name. */
static int type_parse(const char *s, size_t len) {
    for (int t = ZL_T_STRING; t <= ZL_T_OBJLNK; t++) {
        const char *name = zl_type_name((zl_type_t)t);
        if (strlen(name) == len && !strncmp(s, name, len)) return t;
    }
    return -1;
}

/* One "RID[/RIID][:TYPE]" key: 0, or -1 with err. */
static int parse_key(const char *k, unsigned long *rid, long *riid, int *type, char *err, size_t n) {
    char *end;
    *riid = -1;
    *type = -1;
    errno = 0;
    *rid = (k[0] >= '0' && k[0] <= '9') ? strtoul(k, &end, 10) : 65536;
    if (errno || *rid > 65535) goto bad;
    if (*end == '/') {
        const char *p = end + 1;
        unsigned long ri = (*p >= '0' && *p <= '9') ? strtoul(p, &end, 10) : 65536;
        if (errno || ri > 65535) goto bad;
        *riid = (long)ri;
    }
    if (*end == ':' && (*type = type_parse(end + 1, strlen(end + 1))) < 0) {
        snprintf(err, n, "'%s': unknown type '%s' (STRING, INTEGER, FLOAT, BOOLEAN, OPAQUE, TIME, OBJLNK)", k,
                 end + 1);
        return -1;
    }
    if (*end && *end != ':') goto bad;
    return 0;
bad:
    snprintf(err, n, "'%s' is not a resource id (RID, RID/RIID, optionally :TYPE)", k);
    return -1;
}

/* Adds one item "KEY=VALUE" (item writable: unescaped in place) to inst. */
static int add_item(zl_node_t *inst, uint16_t oid, char *item, zl_type_t fallback, char *err, size_t n) {
    char *eq = strchr(item, '=');
    if (!eq) {
        snprintf(err, n, "'%s' is not RID=VALUE", item);
        return -1;
    }
    *eq = 0;
    unsigned long rid;
    long riid;
    int type;
    if (parse_key(item, &rid, &riid, &type, err, n)) return -1;
    if (type < 0) {
        const zl_res_model_t *rm = zl_model_resource(oid, (uint16_t)rid);
        type = rm && rm->type != ZL_T_NONE ? (int)rm->type : (int)fallback;
    }
    zl_node_t *res = zl_node_child(inst, (uint16_t)rid);
    if (res && (riid < 0 || res->kind != ZL_N_MULTI)) {
        snprintf(err, n, "resource %lu given twice", rid);
        return -1;
    }
    if (!res && !(res = zl_node_add_child(inst, riid < 0 ? ZL_N_RESOURCE : ZL_N_MULTI, (uint16_t)rid))) goto nomem;
    if (riid >= 0) {
        if (zl_node_child(res, (uint16_t)riid)) {
            snprintf(err, n, "resource instance %lu/%ld given twice", rid, riid);
            return -1;
        }
        if (!(res = zl_node_add_child(res, ZL_N_RES_INSTANCE, (uint16_t)riid))) goto nomem;
    }
    if (zl_req_parse_value((zl_type_t)type, eq + 1, &res->value, err, n)) {
        size_t l = strlen(err);
        snprintf(err + l, n - l, " for resource %lu", rid);
        return -1;
    }
    return 0;
nomem:
    snprintf(err, n, "out of memory");
    return -1;
}

zl_node_t *zl_req_create_node(uint16_t oid, uint16_t iid, const char *list, zl_type_t fallback, char *err,
                              size_t n) {
    zl_node_t *inst = zl_node_new(ZL_N_INSTANCE, iid);
    char *copy = strdup(list);
    if (!inst || !copy) {
        snprintf(err, n, "out of memory");
        goto fail;
    }
    if (!*list) {
        snprintf(err, n, "create needs at least one RID=VALUE");
        goto fail;
    }
    /* split on unescaped ',', unescaping "\," and "\\" in place */
    char *item = copy, *w = copy;
    for (const char *r = list;; r++) {
        if (*r == '\\' && (r[1] == ',' || r[1] == '\\')) {
            *w++ = *++r;
            continue;
        }
        if (*r == ',' || !*r) {
            *w = 0;
            if (add_item(inst, oid, item, fallback, err, n)) goto fail;
            if (!*r) break;
            item = w = w + 1;
            continue;
        }
        *w++ = *r;
    }
    free(copy);
    return inst;
fail:
    free(copy);
    zl_node_free(inst);
    return NULL;
}

/* LwM2M 1.1 argchar: %x21 / %x23-26 / %x28-5B / %x5D-7E. */
static bool argchar(char c) {
    return c >= 0x21 && c <= 0x7e && c != '"' && c != '\'' && c != '\\';
}

bool zl_req_execute_args_ok(const char *a, char *err, size_t n) {
    static const char form[] = "expected DIGIT or DIGIT='VALUE' separated by ',' (e.g. 0,1='http://x')";
    bool seen[10] = {false};
    const char *p = a;
    while (*p) {
        if (*p < '0' || *p > '9') goto bad;
        if (seen[*p - '0']) {
            snprintf(err, n, "execute argument %c given twice", *p);
            return false;
        }
        seen[*p - '0'] = true;
        p++;
        if (*p == '=') {
            if (*++p != '\'') goto bad;
            for (p++; argchar(*p); p++) {}
            if (*p != '\'') goto bad;
            p++;
        }
        if (*p == ',' && p[1]) p++;
        else if (*p) goto bad;
    }
    return true;
bad:
    snprintf(err, n, "invalid execute arguments '%s' at offset %d: %s", a, (int)(p - a), form);
    return false;
}
