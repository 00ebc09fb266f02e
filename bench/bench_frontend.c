/*
 * bench/bench_frontend.c - `ember bench frontend`: what the SQL front end
 * costs (issue 3).
 *
 *   frontend_sql_vs_api  the same pipeline (generator -> filter -> 1-minute
 *                        TUMBLE avg/min/max/count per device -> null sink)
 *                        built once from SQL text and once with the C API,
 *                        each run by the engine, alternating 5 times (best of each); the
 *                        figure is the SQL job's rate, with the ratio to the
 *                        C API's (target: within 5%);
 *   frontend_check_300   `ember check` of a 300-line job: parse and plan
 *                        (no run), best of 20 (target <= 5 ms).
 */
#include "bench_int.h"

#include "core/mem.h"
#include "core/str.h"
#include "ember/ember.h"
#include "ember/error.h"
#include "sql/parser.h"
#include "sql/planner.h"

#include <stdio.h>
#include <string.h>

#define READINGS 6000000

static const char *const overrides[] = {"workers", "1", "http", "off", "log_level", "error",
                                        NULL};

static const char pipeline_sql[] =
    "CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,"
    "  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)"
    "  WITH (connector = 'generator', devices = 10000, count = %d, seed = 1);"
    "CREATE SINK out WITH (connector = 'null') AS"
    "  SELECT device_id, window_start, avg(pm25) AS a, min(pm25) AS lo, max(pm25) AS hi,"
    "         count(*) AS n"
    "  FROM TUMBLE(readings, ts, INTERVAL '1' MINUTE)"
    "  WHERE pm25 >= 0 AND pm25 <= 1000"
    "  GROUP BY device_id, window_start, window_end;";

/* The same graph through the public C API. */
static int build_api(em_engine **out)
{
    em_engine *e = NULL;
    int rc = em_engine_create(&e);
    for (const char *const *o = overrides; !rc && *o; o += 2)
        rc = em_engine_set(e, o[0], o[1]);
    if (!rc)
        rc = em_engine_register_connector(e, &em__bench_null_sink);
    if (rc) {
        em_engine_destroy(e);
        return rc;
    }
    const char *names[] = {"device_id", "ts", "pm25"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE};
    em_schema *sc = em_schema_create(3, names, types);
    char count[32];
    snprintf(count, sizeof count, "%d", READINGS);
    const char *opts[] = {"devices", "10000", "count", count, "seed", "1", NULL};
    em_stream *src = sc ? em_source(e, "readings", "generator", sc, opts) : NULL;
    em_schema_destroy(sc);
    if (!src || em_source_watermark(src, "ts", 30000000)) {
        em_engine_destroy(e);
        return EM_EINVAL;
    }
    em_expr *lo = em_call(e, ">=", 2, (em_expr *[]){em_col(e, "pm25"), em_double(e, 0)});
    em_expr *hi = em_call(e, "<=", 2, (em_expr *[]){em_col(e, "pm25"), em_double(e, 1000)});
    em_stream *clean = em_filter(src, em_call(e, "and", 2, (em_expr *[]){lo, hi}));
    em_expr *keys[] = {em_col(e, "device_id")};
    const char *key_names[] = {"device_id"};
    em_agg_call aggs[] = {
        {"avg", em_col(e, "pm25"), 0, "a"},
        {"min", em_col(e, "pm25"), 0, "lo"},
        {"max", em_col(e, "pm25"), 0, "hi"},
        {"count", NULL, 0, "n"},
    };
    em_window w = {.kind = EM_WINDOW_TUMBLE, .time_col = "ts", .size_us = 60000000};
    em_stream *agg = clean ? em_aggregate(clean, 1, keys, key_names, 4, aggs, &w) : NULL;
    if (!agg || em_sink(agg, "out", "null", NULL)) {
        em_engine_destroy(e);
        return EM_EINVAL;
    }
    *out = e;
    return 0;
}

static int run_one(em_engine *e, double *secs, double *cpu, uint64_t *rows)
{
    uint64_t before = em__bench_null_rows();
    double w0 = em__bench_wall(), c0 = em__bench_cpu();
    int rc = em_engine_run(e);
    *secs = em__bench_wall() - w0;
    *cpu = em__bench_cpu() - c0;
    *rows = em__bench_null_rows() - before;
    em_engine_destroy(e);
    return rc;
}

static int bench_sql_vs_api(const em_bench_opts *opts, em__bench_result *r)
{
    (void)opts;
    char sql[2048];
    snprintf(sql, sizeof sql, pipeline_sql, READINGS);
    double best_sql = 1e30, best_api = 1e30, cpu_sql = 0;
    uint64_t rows_sql = 0, rows_api = 0;
    for (int round = 0; round < 5; round++) {
        em_engine *e = NULL;
        double s, c;
        int rc = em__bench_job_plan(&e, sql, NULL, 0, overrides);
        if (rc || (rc = run_one(e, &s, &c, &rows_sql)))
            return rc;
        if (s < best_sql)
            best_sql = s, cpu_sql = c;
        if ((rc = build_api(&e)) || (rc = run_one(e, &s, &c, &rows_api)))
            return rc;
        if (s < best_api)
            best_api = s;
    }
    if (rows_sql != rows_api) {
        fprintf(stderr, "ember: bench frontend: SQL job gave %llu rows, C API job %llu\n",
                (unsigned long long)rows_sql, (unsigned long long)rows_api);
        return EM_ESTATE;
    }
    r->records = READINGS;
    r->seconds = best_sql;
    r->cpu_seconds = cpu_sql;
    em__bench_extra(r, "api_records_per_s", READINGS / best_api);
    em__bench_extra(r, "sql_over_api_time", best_sql / best_api);
    em__bench_extra(r, "rows_out", (double)rows_sql);
    r->note = "(target: the SQL job within 5% of the C API job, sql_over_api_time <= 1.05)";
    return 0;
}

/* A 300-line job: 10 sources, 40 views, 20 sinks with windows, joins,
 * aggregates and functions. */
static int make_job(em_buf *b)
{
    int rc = 0;
    for (int i = 0; i < 10 && !rc; i++)
        rc = em_buf_printf(b,
                           "CREATE SOURCE s%d (\n"
                           "    device_id TEXT,\n    ts TIMESTAMP,\n    pm25 DOUBLE,\n"
                           "    co2 BIGINT,\n"
                           "    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND\n"
                           ") WITH (connector = 'generator', devices = 10, count = 1);\n",
                           i);
    for (int i = 0; i < 10 && !rc; i++)
        rc = em_buf_printf(b,
                           "CREATE TABLE t%d (device_id TEXT PRIMARY KEY, room TEXT)\n"
                           "    WITH (connector = 'file', path = '/dev/null');\n",
                           i);
    for (int i = 0; i < 40 && !rc; i++)
        rc = em_buf_printf(b,
                           "CREATE VIEW v%d AS\n"
                           "    SELECT device_id, ts, pm25 * 1.5 + %d AS x,\n"
                           "           CASE WHEN co2 > 1000 THEN 'high' ELSE 'ok' END AS lvl\n"
                           "    FROM s%d WHERE pm25 BETWEEN 0 AND 1000 AND co2 IS NOT NULL;\n",
                           i, i, i % 10);
    for (int i = 0; i < 20 && !rc; i++)
        rc = em_buf_printf(b,
                           "CREATE SINK k%d WITH (connector = 'null') AS\n"
                           "    SELECT t.room, window_start, avg(v.x) AS a, max(v.x) AS m,\n"
                           "           count(*) AS n\n"
                           "    FROM TUMBLE(v%d, ts, INTERVAL '1' MINUTE) v\n"
                           "    JOIN t%d t ON v.device_id = t.device_id\n"
                           "    GROUP BY t.room, window_start, window_end;\n",
                           i, i * 2, i % 10);
    return rc;
}

static int bench_check_300(const em_bench_opts *opts, em__bench_result *r)
{
    (void)opts;
    em_buf job;
    em_buf_init(&job, 1 << 20);
    int rc = make_job(&job);
    size_t lines = 0;
    for (size_t i = 0; i < job.len; i++)
        lines += job.ptr[i] == '\n';
    double best = 1e30, cpu = 0;
    for (int i = 0; i < 20 && !rc; i++) {
        double w0 = em__bench_wall(), c0 = em__bench_cpu();
        em_engine *e = NULL;
        em_arena arena;
        em_buf diag;
        em_sql_script *script = NULL;
        em_sql_plan_opts po = {overrides};
        em_arena_init(&arena, 64 * 1024);
        em_buf_init(&diag, 1 << 20);
        rc = em_engine_create(&e);
        if (!rc)
            rc = em_engine_register_connector(e, &em__bench_null_sink);
        if (!rc)
            rc = em_sql_parse("check.sql", job.ptr, job.len, &arena, &script, &diag);
        if (!rc)
            rc = em_sql_plan(e, script, &po, &diag);
        if (rc && diag.len)
            fprintf(stderr, "%.*s", (int)diag.len, diag.ptr);
        em_engine_destroy(e);
        em_arena_release(&arena);
        em_buf_release(&diag);
        double s = em__bench_wall() - w0;
        if (s < best)
            best = s, cpu = em__bench_cpu() - c0;
    }
    em_buf_release(&job);
    r->records = lines;
    r->seconds = best;
    r->cpu_seconds = cpu;
    em__bench_extra(r, "lines", (double)lines);
    em__bench_extra(r, "check_ms", best * 1e3);
    r->note = "(target: check of a 300-line job <= 5 ms; records = lines)";
    return rc;
}

const em__bench_def em__bench_frontend[] = {
    {"frontend_sql_vs_api", "the same pipeline built from SQL and with the C API",
     bench_sql_vs_api},
    {"frontend_check_300", "parse and plan a 300-line job (ember check)", bench_check_300},
};
const uint32_t em__bench_frontend_n = sizeof em__bench_frontend / sizeof em__bench_frontend[0];
