/* SPDX-License-Identifier: Apache-2.0 */
/* The console's web UI (web/), embedded in the binary at build time
 * (cmake/embed-web.cmake writes console_assets.c into the build tree), so
 * the console serves its pages with nothing loaded from elsewhere. */
#ifndef ZL_CONSOLE_ASSETS_H
#define ZL_CONSOLE_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;          /* URL path, "/index.html", "/app.js", ... */
    const char *content_type;  /* "text/html; charset=utf-8", ... */
    const unsigned char *data; /* the file's bytes (static storage) */
    size_t len;
    const char *etag;          /* "\"<hash of the bytes>\"" */
} zl_console_asset_t;

extern const zl_console_asset_t zl_console_assets[];
extern const size_t zl_console_n_assets;

#endif
