/* SPDX-License-Identifier: Apache-2.0 */
/* Analytics jobs: what to aggregate (filter, group, window, output), from a
 * preset or a JSON job file (docs/ANALYTICS.md "Job file").  Data and pure
 * functions only: the processor (proc.c) applies them. */
#ifndef ZL_ANALYTICS_JOB_H
#define ZL_ANALYTICS_JOB_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kafka/serde.h"
#include "common/err.h"

typedef enum { AN_GROUP_ENDPOINT = 0, AN_GROUP_ENDPOINT_PATH, AN_GROUP_PATH, AN_GROUP_OBJECT, AN_GROUP_GATEWAY } an_group_t;
typedef enum { AN_OUT_AGGREGATE = 0, AN_OUT_MAX_RECORD } an_output_t;

typedef struct {
    char *text;    /* a topic name, or a regular expression starting with ^ */
    bool is_regex;
    regex_t re;
} an_input_t;

typedef struct {
    char *name;
    an_input_t *inputs;
    size_t n_inputs;
    char *filter;          /* "" = every path */
    char **segs;           /* the filter's segments; "*" matches any one */
    size_t n_segs;
    an_group_t group;
    int64_t size_ms, advance_ms, grace_ms;
    bool record_time;      /* time = record: the Kafka timestamp, else the notification's */
    bool emit_updates;     /* emit = updates */
    char *output;          /* output topic */
    an_output_t out;
    char *print_label;     /* --print: the seed's processor label ("aggr-ep") */
    /* Groups that are not per endpoint (path, object, gateway) gather values
     * from every input partition: the processor first re-keys them through
     * this topic (<application id>-<name>-repartition), as Kafka Streams
     * does; NULL for endpoint groupings (input records are keyed by
     * endpoint, so one partition already holds all of a group). */
    char *repartition;
} an_job_t;

typedef struct {
    an_job_t *jobs;
    size_t n;
} an_jobs_t;

/* The jobs of a preset ("max-temp-30s", "per-minute") for gateway gw. */
zl_err_t an_jobs_preset(const char *preset, const char *gw, an_jobs_t *out, char *errstr, size_t n);
/* The jobs of a job file: one job object, an array of them, or {"jobs": [...]}.
 * Defaults that name topics use gw.  errstr says which job and field is wrong. */
zl_err_t an_jobs_load(const char *path, const char *gw, an_jobs_t *out, char *errstr, size_t n);
/* The same from a JSON text (tests, fuzzing). */
zl_err_t an_jobs_parse(const char *text, size_t len, const char *gw, an_jobs_t *out, char *errstr, size_t n);
void an_jobs_free(an_jobs_t *j);
/* Every input of every job, comma-separated (the subscription), distinct. */
char *an_jobs_topics(const an_jobs_t *j);

/* True when the job's groups span input partitions (a repartition topic). */
bool an_job_needs_repartition(const an_job_t *j);
/* True when topic is one of the job's inputs. */
bool an_job_reads(const an_job_t *j, const char *topic);
/* True when path matches the job's filter. */
bool an_job_match(const an_job_t *j, const char *path);
/* Writes the group key of value p of record o into buf (NUL-terminated);
 * returns its length, or (size_t)-1 when it does not fit or the value has
 * no such group (an object id missing from its path). */
size_t an_job_group_key(const an_job_t *j, const zl_observe_t *o, const zl_point_t *p, char *buf, size_t cap);
/* The start of the first window containing ts (epoch-aligned). */
int64_t an_job_first_window(const an_job_t *j, int64_t ts);

#endif
