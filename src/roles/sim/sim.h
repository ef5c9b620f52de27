/* `zeelos device`: one simulated LwM2M client or a fleet of them. */
#ifndef ZL_SIM_H
#define ZL_SIM_H
int zl_cmd_device(int argc, char **argv, char **envp);
#endif
