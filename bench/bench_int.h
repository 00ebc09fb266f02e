/*
 * bench/bench_int.h - private plumbing shared by the benchmark files.
 *
 * bench.c owns the registry, name matching, timing helpers, the null sink
 * and the output (table or JSON lines); each bench_<group>.c defines a
 * table of benchmarks. A benchmark fills an em__bench_result and returns
 * 0 or a negative EM_E* code; it never asserts on timings.
 */
#ifndef EMBER_BENCH_INT_H
#define EMBER_BENCH_INT_H

#include "ember/bench.h"
#include "ember/ember.h"
#include "ops/op.h"

#include <stdio.h>

#include <stdint.h>

#define EM__BENCH_MAX_EXTRA 6

typedef struct em__bench_result {
    uint64_t records;     /* input rows processed in the timed region */
    uint64_t bytes;       /* input column bytes processed in the timed region */
    double seconds;       /* wall time of the timed region */
    double cpu_seconds;   /* process CPU time of the timed region */
    uint32_t nextra;
    const char *extra_name[EM__BENCH_MAX_EXTRA]; /* static strings */
    double extra[EM__BENCH_MAX_EXTRA];
    const char *note;     /* static; printed after the table row */
} em__bench_result;

typedef int (*em__bench_fn)(const em_bench_opts *opts, em__bench_result *r);

typedef struct em__bench_def {
    const char *name;  /* "core_tumble": group "core", then a name */
    const char *what;  /* one line for the listing */
    em__bench_fn fn;
} em__bench_def;

/* bench_core.c */
extern const em__bench_def em__bench_core[];
extern const uint32_t em__bench_core_n;
/* bench_frontend.c */
extern const em__bench_def em__bench_frontend[];
extern const uint32_t em__bench_frontend_n;
/* bench_durable.c */
extern const em__bench_def em__bench_durable[];
extern const uint32_t em__bench_durable_n;
/* bench_snapshot.c */
extern const em__bench_def em__bench_snapshot[];
extern const uint32_t em__bench_snapshot_n;

/* bench_sensor.c: sensor, ysb */
extern const em__bench_def em__bench_sensor[];
extern const uint32_t em__bench_sensor_n;

/* bench_formats.c: format_json, format_csv (readers only, from memory) */
extern const em__bench_def em__bench_formats[];
extern const uint32_t em__bench_formats_n;

/* bench_nexmark.c: nexmark-q0 ... q8 */
extern const em__bench_def em__bench_nexmark[];
extern const uint32_t em__bench_nexmark_n;

/* bench_latency.c: latency-<rate>-<interval> */
extern const em__bench_def em__bench_latency[];
extern const uint32_t em__bench_latency_n;

/* bench_footprint.c: footprint */
extern const em__bench_def em__bench_footprint[];
extern const uint32_t em__bench_footprint_n;

/* bench_ingest.c: ingest_http (empty without the HTTP server) */
extern const em__bench_def em__bench_ingest[];
extern const uint32_t em__bench_ingest_n;
/* bench_lineproto.c: format_lineproto */
extern const em__bench_def em__bench_lineproto[];
extern const uint32_t em__bench_lineproto_n;

/* bench_job.c: whole SQL jobs. The `null` sink connector counts output rows
 * (em__bench_null_rows: the total of the current job). */
extern const em_connector em__bench_null_sink;
uint64_t em__bench_null_rows(void);

/* Parses and plans sql (text of a job file) into a new engine with the null
 * sink and the nextra connectors registered; overrides are --set pairs
 * (NULL-terminated, may be NULL). Prints diagnostics to stderr. Returns 0
 * and *out (free with em_engine_destroy) or an EM_E* code. */
int em__bench_job_plan(em_engine **out, const char *sql, const em_connector *const *extra,
                       uint32_t nextra, const char *const *overrides);

/* Plans and runs sql to completion, timing em_engine_run into r->seconds
 * and r->cpu_seconds; *rows_out (may be NULL) gets the null sinks' rows.
 * Returns 0 or the engine's EM_E* code (message printed to stderr). */
int em__bench_job_run(const char *sql, const em_connector *const *extra, uint32_t nextra,
                      const char *const *overrides, em__bench_result *r, uint64_t *rows_out);

/* Creates $TMPDIR/ember-bench-STEM.XXXXXX (or under /tmp) for writing:
 * path gets its name (the caller unlinks it). Returns 0 or EM_EIO/EM_ELIMIT. */
int em__bench_tmpfile(char *path, size_t cap, const char *stem, FILE **out);

/* Closes a benchmark's input file after writing it out to disk (fsync),
 * so the kernel's writeback of it does not compete with the timed region;
 * its pages stay in the page cache. Returns 0 or EM_EIO. */
int em__bench_close_synced(FILE *f);

/* count generator readings (10,000 devices, seed 1) written in format fmt
 * ("json", "csv") into buf, or, with f, through buf into f a batch at a
 * time. *schema (if not NULL) gets a copy of the readings' schema
 * (em_schema_destroy). Returns 0 or an EM_E* code. */
int em__bench_readings(const char *fmt, uint64_t count, em_buf *buf, FILE *f, em_schema **schema);

/* Resets the process's peak RSS (VmHWM) to its current RSS, after giving
 * freed heap back to the system, so peak_rss_bytes is this benchmark's. */
void em__bench_rss_reset(void);

/* Resident set size now, bytes (VmRSS; 0 if /proc is unavailable). */
uint64_t em__bench_rss_now(void);

/* Adds a named extra figure to r (ignored past EM__BENCH_MAX_EXTRA). */
void em__bench_extra(em__bench_result *r, const char *name, double v);

/* Wall clock and process CPU clock, seconds. */
double em__bench_wall(void);
double em__bench_cpu(void);

/* A sink operator that counts the rows pushed into it (stats.rows_in is
 * kept by em_op_emit; the sink just accepts). Free with em_op_destroy.
 * NULL on out-of-memory. */
em_op *em__bench_sink_create(void);

#endif
