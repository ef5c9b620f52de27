/* `zeelos tail`: placeholder until the real command lands (serde first). */
#include <stdio.h>
#include "cmd/cmd.h"

int zl_cmd_tail(int argc, char **argv, char **envp) {
    (void)argc; (void)argv; (void)envp;
    fprintf(stderr, "zeelos tail: not implemented yet\n");
    return 1;
}
