/* The entry points implemented in cmd/ itself.  argv[0] is the command name;
 * they return the process exit status (0 ok, 1 runtime failure, 2 usage). */
#ifndef ZL_CMD_H
#define ZL_CMD_H
int zl_cmd_gateway(int argc, char **argv, char **envp);
#endif
