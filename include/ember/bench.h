/*
 * ember/bench.h - the built-in benchmarks behind `ember bench`.
 *
 * Benchmarks print figures; they never assert timings (performance claims
 * live here, not in tests).
 */
#ifndef EMBER_BENCH_H
#define EMBER_BENCH_H

#include "ember/types.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct em_bench_opts {
    const char *name; /* a benchmark or group name; NULL = all */
    int json;         /* one JSON object per line instead of a table */
    int workers;      /* 1 by default */
    double scale;     /* multiplies input sizes; 1.0 by default */
    const char *emit_dir; /* NULL; else sensor, ysb and nexmark-*
                           * write a small input and their SQL jobs there, untimed */
} em_bench_opts;

/* Runs the matching benchmarks, printing results to out. Returns 0, or
 * EM_ENOTFOUND (with the known names listed on out) for an unknown name. */
EM_API int em_bench_run(const em_bench_opts *opts, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
