/* `zeelos request`: placeholder until the real command lands (serde first). */
#include <stdio.h>
#include "cmd/cmd.h"

int zl_cmd_request(int argc, char **argv, char **envp) {
    (void)argc; (void)argv; (void)envp;
    fprintf(stderr, "zeelos request: not implemented yet\n");
    return 1;
}
