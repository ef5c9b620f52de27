/* One entry point per `zeelos <command>`. argv[0] is the command name; the
 * functions return the process exit status (0 ok, 1 runtime failure, 2 usage). */
#ifndef ZL_CMD_H
#define ZL_CMD_H
int zl_cmd_gateway(int argc, char **argv, char **envp);
int zl_cmd_device(int argc, char **argv, char **envp);
int zl_cmd_request(int argc, char **argv, char **envp);
int zl_cmd_tail(int argc, char **argv, char **envp);
int zl_cmd_bench(int argc, char **argv, char **envp);
#endif
