/*
 * bench/bench_core.c - the core operator benchmarks (`ember bench core`).
 *
 * Each benchmark drives operators directly, as the scheduler does
 * (src/engine/sched.c): input batches of EM_BATCH_ROWS rows are built
 * beforehand in an arena (outside the timed region) and pushed through the
 * operator into a null sink; every MB_BATCHES batches form a micro-batch:
 * advance(watermark) as event time progresses, end_batch, and a reset of
 * the micro-batch arena. The timed region is exactly those operator calls.
 *
 * Input: (device, ts TIMESTAMP, v DOUBLE[, x BIGINT, ok BOOLEAN]) with
 * uniformly random devices ("dev-NNNNN" TEXT for the aggregates, BIGINT ids
 * for the join), event time advancing 1 µs per row (e.g. 10,000 devices x
 * 100 readings/s) with up to 1 ms of disorder. A ring of MB_BATCHES
 * prebuilt batches is reused; before each micro-batch (untimed) the ts
 * columns are rewritten for the new stretch of event time.
 */
#include "bench_int.h"

#include "batch/batch.h"
#include "core/mem.h"
#include "ember/error.h"
#include "expr/expr.h"
#include "ops/agg.h"
#include "ops/basic.h"
#include "ops/join.h"

#include <stdio.h>
#include <string.h>

#define MB_BATCHES 100 /* batches per micro-batch */
#define WM_DELAY 2000  /* µs between the highest event time and the watermark */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

typedef struct input {
    em_schema *schema;
    em_arena arena;            /* the ring's batches (bench lifetime) */
    em_batch *ring[MB_BATCHES];
    int32_t *toff[MB_BATCHES]; /* per row: event time offset within the micro-batch */
    uint64_t row_bytes_total;  /* column bytes of one pass over the ring */
} input;

static void input_release(input *in)
{
    em_arena_release(&in->arena);
    em_schema_destroy(in->schema);
}

/* Builds the ring: keys "dev-%05u" (nkeys of them) or BIGINT key ids when
 * int_keys; wide adds x BIGINT (0..999) and ok BOOLEAN. Returns 0 or
 * EM_ENOMEM. */
static int input_init(input *in, uint32_t nkeys, int int_keys, int wide, uint64_t seed)
{
    const char *names[] = {"device", "ts", "v", "x", "ok"};
    em_type types[] = {int_keys ? EM_TYPE_BIGINT : EM_TYPE_TEXT, EM_TYPE_TIMESTAMP,
                       EM_TYPE_DOUBLE, EM_TYPE_BIGINT, EM_TYPE_BOOLEAN};
    memset(in, 0, sizeof *in);
    em_arena_init(&in->arena, 1 << 20);
    in->schema = em_schema_create(wide ? 5 : 3, names, types);
    if (!in->schema)
        return EM_ENOMEM;
    uint64_t s = seed | 1;
    for (uint32_t b = 0; b < MB_BATCHES; b++) {
        em_batch_builder bb;
        int rc = em_batch_builder_init(&bb, in->schema, EM_BATCH_ROWS, &in->arena);
        if (rc)
            return rc;
        in->toff[b] = em_arena_alloc(&in->arena, EM_BATCH_ROWS * sizeof(int32_t));
        if (!in->toff[b])
            return EM_ENOMEM;
        for (uint32_t i = 0; i < EM_BATCH_ROWS; i++) {
            uint32_t k = (uint32_t)(rng_next(&s) % nkeys);
            char key[16];
            if (int_keys) {
                em_batch_builder_set_i64(&bb, 0, (int64_t)k);
            } else {
                int n = snprintf(key, sizeof key, "dev-%05u", k);
                if ((rc = em_batch_builder_set_text(&bb, 0, key, (size_t)n)))
                    return rc;
            }
            em_batch_builder_set_i64(&bb, 1, 0);
            em_batch_builder_set_f64(&bb, 2, (double)(rng_next(&s) % 100000) / 100.0);
            if (wide) {
                em_batch_builder_set_i64(&bb, 3, (int64_t)(rng_next(&s) % 1000));
                em_batch_builder_set_bool(&bb, 4, rng_next(&s) & 1);
            }
            if ((rc = em_batch_builder_end_row(&bb)))
                return rc;
            in->toff[b][i] = (int32_t)(b * EM_BATCH_ROWS + i + (int32_t)(rng_next(&s) % 1000));
        }
        in->ring[b] = em_batch_builder_finish(&bb);
        if (!in->ring[b])
            return EM_ENOMEM;
        const em_column *kc = &in->ring[b]->cols[0];
        in->row_bytes_total += (uint64_t)EM_BATCH_ROWS * (wide ? 25 : 16) +
                               (int_keys ? (uint64_t)EM_BATCH_ROWS * 8
                                         : kc->data_len + (uint64_t)EM_BATCH_ROWS * 4);
    }
    return 0;
}

/* Rewrites the event times of the ring for the micro-batch starting at base. */
static void input_set_time(input *in, int64_t base)
{
    for (uint32_t b = 0; b < MB_BATCHES; b++) {
        int64_t *ts = in->ring[b]->cols[1].v.i64;
        for (uint32_t i = 0; i < EM_BATCH_ROWS; i++)
            ts[i] = base + in->toff[b][i];
    }
}

/* Runs nmb micro-batches of the ring into port 0 of op, with the output of
 * tail (op itself, or the last operator of a chain starting at op) going to
 * a null sink; then closes everything with watermark EM_TS_MAX. Every
 * operator of the chain gets advance/end_batch in order. */
static int drive_chain(em_op *const *ops, uint32_t nops, input *in, uint32_t nmb,
                       em__bench_result *r, uint64_t *rows_out)
{
    em_op *op = ops[0], *tail = ops[nops - 1];
    em_arena mb;
    em_errbuf err;
    em_op *sink = em__bench_sink_create();
    int rc = EM_ENOMEM;
    em_arena_init(&mb, 1 << 20);
    if (!sink || (rc = em_op_connect(tail, sink, 0)))
        goto fail;
    em_op_ctx cx = {.arena = &mb, .batch_id = 1, .watermark = EM_TS_MIN, .err = &err};
    int64_t t0 = INT64_C(1767225600000000); /* 2026-01-01, minute-aligned */
    int64_t span = (int64_t)MB_BATCHES * EM_BATCH_ROWS;
    double wall = 0, cpu = 0;
    for (uint32_t m = 0; m <= nmb; m++) {
        if (m < nmb)
            input_set_time(in, t0 + (int64_t)m * span);
        double w0 = em__bench_wall(), c0 = em__bench_cpu();
        int64_t wm;
        if (m < nmb) {
            cx.logical_time = t0 + (int64_t)(m + 1) * span;
            for (uint32_t b = 0; b < MB_BATCHES; b++)
                if ((rc = op->vt->push(op, 0, in->ring[b], &cx)))
                    goto fail;
            wm = t0 + (int64_t)(m + 1) * span - WM_DELAY;
        } else {
            wm = EM_TS_MAX;
        }
        for (uint32_t i = 0; i < nops; i++)
            if (ops[i]->vt->advance && wm > cx.watermark &&
                (rc = ops[i]->vt->advance(ops[i], wm, &cx)))
                goto fail;
        cx.watermark = wm;
        for (uint32_t i = 0; i < nops; i++)
            if (ops[i]->vt->end_batch && (rc = ops[i]->vt->end_batch(ops[i], &cx)))
                goto fail;
        em_arena_reset(&mb);
        cx.batch_id++;
        wall += em__bench_wall() - w0;
        cpu += em__bench_cpu() - c0;
    }
    r->records = (uint64_t)nmb * span;
    r->bytes = (uint64_t)nmb * in->row_bytes_total;
    r->seconds = wall;
    r->cpu_seconds = cpu;
    *rows_out = sink->stats.rows_in;
    rc = 0;
fail:
    em_op_destroy(sink);
    tail->nout = 0; /* the sink is gone */
    em_arena_release(&mb);
    return rc;
}

static int drive(em_op *op, input *in, uint32_t nmb, em__bench_result *r, uint64_t *rows_out)
{
    return drive_chain(&op, 1, in, nmb, r, rows_out);
}

static uint32_t micro_batches(const em_bench_opts *o, double rows)
{
    double n = rows * o->scale / ((double)MB_BATCHES * EM_BATCH_ROWS);
    return n < 1 ? 1 : (uint32_t)(n + 0.5);
}

static const em_agg_spec window_aggs[] = {
    {EM_AGG_AVG, 2, "avg_v"},
    {EM_AGG_MIN, 2, "min_v"},
    {EM_AGG_MAX, 2, "max_v"},
    {EM_AGG_COUNT_STAR, -1, "n"},
};

static int run_window(const em_bench_opts *o, em__bench_result *r, const em_window_spec *w)
{
    input in;
    em_op *op = NULL;
    em_errbuf err;
    uint64_t out = 0;
    int key = 0;
    int rc = input_init(&in, 10000, 0, 0, 42);
    if (rc)
        goto fail;
    if ((rc = em_aggregate_create(&op, "agg", in.schema, 1, &key, 4, window_aggs, w, &err)))
        goto fail;
    rc = drive(op, &in, micro_batches(o, 20e6), r, &out);
    if (rc)
        goto fail;
    em__bench_extra(r, "rows_out", (double)out);
    em__bench_extra(r, "keys", 10000);
    em__bench_extra(r, "event_seconds", (double)r->records / 1e6); /* 1 µs per row */
fail:
    em_op_destroy(op);
    input_release(&in);
    return rc;
}

/* 1-minute tumbling avg/min/max/count per device; target >= 30M rows/s. */
static int bench_tumble(const em_bench_opts *o, em__bench_result *r)
{
    em_window_spec w = {.kind = EM_WIN_TUMBLE, .time_col = 1,
                        .size_us = 60 * EM_USEC_PER_SEC};
    r->note = "target >= 30M rows/s on one core";
    return run_window(o, r, &w);
}

/* HOP 10 s every 2 s, avg/min/max/count per device; target >= 20M rows/s. */
static int bench_hop(const em_bench_opts *o, em__bench_result *r)
{
    em_window_spec w = {.kind = EM_WIN_HOP, .time_col = 1, .size_us = 10 * EM_USEC_PER_SEC,
                        .slide_us = 2 * EM_USEC_PER_SEC};
    r->note = "target >= 20M rows/s on one core";
    return run_window(o, r, &w);
}

/* One state measurement: nkeys keys (BIGINT, or TEXT "dev-NNNNNNN" when
 * text), two passes of rows touching every key in one open 1-minute
 * window, then the operator's state_bytes / state_keys and the
 * allocator's own count per key, before the window closes. Fills r's
 * timing when r is not NULL. */
static int state_run(uint32_t nkeys, int text, em__bench_result *r, double *state_per_key,
                     double *alloc_per_key)
{
    static const em_agg_spec aggs[] = {
        {EM_AGG_COUNT_STAR, -1, "n"}, {EM_AGG_SUM, 2, "s"}, {EM_AGG_AVG, 2, "a"},
        {EM_AGG_MIN, 2, "lo"},        {EM_AGG_MAX, 2, "hi"},
    };
    const char *names[] = {"k", "ts", "v"};
    em_type types[] = {text ? EM_TYPE_TEXT : EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE};
    em_schema *s = em_schema_create(3, names, types);
    em_arena a;
    em_op *op = NULL;
    em_errbuf err;
    em_window_spec w = {.kind = EM_WIN_TUMBLE, .time_col = 1, .size_us = 60 * EM_USEC_PER_SEC};
    int key = 0, rc = EM_ENOMEM;
    em_arena_init(&a, 1 << 20);
    if (!s)
        goto fail;
    size_t mem0 = em_mem_used();
    if ((rc = em_aggregate_create(&op, "agg", s, 1, &key, 5, aggs, &w, &err)))
        goto fail;
    em_op_ctx cx = {.arena = &a, .batch_id = 1, .watermark = EM_TS_MIN, .err = &err};
    double w0 = em__bench_wall(), c0 = em__bench_cpu();
    uint64_t seed = 7, rows = 0, bytes = 0;
    for (uint32_t pass = 0; pass < 2; pass++) {
        for (uint32_t k0 = 0; k0 < nkeys; k0 += EM_BATCH_ROWS) {
            uint32_t n = nkeys - k0 < EM_BATCH_ROWS ? nkeys - k0 : EM_BATCH_ROWS;
            em_batch_builder bb;
            if ((rc = em_batch_builder_init(&bb, s, n, &a)))
                goto fail;
            for (uint32_t i = 0; i < n; i++) {
                /* a different order each pass (an odd multiplier permutes) */
                uint64_t k = pass ? ((uint64_t)(k0 + i) * 2654435761u) % nkeys : k0 + i;
                if (text) {
                    char t[24];
                    int tn = snprintf(t, sizeof t, "dev-%07u", (unsigned)k);
                    if ((rc = em_batch_builder_set_text(&bb, 0, t, (size_t)tn)))
                        goto fail;
                } else {
                    em_batch_builder_set_i64(&bb, 0, (int64_t)k);
                }
                em_batch_builder_set_i64(&bb, 1,
                                         INT64_C(1767225600000000) +
                                             (int64_t)(rng_next(&seed) % 1000000));
                em_batch_builder_set_f64(&bb, 2, (double)(rng_next(&seed) % 1000));
                if ((rc = em_batch_builder_end_row(&bb)))
                    goto fail;
            }
            em_batch *b = em_batch_builder_finish(&bb);
            if (!b) {
                rc = EM_ENOMEM;
                goto fail;
            }
            if ((rc = op->vt->push(op, 0, b, &cx)))
                goto fail;
            rows += n;
            bytes += 16 * (uint64_t)n + (text ? b->cols[0].data_len + 4 * (uint64_t)n : 8 * n);
            em_arena_reset(&a); /* building is part of this loop: no timing claims */
        }
    }
    if (r) {
        r->seconds = em__bench_wall() - w0;
        r->cpu_seconds = em__bench_cpu() - c0;
        r->records = rows;
        r->bytes = bytes;
    }
    size_t mem = em_mem_used() - mem0;
    uint64_t keys = op->stats.state_keys ? op->stats.state_keys : 1;
    *state_per_key = (double)op->stats.state_bytes / (double)keys;
    *alloc_per_key = (double)mem / (double)keys;
    rc = 0;
fail:
    em_op_destroy(op);
    em_arena_release(&a);
    em_schema_destroy(s);
    return rc;
}

/* Bytes of state per (key, open window) for count/sum/avg/min/max with
 * 1,000,000 keys; target <= 64. The headline figure is for BIGINT keys;
 * text_key_bytes_per_key repeats it with 11-byte TEXT keys (the key bytes
 * and their index are then part of the state). alloc_bytes_per_key counts
 * every em_malloc byte the operator holds (it includes the one arena chunk
 * kept by em_arena_reset). */
static int bench_state(const em_bench_opts *o, em__bench_result *r)
{
    uint32_t nkeys = (uint32_t)(1000000 * (o->scale < 1 ? o->scale : 1));
    double sb, ab, tsb, tab;
    int rc;
    if (nkeys < 1000)
        nkeys = 1000;
    if ((rc = state_run(nkeys, 0, r, &sb, &ab)) || (rc = state_run(nkeys, 1, NULL, &tsb, &tab)))
        return rc;
    em__bench_extra(r, "state_bytes_per_key", sb);
    em__bench_extra(r, "alloc_bytes_per_key", ab);
    em__bench_extra(r, "text_key_bytes_per_key", tsb);
    em__bench_extra(r, "keys", nkeys);
    r->note = "target <= 64 bytes per (key, open window); timing includes building the input";
    return 0;
}

/* WHERE v > 250.0 AND x < 900 (about 67% pass), then SELECT device, ts,
 * v * 1.8 + 32.0, x + 1, ok: filter and project over 5 columns; target
 * >= 200M rows/s. */
static int bench_filter_project(const em_bench_opts *o, em__bench_result *r)
{
    input in;
    em_arena plan;
    em_op *ops[2] = {NULL, NULL};
    em_errbuf err;
    uint64_t out = 0;
    int rc;
    em_arena_init(&plan, 0);
    if ((rc = input_init(&in, 10000, 1, 1, 43)))
        goto fail;
    rc = EM_ENOMEM;
    em_expr *a1[] = {em_expr_column(&plan, "v"), em_expr_lit_double(&plan, 250.0)};
    em_expr *a2[] = {em_expr_column(&plan, "x"), em_expr_lit_int(&plan, 900)};
    em_expr *c1[] = {em_expr_call(&plan, ">", 2, a1), em_expr_call(&plan, "<", 2, a2)};
    em_expr *pred = em_expr_call(&plan, "and", 2, c1);
    em_expr *m1[] = {em_expr_column(&plan, "v"), em_expr_lit_double(&plan, 1.8)};
    em_expr *p1[] = {em_expr_call(&plan, "*", 2, m1), em_expr_lit_double(&plan, 32.0)};
    em_expr *p2[] = {em_expr_column(&plan, "x"), em_expr_lit_int(&plan, 1)};
    em_expr *proj[] = {em_expr_column(&plan, "device"), em_expr_column(&plan, "ts"),
                       em_expr_call(&plan, "+", 2, p1), em_expr_call(&plan, "+", 2, p2),
                       em_expr_column(&plan, "ok")};
    const char *names[] = {"device", "ts", "vf", "x1", "ok"};
    if (!pred || !proj[0] || !proj[1] || !proj[2] || !proj[3] || !proj[4])
        goto fail;
    if ((rc = em_expr_bind(pred, in.schema, &err)) ||
        (rc = em_filter_create(&ops[0], "filter", in.schema, pred, &err)))
        goto fail;
    for (int i = 0; i < 5; i++)
        if ((rc = em_expr_bind(proj[i], ops[0]->out_schema, &err)))
            goto fail;
    if ((rc = em_project_create(&ops[1], "project", ops[0]->out_schema, 5,
                                (const em_expr *const *)proj, names, &err)) ||
        (rc = em_op_connect(ops[0], ops[1], 0)))
        goto fail;
    if ((rc = drive_chain(ops, 2, &in, micro_batches(o, 100e6), r, &out)))
        goto fail;
    em__bench_extra(r, "rows_out", (double)out);
    r->note = "target >= 200M rows/s on one core";
fail:
    em_op_destroy(ops[1]);
    em_op_destroy(ops[0]);
    em_arena_release(&plan);
    input_release(&in);
    return rc;
}

/* Stream (device BIGINT, ts, v) INNER JOIN a 100,000-row table (id BIGINT,
 * name TEXT, site BIGINT) on device = id, every stream row matching; the
 * table is loaded through port 1 before the timed region. Target >= 30M
 * rows/s. */
static int bench_join(const em_bench_opts *o, em__bench_result *r)
{
    const uint32_t ntab = 100000;
    const char *tn[] = {"id", "name", "site"};
    em_type tt[] = {EM_TYPE_BIGINT, EM_TYPE_TEXT, EM_TYPE_BIGINT};
    em_schema *ts = em_schema_create(3, tn, tt);
    input in;
    em_arena a;
    em_op *op = NULL;
    em_errbuf err;
    uint64_t out = 0;
    int rc;
    em_arena_init(&a, 1 << 20);
    if ((rc = input_init(&in, ntab, 1, 0, 44)))
        goto fail;
    rc = EM_ENOMEM;
    if (!ts)
        goto fail;
    if ((rc = em_table_join_create(&op, "join", in.schema, 0, ts, 0, 0, &err)))
        goto fail;
    em_op_ctx cx = {.arena = &a, .batch_id = 0, .watermark = EM_TS_MIN, .err = &err};
    for (uint32_t k0 = 0; k0 < ntab; k0 += EM_BATCH_ROWS) {
        em_batch_builder bb;
        if ((rc = em_batch_builder_init(&bb, ts, EM_BATCH_ROWS, &a)))
            goto fail;
        for (uint32_t k = k0; k < ntab && k < k0 + EM_BATCH_ROWS; k++) {
            char name[24];
            int n = snprintf(name, sizeof name, "sensor %u", k);
            em_batch_builder_set_i64(&bb, 0, k);
            if ((rc = em_batch_builder_set_text(&bb, 1, name, (size_t)n)))
                goto fail;
            em_batch_builder_set_i64(&bb, 2, k % 97);
            if ((rc = em_batch_builder_end_row(&bb)))
                goto fail;
        }
        em_batch *b = em_batch_builder_finish(&bb);
        if (!b) {
            rc = EM_ENOMEM;
            goto fail;
        }
        if ((rc = op->vt->push(op, 1, b, &cx)))
            goto fail;
    }
    if (op->vt->end_batch && (rc = op->vt->end_batch(op, &cx)))
        goto fail;
    em_arena_reset(&a);
    if ((rc = drive(op, &in, micro_batches(o, 20e6), r, &out)))
        goto fail;
    em__bench_extra(r, "rows_out", (double)out);
    em__bench_extra(r, "table_rows", ntab);
    em__bench_extra(r, "table_state_bytes", (double)op->stats.state_bytes);
    r->note = "target >= 30M rows/s on one core";
fail:
    em_op_destroy(op);
    em_arena_release(&a);
    input_release(&in);
    em_schema_destroy(ts);
    return rc;
}

const em__bench_def em__bench_core[] = {
    {"core_tumble", "1-minute TUMBLE avg/min/max/count, 10,000 keys, 20M rows", bench_tumble},
    {"core_hop", "HOP 10 s every 2 s avg/min/max/count, 10,000 keys, 20M rows", bench_hop},
    {"core_state", "state bytes per (key, open window), 1,000,000 keys", bench_state},
    {"core_filter_project", "filter + project over 5 columns, 100M rows", bench_filter_project},
    {"core_join", "stream-table join against 100,000 rows, 20M rows", bench_join},
};
const uint32_t em__bench_core_n = sizeof em__bench_core / sizeof em__bench_core[0];
