/* SPDX-License-Identifier: Apache-2.0 */
/* `zeelos <command>`: dispatch to one entry point per command (the list is
 * in commands.c, so the unit tests can link it without this main()). */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static void usage(FILE *out) {
    fprintf(out, "usage: zeelos <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < zl_n_commands; i++)
        fprintf(out, "  %-11s %s\n", zl_commands[i].name, zl_commands[i].summary);
    fprintf(out, "\n`zeelos <command> --help` lists the options of a command.\n"
                 "Every option is also a ZEELOS_* environment variable and a key of --config FILE;\n"
                 "-X kafka.<property>=<value> passes a property to librdkafka unchanged.\n");
}

int main(int argc, char **argv, char **envp) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < zl_n_commands; i++)
        if (!strcmp(argv[1], zl_commands[i].name)) return zl_commands[i].run(argc - 1, argv + 1, envp);
    fprintf(stderr, "zeelos: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
