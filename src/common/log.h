/* SPDX-License-Identifier: Apache-2.0 */
/* Levelled logging to stderr with a facility tag.
 * Thread-safe (one fprintf per line).  The level is process-wide because the
 * sink (stderr) is; everything else in zeelos hangs off a handle. */
#ifndef ZL_LOG_H
#define ZL_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { ZL_LOG_ERROR = 0, ZL_LOG_WARN, ZL_LOG_INFO, ZL_LOG_DEBUG } zl_log_level_t;

void zl_log_set_level(zl_log_level_t lvl);
/* Parses "error|warn|info|debug"; returns -1 if unknown. */
int zl_log_parse_level(const char *s);
void zl_log(zl_log_level_t lvl, const char *fac, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A rate limit for lines a peer can trigger at will (refused requests): at
 * most per_sec lines per second per limiter; the others are counted, and the
 * next line let through reports how many were left out (*suppressed).  The
 * limiter lives in the caller's handle, one per kind of line; not
 * thread-safe (one thread per handle). Zero-initialise it. */
typedef struct {
    long long window_ms;
    int in_window;
    unsigned long long suppressed;
} zl_log_limit_t;
bool zl_log_limit(zl_log_limit_t *l, int per_sec, unsigned long long *suppressed);

/* s made safe for one log line, in out (n bytes, always terminated, cut if
 * needed): control characters, backslash and bytes that are not well-formed
 * UTF-8 become \xNN, so device input cannot forge lines.  Returns out. */
const char *zl_log_escape(const void *s, size_t len, char *out, size_t n);

#define ZL_ERROR(fac, ...) zl_log(ZL_LOG_ERROR, fac, __VA_ARGS__)
#define ZL_WARN(fac, ...) zl_log(ZL_LOG_WARN, fac, __VA_ARGS__)
#define ZL_INFO(fac, ...) zl_log(ZL_LOG_INFO, fac, __VA_ARGS__)
#define ZL_DEBUG(fac, ...) zl_log(ZL_LOG_DEBUG, fac, __VA_ARGS__)

#endif
