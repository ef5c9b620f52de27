/* SPDX-License-Identifier: Apache-2.0 */
/* Property table of zl_http_conf_t (data only; see http_conf.h). */
#include "http/http_conf.h"

static const zl_conf_prop_t props[] = {
    {.name = "http.host", .type = ZL_CONF_STR, .def = "0.0.0.0",
     ZL_CONF_FIELD(zl_http_conf_t, host),
     .doc = "Local address of the HTTP endpoint (`/metrics`, `/healthz`). `0.0.0.0` listens on every "
            "IPv4 interface."},
    {.name = "http.port", .type = ZL_CONF_INT, .def = "8080", .min = 0, .max = 65535,
     ZL_CONF_FIELD(zl_http_conf_t, port),
     .doc = "TCP port of the HTTP endpoint serving Prometheus metrics on `/metrics` and a liveness "
            "probe on `/healthz`. 0 disables the endpoint."},
};
const zl_conf_table_t zl_http_conf_table = ZL_CONF_TABLE("HTTP endpoint", props);
