/*
 * bench/bench_formats.c - parse-only benchmarks of the record readers:
 * `format_json` and `format_csv`.
 *
 * Input: readings of the engine's generator (engine/generator.h; 10,000
 * devices, seed 1) written by the real writer as NDJSON (about 136 bytes
 * a line) or CSV (header first), held in memory (untimed). Timed: what a
 * source does with such a buffer, through the real reader
 * (src/formats/json.c, csv.c) into the generator's full schema (eight typed
 * columns: device_id TEXT, ts TIMESTAMP, six numbers): split lines, parse
 * each into a batch builder of EM_BATCH_ROWS rows, reset the arena every
 * 16 batches. The buffer is parsed several times over so the run lasts long
 * enough to time; records and bytes count every pass. A record the reader
 * rejects fails the benchmark (the input is valid by construction).
 */
#include "bench_int.h"

#include "batch/batch.h"
#include "core/mem.h"
#include "core/str.h"
#include "engine/generator.h"
#include "ember/error.h"
#include "formats/format.h"

#include <stdio.h>
#include <string.h>

#define INPUT_READINGS 250000.0  /* readings in the buffer (~34 MB of NDJSON) */
#define TOTAL_READINGS 5000000.0 /* readings parsed in all passes */

int em__bench_readings(const char *fmt, uint64_t count, em_buf *buf, FILE *f, em_schema **schema)
{
    em_gen *g = NULL;
    em_writer *w = NULL;
    em_arena a;
    em_errbuf err;
    em_gen_config cfg;
    int rc;
    em_arena_init(&a, 1 << 20);
    em_gen_config_init(&cfg);
    cfg.devices = 10000;
    cfg.count = count;
    cfg.seed = 1;
    if ((rc = em_gen_create(&g, &cfg)) || (rc = em_writer_create(&w, fmt, em_gen_schema(g), &err)))
        goto fail;
    if (schema && !(*schema = em_schema_copy(em_gen_schema(g)))) {
        rc = EM_ENOMEM;
        goto fail;
    }
    for (;;) {
        em_batch_builder bb;
        if ((rc = em_batch_builder_init(&bb, em_gen_schema(g), EM_BATCH_ROWS, &a)))
            goto fail;
        int n = em_gen_next(g, &bb, EM_BATCH_ROWS);
        if (n <= 0) {
            rc = n;
            break;
        }
        if ((rc = em_writer_write(w, em_batch_builder_finish(&bb), buf)))
            goto fail;
        if (f) { /* to the file, a batch at a time */
            if (fwrite(buf->ptr, 1, buf->len, f) != buf->len) {
                rc = EM_EIO;
                goto fail;
            }
            em_buf_reset(buf);
        }
        em_arena_reset(&a);
    }
fail:
    em_writer_destroy(w);
    em_gen_destroy(g);
    em_arena_release(&a);
    return rc;
}

/* One pass over buf: every line through the reader. *rows gets the rows
 * parsed (the CSV header is skipped, not counted). */
static int parse_all(em_reader *rd, const em_schema *s, const char *p, size_t n, em_arena *a,
                     uint64_t *rows)
{
    em_batch_builder bb;
    em_errbuf err;
    uint32_t batches = 0;
    size_t pos = 0;
    int rc = em_batch_builder_init(&bb, s, EM_BATCH_ROWS, a);
    while (!rc && pos < n) {
        const char *nl = memchr(p + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - p) : n;
        if (em_batch_builder_full(&bb)) {
            *rows += bb.b->nrows;
            if (++batches % 16 == 0)
                em_arena_reset(a);
            if ((rc = em_batch_builder_init(&bb, s, EM_BATCH_ROWS, a)))
                break;
        }
        rc = em_reader_parse(rd, p + pos, end - pos, &bb, &err);
        if (rc == EM_EOF)
            rc = 0;
        else if (rc)
            fprintf(stderr, "ember: bench: record at byte %zu rejected: %s\n", pos, err.msg);
        pos = end + 1;
    }
    if (!rc)
        *rows += bb.b->nrows;
    em_arena_reset(a);
    return rc;
}

static int bench_format(const em_bench_opts *o, em__bench_result *r, const char *fmt)
{
    em_buf buf;
    em_arena a;
    em_schema *s = NULL;
    em_reader *rd = NULL;
    em_errbuf err;
    double n_in = INPUT_READINGS * o->scale, n_all = TOTAL_READINGS * o->scale;
    uint64_t count = n_in < 1000 ? 1000 : (uint64_t)n_in, rows = 0;
    uint32_t passes = (uint32_t)(n_all / (double)count + 0.5);
    double t0, c0;
    int rc;
    em_buf_init(&buf, (size_t)1 << 32);
    em_arena_init(&a, 1 << 20);
    if (passes < 1)
        passes = 1;
    if ((rc = em__bench_readings(fmt, count, &buf, NULL, &s)) ||
        (rc = em_reader_create(&rd, fmt, s, NULL, &err)))
        goto fail;
    if ((rc = parse_all(rd, s, buf.ptr, buf.len, &a, &rows))) /* warm-up, untimed */
        goto fail;
    if (rows != count) {
        fprintf(stderr, "ember: bench: %s: parsed %llu rows of %llu\n", fmt,
                (unsigned long long)rows, (unsigned long long)count);
        rc = EM_EPARSE;
        goto fail;
    }
    em__bench_rss_reset();
    rows = 0;
    t0 = em__bench_wall();
    c0 = em__bench_cpu();
    for (uint32_t i = 0; i < passes && !rc; i++)
        rc = parse_all(rd, s, buf.ptr, buf.len, &a, &rows);
    r->seconds = em__bench_wall() - t0;
    r->cpu_seconds = em__bench_cpu() - c0;
    r->records = rows;
    r->bytes = (uint64_t)buf.len * passes;
    em__bench_extra(r, "columns", s->nfields);
    em__bench_extra(r, "bytes_per_record", (double)buf.len / (double)count);
    if (r->cpu_seconds > 0)
        em__bench_extra(r, "bytes_per_cpu_s", (double)r->bytes / r->cpu_seconds);
fail:
    em_reader_destroy(rd);
    em_schema_destroy(s);
    em_arena_release(&a);
    em_buf_release(&buf);
    return rc;
}

static int bench_json(const em_bench_opts *o, em__bench_result *r)
{
    r->note = "target >= 1 GB/s on one core";
    return bench_format(o, r, "json");
}

static int bench_csv(const em_bench_opts *o, em__bench_result *r)
{
    return bench_format(o, r, "csv");
}

const em__bench_def em__bench_formats[] = {
    {"format_json", "NDJSON readings parsed from memory into 8 typed columns, 5M records",
     bench_json},
    {"format_csv", "CSV readings parsed from memory into 8 typed columns, 5M records",
     bench_csv},
};
const uint32_t em__bench_formats_n = sizeof em__bench_formats / sizeof em__bench_formats[0];
