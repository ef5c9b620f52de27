/* `zeelos bench`: drives a bench-mode fleet against a gateway and measures it through Kafka. */
#ifndef ZL_BENCH_H
#define ZL_BENCH_H
int zl_cmd_bench(int argc, char **argv, char **envp);
#endif
