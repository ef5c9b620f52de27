/* `zeelos <command>`: dispatch to one entry point per command. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "roles/bench/bench.h"
#include "roles/sim/sim.h"
#include "roles/tools/tools.h"
#include "common/conf.h"

static const struct {
    const char *name;
    int (*fn)(int, char **, char **);
    const char *doc;
} commands[] = {
    {"gateway", zl_cmd_gateway, "LwM2M server on CoAP/UDP that bridges devices to Kafka"},
    {"device", zl_cmd_device, "virtual LwM2M device(s): device object 3, temperature 3303 x2"},
    {"request", zl_cmd_request, "send one management request over Kafka and print the response"},
    {"tail", zl_cmd_tail, "print the records of a zeelos topic as JSON lines"},
    {"bench", zl_cmd_bench, "drive a bench-mode fleet against a gateway and measure it through Kafka"},
    {"config-doc", zl_conf_cmd_doc, "write the configuration reference (Markdown)"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: zeelos <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].doc);
    fprintf(out, "\n`zeelos <command> --help` lists the options of a command.\n"
                 "Every option is also a ZEELOS_* environment variable and a key of --config FILE;\n"
                 "-X kafka.<property>=<value> passes a property to librdkafka unchanged.\n");
}

int main(int argc, char **argv, char **envp) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1, envp);
    fprintf(stderr, "zeelos: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
