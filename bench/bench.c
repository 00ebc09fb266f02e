/*
 * bench/bench.c - `ember bench`: the benchmark registry, name matching,
 * timing helpers and output (see ember/bench.h).
 *
 * A name selects a group ("core" runs every core_* benchmark) or a single
 * benchmark ("core_tumble"). Each result prints as a table row, or with
 * opts->json as one JSON object per line with at least name, records,
 * seconds, records_per_s, bytes_per_s, cpu_seconds and peak_rss_bytes
 * (VmHWM of /proc/self/status: the process high-water mark so far, so it
 * grows monotonically over a run), plus the benchmark's extra figures.
 */
#include "bench_int.h"

#include "core/mem.h"
#include "ember/error.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

double em__bench_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double em__bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void em__bench_extra(em__bench_result *r, const char *name, double v)
{
    if (r->nextra >= EM__BENCH_MAX_EXTRA)
        return;
    r->extra_name[r->nextra] = name;
    r->extra[r->nextra++] = v;
}

/* A "Vm...:" figure of /proc/self/status in bytes (0 if unavailable). */
static uint64_t status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    size_t n = strlen(key);
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && sscanf(line + n, ": %llu kB", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

static uint64_t peak_rss(void)
{
    return status_kb("VmHWM");
}

uint64_t em__bench_rss_now(void)
{
    return status_kb("VmRSS");
}

void em__bench_rss_reset(void)
{
    malloc_trim(0);
    FILE *f = fopen("/proc/self/clear_refs", "w"); /* "5": reset VmHWM (Linux >= 4.0) */
    if (!f)
        return;
    fputs("5", f);
    fclose(f);
}

/* ---- the null sink ---- */

static int sink_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)op, (void)port, (void)in, (void)cx;
    return 0; /* em_op_emit already counted the rows in op->stats.rows_in */
}

static void sink_destroy(em_op *op)
{
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable sink_vt = {.kind = "null_sink", .push = sink_push,
                                     .destroy = sink_destroy};

em_op *em__bench_sink_create(void)
{
    em_op *op = em_calloc(1, sizeof *op);
    if (!op)
        return NULL;
    if (em_op_init(op, &sink_vt, "null_sink", NULL, 1)) {
        em_free(op);
        return NULL;
    }
    return op;
}

/* ---- registry and output ---- */

typedef struct group {
    const em__bench_def *defs;
    const uint32_t *n;
} group;

static const group groups[] = {
    {em__bench_core, &em__bench_core_n},
    {em__bench_frontend, &em__bench_frontend_n},
    {em__bench_durable, &em__bench_durable_n},
    {em__bench_snapshot, &em__bench_snapshot_n},
    {em__bench_sensor, &em__bench_sensor_n},
    {em__bench_formats, &em__bench_formats_n},
    {em__bench_nexmark, &em__bench_nexmark_n},
    {em__bench_latency, &em__bench_latency_n},
    {em__bench_footprint, &em__bench_footprint_n},
    {em__bench_ingest, &em__bench_ingest_n},
    {em__bench_lineproto, &em__bench_lineproto_n},
};
#define NGROUPS (sizeof groups / sizeof groups[0])

/* name NULL or "all": everything; a group ("core": core_*, "nexmark":
 * nexmark-*); else an exact name. */
static int matches(const char *want, const char *name)
{
    size_t n;
    if (!want || !strcmp(want, "all"))
        return 1;
    if (!strcmp(want, name))
        return 1;
    n = strlen(want);
    return !strncmp(want, name, n) && (name[n] == '_' || name[n] == '-') &&
           !strpbrk(want, "_-");
}

static void print_result(FILE *out, int json, const char *name, const em__bench_result *r,
                         int rc)
{
    double rps = r->seconds > 0 ? (double)r->records / r->seconds : 0;
    double bps = r->seconds > 0 ? (double)r->bytes / r->seconds : 0;
    uint64_t rss = peak_rss();
    if (json) {
        fprintf(out, "{\"name\":\"%s\"", name);
        if (rc)
            fprintf(out, ",\"error\":\"%s\"", em_strerror(rc));
        fprintf(out,
                ",\"records\":%llu,\"seconds\":%.6f,\"records_per_s\":%.0f,\"bytes_per_s\":%.0f,"
                "\"cpu_seconds\":%.6f,\"peak_rss_bytes\":%llu",
                (unsigned long long)r->records, r->seconds, rps, bps, r->cpu_seconds,
                (unsigned long long)rss);
        for (uint32_t i = 0; i < r->nextra; i++)
            fprintf(out, ",\"%s\":%.10g", r->extra_name[i], r->extra[i]);
        fputs("}\n", out);
        return;
    }
    if (rc) {
        fprintf(out, "%-22s error: %s\n", name, em_strerror(rc));
        return;
    }
    fprintf(out, "%-22s %12llu %9.3f %14.0f %9.1f %9.3f %8.1f", name,
            (unsigned long long)r->records, r->seconds, rps, bps / 1e6, r->cpu_seconds,
            (double)rss / 1048576.0);
    for (uint32_t i = 0; i < r->nextra; i++)
        fprintf(out, "  %s=%.6g", r->extra_name[i], r->extra[i]);
    fputc('\n', out);
    if (r->note)
        fprintf(out, "%-22s   (%s)\n", "", r->note);
}

int em_bench_run(const em_bench_opts *opts, FILE *out)
{
    em_bench_opts o = {.name = NULL, .json = 0, .workers = 1, .scale = 1.0};
    uint32_t nrun = 0;
    int first_rc = 0;
    if (opts)
        o = *opts;
    if (o.workers < 1)
        o.workers = 1;
    if (!(o.scale > 0))
        o.scale = 1.0;
    for (uint32_t g = 0; g < NGROUPS; g++)
        for (uint32_t i = 0; i < *groups[g].n; i++)
            nrun += matches(o.name, groups[g].defs[i].name);
    if (!nrun) {
        fprintf(out, "unknown benchmark '%s'; known benchmarks:\n", o.name ? o.name : "");
        for (uint32_t g = 0; g < NGROUPS; g++)
            for (uint32_t i = 0; i < *groups[g].n; i++)
                fprintf(out, "  %-22s %s\n", groups[g].defs[i].name, groups[g].defs[i].what);
        return EM_ENOTFOUND;
    }
    if (!o.json)
        fprintf(out, "%-22s %12s %9s %14s %9s %9s %8s\n", "benchmark", "records", "seconds",
                "records/s", "MB/s", "cpu_s", "rss_MiB");
    for (uint32_t g = 0; g < NGROUPS; g++) {
        for (uint32_t i = 0; i < *groups[g].n; i++) {
            const em__bench_def *d = &groups[g].defs[i];
            em__bench_result r;
            if (!matches(o.name, d->name))
                continue;
            memset(&r, 0, sizeof r);
            int rc = d->fn(&o, &r);
            print_result(out, o.json, d->name, &r, rc);
            fflush(out);
            if (rc && !first_rc)
                first_rc = rc;
        }
    }
    return first_rc;
}
