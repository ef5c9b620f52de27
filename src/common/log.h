/* SPDX-License-Identifier: Apache-2.0 */
/* Levelled logging to stderr with a facility tag.
 * Thread-safe (one fprintf per line).  The level is process-wide because the
 * sink (stderr) is; everything else in zeelos hangs off a handle. */
#ifndef ZL_LOG_H
#define ZL_LOG_H

typedef enum { ZL_LOG_ERROR = 0, ZL_LOG_WARN, ZL_LOG_INFO, ZL_LOG_DEBUG } zl_log_level_t;

void zl_log_set_level(zl_log_level_t lvl);
/* Parses "error|warn|info|debug"; returns -1 if unknown. */
int zl_log_parse_level(const char *s);
void zl_log(zl_log_level_t lvl, const char *fac, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ZL_ERROR(fac, ...) zl_log(ZL_LOG_ERROR, fac, __VA_ARGS__)
#define ZL_WARN(fac, ...) zl_log(ZL_LOG_WARN, fac, __VA_ARGS__)
#define ZL_INFO(fac, ...) zl_log(ZL_LOG_INFO, fac, __VA_ARGS__)
#define ZL_DEBUG(fac, ...) zl_log(ZL_LOG_DEBUG, fac, __VA_ARGS__)

#endif
