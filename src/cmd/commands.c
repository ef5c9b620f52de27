/* SPDX-License-Identifier: Apache-2.0 */
/* The command list (main.c dispatches on it) with the tables each command
 * binds, the start-up every command shares, and `zeelos config-doc`: the
 * Markdown reference is derived from this list, so its Commands column
 * cannot disagree with what the commands parse. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "roles/tools/tools.h"
#include "common/log.h"

const zl_cmd_t zl_commands[] = {
    {"gateway", zl_cmd_gateway, "LwM2M server on CoAP/UDP that bridges devices to Kafka", &zl_gateway_conf, NULL},
    {"registry", zl_cmd_registry, "Confluent-compatible Schema Registry whose state is a Kafka topic",
     &zl_registry_conf, NULL},
    {"sink", zl_cmd_sink, "write readings and the device inventory from Kafka into InfluxDB, PostgreSQL or SQLite",
     &zl_sink_conf, NULL},
    {"analytics", zl_cmd_analytics, "windowed aggregates of observations written back to Kafka, exactly once",
     &zl_analytics_conf, NULL},
    {"console", zl_cmd_console, "web UI and REST/SSE API administering gateways and devices over Kafka",
     &zl_console_conf, NULL},
    {"console-user", zl_cmd_console_user, "add, remove or list the users of `zeelos console`", NULL, NULL},
    {"device", zl_cmd_device, "virtual LwM2M device(s): device object 3, temperature 3303 x2", &zl_device_conf, NULL},
    {"request", zl_cmd_request, "send one management request over Kafka and print the response",
     &zl_request_conf, zl_request_write_usage},
    {"security", zl_cmd_security, "add, remove or list device credentials (PSK, X.509) on a gateway's security topic",
     &zl_security_conf, zl_security_write_usage},
    {"tail", zl_cmd_tail, "print the records of a zeelos topic as JSON lines", &zl_tail_conf, zl_tail_write_usage},
    {"bench", zl_cmd_bench, "drive a bench-mode fleet against a gateway and measure it through Kafka",
     &zl_bench_conf, NULL},
    {"config-doc", zl_cmd_config_doc, "write the configuration reference (Markdown)", NULL, NULL},
};
const size_t zl_n_commands = sizeof zl_commands / sizeof zl_commands[0];

static const zl_conf_prop_t log_props[] = {
    {.name = "log.level", .type = ZL_CONF_ENUM, .def = "info",
     .values = "error|warn|info|debug", ZL_CONF_FIELD(zl_cmd_log_conf_t, level),
     .doc = "Lowest severity of the log lines written to stderr."},
};
const zl_conf_table_t zl_cmd_log_table = ZL_CONF_TABLE("General", log_props);

zl_conf_t *zl_cmd_setup(const zl_conf_cmd_t *spec, void *base, const zl_cmd_log_conf_t *log, int argc,
                        char **argv, char **envp, const char **pos, int max_pos, int *n_pos, int *status) {
    char err[512];
    int dummy = 0;
    if (!n_pos) n_pos = &dummy;
    zl_conf_t *conf = zl_conf_new();
    if (!conf || zl_conf_bind_cmd(conf, spec, base, err, sizeof err) ||
        zl_conf_parse_args(conf, argc, argv, 1, envp, pos, max_pos, n_pos, err, sizeof err)) {
        fprintf(stderr, "zeelos %s: %s\n", spec->name, conf ? err : "out of memory");
        zl_conf_destroy(conf);
        *status = 2;
        return NULL;
    }
    if (zl_conf_help_requested(conf)) {
        void (*usage)(FILE *) = NULL;
        for (size_t i = 0; i < zl_n_commands; i++)
            if (zl_commands[i].conf == spec) usage = zl_commands[i].usage;
        if (usage)
            usage(stdout);
        else
            printf("usage: zeelos %s [options]\n", spec->name);
        printf("\noptions:\n");
        zl_conf_write_help(conf, stdout);
        zl_conf_destroy(conf);
        *status = 0;
        return NULL;
    }
    zl_log_set_level((zl_log_level_t)log->level);
    return conf;
}

void zl_cmd_write_markdown(FILE *out) {
    const zl_conf_cmd_t *cmds[sizeof zl_commands / sizeof zl_commands[0]];
    size_t n = 0;
    for (size_t i = 0; i < zl_n_commands; i++)
        if (zl_commands[i].conf) cmds[n++] = zl_commands[i].conf;
    zl_conf_write_markdown(out, cmds, n);
}

int zl_cmd_config_doc(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc > 2) {
        fprintf(stderr, "usage: zeelos config-doc [OUTPUT.md]\n");
        return 2;
    }
    FILE *out = stdout;
    if (argc == 2) {
        out = fopen(argv[1], "w");
        if (!out) {
            fprintf(stderr, "zeelos config-doc: cannot write '%s': %s\n", argv[1], strerror(errno));
            return 1;
        }
    }
    zl_cmd_write_markdown(out);
    int rc = ferror(out) ? 1 : 0;
    if (out != stdout && fclose(out) != 0) rc = 1;
    return rc;
}
