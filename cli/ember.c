/*
 * cli/ember.c - the `ember` command: version, help, and `ember generate`
 * (simulated sensor readings as NDJSON), and `ember bench` (ember/bench.h).
 * run/check/explain are placeholders until the engine is wired up.
 *
 * TODO: this first cut includes internal src/ headers (engine/generator.h,
 * core/clock.h, batch/batch.h) and carries its own JSON writer. The CLI must
 * become a client of the public API only (STYLE.md): move generate onto the
 * public generator source and the stdout/json sink once they exist.
 */
#include "batch/batch.h"
#include "core/clock.h"
#include "core/mem.h"
#include "engine/generator.h"
#include "ember/bench.h"
#include "ember/error.h"
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMBER_VERSION "0.1.0"

static const char usage_text[] =
    "usage: ember <command> [options]\n"
    "\n"
    "commands:\n"
    "  run JOB.sql         run a streaming job (--set name=value, --checkpoint DIR)\n"
    "  check JOB.sql       validate a job: exit 0, or 1 with FILE:LINE:COL errors\n"
    "  explain JOB.sql     print the job's operator graph\n"
    "  generate [--devices N] [--count N | --rate R] [--seed S] [--faults]\n"
    "                      print simulated air-quality readings as NDJSON,\n"
    "                      deterministic for a seed (default: 10 readings)\n"
    "  bench [NAME] [--json] [--workers N] [--scale X] [--emit DIR]\n"
    "                      run the built-in benchmarks: all, a group (core,\n"
    "                      nexmark) or one (sensor, nexmark-q5); --json prints\n"
    "                      JSON lines; --scale multiplies input sizes; --emit\n"
    "                      writes a small input and the SQL jobs to DIR\n"
    "\n"
    "options:\n"
    "  --version           print the version\n"
    "  --help              print this help\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "ember: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'ember --help' for usage.\n");
    return 2;
}

int em_cli_usage(const char *fmt, const char *arg)
{
    return usage_error(fmt, arg);
}

/* ---- a small NDJSON writer (to be replaced by the json format module) ---- */

/* Shortest of %.15g/%.16g/%.17g that reads back to the same double. */
static void put_double(FILE *out, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        fputs("null", out);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, out);
}

static void put_string(FILE *out, const char *p, size_t n)
{
    putc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            putc('\\', out);
            putc(c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c == '\r') {
            fputs("\\r", out);
        } else if (c == '\t') {
            fputs("\\t", out);
        } else if (c < 0x20) {
            fprintf(out, "\\u%04x", c);
        } else {
            putc(c, out);
        }
    }
    putc('"', out);
}

static void put_row(FILE *out, const em_batch *b, uint32_t row)
{
    char ts[32];
    putc('{', out);
    for (uint32_t c = 0; c < b->ncols; c++) {
        const em_column *col = &b->cols[c];
        const char *name = b->schema->fields[c].name;
        if (c)
            putc(',', out);
        put_string(out, name, strlen(name));
        putc(':', out);
        if (em_column_is_null(col, row)) {
            fputs("null", out);
            continue;
        }
        switch (col->type) {
        case EM_TYPE_BOOLEAN: fputs(col->v.b[row] ? "true" : "false", out); break;
        case EM_TYPE_BIGINT:
        case EM_TYPE_INTERVAL: fprintf(out, "%lld", (long long)col->v.i64[row]); break;
        case EM_TYPE_DOUBLE: put_double(out, col->v.f64[row]); break;
        case EM_TYPE_TIMESTAMP:
            em_ts_format(col->v.i64[row], ts);
            put_string(out, ts, strlen(ts));
            break;
        case EM_TYPE_TEXT: {
            em_slice s = em_column_text(col, row);
            put_string(out, s.ptr, s.len);
            break;
        }
        default: fputs("null", out); break;
        }
    }
    fputs("}\n", out);
}

/* ---- ember bench ---- */

static int parse_u64(const char *s, uint64_t *out);

static int cmd_bench(int argc, char **argv)
{
    em_bench_opts o = {.name = NULL, .json = 0, .workers = 1, .scale = 1.0};
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i];
        uint64_t u;
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(opt, "--json")) {
            o.json = 1;
        } else if (!strcmp(opt, "--workers")) {
            const char *val = i + 1 < argc ? argv[++i] : NULL;
            if (parse_u64(val, &u) || u < 1 || u > 1024)
                return usage_error("--workers needs a number from 1 to 1024, got '%s'",
                                   val ? val : "");
            o.workers = (int)u;
        } else if (!strcmp(opt, "--scale")) {
            const char *val = i + 1 < argc ? argv[++i] : NULL;
            char *end = NULL;
            o.scale = val ? strtod(val, &end) : 0;
            if (!val || *end || !(o.scale > 0 && o.scale <= 1000))
                return usage_error("--scale needs a factor above 0 and up to 1000, got '%s'",
                                   val ? val : "");
        } else if (!strcmp(opt, "--emit")) {
            if (i + 1 >= argc)
                return usage_error("--emit needs a directory%s", "");
            o.emit_dir = argv[++i];
        } else if (opt[0] == '-') {
            return usage_error("bench: unknown option '%s'", opt);
        } else if (o.name) {
            return usage_error("bench: only one benchmark name allowed, got '%s' too", opt);
        } else {
            o.name = opt;
        }
    }
    int rc = em_bench_run(&o, stdout);
    if (fflush(stdout))
        return 1;
    if (rc == EM_ENOTFOUND)
        return 2;
    if (rc) {
        fprintf(stderr, "ember: bench: %s\n", em_strerror(rc));
        return 1;
    }
    return 0;
}

/* ---- ember generate ---- */

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int cmd_generate(int argc, char **argv)
{
    em_gen_config cfg;
    em_gen *g = NULL;
    em_arena arena;
    int have_count = 0, have_rate = 0, rc, status = 1;

    em_gen_config_init(&cfg);
    em_arena_init(&arena, 0);
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
            fputs(usage_text, stdout);
            status = 0;
            goto done;
        } else if (!strcmp(opt, "--faults")) {
            cfg.faults = 1;
            continue;
        } else if (!strcmp(opt, "--devices")) {
            if (parse_u64(val, &u) || u < 1 || u > 10000) {
                status = usage_error("--devices needs a number from 1 to 10000, got '%s'",
                                     val ? val : "");
                goto done;
            }
            cfg.devices = (uint32_t)u;
        } else if (!strcmp(opt, "--count")) {
            if (parse_u64(val, &u) || u < 1) {
                status = usage_error("--count needs a positive integer, got '%s'", val ? val : "");
                goto done;
            }
            cfg.count = u;
            have_count = 1;
        } else if (!strcmp(opt, "--rate")) {
            char *end = NULL;
            double r = val ? strtod(val, &end) : 0;
            if (!val || !*val || *end || !(r > 0) || !isfinite(r)) {
                status = usage_error("--rate needs a positive number of readings/s, got '%s'",
                                     val ? val : "");
                goto done;
            }
            cfg.rate = r;
            have_rate = 1;
        } else if (!strcmp(opt, "--seed")) {
            if (parse_u64(val, &u)) {
                status = usage_error("--seed needs a non-negative integer, got '%s'",
                                     val ? val : "");
                goto done;
            }
            cfg.seed = u;
        } else {
            status = usage_error("generate: unknown option '%s'", opt);
            goto done;
        }
        i++; /* consumed the value */
    }
    if (!have_count && !have_rate)
        cfg.count = 10;

    rc = em_gen_create(&g, &cfg);
    if (rc) {
        fprintf(stderr, "ember: generate: %s\n", em_strerror(rc));
        goto done;
    }

    /* With --rate, reading i is due at start + i/rate; emit in small chunks
     * (about 10 per second) so output is smooth and flushed as it is made. */
    uint32_t chunk = 1024;
    if (have_rate) {
        double c = cfg.rate / 10.0;
        chunk = c < 1 ? 1 : c > 1024 ? 1024 : (uint32_t)c;
    }
    int64_t t0 = em_mono_ns();
    for (;;) {
        if (have_rate) {
            int64_t due = t0 + (int64_t)((double)em_gen_position(g) / cfg.rate * 1e9);
            int64_t now = em_mono_ns();
            if (due > now)
                em_sleep_us((due - now) / 1000);
        }
        em_batch_builder bb;
        em_arena_reset(&arena);
        rc = em_batch_builder_init(&bb, em_gen_schema(g), chunk, &arena);
        if (rc >= 0)
            rc = em_gen_next(g, &bb, chunk);
        if (rc < 0) {
            fprintf(stderr, "ember: generate: %s\n", em_strerror(rc));
            goto done;
        }
        if (rc == 0)
            break;
        em_batch *b = em_batch_builder_finish(&bb);
        for (uint32_t r = 0; r < b->nrows; r++)
            put_row(stdout, b, r);
        if (have_rate)
            fflush(stdout);
        if (ferror(stdout))
            break;
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "ember: generate: cannot write to standard output: %s\n",
                strerror(errno));
        goto done;
    }
    status = 0;
done:
    em_gen_destroy(g);
    em_arena_release(&arena);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        printf("ember " EMBER_VERSION "\n");
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(cmd, "generate"))
        return cmd_generate(argc - 2, argv + 2);
    if (!strcmp(cmd, "bench"))
        return cmd_bench(argc - 2, argv + 2);
    if (!strcmp(cmd, "run") || !strcmp(cmd, "check") || !strcmp(cmd, "explain")) {
        return em_cli_job(cmd, argc - 2, argv + 2);
    }
    if (cmd[0] == '-')
        return usage_error("unknown option '%s'", cmd);
    return usage_error("unknown command '%s'", cmd);
}
