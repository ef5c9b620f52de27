/* SPDX-License-Identifier: Apache-2.0 */
/* Property table of `zeelos console` (data only; see console.h). */
#include <stdint.h>
#include "roles/console/console.h"

static const zl_conf_prop_t props[] = {
    {.name = "console.host", .type = ZL_CONF_STR, .def = "127.0.0.1", .aliases = "--host",
     ZL_CONF_FIELD(zl_console_conf_t, host),
     .doc = "Local address the web UI and API listen on. The default serves this machine only; give "
            "`0.0.0.0` (with `console.tls.cert`) to serve a network."},
    {.name = "console.port", .type = ZL_CONF_INT, .def = "8088", .min = 1, .max = 65535, .aliases = "--port",
     ZL_CONF_FIELD(zl_console_conf_t, port), .doc = "TCP port of the web UI, the API, `/metrics` and `/healthz`."},
    {.name = "console.gateways", .type = ZL_CONF_STR, .def = "", .aliases = "--gateways",
     ZL_CONF_FIELD(zl_console_conf_t, gateways),
     .doc = "Gateway ids to administer, comma-separated. Empty: every gateway whose "
            "`<prefix><id>.registrations` topic exists, found again every few seconds."},
    {.name = "console.topic.prefix", .type = ZL_CONF_STR, .def = "iot.",
     ZL_CONF_FIELD(zl_console_conf_t, topic_prefix),
     .doc = "Prefix of the gateway topics: `<prefix><id>.registrations`, `.observations`, "
            "`.management.req`, `.management.rep`."},
    {.name = "console.state.dir", .type = ZL_CONF_STR, .def = "zeelos-console", .aliases = "--state-dir",
     ZL_CONF_FIELD(zl_console_conf_t, state_dir), .doc = "Directory of the users file (created if missing)."},
    {.name = "console.users.file", .type = ZL_CONF_STR, .def = "", .aliases = "--users",
     ZL_CONF_FIELD(zl_console_conf_t, users_file),
     .doc = "Users and their PBKDF2 password hashes, one `name:role:hash` line each (`zeelos console-user "
            "add`). Empty: `<console.state.dir>/users`."},
    {.name = "console.tokens.file", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_console_conf_t, tokens_file),
     .doc = "API tokens for scripts, one `name:role:<sha256 hex of the token>` line each, sent as "
            "`Authorization: Bearer <token>`."},
    {.name = "console.tls.cert", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_console_conf_t, tls_cert),
     .doc = "PEM certificate (chain) file: serve HTTPS. Needs `console.tls.key`."},
    {.name = "console.tls.key", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_console_conf_t, tls_key),
     .doc = "PEM private key file of `console.tls.cert`."},
    {.name = "console.one.time.login", .type = ZL_CONF_BOOL, .def = "false", .aliases = "--one-time-login",
     ZL_CONF_FIELD(zl_console_conf_t, one_time_login),
     .doc = "Print a one-time admin login URL at start (valid once, 15 minutes). Also done, whatever this "
            "says, when no user and no token exist: there is no default password."},
    {.name = "console.public.url", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_console_conf_t, public_url),
     .doc = "Base URL users reach the console at (behind a proxy), for the printed login URL. Empty: "
            "`http[s]://<host>:<port>`."},
    {.name = "console.models.dir", .type = ZL_CONF_STR, .def = "", ZL_CONF_FIELD(zl_console_conf_t, models_dir),
     .doc = "Directory of OMA DDF object models (`*.xml`) that name and type objects beyond the built-in ones."},
    {.name = "console.request.timeout.ms", .type = ZL_CONF_INT, .def = "5000", .min = 100, .max = 25000,
     ZL_CONF_FIELD(zl_console_conf_t, request_timeout_ms),
     .doc = "How long an API call waits for a device's answer when it gives no `timeout`. A later answer "
            "still reaches the event stream."},
    {.name = "console.queue.awake.ms", .type = ZL_CONF_INT, .def = "93000", .min = 1000, .max = 86400000,
     ZL_CONF_FIELD(zl_console_conf_t, queue_awake_ms),
     .doc = "Queue mode (binding with Q): how long after it was last heard from a device counts as awake; "
            "set it as the gateways' `queue.awake.ms`."},
    {.name = "console.session.ttl.ms", .type = ZL_CONF_INT, .def = "43200000", .min = 60000, .max = 2592000000,
     ZL_CONF_FIELD(zl_console_conf_t, session_ttl_ms), .doc = "A login session's longest life."},
    {.name = "console.session.idle.ms", .type = ZL_CONF_INT, .def = "3600000", .min = 60000, .max = 2592000000,
     ZL_CONF_FIELD(zl_console_conf_t, session_idle_ms), .doc = "A login session ends after this long unused."},
    {.name = "console.log.size", .type = ZL_CONF_INT, .def = "1000", .min = 10, .max = 100000,
     ZL_CONF_FIELD(zl_console_conf_t, log_size), .doc = "Events kept in memory for `/api/log`."},
    {.name = "console.max.pending", .type = ZL_CONF_INT, .def = "1024", .min = 1, .max = 100000,
     ZL_CONF_FIELD(zl_console_conf_t, max_pending),
     .doc = "Management requests waiting for an answer at once; more get 503."},
};

const zl_conf_table_t zl_console_conf_table = ZL_CONF_TABLE("Console", props);
