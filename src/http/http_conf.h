/* SPDX-License-Identifier: Apache-2.0 */
/* Where the HTTP endpoint (/metrics, /healthz) listens, with its property
 * table (see common/conf.h). */
#ifndef ZL_HTTP_CONF_H
#define ZL_HTTP_CONF_H

#include "common/conf.h"

typedef struct {
    const char *host; /* http.host */
    int port;         /* http.port; 0 = no endpoint */
} zl_http_conf_t;

/* "HTTP endpoint": binds a zl_http_conf_t. */
extern const zl_conf_table_t zl_http_conf_table;

#endif
