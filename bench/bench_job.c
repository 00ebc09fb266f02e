/*
 * bench/bench_job.c - running a whole SQL job as a benchmark.
 *
 * The end-to-end benchmarks (sensor, ysb, nexmark, latency, footprint)
 * measure what a user gets from `ember run`: the job is SQL text, parsed
 * and planned by the SQL front end into an engine (src/sql), and run by the
 * real scheduler with real sources. Only the sink differs: the `null`
 * connector registered here accepts every output batch and counts its rows,
 * so output formatting does not blur the figure.
 *
 * The null sink's row tally is file-static: the bench harness runs one job
 * at a time on one thread, and a connector type (a const struct) has no
 * user-data pointer through which an instance could report back.
 */
#include "bench_int.h"

#include "batch/batch.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/ember.h"
#include "ember/error.h"
#include "sql/parser.h"
#include "sql/planner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t null_rows; /* rows written to null sinks by the current job */

static const em_option_def null_options[] = {
    {"format", EM_OPT_ENUM, "json", 0, 0, "json|csv", 0, "(ignored: nothing is written)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static int null_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)cx, (void)kind;
    *self = &null_rows;
    return 0;
}

static int null_write(void *self, const em_batch *b, int64_t batch_id)
{
    (void)batch_id;
    __atomic_add_fetch((uint64_t *)self, em_batch_count(b), __ATOMIC_RELAXED); /* sink thread */
    return 0;
}

const em_connector em__bench_null_sink = {
    .abi = EM_CONNECTOR_ABI,
    .name = "null",
    .kinds = EM_CONNECTOR_SINK | EM_CONNECTOR_SINK_INLINE,
    .options = null_options,
    .help = "benchmarks: count the output rows and drop them",
    .init = null_init,
    .write = null_write,
};

uint64_t em__bench_null_rows(void)
{
    return __atomic_load_n(&null_rows, __ATOMIC_RELAXED);
}

int em__bench_job_plan(em_engine **out, const char *sql, const em_connector *const *extra,
                       uint32_t nextra, const char *const *overrides)
{
    em_engine *e = NULL;
    em_arena arena;
    em_buf diag;
    em_sql_script *script = NULL;
    em_sql_plan_opts po = {overrides};
    int rc;
    *out = NULL;
    em_arena_init(&arena, 64 * 1024);
    em_buf_init(&diag, 1 << 20);
    if ((rc = em_engine_create(&e)))
        goto fail;
    if ((rc = em_engine_register_connector(e, &em__bench_null_sink)))
        goto fail;
    for (uint32_t i = 0; i < nextra; i++)
        if ((rc = em_engine_register_connector(e, extra[i])))
            goto fail;
    if ((rc = em_sql_parse("bench.sql", sql, strlen(sql), &arena, &script, &diag)) ||
        (rc = em_sql_plan(e, script, &po, &diag)))
        goto fail;
    em_arena_release(&arena);
    em_buf_release(&diag);
    *out = e;
    return 0;
fail:
    if (diag.len)
        fprintf(stderr, "ember: bench job:\n%.*s", (int)diag.len, diag.ptr);
    else if (e && em_engine_errmsg(e)[0])
        fprintf(stderr, "ember: bench job: %s\n", em_engine_errmsg(e));
    em_engine_destroy(e);
    em_arena_release(&arena);
    em_buf_release(&diag);
    return rc;
}

int em__bench_job_run(const char *sql, const em_connector *const *extra, uint32_t nextra,
                      const char *const *overrides, em__bench_result *r, uint64_t *rows_out)
{
    em_engine *e = NULL;
    int rc = em__bench_job_plan(&e, sql, extra, nextra, overrides);
    if (rc)
        return rc;
    null_rows = 0;
    double w0 = em__bench_wall(), c0 = em__bench_cpu();
    rc = em_engine_run(e);
    r->seconds = em__bench_wall() - w0;
    r->cpu_seconds = em__bench_cpu() - c0;
    if (rc)
        fprintf(stderr, "ember: bench job: %s\n", em_engine_errmsg(e));
    if (rows_out)
        *rows_out = null_rows;
    em_engine_destroy(e);
    return rc;
}

int em__bench_close_synced(FILE *f)
{
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    return bad ? EM_EIO : 0;
}

int em__bench_tmpfile(char *path, size_t cap, const char *stem, FILE **out)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int n = snprintf(path, cap, "%s/ember-bench-%s.XXXXXX", dir, stem);
    if (n < 0 || (size_t)n >= cap)
        return EM_ELIMIT;
    int fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "ember: bench: cannot create a file in %s: %s\n", dir, strerror(errno));
        return EM_EIO;
    }
    *out = fdopen(fd, "w");
    if (!*out) {
        close(fd);
        unlink(path);
        return EM_ENOMEM;
    }
    return 0;
}
