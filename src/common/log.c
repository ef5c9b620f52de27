/* SPDX-License-Identifier: Apache-2.0 */
/* stderr logger: "2026-11-26T12:00:00.123Z INFO  [coap] message". */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/utf8.h"

static volatile int log_level = ZL_LOG_INFO;
static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void zl_log_set_level(zl_log_level_t lvl) { log_level = (int)lvl; }

int zl_log_parse_level(const char *s) {
    static const char *const lc[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, lc[i]) == 0) return i;
    return -1;
}

void zl_log(zl_log_level_t lvl, const char *fac, const char *fmt, ...) {
    if ((int)lvl > log_level) return;
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_names[lvl], fac);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}

bool zl_log_limit(zl_log_limit_t *l, int per_sec, unsigned long long *suppressed) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (now - l->window_ms >= 1000) {
        l->window_ms = now;
        l->in_window = 0;
    }
    if (l->in_window >= per_sec) {
        l->suppressed++;
        return false;
    }
    l->in_window++;
    *suppressed = l->suppressed;
    l->suppressed = 0;
    return true;
}

const char *zl_log_escape(const void *s, size_t len, char *out, size_t n) {
    const unsigned char *p = s;
    size_t o = 0;
    if (!n) return out;
    for (size_t i = 0; i < len;) {
        size_t seq = p[i] >= 0x80 ? zl_utf8_seq(p + i, len - i) : 1;
        bool esc = p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\' || seq == 0;
        size_t need = esc ? 4 : seq;
        if (o + need >= n) break;
        if (esc) {
            snprintf(out + o, 5, "\\x%02x", p[i]);
            i++;
        } else {
            memcpy(out + o, p + i, seq);
            i += seq;
        }
        o += need;
    }
    out[o] = 0;
    return out;
}
