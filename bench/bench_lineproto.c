/*
 * bench/bench_lineproto.c - `ember bench format_lineproto`: the InfluxDB
 * line protocol reader on sensor readings, from memory into columns.
 *
 * 200,000 lines (x scale) like
 *   airquality,device_id=bldg-07-floor-03-sensor-00042 pm25=12.37,pm10=23.81,
 *   co2=415i,temperature=21.375,humidity=45.125 1714564800123456789
 * (~140 bytes: a measurement, a device_id tag, five fields and a timestamp
 * in ns) are generated once, untimed; then the real reader (em_reader_parse,
 * as every source uses it) parses them into batches of EM_BATCH_ROWS rows of
 * the schema (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, pm10 DOUBLE, co2
 * BIGINT, temperature DOUBLE, humidity DOUBLE), five passes over the text,
 * on one core. bytes_per_s counts the input text, newlines included;
 * best_pass_mb_per_s is the fastest of the five passes.
 */
#include "bench_int.h"

#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/mem.h"
#include "ember/error.h"
#include "formats/format.h"

#include <stdio.h>
#include <string.h>

#define LINES  200000
#define PASSES 5

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The input text: n lines, deterministic. */
static int make_input(em_buf *text, uint32_t n)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint64_t r = rng_next(&seed);
        unsigned dev = (unsigned)(r % 1000), b = dev / 100, fl = (dev / 10) % 10;
        rc = em_buf_printf(text,
                           "airquality,device_id=bldg-%02u-floor-%02u-sensor-%05u "
                           "pm25=%u.%02u,pm10=%u.%02u,co2=%ui,temperature=%u.%03u,"
                           "humidity=%u.%03u %llu\n",
                           b, fl, dev, (unsigned)(r >> 10) % 150, (unsigned)(r >> 20) % 100,
                           (unsigned)(r >> 27) % 300, (unsigned)(r >> 34) % 100,
                           400 + (unsigned)(r >> 41) % 1600, 15 + (unsigned)(r >> 8) % 15,
                           (unsigned)(r >> 16) % 1000, 20 + (unsigned)(r >> 24) % 60,
                           (unsigned)(r >> 32) % 1000,
                           1714564800000000000ull + (unsigned long long)i * 1000000ull);
    }
    return rc;
}

static int bench_lineproto(const em_bench_opts *o, em__bench_result *res)
{
    static const char *const names[] = {"device_id", "ts",          "pm25",    "pm10",
                                        "co2",       "temperature", "humidity"};
    static const em_type types[] = {EM_TYPE_TEXT,   EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE,
                                    EM_TYPE_DOUBLE, EM_TYPE_BIGINT,    EM_TYPE_DOUBLE,
                                    EM_TYPE_DOUBLE};
    uint32_t n = (uint32_t)(LINES * o->scale);
    em_schema *s = em_schema_create(7, names, types);
    em_reader *r = NULL;
    em_buf text;
    em_arena a;
    em_errbuf err;
    em_batch_builder bb;
    uint64_t rows = 0, bad = 0;
    int rc = EM_ENOMEM;
    em_buf_init(&text, (size_t)1 << 34);
    em_arena_init(&a, 0);
    if (n < 1) n = 1;
    if (!s || make_input(&text, n) != 0) goto fail;
    if ((rc = em_reader_create(&r, "influx", s, NULL, &err)) != 0) {
        fprintf(stderr, "format_lineproto: %s\n", err.msg);
        goto fail;
    }
    em__bench_rss_reset();
    double w0 = em__bench_wall(), c0 = em__bench_cpu();
    double best = 0;
    for (int pass = 0; pass < PASSES; pass++) {
        const char *p = text.ptr, *end = text.ptr + text.len;
        double p0 = em__bench_wall();
        em_arena_reset(&a);
        if ((rc = em_batch_builder_init(&bb, s, EM_BATCH_ROWS, &a)) != 0) goto fail;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            int prc = em_reader_parse(r, p, len, &bb, &err);
            if (prc == 0)
                rows++;
            else if (prc != EM_EOF)
                bad++;
            p += len + 1;
            if (em_batch_builder_full(&bb)) {
                em_arena_reset(&a);
                if ((rc = em_batch_builder_init(&bb, s, EM_BATCH_ROWS, &a)) != 0) goto fail;
            }
        }
        double t = em__bench_wall() - p0;
        if (pass == 0 || t < best) best = t;
    }
    res->seconds = em__bench_wall() - w0;
    res->cpu_seconds = em__bench_cpu() - c0;
    res->records = rows;
    res->bytes = (uint64_t)text.len * PASSES;
    em__bench_extra(res, "bytes_per_record", (double)text.len / n);
    em__bench_extra(res, "ns_per_record", res->seconds * 1e9 / (double)(rows ? rows : 1));
    em__bench_extra(res, "bad_records", (double)bad);
    /* the fastest pass: the least disturbed by other processes on a shared machine */
    em__bench_extra(res, "best_pass_mb_per_s", best > 0 ? (double)text.len / best / 1e6 : 0);
    rc = bad ? EM_EPARSE : 0;
fail:
    em_reader_destroy(r);
    em_arena_release(&a);
    em_buf_release(&text);
    em_schema_destroy(s);
    return rc;
}

const em__bench_def em__bench_lineproto[] = {
    {"format_lineproto", "line protocol sensor readings from memory into columns (one core)",
     bench_lineproto},
};
const uint32_t em__bench_lineproto_n = sizeof em__bench_lineproto / sizeof em__bench_lineproto[0];
