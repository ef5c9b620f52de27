/* SPDX-License-Identifier: Apache-2.0 */
/* Property table of `zeelos analytics` (data only; see analytics.h). */
#include <stdint.h>
#include "roles/analytics/analytics.h"

static const zl_conf_prop_t props[] = {
    {.name = "analytics.preset", .type = ZL_CONF_STR, .def = "", .aliases = "--preset",
     ZL_CONF_FIELD(zl_analytics_conf_t, preset),
     .doc = "A ready job set: `max-temp-30s` (the seed's TemperatureStreamsApp: the maximum of every "
            "`/3303/*/5700` per endpoint and path per 30 s to `analytics.<id>.observations.maxper30sec`) or "
            "`per-minute` (the seed's SimpleAnalyticsStreamsApp: per-minute aggregates by endpoint and by "
            "endpoint+path). docs/ANALYTICS.md lists their exact definitions."},
    {.name = "analytics.job", .type = ZL_CONF_STR, .def = "", .aliases = "--job",
     ZL_CONF_FIELD(zl_analytics_conf_t, job),
     .doc = "A JSON job file (docs/ANALYTICS.md \"Job file\"); wins over `analytics.preset`."},
    {.name = "analytics.application.id", .type = ZL_CONF_STR, .def = "", .aliases = "--application-id",
     ZL_CONF_FIELD(zl_analytics_conf_t, app_id),
     .doc = "Kafka Streams' application.id: the consumer group (instances with the same id share the "
            "partitions), the changelog topic `<id>-windows-changelog` and the prefix of the transactional id. "
            "Empty: `zeelos-analytics-<name of the first job>`."},
    {.name = "analytics.instance.id", .type = ZL_CONF_STR, .def = "", .aliases = "--instance-id",
     ZL_CONF_FIELD(zl_analytics_conf_t, instance_id),
     .doc = "This instance's part of the transactional id `<application.id>-<instance.id>`; it must stay "
            "the same across restarts (the restarted instance then fences its predecessor at once) and "
            "differ between instances. Empty: a random id created once and kept in `analytics.state.dir`."},
    {.name = "analytics.state.dir", .type = ZL_CONF_STR, .def = "zeelos-analytics", .aliases = "--state-dir",
     ZL_CONF_FIELD(zl_analytics_conf_t, state_dir),
     .doc = "Directory of the instance id file (created when missing). Window state itself lives in "
            "memory and in the changelog topic."},
    {.name = "analytics.commit.interval.ms", .type = ZL_CONF_INT, .def = "1000", .min = 1, .max = 600000,
     ZL_CONF_FIELD(zl_analytics_conf_t, commit_ms),
     .doc = "How often the open transaction (results, changelog, offsets) is committed: how long a result "
            "waits, after its window closed, before read_committed readers see it, and how much input a "
            "restart processes again. A window changed many times between two commits is written to the "
            "changelog once, so a longer interval costs less when catching up (the seed committed every "
            "10 s; Kafka Streams' exactly-once default is 100 ms)."},
    {.name = "analytics.changelog.partitions", .type = ZL_CONF_INT, .def = "0", .min = 0, .max = 10000,
     ZL_CONF_FIELD(zl_analytics_conf_t, changelog_parts),
     .doc = "Partitions of the changelog topic when it is created; input partition p keeps its state in "
            "changelog partition p mod this. 0: as many as the input topic with the most partitions (1 for "
            "regular expressions only)."},
    {.name = "analytics.restore.timeout.ms", .type = ZL_CONF_INT, .def = "120000", .min = 1000,
     .max = 3600000, ZL_CONF_FIELD(zl_analytics_conf_t, restore_ms),
     .doc = "How long reading one changelog partition back may take when a partition is assigned."},
    {.name = "analytics.print", .type = ZL_CONF_BOOL, .def = "false", .aliases = "--print",
     ZL_CONF_FIELD(zl_analytics_conf_t, print),
     .doc = "Also print every result on stdout, one line each, as the seed's per-minute application did "
            "(`[aggr-ep]: [<group>@<start>/<end>], <count>`)."},
    {.name = "analytics.host", .type = ZL_CONF_STR, .def = "0.0.0.0", ZL_CONF_FIELD(zl_analytics_conf_t, host),
     .doc = "Local address of the HTTP endpoint (`/metrics`, `/healthz`, `/readyz`)."},
    {.name = "analytics.port", .type = ZL_CONF_INT, .def = "9110", .min = 0, .max = 65535,
     .aliases = "--http-port", ZL_CONF_FIELD(zl_analytics_conf_t, port),
     .doc = "TCP port of the HTTP endpoint; 0 disables it."},
};

const zl_conf_table_t zl_analytics_conf_table = ZL_CONF_TABLE("Analytics", props);
