/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos console`: the administration web UI and REST/SSE API of every
 * gateway, over Kafka only.  It rebuilds the picture of gateways and devices
 * from the registration topics (read from the beginning), follows
 * observations and management answers live, and sends management requests
 * by ticket, so it runs next to one edge broker or on the cloud cluster that
 * MirrorMaker 2 fills.  docs/CONSOLE.md; the API: docs/console-api.yaml. */
#ifndef ZL_ROLES_CONSOLE_H
#define ZL_ROLES_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include "common/conf.h"
#include "kafka/kafka_conf.h"

typedef struct {
    zl_kafka_conf_t kafka;        /* brokers, format, registry, kafka.* */
    const char *host;             /* console.host */
    int port;                     /* console.port */
    const char *gateways;         /* console.gateways: comma-separated ids, "" = every gateway found */
    const char *topic_prefix;     /* console.topic.prefix: "iot." */
    const char *state_dir;        /* console.state.dir */
    const char *users_file;       /* console.users.file ("" = <state.dir>/users) */
    const char *tokens_file;      /* console.tokens.file */
    const char *tls_cert;         /* console.tls.cert */
    const char *tls_key;          /* console.tls.key */
    bool one_time_login;          /* console.one.time.login */
    const char *public_url;       /* console.public.url: base URL printed for logins */
    const char *models_dir;       /* console.models.dir */
    int64_t request_timeout_ms;   /* console.request.timeout.ms */
    int64_t queue_awake_ms;       /* console.queue.awake.ms */
    int64_t session_ttl_ms;       /* console.session.ttl.ms */
    int64_t session_idle_ms;      /* console.session.idle.ms */
    int64_t log_size;             /* console.log.size */
    int64_t max_pending;          /* console.max.pending */
} zl_console_conf_t;

extern const zl_conf_table_t zl_console_conf_table;

typedef struct zl_console zl_console_t;

/* Loads users, starts the Kafka thread and the HTTP server.  conf must
 * outlive the console.  NULL + errstr. */
zl_console_t *zl_console_new(const zl_console_conf_t *conf, char *errstr, size_t n);
/* Serves until zl_console_stop(); the exit status. */
int zl_console_run(zl_console_t *c);
/* Async-signal-safe. */
void zl_console_stop(zl_console_t *c);
void zl_console_destroy(zl_console_t *c);

#endif
