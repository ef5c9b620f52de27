/* SPDX-License-Identifier: Apache-2.0 */
/* Object models: the zl_models_t handle holds objects loaded from OMA DDF
 * XML files (--models-dir) and is consulted before the built-in tables of
 * model_builtin.c, so the built-ins need no mutable state.  Unknown
 * objects/resources return NULL and stay ZL_T_NONE. */
#include "lwm2m/model.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwm2m/ddf.h"
#include "common/array.h"
#include "common/log.h"

/* ---- models handle: loaded objects (from DDF files) over the built-ins ---- */

struct zl_models {
    zl_obj_model_t **v; /* owned (zl_ddf_obj_free), sorted by id, unique */
    char **origin;      /* owned: the file each came from */
    size_t n, cap;
};

zl_models_t *zl_models_new(void) { return calloc(1, sizeof(zl_models_t)); }

static void models_clear(zl_models_t *m) {
    for (size_t i = 0; i < m->n; i++) {
        zl_ddf_obj_free(m->v[i]);
        free(m->origin[i]);
    }
    free(m->v);
    free(m->origin);
    memset(m, 0, sizeof *m);
}

void zl_models_destroy(zl_models_t *m) {
    if (!m) return;
    models_clear(m);
    free(m);
}

size_t zl_models_loaded(const zl_models_t *m) { return m ? m->n : 0; }

static const zl_obj_model_t *loaded_object(const zl_models_t *m, uint16_t oid, size_t *at) {
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid]->id == oid) { if (at) *at = mid; return m->v[mid]; }
        if (m->v[mid]->id < oid) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const zl_res_model_t *zl_obj_model_resource(const zl_obj_model_t *o, uint16_t rid) {
    if (!o) return NULL;
    size_t lo = 0, hi = o->n_res;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->res[mid].id == rid) return &o->res[mid];
        if (o->res[mid].id < rid) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const zl_obj_model_t *zl_models_object(const zl_models_t *m, uint16_t oid) {
    const zl_obj_model_t *o = m ? loaded_object(m, oid, NULL) : NULL;
    return o ? o : zl_model_object(oid);
}

const zl_res_model_t *zl_models_resource(const zl_models_t *m, uint16_t oid, uint16_t rid) {
    return zl_obj_model_resource(zl_models_object(m, oid), rid);
}

static zl_err_t reserve(zl_models_t *m, size_t n) {
    /* v and origin are parallel arrays sharing one capacity */
    size_t cap_v = m->cap, cap_origin = m->cap;
    if (ZL_ARRAY_RESERVE(&m->v, &cap_v, n, 16) || ZL_ARRAY_RESERVE(&m->origin, &cap_origin, n, 16))
        return ZL_ERR_NOMEM;
    m->cap = cap_v;
    return ZL_OK;
}

/* Moves every object of src (sorted, unique) into dst, all or nothing:
 * an id dst already holds fails and leaves both unchanged. */
static zl_err_t adopt(zl_models_t *dst, zl_models_t *src, bool log, char *errstr, size_t errstr_size) {
    for (size_t i = 0; i < src->n; i++) {
        size_t at;
        if (loaded_object(dst, src->v[i]->id, &at))
            return zl_err_fmt(errstr, errstr_size, ZL_ERR_INVALID,
                              "%s: object %u is already defined in %s", src->origin[i],
                              (unsigned)src->v[i]->id, dst->origin[at]);
    }
    if (dst->n + src->n > ZL_DDF_MAX_OBJECTS)
        return zl_err_fmt(errstr, errstr_size, ZL_ERR_TOO_LARGE, "more than %d loaded objects",
                          ZL_DDF_MAX_OBJECTS);
    if (reserve(dst, dst->n + src->n)) return ZL_ERR_NOMEM;
    for (size_t i = 0; log && i < src->n; i++) {
        const zl_obj_model_t *o = src->v[i], *b = zl_model_object(o->id);
        if (b)
            ZL_INFO("model", "%s: object %u \"%s\" overrides the built-in \"%s\"", src->origin[i],
                    (unsigned)o->id, o->name, b->name);
        else
            ZL_DEBUG("model", "%s: object %u \"%s\" (%u resources)", src->origin[i], (unsigned)o->id,
                     o->name, o->n_res);
    }
    /* merge two sorted runs from the back */
    size_t i = dst->n, j = src->n, k = dst->n + src->n;
    while (j > 0) {
        if (i > 0 && dst->v[i - 1]->id > src->v[j - 1]->id) {
            k--, i--;
            dst->v[k] = dst->v[i];
            dst->origin[k] = dst->origin[i];
        } else {
            k--, j--;
            dst->v[k] = src->v[j];
            dst->origin[k] = src->origin[j];
        }
    }
    dst->n += src->n;
    src->n = 0; /* moved */
    models_clear(src);
    return ZL_OK;
}

static int cmp_obj(const void *a, const void *b) {
    const zl_obj_model_t *x = *(zl_obj_model_t *const *)a, *y = *(zl_obj_model_t *const *)b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Parses one document into a fresh set (sorted; zl_ddf_parse rejects ids
 * repeated within one document). */
static zl_err_t parse_into(zl_models_t *out, const char *xml, size_t len, const char *origin,
                           char *errstr, size_t errstr_size) {
    memset(out, 0, sizeof *out);
    zl_ddf_t d;
    zl_err_t e = zl_ddf_parse(xml, len, origin, &d, errstr, errstr_size);
    if (e) return e;
    if (reserve(out, d.n)) { zl_ddf_free(&d); return ZL_ERR_NOMEM; }
    for (size_t i = 0; i < d.n; i++) {
        char *o = strdup(origin ? origin : "<ddf>");
        if (!o) { zl_ddf_free(&d); models_clear(out); return ZL_ERR_NOMEM; }
        out->v[i] = d.v[i];
        out->origin[i] = o;
        d.v[i] = NULL;
        out->n++;
    }
    free(d.v);
    qsort(out->v, out->n, sizeof *out->v, cmp_obj); /* origins are all equal: no need to permute */
    return ZL_OK;
}

zl_err_t zl_models_load_xml(zl_models_t *m, const char *xml, size_t len, const char *origin,
                            char *errstr, size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = 0;
    zl_models_t tmp;
    zl_err_t e = parse_into(&tmp, xml, len, origin, errstr, errstr_size);
    if (e) return e;
    if ((e = adopt(m, &tmp, true, errstr, errstr_size))) models_clear(&tmp);
    return e;
}

/* Reads a regular file of at most ZL_DDF_MAX_SIZE bytes. */
static zl_err_t read_file(const char *path, char **out, size_t *len, char *errstr, size_t errstr_size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return zl_err_fmt(errstr, errstr_size, ZL_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return zl_err_fmt(errstr, errstr_size, ZL_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size > (off_t)ZL_DDF_MAX_SIZE) {
        close(fd);
        return zl_err_fmt(errstr, errstr_size, ZL_ERR_TOO_LARGE, "%s: %lld bytes, more than the %u allowed",
                          path, (long long)st.st_size, ZL_DDF_MAX_SIZE);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) { close(fd); return ZL_ERR_NOMEM; }
    for (;;) { /* the file may change under us: never read past the cap */
        if (n == cap) {
            if (cap > ZL_DDF_MAX_SIZE) {
                free(buf);
                close(fd);
                return zl_err_fmt(errstr, errstr_size, ZL_ERR_TOO_LARGE, "%s: more than %u bytes", path,
                                  ZL_DDF_MAX_SIZE);
            }
            size_t ncap = cap * 2 > ZL_DDF_MAX_SIZE + 1 ? ZL_DDF_MAX_SIZE + 1 : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) { free(buf); close(fd); return ZL_ERR_NOMEM; }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            close(fd);
            return zl_err_fmt(errstr, errstr_size, ZL_ERR_IO, "%s: %s", path, strerror(err));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (n > ZL_DDF_MAX_SIZE) {
        free(buf);
        return zl_err_fmt(errstr, errstr_size, ZL_ERR_TOO_LARGE, "%s: more than %u bytes", path, ZL_DDF_MAX_SIZE);
    }
    *out = buf;
    *len = n;
    return ZL_OK;
}

static bool is_xml_name(const char *name) {
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcasecmp(name + n - 4, ".xml") == 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

zl_err_t zl_models_load_dir(zl_models_t *m, const char *dir, char *errstr, size_t errstr_size) {
    if (errstr && errstr_size) errstr[0] = 0;
    DIR *d = opendir(dir);
    if (!d) return zl_err_fmt(errstr, errstr_size, ZL_ERR_IO, "models directory %s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    zl_err_t e = ZL_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!is_xml_name(de->d_name)) continue;
        if (ZL_ARRAY_RESERVE(&names, &cap, n + 1, 16)) { e = ZL_ERR_NOMEM; break; }
        if (!(names[n] = strdup(de->d_name))) { e = ZL_ERR_NOMEM; break; }
        n++;
    }
    closedir(d);
    if (!e && n > 1) qsort(names, n, sizeof *names, cmp_str);
    zl_models_t all = {0};
    for (size_t i = 0; !e && i < n; i++) {
        size_t dl = strlen(dir);
        char *path = malloc(dl + strlen(names[i]) + 2);
        if (!path) { e = ZL_ERR_NOMEM; break; }
        sprintf(path, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", names[i]);
        char *xml = NULL;
        size_t len = 0;
        zl_models_t one;
        if (!(e = read_file(path, &xml, &len, errstr, errstr_size)) &&
            !(e = parse_into(&one, xml, len, path, errstr, errstr_size))) {
            if ((e = adopt(&all, &one, false, errstr, errstr_size))) models_clear(&one);
        }
        free(xml);
        free(path);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (!e) {
        e = adopt(m, &all, true, errstr, errstr_size);
    }
    models_clear(&all);
    if (e == ZL_ERR_NOMEM && errstr && errstr_size && !errstr[0])
        snprintf(errstr, errstr_size, "models directory %s: out of memory", dir);
    return e;
}

void zl_models_each(const zl_models_t *m, void (*fn)(void *ctx, const zl_obj_model_t *o), void *ctx) {
    size_t li = 0, nl = m ? m->n : 0, bi = 0;
    const zl_obj_model_t *b = zl_model_builtin(0);
    while (b || li < nl) {
        const zl_obj_model_t *l = li < nl ? m->v[li] : NULL;
        if (l && (!b || l->id <= b->id)) {
            if (b && b->id == l->id) b = zl_model_builtin(++bi); /* overridden */
            fn(ctx, l);
            li++;
        } else {
            fn(ctx, b);
            b = zl_model_builtin(++bi);
        }
    }
}
