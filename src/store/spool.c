/* SPDX-License-Identifier: Apache-2.0 */
/* The spool (spool.h says what and why): segments of framed records, a
 * cursor file, and a window of records handed out for replay. */
#include "store/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/array.h"
#include "common/log.h"

#define FRAME_HDR 8u                     /* length + crc */
#define BODY_HDR (8u + 8u + 2u + 1u + 4u + 4u) /* seq ts topic_len has_key key_len value_len */
#define MAX_RECORD (64u << 20)

typedef struct {
    uint64_t first, end; /* sequence numbers [first, end) */
    uint64_t bytes;
} seg_t;

struct zl_spool {
    char *dir;
    zl_spool_cfg_t cfg;
    seg_t *segs;
    size_t n_segs, cap_segs;
    int wfd;           /* the last segment, open for appending; -1 when none */
    bool dirty;        /* appended since the last fsync */
    uint64_t next_seq; /* the number the next append gets */
    uint64_t acked;    /* every record below it is acknowledged (the cursor) */
    uint64_t persisted;/* the cursor as on disk */
    uint64_t read_seq; /* the next record to hand out */
    uint64_t rfirst;   /* read position: segment (by first seq; UINT64_MAX = locate) */
    uint64_t roff;     /* and byte offset in it */
    int rfd;
    uint8_t *done;     /* window ring: done[seq % window] for seq in [acked, acked + window) */
    uint64_t bytes;
    uint8_t *buf;      /* one frame, for writing or reading */
    size_t buf_cap;
    char err[256];
};

static void set_err(zl_spool_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(zl_spool_t *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

static void seg_path(const zl_spool_t *s, uint64_t first, char *out, size_t n) {
    snprintf(out, n, "%s/%016" PRIx64 ".seg", s->dir, first);
}

static zl_err_t buf_room(zl_spool_t *s, size_t need) {
    return zl_array_reserve(&s->buf, &s->buf_cap, need, 1, 4096);
}

/* ------------------------------------------------------------------ frames */

typedef struct {
    uint32_t body_len;
    uint64_t seq;
    int64_t ts;
    uint16_t topic_len;
    uint8_t has_key;
    uint32_t key_len, value_len;
} frame_t;

/* Reads the frame at off of fd into s->buf (body) and f.  ZL_OK, ZL_ERR_NOT_FOUND
 * at a clean end of file, ZL_ERR_TRUNCATED for a torn or corrupt frame. */
static zl_err_t frame_read(zl_spool_t *s, int fd, uint64_t off, frame_t *f) {
    uint8_t hdr[FRAME_HDR];
    ssize_t r = pread(fd, hdr, sizeof hdr, (off_t)off);
    if (r == 0) return ZL_ERR_NOT_FOUND;
    if (r != (ssize_t)sizeof hdr) return ZL_ERR_TRUNCATED;
    uint32_t crc;
    memcpy(&f->body_len, hdr, 4);
    memcpy(&crc, hdr + 4, 4);
    if (f->body_len < BODY_HDR || f->body_len > MAX_RECORD + BODY_HDR + 65535) return ZL_ERR_TRUNCATED;
    if (buf_room(s, f->body_len)) return ZL_ERR_NOMEM;
    if (pread(fd, s->buf, f->body_len, (off_t)(off + FRAME_HDR)) != (ssize_t)f->body_len) return ZL_ERR_TRUNCATED;
    if ((uint32_t)crc32(0L, s->buf, f->body_len) != crc) return ZL_ERR_TRUNCATED;
    const uint8_t *p = s->buf;
    memcpy(&f->seq, p, 8);
    memcpy(&f->ts, p + 8, 8);
    memcpy(&f->topic_len, p + 16, 2);
    f->has_key = p[18];
    memcpy(&f->key_len, p + 19, 4);
    memcpy(&f->value_len, p + 23, 4);
    if ((uint64_t)BODY_HDR + f->topic_len + f->key_len + f->value_len != f->body_len) return ZL_ERR_TRUNCATED;
    return ZL_OK;
}

/* ---------------------------------------------------------------- segments */

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* Removes segs[0] from disk and the table. */
static void seg_unlink_first(zl_spool_t *s) {
    char path[4096];
    seg_path(s, s->segs[0].first, path, sizeof path);
    if (s->n_segs == 1) close_fd(&s->wfd); /* it was the one being written */
    if (s->rfirst == s->segs[0].first) {
        close_fd(&s->rfd);
        s->rfirst = UINT64_MAX;
    }
    if (unlink(path) < 0 && errno != ENOENT) ZL_WARN("spool", "cannot delete %s: %s", path, strerror(errno));
    s->bytes -= s->segs[0].bytes;
    memmove(s->segs, s->segs + 1, (s->n_segs - 1) * sizeof *s->segs);
    s->n_segs--;
}

/* Moves the cursor to seq (forward only), clearing the window behind it and
 * deleting segments wholly below it. */
static void cursor_to(zl_spool_t *s, uint64_t seq) {
    uint64_t w = (uint64_t)s->cfg.window;
    for (uint64_t q = s->acked; q < seq && q < s->acked + w; q++) s->done[q % w] = 0;
    s->acked = seq;
    if (s->read_seq < seq) s->read_seq = seq;
    while (s->n_segs && s->segs[0].end <= s->acked) seg_unlink_first(s);
}

/* Scans one segment written by an earlier run; the last one's torn tail is cut off. */
static zl_err_t seg_scan(zl_spool_t *s, seg_t *g, bool last) {
    char path[4096];
    seg_path(s, g->first, path, sizeof path);
    int fd = open(path, last ? O_RDWR | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(s, "%s: %s", path, strerror(errno));
        return ZL_ERR_IO;
    }
    uint64_t off = 0;
    g->end = g->first;
    frame_t f;
    zl_err_t e;
    while ((e = frame_read(s, fd, off, &f)) == ZL_OK) {
        g->end = f.seq + 1;
        off += FRAME_HDR + f.body_len;
    }
    struct stat st;
    if (e == ZL_ERR_TRUNCATED && fstat(fd, &st) == 0) {
        ZL_WARN("spool", "%s: %" PRIu64 " bytes after the last whole record at offset %" PRIu64 " %s", path,
                (uint64_t)st.st_size - off, off, last ? "(a write cut by a crash) cut off" : "ignored");
        if (last && ftruncate(fd, (off_t)off) < 0) ZL_WARN("spool", "%s: truncate: %s", path, strerror(errno));
    }
    close(fd);
    g->bytes = off;
    return e == ZL_ERR_NOMEM ? e : ZL_OK;
}

static int seg_cmp(const void *a, const void *b) {
    const seg_t *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static zl_err_t load(zl_spool_t *s) {
    char path[4096];
    snprintf(path, sizeof path, "%s/cursor", s->dir);
    FILE *cf = fopen(path, "r");
    unsigned long long cur = 0;
    if (cf) {
        if (fscanf(cf, "%llu", &cur) != 1) cur = 0;
        fclose(cf);
    }
    DIR *d = opendir(s->dir);
    if (!d) {
        set_err(s, "%s: %s", s->dir, strerror(errno));
        return ZL_ERR_IO;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        unsigned long long first = strtoull(de->d_name, &end, 16);
        if (end != de->d_name + 16 || strcmp(end, ".seg")) continue;
        if (ZL_ARRAY_RESERVE(&s->segs, &s->cap_segs, s->n_segs + 1, 8)) {
            closedir(d);
            return ZL_ERR_NOMEM;
        }
        s->segs[s->n_segs++] = (seg_t){.first = first};
    }
    closedir(d);
    if (s->n_segs) qsort(s->segs, s->n_segs, sizeof *s->segs, seg_cmp);
    for (size_t i = 0; i < s->n_segs; i++) {
        zl_err_t e = seg_scan(s, &s->segs[i], i + 1 == s->n_segs);
        if (e) return e;
        s->bytes += s->segs[i].bytes;
    }
    s->next_seq = s->n_segs ? s->segs[s->n_segs - 1].end : cur;
    if (s->next_seq < cur) s->next_seq = cur;
    s->acked = s->n_segs && s->segs[0].first > cur ? s->segs[0].first : cur;
    s->persisted = cur;
    s->read_seq = s->acked;
    cursor_to(s, s->acked);
    return ZL_OK;
}

zl_spool_t *zl_spool_open(const zl_spool_cfg_t *cfg, char *errstr, size_t n) {
    zl_spool_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cfg = *cfg;
    if (s->cfg.window < 1) s->cfg.window = 1;
    s->wfd = s->rfd = -1;
    s->rfirst = UINT64_MAX;
    s->dir = strdup(cfg->dir);
    s->done = calloc((size_t)s->cfg.window, 1);
    if (!s->dir || !s->done) {
        snprintf(errstr, n, "out of memory");
        goto fail;
    }
    if (mkdir(s->dir, 0755) < 0 && errno != EEXIST) {
        snprintf(errstr, n, "spool directory %s: %s", s->dir, strerror(errno));
        goto fail;
    }
    if (load(s)) {
        snprintf(errstr, n, "spool: %s", s->err[0] ? s->err : "out of memory");
        goto fail;
    }
    return s;
fail:
    zl_spool_close(s);
    return NULL;
}

void zl_spool_close(zl_spool_t *s) {
    if (!s) return;
    if (s->dir) zl_spool_sync(s);
    close_fd(&s->wfd);
    close_fd(&s->rfd);
    free(s->segs);
    free(s->done);
    free(s->buf);
    free(s->dir);
    free(s);
}

/* ------------------------------------------------------------------ writing */

zl_err_t zl_spool_append(zl_spool_t *s, zl_spool_rec_t *r) {
    size_t tl = strlen(r->topic);
    if (tl > 65535 || r->key_len > MAX_RECORD || r->value_len > MAX_RECORD - r->key_len) return ZL_ERR_TOO_LARGE;
    uint32_t body = (uint32_t)(BODY_HDR + tl + r->key_len + r->value_len);
    uint64_t frame = FRAME_HDR + body;
    if (s->bytes + frame > s->cfg.max_bytes) return ZL_ERR_FULL;
    if (buf_room(s, frame)) return ZL_ERR_NOMEM;
    if (s->wfd < 0 || s->segs[s->n_segs - 1].bytes >= s->cfg.segment_bytes) {
        if (ZL_ARRAY_RESERVE(&s->segs, &s->cap_segs, s->n_segs + 1, 8)) return ZL_ERR_NOMEM;
        char path[4096];
        seg_path(s, s->next_seq, path, sizeof path);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            set_err(s, "%s: %s", path, strerror(errno));
            return ZL_ERR_IO;
        }
        if (s->wfd >= 0 && fsync(s->wfd) < 0) ZL_WARN("spool", "fsync: %s", strerror(errno));
        close_fd(&s->wfd);
        s->wfd = fd;
        s->segs[s->n_segs++] = (seg_t){.first = s->next_seq, .end = s->next_seq};
    }
    uint8_t *p = s->buf + FRAME_HDR;
    uint16_t tl16 = (uint16_t)tl;
    uint32_t kl = (uint32_t)r->key_len, vl = (uint32_t)r->value_len;
    uint8_t has_key = r->key != NULL;
    r->seq = s->next_seq;
    memcpy(p, &r->seq, 8);
    memcpy(p + 8, &r->ts_ms, 8);
    memcpy(p + 16, &tl16, 2);
    p[18] = has_key;
    memcpy(p + 19, &kl, 4);
    memcpy(p + 23, &vl, 4);
    memcpy(p + BODY_HDR, r->topic, tl);
    if (kl) memcpy(p + BODY_HDR + tl, r->key, kl);
    if (vl) memcpy(p + BODY_HDR + tl + kl, r->value, vl);
    uint32_t crc = (uint32_t)crc32(0L, p, body);
    memcpy(s->buf, &body, 4);
    memcpy(s->buf + 4, &crc, 4);
    seg_t *g = &s->segs[s->n_segs - 1];
    for (uint64_t done = 0; done < frame;) {
        ssize_t w = write(s->wfd, s->buf + done, frame - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            set_err(s, "writing segment %016" PRIx64 ": %s", g->first, w < 0 ? strerror(errno) : "short write");
            if (ftruncate(s->wfd, (off_t)g->bytes) < 0) { /* the frame never happened */
            }
            return ZL_ERR_IO;
        }
        done += (uint64_t)w;
    }
    g->bytes += frame;
    g->end = ++s->next_seq;
    s->bytes += frame;
    s->dirty = true;
    return ZL_OK;
}

zl_err_t zl_spool_sync(zl_spool_t *s) {
    zl_err_t ret = ZL_OK;
    if (s->dirty && s->wfd >= 0 && fdatasync(s->wfd) < 0) {
        set_err(s, "fsync: %s", strerror(errno));
        ret = ZL_ERR_IO;
    }
    s->dirty = false;
    if (s->acked == s->persisted) return ret;
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/cursor.tmp", s->dir);
    snprintf(path, sizeof path, "%s/cursor", s->dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char line[32];
    int len = snprintf(line, sizeof line, "%" PRIu64 "\n", s->acked);
    if (fd < 0 || write(fd, line, (size_t)len) != len || fdatasync(fd) < 0 || rename(tmp, path) < 0) {
        set_err(s, "cursor %s: %s", path, strerror(errno));
        ret = ZL_ERR_IO;
    } else {
        s->persisted = s->acked;
    }
    if (fd >= 0) close(fd);
    return ret;
}

/* ------------------------------------------------------------------ replay */

/* Points the reader at the segment holding read_seq (or the first after it). */
static zl_err_t locate(zl_spool_t *s) {
    close_fd(&s->rfd);
    s->rfirst = UINT64_MAX;
    for (size_t i = 0; i < s->n_segs; i++) {
        if (s->segs[i].end <= s->read_seq) continue;
        if (s->read_seq < s->segs[i].first) s->read_seq = s->segs[i].first;
        char path[4096];
        seg_path(s, s->segs[i].first, path, sizeof path);
        s->rfd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->rfd < 0) {
            set_err(s, "%s: %s", path, strerror(errno));
            return ZL_ERR_IO;
        }
        s->rfirst = s->segs[i].first;
        s->roff = 0;
        return ZL_OK;
    }
    s->read_seq = s->next_seq;
    return ZL_ERR_NOT_FOUND;
}

static const seg_t *seg_by_first(const zl_spool_t *s, uint64_t first) {
    for (size_t i = 0; i < s->n_segs; i++)
        if (s->segs[i].first == first) return &s->segs[i];
    return NULL;
}

zl_err_t zl_spool_next(zl_spool_t *s, zl_spool_rec_t *r) {
    uint64_t w = (uint64_t)s->cfg.window;
    for (;;) {
        if (s->read_seq >= s->next_seq) return ZL_ERR_NOT_FOUND;
        if (s->read_seq - s->acked >= w) return ZL_ERR_FULL;
        const seg_t *g = s->rfirst == UINT64_MAX ? NULL : seg_by_first(s, s->rfirst);
        if (!g || s->read_seq >= g->end) {
            zl_err_t e = locate(s);
            if (e) return e;
            continue;
        }
        frame_t f;
        zl_err_t e = frame_read(s, s->rfd, s->roff, &f);
        if (e == ZL_ERR_NOT_FOUND || e == ZL_ERR_TRUNCATED) {
            /* a segment ending early (damaged in an earlier run): go on with the next */
            ZL_WARN("spool", "segment %016" PRIx64 " ends at offset %" PRIu64 " before record %" PRIu64
                    "; records up to %" PRIu64 " skipped", g->first, s->roff, s->read_seq, g->end - 1);
            s->read_seq = g->end;
            continue;
        }
        if (e) return e;
        s->roff += FRAME_HDR + f.body_len;
        if (f.seq < s->read_seq) continue;
        s->read_seq = f.seq + 1;
        if (f.seq < s->acked || s->done[f.seq % w]) continue; /* delivered before a rewind */
        const uint8_t *p = s->buf + BODY_HDR;
        /* the topic is followed by other bytes: move it to the end of the buffer, NUL-terminated */
        if (buf_room(s, f.body_len + f.topic_len + 1u)) return ZL_ERR_NOMEM;
        p = s->buf + BODY_HDR;
        char *topic = (char *)s->buf + f.body_len;
        memcpy(topic, p, f.topic_len);
        topic[f.topic_len] = '\0';
        *r = (zl_spool_rec_t){.seq = f.seq, .ts_ms = f.ts, .topic = topic,
                              .key = f.has_key ? p + f.topic_len : NULL, .key_len = f.key_len,
                              .value = p + f.topic_len + f.key_len, .value_len = f.value_len};
        return ZL_OK;
    }
}

void zl_spool_ack(zl_spool_t *s, uint64_t seq) {
    uint64_t w = (uint64_t)s->cfg.window;
    if (seq < s->acked || seq >= s->read_seq || seq >= s->acked + w) return;
    s->done[seq % w] = 1;
    uint64_t to = s->acked;
    while (to < s->read_seq && s->done[to % w]) to++;
    if (to != s->acked) cursor_to(s, to);
}

void zl_spool_rewind(zl_spool_t *s) {
    s->read_seq = s->acked;
    s->rfirst = UINT64_MAX;
    close_fd(&s->rfd);
}

uint64_t zl_spool_drop_oldest(zl_spool_t *s) {
    if (!s->n_segs) return 0;
    uint64_t end = s->segs[0].end, lost = end > s->acked ? end - s->acked : 0;
    cursor_to(s, end); /* deletes the segment (the one being written too, when it is the only one) */
    return lost;
}

uint64_t zl_spool_pending(const zl_spool_t *s) { return s->next_seq - s->acked; }
uint64_t zl_spool_bytes(const zl_spool_t *s) { return s->bytes; }
uint64_t zl_spool_inflight(const zl_spool_t *s) { return s->read_seq - s->acked; }
const char *zl_spool_errmsg(const zl_spool_t *s) { return s->err; }
