/* SPDX-License-Identifier: Apache-2.0 */
/* Property table of zl_bench_conf_t (data only; see bench.h). */
#include <stdint.h>

#include "roles/bench/bench.h"

static const zl_conf_prop_t bench[] = {
    {.name = "bench.duration.s", .type = ZL_CONF_INT, .def = "30", .min = 1, .max = 86400,
     .aliases = "--duration", ZL_CONF_FIELD(zl_bench_conf_t, duration_s),
     .doc = "How long `zeelos bench` measures notifications, in seconds, once every device is "
            "observed."},
    {.name = "bench.mgmt.rate", .type = ZL_CONF_INT, .def = "1000", .min = 0, .max = 1000000,
     .aliases = "--mgmt-rate", ZL_CONF_FIELD(zl_bench_conf_t, mgmt_rate),
     .doc = "Target rate of the management phase: reads of `/3/0/0` per second, produced to "
            "`topic.management.req` round-robin over the fleet. 0 skips the phase."},
    {.name = "bench.mgmt.s", .type = ZL_CONF_INT, .def = "10", .min = 1, .max = 3600,
     .aliases = "--mgmt-duration", ZL_CONF_FIELD(zl_bench_conf_t, mgmt_s),
     .doc = "Length of the management phase, in seconds."},
    {.name = "bench.fleet", .type = ZL_CONF_BOOL, .def = "true",
     .aliases = "--fleet", ZL_CONF_FIELD(zl_bench_conf_t, start_fleet),
     .doc = "Start the fleet (`zeelos device --device-bench` with the `device.*` options) and stop it "
            "at the end. `--no-fleet`: attach to a running bench-mode fleet named `<ep>-<i>`, `i` < "
            "`device.count` (its registrations are then not measured)."},
    {.name = "bench.gateway.pid", .type = ZL_CONF_INT, .def = "0", .min = 0, .max = INT32_MAX,
     .aliases = "--gateway-pid", ZL_CONF_FIELD(zl_bench_conf_t, gateway_pid),
     .doc = "Process id of the gateway whose CPU time and RSS `zeelos bench` samples every second from "
            "`/proc/<pid>/stat` and `/proc/<pid>/status`. 0: not sampled."},
    {.name = "bench.out", .type = ZL_CONF_STR, .def = "",
     .aliases = "--out", ZL_CONF_FIELD(zl_bench_conf_t, out),
     .doc = "File the results are written to as JSON (the table always goes to stdout). Empty: none."},
    {.name = "bench.drain.ms", .type = ZL_CONF_INT, .def = "3000", .min = 0, .max = 600000,
     ZL_CONF_FIELD(zl_bench_conf_t, drain_ms),
     .doc = "After the measurement window, how long `zeelos bench` keeps consuming so late records "
            "still close their sequence gaps, in milliseconds."},
    {.name = "bench.consume.topic", .type = ZL_CONF_STR, .def = "",
     .aliases = "--consume-only", ZL_CONF_FIELD(zl_bench_conf_t, consume_topic),
     .doc = "Consume-only mode: no gateway, fleet or phases; `zeelos bench` reads this topic of "
            "observations (format and registry as configured) from its beginning until `bench.drain.ms` "
            "passes without a record, decoding what the notification phase reads of each (endpoint, "
            "`/3303/0/5700` send time, `/3303/0/5601` sequence), and reports records/s and the process's "
            "CPU time per record: the bench consumer's own ceiling. `bench/run.sh BUILD consume` fills a topic "
            "and runs it. Empty: the full benchmark."},
};
const zl_conf_table_t zl_bench_conf_table = ZL_CONF_TABLE("zeelos bench", bench);
