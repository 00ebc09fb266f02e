/*
 * tests/unit/agg_harness.h - test harness for the aggregate operator: a
 * collector operator that copies emitted rows, an input schema (k BIGINT,
 * ts TIMESTAMP, x BIGINT, d DOUBLE, s TEXT) with a row builder, and a
 * driver that pushes, advances and ends micro-batches like the scheduler.
 * Shared by test_ops_aggregate.c and test_ops_agg_keys.c.
 */
#ifndef EMBER_TEST_AGG_HARNESS_H
#define EMBER_TEST_AGG_HARNESS_H

#include "batch/batch.h"
#include "ember/error.h"
#include "ops/agg.h"
#include "t.h"

#include <stdlib.h>

/* ---- a collector operator that copies emitted rows ---- */

#define MAXC 24

typedef struct cell {
    int null;
    double v;
    char s[32];
} cell;

typedef struct orow {
    cell c[MAXC];
    int64_t batch; /* cx->batch_id when emitted */
} orow;

typedef struct collector {
    em_op op;
    orow *rows;
    uint32_t n, cap;
} collector;

static inline int col_push(em_op *op, int port, const em_batch *b, em_op_ctx *cx)
{
    collector *c = (collector *)op;
    (void)port;
    for (uint32_t i = 0; i < em_batch_count(b); i++) {
        uint32_t r = em_batch_row(b, i);
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->rows = realloc(c->rows, c->cap * sizeof *c->rows);
        }
        orow *o = &c->rows[c->n++];
        memset(o, 0, sizeof *o);
        o->batch = cx->batch_id;
        for (uint32_t j = 0; j < b->ncols && j < MAXC; j++) {
            const em_column *col = &b->cols[j];
            if (em_column_is_null(col, r)) {
                o->c[j].null = 1;
                continue;
            }
            switch (col->type) {
            case EM_TYPE_DOUBLE:
                o->c[j].v = col->v.f64[r];
                break;
            case EM_TYPE_TEXT: {
                em_slice t = em_column_text(col, r);
                snprintf(o->c[j].s, sizeof o->c[j].s, "%.*s", (int)t.len, t.ptr);
                break;
            }
            case EM_TYPE_BOOLEAN:
                o->c[j].v = col->v.b[r];
                break;
            default:
                o->c[j].v = (double)col->v.i64[r];
            }
        }
    }
    return 0;
}

static inline void col_destroy(em_op *op)
{
    collector *c = (collector *)op;
    free(c->rows);
    em_op_release(op);
    em_free(c);
}

static const em_op_vtable col_vt = {.kind = "collector", .push = col_push, .destroy = col_destroy};

static inline collector *collect(em_op *from)
{
    collector *c = em_calloc(1, sizeof *c);
    em_op_init(&c->op, &col_vt, "sink", NULL, 1);
    em_op_connect(from, &c->op, 0);
    return c;
}

/* ---- input helpers: schema (k BIGINT, ts TIMESTAMP, x BIGINT, d DOUBLE, s TEXT) ---- */

typedef struct irow {
    int64_t k, ts, x;
    double d;
    const char *s;
    int xnull, dnull, snull, tsnull;
} irow;

static inline em_schema *in_schema(void)
{
    const char *names[] = {"k", "ts", "x", "d", "s"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT, EM_TYPE_DOUBLE,
                       EM_TYPE_TEXT};
    return em_schema_create(5, names, types);
}

static inline em_batch *mk_batch(const em_schema *s, const irow *r, uint32_t n, em_arena *a)
{
    em_batch_builder bb;
    if (em_batch_builder_init(&bb, s, n ? n : 1, a))
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        em_batch_builder_set_i64(&bb, 0, r[i].k);
        if (!r[i].tsnull)
            em_batch_builder_set_i64(&bb, 1, r[i].ts);
        if (!r[i].xnull)
            em_batch_builder_set_i64(&bb, 2, r[i].x);
        if (!r[i].dnull)
            em_batch_builder_set_f64(&bb, 3, r[i].d);
        if (r[i].s && !r[i].snull)
            em_batch_builder_set_text(&bb, 4, r[i].s, strlen(r[i].s));
        em_batch_builder_end_row(&bb);
    }
    return em_batch_builder_finish(&bb);
}

typedef struct harness {
    em_schema *s;
    em_arena arena;
    em_op_ctx cx;
    em_errbuf err;
    em_op *op;
    collector *out;
} harness;

static inline int h_init(harness *h, uint32_t nkeys, const int *keys, uint32_t naggs,
                  const em_agg_spec *aggs, const em_window_spec *w)
{
    memset(h, 0, sizeof *h);
    h->s = in_schema();
    em_arena_init(&h->arena, 0);
    h->cx.arena = &h->arena;
    h->cx.batch_id = 1;
    h->cx.watermark = EM_TS_MIN;
    h->cx.err = &h->err;
    int rc = em_aggregate_create(&h->op, "agg", h->s, nkeys, keys, naggs, aggs, w, &h->err);
    if (rc)
        return rc;
    h->out = collect(h->op);
    return 0;
}

static inline int h_push(harness *h, const irow *r, uint32_t n)
{
    em_batch *b = mk_batch(h->s, r, n, &h->arena);
    return b ? h->op->vt->push(h->op, 0, b, &h->cx) : EM_ENOMEM;
}

/* Advances to wm (if it moved), ends the micro-batch, starts the next. */
static inline int h_step(harness *h, int64_t wm)
{
    int rc = 0;
    if (wm > h->cx.watermark) {
        rc = h->op->vt->advance(h->op, wm, &h->cx);
        h->cx.watermark = wm;
    }
    if (!rc)
        rc = h->op->vt->end_batch(h->op, &h->cx);
    h->cx.batch_id++;
    em_arena_reset(&h->arena);
    return rc;
}

static inline void h_done(harness *h)
{
    em_op_destroy(&h->out->op);
    em_op_destroy(h->op);
    em_arena_release(&h->arena);
    em_schema_destroy(h->s);
}

#endif
