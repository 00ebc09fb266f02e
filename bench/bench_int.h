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
#include "ops/op.h"

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
/* bench_durable.c */
extern const em__bench_def em__bench_durable[];
extern const uint32_t em__bench_durable_n;
/* bench_snapshot.c */
extern const em__bench_def em__bench_snapshot[];
extern const uint32_t em__bench_snapshot_n;

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
