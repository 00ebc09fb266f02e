/*
 * bench/bench_snapshot.c - state snapshot benchmarks (`ember bench
 * core_snapshot`): how long an operator's snapshot and restore take and how
 * many bytes the snapshot holds, the figures behind "snapshot of 1,000,000
 * keys <= 300 ms and <= 64 MB; restart to first batch <= 1 s" (issue 4).
 *
 * The state is a 1-minute TUMBLE avg/min/max/count(*) over a DOUBLE per
 * BIGINT key, every key in one open window, built untimed. Timed: the
 * snapshot callback into an in-memory buffer; the restore callback into a
 * fresh operator of the same configuration; and "restart to first batch":
 * create + restore + one micro-batch of EM_BATCH_ROWS rows (push, advance,
 * end_batch). Writing the buffer to disk, checksumming and fsync are the
 * engine's (src/engine) and not counted here.
 */
#include "bench_int.h"

#include "batch/batch.h"
#include "core/mem.h"
#include "ember/error.h"
#include "ops/agg.h"

#include <string.h>

static const em_agg_spec snap_aggs[] = {
    {EM_AGG_AVG, 2, "avg_v"},
    {EM_AGG_MIN, 2, "min_v"},
    {EM_AGG_MAX, 2, "max_v"},
    {EM_AGG_COUNT_STAR, -1, "n"},
};

#define T0 INT64_C(1767225600000000) /* 2026-01-01, a window start */

/* Pushes rows for keys [k0, k0 + n) at event time ts, values from the key. */
static int push_keys(em_op *op, const em_schema *s, uint32_t k0, uint32_t n, int64_t ts,
                     em_op_ctx *cx)
{
    em_batch *b = em_batch_alloc(s, n, cx->arena);
    if (!b) return EM_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        b->cols[0].v.i64[i] = (int64_t)(k0 + i);
        b->cols[1].v.i64[i] = ts + (int64_t)(i % 1000);
        b->cols[2].v.f64[i] = (double)((k0 + i) % 997) * 0.5;
    }
    return op->vt->push(op, 0, b, cx);
}

static int mk(em_op **op, const em_schema *s, em_errbuf *err)
{
    em_window_spec w = {.kind = EM_WIN_TUMBLE, .time_col = 1, .size_us = 60 * EM_USEC_PER_SEC};
    int key = 0;
    return em_aggregate_create(op, "agg", s, 1, &key, 4, snap_aggs, &w, err);
}

static int bench_snapshot(const em_bench_opts *o, em__bench_result *r)
{
    const char *names[] = {"k", "ts", "v"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE};
    em_schema *s = em_schema_create(3, names, types);
    uint32_t nkeys = (uint32_t)(1000000 * (o->scale < 1 ? o->scale : 1));
    em_op *a = NULL, *b = NULL;
    em_errbuf err;
    em_buf buf;
    em_arena ar;
    int rc = EM_ENOMEM;
    if (nkeys < 1000) nkeys = 1000;
    em_buf_init(&buf, (size_t)1 << 32);
    em_arena_init(&ar, 1 << 20);
    if (!s || (rc = mk(&a, s, &err))) goto fail;
    em_op_ctx cx = {.arena = &ar, .batch_id = 1, .watermark = EM_TS_MIN, .err = &err};
    for (uint32_t k0 = 0; k0 < nkeys; k0 += EM_BATCH_ROWS) {
        uint32_t n = nkeys - k0 < EM_BATCH_ROWS ? nkeys - k0 : EM_BATCH_ROWS;
        if ((rc = push_keys(a, s, k0, n, T0, &cx))) goto fail;
        em_arena_reset(&ar);
    }
    uint64_t keys = a->stats.state_keys;

    double w0 = em__bench_wall(), c0 = em__bench_cpu();
    if ((rc = a->vt->snapshot(a, &buf))) goto fail;
    double snap_s = em__bench_wall() - w0, snap_cpu = em__bench_cpu() - c0;
    em_op_destroy(a);
    a = NULL;

    double w1 = em__bench_wall();
    if ((rc = mk(&b, s, &err)) || (rc = b->vt->restore(b, buf.ptr, buf.len, &err))) goto fail;
    double restore_s = em__bench_wall() - w1;
    /* the first micro-batch after the restart: new rows for existing keys */
    cx.batch_id = 2;
    if ((rc = push_keys(b, s, 0, EM_BATCH_ROWS < nkeys ? EM_BATCH_ROWS : nkeys, T0 + 5000000,
                        &cx)) ||
        (rc = b->vt->advance(b, T0 + 1000000, &cx)) || (rc = b->vt->end_batch(b, &cx)))
        goto fail;
    double first_s = em__bench_wall() - w1;
    em_arena_reset(&ar);
    if (b->stats.state_keys != keys) { /* the restore lost or invented keys */
        rc = EM_ESTATE;
        goto fail;
    }
    r->records = keys;
    r->bytes = buf.len;
    r->seconds = snap_s;
    r->cpu_seconds = snap_cpu;
    em__bench_extra(r, "snapshot_ms", snap_s * 1e3);
    em__bench_extra(r, "snapshot_mb", (double)buf.len / 1e6);
    em__bench_extra(r, "bytes_per_key", (double)buf.len / (double)keys);
    em__bench_extra(r, "restore_ms", restore_s * 1e3);
    em__bench_extra(r, "restart_first_batch_ms", first_s * 1e3);
    em__bench_extra(r, "keys", (double)keys);
    r->note = "records = keys; targets: snapshot <= 300 ms and <= 64 MB, restart to first batch "
              "<= 1 s (in memory: file write and fsync are the engine's)";
    rc = 0;
fail:
    em_op_destroy(a);
    em_op_destroy(b);
    em_buf_release(&buf);
    em_arena_release(&ar);
    em_schema_destroy(s);
    return rc;
}

const em__bench_def em__bench_snapshot[] = {
    {"core_snapshot", "snapshot + restore of a TUMBLE avg/min/max/count, 1,000,000 keys",
     bench_snapshot},
};
const uint32_t em__bench_snapshot_n = sizeof em__bench_snapshot / sizeof em__bench_snapshot[0];
