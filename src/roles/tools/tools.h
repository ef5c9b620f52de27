/* The Kafka-side command-line tools: `zeelos request` and `zeelos tail`. */
#ifndef ZL_TOOLS_H
#define ZL_TOOLS_H
int zl_cmd_request(int argc, char **argv, char **envp);
int zl_cmd_tail(int argc, char **argv, char **envp);
#endif
