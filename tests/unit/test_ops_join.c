/*
 * Unit tests for src/ops/table.c, join.c and interval_join.c: reference
 * table upserts and deletes, the stream-table join (Spark's per-batch join
 * and leftOuterJoin cases, same-batch table updates, LEFT NULLs, a random
 * run against a reference map), and the interval join against a naive
 * nested loop on random out-of-order input.
 */
#include "batch/batch.h"
#include "ember/error.h"
#include "ops/join.h"
#include "ops/table.h"
#include "t.h"

#include <stdlib.h>

/* ---- a collector operator that copies emitted rows ---- */

#define MAXC 8

typedef struct cell {
    int null;
    int64_t i;
    double d;
    char s[24];
} cell;

typedef struct orow {
    cell c[MAXC];
    int64_t batch;
} orow;

typedef struct collector {
    em_op op;
    orow *rows;
    uint32_t n, cap;
    uint32_t max_batch; /* largest batch seen */
    int saw_sel;        /* an emitted batch had a selection vector */
} collector;

static int col_push(em_op *op, int port, const em_batch *b, em_op_ctx *cx)
{
    collector *c = (collector *)op;
    (void)port;
    if (em_batch_count(b) > c->max_batch)
        c->max_batch = em_batch_count(b);
    if (b->sel)
        c->saw_sel = 1;
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
                o->c[j].d = col->v.f64[r];
                break;
            case EM_TYPE_TEXT: {
                em_slice t = em_column_text(col, r);
                snprintf(o->c[j].s, sizeof o->c[j].s, "%.*s", (int)t.len, t.ptr);
                break;
            }
            case EM_TYPE_BOOLEAN:
                o->c[j].i = col->v.b[r];
                break;
            default:
                o->c[j].i = col->v.i64[r];
            }
        }
    }
    return 0;
}

static void col_destroy(em_op *op)
{
    collector *c = (collector *)op;
    free(c->rows);
    em_op_release(op);
    em_free(c);
}

static const em_op_vtable col_vt = {.kind = "collector", .push = col_push, .destroy = col_destroy};

static collector *collect(em_op *from)
{
    collector *c = em_calloc(1, sizeof *c);
    em_op_init(&c->op, &col_vt, "sink", NULL, 1);
    em_op_connect(from, &c->op, 0);
    return c;
}

static void ctx_init(em_op_ctx *cx, em_arena *a, em_errbuf *err)
{
    memset(cx, 0, sizeof *cx);
    em_arena_init(a, 0);
    cx->arena = a;
    cx->err = err;
    cx->watermark = EM_TS_MIN;
    em_errbuf_clear(err);
}

/* ---- text-keyed batches: stream (k TEXT, v BIGINT, ts TIMESTAMP),
 *      table (k TEXT, val TEXT) ---- */

static em_schema *stream_schema(void)
{
    const char *names[] = {"k", "v", "ts"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP};
    return em_schema_create(3, names, types);
}

static em_schema *table_schema(void)
{
    const char *names[] = {"k", "val"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_TEXT};
    return em_schema_create(2, names, types);
}

/* Stream rows: keys (NULL pointer = NULL key), value v, time ts. */
static em_batch *stream_batch(const em_schema *s, const char *const *keys, uint32_t n, int64_t v,
                              int64_t ts, em_arena *a)
{
    em_batch_builder bb;
    if (em_batch_builder_init(&bb, s, n ? n : 1, a))
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (keys[i])
            em_batch_builder_set_text(&bb, 0, keys[i], strlen(keys[i]));
        em_batch_builder_set_i64(&bb, 1, v);
        em_batch_builder_set_i64(&bb, 2, ts);
        em_batch_builder_end_row(&bb);
    }
    return em_batch_builder_finish(&bb);
}

/* Table rows: key, value (NULL value = delete). */
static em_batch *table_batch(const em_schema *s, const char *const *keys, const char *const *vals,
                             uint32_t n, em_arena *a)
{
    em_batch_builder bb;
    if (em_batch_builder_init(&bb, s, n ? n : 1, a))
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (keys[i])
            em_batch_builder_set_text(&bb, 0, keys[i], strlen(keys[i]));
        if (vals[i])
            em_batch_builder_set_text(&bb, 1, vals[i], strlen(vals[i]));
        em_batch_builder_end_row(&bb);
    }
    return em_batch_builder_finish(&bb);
}

static int has_row(const collector *c, int64_t batch, const char *k, int64_t v, const char *val)
{
    int found = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        const orow *o = &c->rows[i];
        if (o->batch != batch || o->c[0].null || strcmp(o->c[0].s, k) || o->c[1].i != v)
            continue;
        if (val ? (!o->c[4].null && !o->c[3].null && strcmp(o->c[4].s, val) == 0 &&
                   strcmp(o->c[3].s, k) == 0)
                : (o->c[3].null && o->c[4].null))
            found++;
    }
    return found;
}

static int count_batch(const collector *c, int64_t batch)
{
    int n = 0;
    for (uint32_t i = 0; i < c->n; i++)
        n += c->rows[i].batch == batch;
    return n;
}

/* Spark streaming's BasicOperationsSuite "join" / "leftOuterJoin":
 *   s1 = [a b] [a ""] [""] []      mapped to (x, 1)
 *   s2 = [a b] [b ""] [] [""]      mapped to (x, "x")
 * DStream joins join within one batch only; a reference table keeps its
 * rows, so the test deletes the previous batch's keys (all-NULL rows) before
 * each batch's upserts: the table then holds exactly the batch's s2 keys, and
 * the results must equal Spark's per batch. Event time = batch index. */
static void spark_case(int left, collector **outc, em_op **outj)
{
    static const char *s1[4][2] = {{"a", "b"}, {"a", ""}, {""}, {NULL}};
    static const uint32_t n1[4] = {2, 2, 1, 0};
    static const char *s2[4][2] = {{"a", "b"}, {"b", ""}, {NULL}, {""}};
    static const uint32_t n2[4] = {2, 2, 0, 1};
    em_schema *ss = stream_schema(), *ts = table_schema();
    em_arena a;
    em_op_ctx cx;
    em_errbuf err;
    ctx_init(&cx, &a, &err);
    em_op *j = NULL;
    CHECK_EQ_INT(em_table_join_create(&j, "j", ss, 0, ts, 0, left, &err), 0);
    collector *c = collect(j);
    for (int b = 0; b < 4; b++) {
        cx.batch_id = b + 1;
        /* delete the previous batch's keys, then upsert this batch's */
        const char *keys[4], *vals[4];
        uint32_t n = 0;
        for (uint32_t i = 0; b > 0 && i < n2[b - 1]; i++) {
            keys[n] = s2[b - 1][i];
            vals[n++] = NULL;
        }
        for (uint32_t i = 0; i < n2[b]; i++) {
            keys[n] = s2[b][i];
            vals[n++] = "x";
        }
        CHECK_EQ_INT(j->vt->push(j, 1, table_batch(ts, keys, vals, n, &a), &cx), 0);
        CHECK_EQ_INT(j->vt->push(j, 0, stream_batch(ss, s1[b], n1[b], 1, b + 1, &a), &cx), 0);
        em_arena_reset(&a);
    }
    em_arena_release(&a);
    em_schema_destroy(ss);
    em_schema_destroy(ts);
    *outc = c;
    *outj = j;
}

TEST(spark_join_per_batch)
{
    collector *c;
    em_op *j;
    spark_case(0, &c, &j);
    CHECK_EQ_INT(c->n, 3);
    CHECK_EQ_INT(count_batch(c, 1), 2);
    CHECK_EQ_INT(has_row(c, 1, "a", 1, "x"), 1);
    CHECK_EQ_INT(has_row(c, 1, "b", 1, "x"), 1);
    CHECK_EQ_INT(count_batch(c, 2), 1);
    CHECK_EQ_INT(has_row(c, 2, "", 1, "x"), 1);
    CHECK_EQ_INT(count_batch(c, 3), 0);
    CHECK_EQ_INT(count_batch(c, 4), 0);
    for (uint32_t i = 0; i < c->n; i++) /* event time = batch index */
        CHECK_EQ_INT(c->rows[i].c[2].i, c->rows[i].batch);
    CHECK_EQ_INT(j->stats.state_keys, 1); /* "" from batch 4 */
    CHECK(j->stats.state_bytes > 0);
    em_op_destroy(&c->op);
    em_op_destroy(j);
}

TEST(spark_left_outer_join_per_batch)
{
    collector *c;
    em_op *j;
    spark_case(1, &c, &j);
    CHECK_EQ_INT(c->n, 5);
    CHECK_EQ_INT(count_batch(c, 1), 2);
    CHECK_EQ_INT(has_row(c, 1, "a", 1, "x"), 1);
    CHECK_EQ_INT(has_row(c, 1, "b", 1, "x"), 1);
    CHECK_EQ_INT(count_batch(c, 2), 2);
    CHECK_EQ_INT(has_row(c, 2, "", 1, "x"), 1);
    CHECK_EQ_INT(has_row(c, 2, "a", 1, NULL), 1);
    CHECK_EQ_INT(count_batch(c, 3), 1);
    CHECK_EQ_INT(has_row(c, 3, "", 1, NULL), 1);
    CHECK_EQ_INT(count_batch(c, 4), 0);
    em_op_destroy(&c->op);
    em_op_destroy(j);
}

/* The table keeps its rows across batches; updates of a micro-batch are
 * pushed before its stream rows and are visible to them; an all-NULL row
 * deletes; NULL keys never match. */
TEST(table_upsert_delete_and_same_batch_visibility)
{
    em_schema *ss = stream_schema(), *ts = table_schema();
    em_arena a;
    em_op_ctx cx;
    em_errbuf err;
    ctx_init(&cx, &a, &err);
    em_op *j = NULL;
    CHECK_EQ_INT(em_table_join_create(&j, "j", ss, 0, ts, 0, 1, &err), 0);
    collector *c = collect(j);

    cx.batch_id = 1;
    const char *k1[] = {"a", "b", NULL, "a"}, *v1[] = {"x", "y", "nullkey", "x2"};
    CHECK_EQ_INT(j->vt->push(j, 1, table_batch(ts, k1, v1, 4, &a), &cx), 0);
    CHECK_EQ_INT(j->stats.state_keys, 2); /* NULL key ignored, a upserted twice */
    const char *s1[] = {"a", "b", "c", NULL};
    CHECK_EQ_INT(j->vt->push(j, 0, stream_batch(ss, s1, 4, 1, 1, &a), &cx), 0);
    CHECK_EQ_INT(c->n, 4);
    CHECK_EQ_INT(has_row(c, 1, "a", 1, "x2"), 1); /* the latest row of the batch */
    CHECK_EQ_INT(has_row(c, 1, "b", 1, "y"), 1);
    CHECK_EQ_INT(has_row(c, 1, "c", 1, NULL), 1);
    int nullkey = 0;
    for (uint32_t i = 0; i < c->n; i++)
        nullkey += c->rows[i].c[0].null && c->rows[i].c[3].null && c->rows[i].c[4].null;
    CHECK_EQ_INT(nullkey, 1);
    em_arena_reset(&a);

    cx.batch_id = 2; /* delete b, update a, add c; a key with a NULL value is a delete */
    const char *k2[] = {"b", "a", "c", "zz"}, *v2[] = {NULL, "x3", "z", NULL};
    CHECK_EQ_INT(j->vt->push(j, 1, table_batch(ts, k2, v2, 4, &a), &cx), 0);
    CHECK_EQ_INT(j->stats.state_keys, 2);
    const char *s2[] = {"a", "b", "c"};
    CHECK_EQ_INT(j->vt->push(j, 0, stream_batch(ss, s2, 3, 2, 2, &a), &cx), 0);
    CHECK_EQ_INT(count_batch(c, 2), 3);
    CHECK_EQ_INT(has_row(c, 2, "a", 2, "x3"), 1);
    CHECK_EQ_INT(has_row(c, 2, "b", 2, NULL), 1);
    CHECK_EQ_INT(has_row(c, 2, "c", 2, "z"), 1);
    em_arena_reset(&a);

    cx.batch_id = 3; /* re-insert the deleted key */
    const char *k3[] = {"b"}, *v3[] = {"back"};
    CHECK_EQ_INT(j->vt->push(j, 1, table_batch(ts, k3, v3, 1, &a), &cx), 0);
    const char *s3[] = {"b"};
    CHECK_EQ_INT(j->vt->push(j, 0, stream_batch(ss, s3, 1, 3, 3, &a), &cx), 0);
    CHECK_EQ_INT(has_row(c, 3, "b", 3, "back"), 1);
    CHECK_EQ_INT(j->stats.state_keys, 3);
    CHECK(!c->saw_sel);

    em_arena_release(&a);
    em_op_destroy(&c->op);
    em_op_destroy(j);
    em_schema_destroy(ss);
    em_schema_destroy(ts);
}

TEST(create_rejects_bad_keys)
{
    em_schema *ss = stream_schema(), *ts = table_schema();
    em_errbuf err;
    em_errbuf_clear(&err);
    em_op *j = NULL;
    CHECK_EQ_INT(em_table_join_create(&j, "j", ss, 1, ts, 0, 0, &err), EM_ETYPE);
    CHECK(strstr(err.msg, "BIGINT") != NULL);
    CHECK_EQ_INT(em_table_join_create(&j, "j", ss, 7, ts, 0, 0, &err), EM_EINVAL);
    CHECK_EQ_INT(em_table_join_create(&j, "j", ss, 0, ts, -1, 0, &err), EM_EINVAL);
    CHECK(j == NULL);
    em_schema_destroy(ss);
    em_schema_destroy(ts);
}

/* ---- random run: BIGINT keys vs TIMESTAMP table keys, DOUBLE and BOOLEAN
 *      table values, big batches with selection vectors ---- */

#define NK 5000

TEST(random_against_reference_map)
{
    const char *sn[] = {"id", "x"};
    em_type st[] = {EM_TYPE_BIGINT, EM_TYPE_BIGINT};
    const char *tn[] = {"d", "key", "flag", "name"};
    em_type tt[] = {EM_TYPE_DOUBLE, EM_TYPE_TIMESTAMP, EM_TYPE_BOOLEAN, EM_TYPE_TEXT};
    em_schema *ss = em_schema_create(2, sn, st), *ts = em_schema_create(4, tn, tt);
    em_arena a;
    em_op_ctx cx;
    em_errbuf err;
    ctx_init(&cx, &a, &err);
    for (int left = 0; left < 2; left++) {
        em_op *j = NULL;
        CHECK_EQ_INT(em_table_join_create(&j, "j", ss, 0, ts, 1, left, &err), 0);
        collector *c = collect(j);
        static int present[NK];
        static double dv[NK];
        memset(present, 0, sizeof present);
        srand(7 + left);
        uint64_t expect = 0;
        int bad = 0;
        for (int b = 1; b <= 20; b++) {
            cx.batch_id = b;
            /* table: 3000 random upserts/deletes */
            em_batch *tb = em_batch_alloc(ts, 3000, &a);
            for (uint32_t i = 0; i < 3000; i++) {
                int64_t k = rand() % NK;
                int del = rand() % 4 == 0;
                tb->cols[1].v.i64[i] = k;
                tb->cols[0].v.f64[i] = (double)(k * 1000 + b);
                tb->cols[2].v.b[i] = (uint8_t)(k & 1);
                tb->cols[3].v.off[i + 1] = tb->cols[3].v.off[i];
                if (del) {
                    em_column_set_null(&tb->cols[0], i, &a);
                    em_column_set_null(&tb->cols[2], i, &a);
                    em_column_set_null(&tb->cols[3], i, &a);
                } else {
                    memcpy(tb->cols[3].data + tb->cols[3].v.off[i], "nm", 2);
                    tb->cols[3].v.off[i + 1] += 2;
                    tb->cols[3].data_len += 2;
                }
                present[k] = !del;
                dv[k] = (double)(k * 1000 + b);
            }
            CHECK_EQ_INT(j->vt->push(j, 1, tb, &cx), 0);
            /* stream: 5000 rows, every third selected */
            em_batch *sb = em_batch_alloc(ss, 5000, &a);
            sb->sel = em_arena_alloc(&a, 5000 * sizeof *sb->sel);
            sb->nsel = 0;
            for (uint32_t i = 0; i < 5000; i++) {
                sb->cols[0].v.i64[i] = rand() % (NK + 100);
                sb->cols[1].v.i64[i] = i;
                if (i % 3 == 0)
                    sb->sel[sb->nsel++] = i;
            }
            uint32_t before = c->n;
            CHECK_EQ_INT(j->vt->push(j, 0, sb, &cx), 0);
            for (uint32_t i = 0; i < sb->nsel; i++) {
                int64_t k = sb->cols[0].v.i64[sb->sel[i]];
                expect += (k < NK && present[k]) || left;
            }
            for (uint32_t i = before; i < c->n; i++) {
                const orow *o = &c->rows[i];
                int64_t k = o->c[0].i;
                int hit = k < NK && present[k];
                if (o->c[1].i % 3 != 0)
                    bad++;
                if (hit && (o->c[2].null || o->c[2].d != dv[k] || o->c[3].i != k ||
                            o->c[4].i != (k & 1) || strcmp(o->c[5].s, "nm")))
                    bad++;
                if (!hit && (!left || !o->c[2].null || !o->c[3].null || !o->c[4].null ||
                             !o->c[5].null))
                    bad++;
            }
            em_arena_reset(&a);
        }
        uint64_t live = 0;
        for (int k = 0; k < NK; k++)
            live += (uint64_t)present[k];
        CHECK_EQ_INT(bad, 0);
        CHECK_EQ_INT(c->n, expect);
        CHECK_EQ_INT(j->stats.state_keys, live);
        CHECK(c->max_batch <= EM_BATCH_ROWS);
        em_op_destroy(&c->op);
        em_op_destroy(j);
    }
    em_arena_release(&a);
    em_schema_destroy(ss);
    em_schema_destroy(ts);
}

TEST(double_keys_compare_by_value)
{
    const char *n[] = {"k", "v"};
    em_type t[] = {EM_TYPE_DOUBLE, EM_TYPE_BIGINT};
    em_schema *s = em_schema_create(2, n, t);
    em_errbuf err;
    em_table_state *ts = NULL;
    CHECK_EQ_INT(em_table_state_create(&ts, s, 0, &err), 0);
    em_arena a;
    em_arena_init(&a, 0);
    em_batch *b = em_batch_alloc(s, 3, &a);
    b->cols[0].v.f64[0] = 0.0;
    b->cols[0].v.f64[1] = 1.5;
    b->cols[0].v.f64[2] = -0.0; /* same key as 0.0 */
    b->cols[1].v.i64[0] = 1;
    b->cols[1].v.i64[1] = 2;
    b->cols[1].v.i64[2] = 3;
    CHECK_EQ_INT(em_table_state_upsert(ts, b), 0);
    CHECK_EQ_INT(em_table_state_keys(ts), 2);
    uint32_t rows[] = {0, 1, 2};
    uint64_t h[3];
    int32_t out[3];
    b->cols[0].v.f64[1] = 2.5;
    em_table_state_lookup(ts, &b->cols[0], rows, 3, h, out);
    CHECK(out[0] >= 0);
    CHECK_EQ_INT(out[1], -1);
    CHECK_EQ_INT(out[2], out[0]);
    CHECK_EQ_INT((int64_t)ts->rows.cols[1].fix[out[0]], 3);
    em_table_state_destroy(ts);
    em_arena_release(&a);
    em_schema_destroy(s);
}

/* ---- interval join ---- */

static em_schema *ij_left_schema(void)
{
    const char *names[] = {"k", "lt", "lid"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT};
    return em_schema_create(3, names, types);
}

static em_schema *ij_right_schema(void)
{
    const char *names[] = {"rk", "rt", "rid", "name"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT, EM_TYPE_TEXT};
    return em_schema_create(4, names, types);
}

typedef struct ev {
    int side; /* 0 left, 1 right */
    int64_t k, t, id;
    int knull;
} ev;

/* One batch of events of one side (all of evs[i].side == side). */
static em_batch *ij_batch(const em_schema *s, const ev *evs, uint32_t n, int side, em_arena *a)
{
    em_batch_builder bb;
    if (em_batch_builder_init(&bb, s, n ? n : 1, a))
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (evs[i].side != side)
            continue;
        if (!evs[i].knull)
            em_batch_builder_set_i64(&bb, 0, evs[i].k);
        em_batch_builder_set_i64(&bb, 1, evs[i].t);
        em_batch_builder_set_i64(&bb, 2, evs[i].id);
        if (side == 1) {
            char nm[16];
            int l = snprintf(nm, sizeof nm, "r%lld", (long long)evs[i].id);
            em_batch_builder_set_text(&bb, 3, nm, (size_t)l);
        }
        em_batch_builder_end_row(&bb);
    }
    return em_batch_builder_finish(&bb);
}

#define NEV 600

/* Random keys and times, shuffled arrival, pushed in random micro-batches
 * with left and right in random port order. The watermark after a batch is
 * the smallest time still to come (so nothing is late while state is
 * dropped as early as allowed). Output vs a nested loop, as a multiset. */
static void ij_random(unsigned seed, int64_t lower, int64_t upper, int outer)
{
    em_schema *ls = ij_left_schema(), *rs = ij_right_schema();
    em_arena a;
    em_op_ctx cx;
    em_errbuf err;
    ctx_init(&cx, &a, &err);
    em_op *j = NULL;
    CHECK_EQ_INT(em_interval_join_create(&j, "ij", ls, 0, 1, rs, 0, 1, lower, upper, outer, &err),
                 0);
    collector *c = collect(j);
    static ev evs[NEV];
    static int64_t suffix_min[NEV + 1];
    srand(seed);
    int nl = 0, nr = 0;
    for (int i = 0; i < NEV; i++) {
        evs[i].side = rand() % 2;
        evs[i].k = rand() % 6;
        evs[i].t = i * 10 + rand() % 400; /* roughly increasing, out of order */
        evs[i].id = evs[i].side ? nr++ : nl++;
        evs[i].knull = rand() % 50 == 0;
    }
    suffix_min[NEV] = EM_TS_MAX;
    for (int i = NEV - 1; i >= 0; i--)
        suffix_min[i] = evs[i].t < suffix_min[i + 1] ? evs[i].t : suffix_min[i + 1];
    uint64_t max_keys = 0;
    int64_t b = 0;
    for (int i = 0; i < NEV;) {
        int n = 1 + rand() % 40;
        if (i + n > NEV)
            n = NEV - i;
        cx.batch_id = ++b;
        int first = rand() % 2;
        for (int p = 0; p < 2; p++) {
            int side = p ? 1 - first : first;
            CHECK_EQ_INT(j->vt->push(j, side, ij_batch(side ? rs : ls, evs + i, (uint32_t)n, side,
                                                       &a),
                                     &cx),
                         0);
        }
        i += n;
        if (j->stats.state_keys > max_keys)
            max_keys = j->stats.state_keys;
        int64_t wm = suffix_min[i];
        if (wm > cx.watermark) {
            CHECK_EQ_INT(j->vt->advance(j, wm, &cx), 0);
            cx.watermark = wm;
        }
        em_arena_reset(&a);
    }
    CHECK_EQ_INT(j->stats.late_dropped, 0);
    CHECK(max_keys > 0);
    CHECK_EQ_INT(j->stats.state_keys, 0); /* wm reached EM_TS_MAX: all dropped */

    /* reference */
    static int seen[NEV][NEV];
    static int lmatched[NEV];
    memset(seen, 0, sizeof seen);
    memset(lmatched, 0, sizeof lmatched);
    int expect = 0, bad = 0, unmatched_expect = 0, unmatched_seen = 0;
    for (int x = 0; x < NEV; x++) {
        if (evs[x].side != 0)
            continue;
        for (int y = 0; y < NEV; y++) {
            if (evs[y].side != 1 || evs[x].knull || evs[y].knull || evs[x].k != evs[y].k)
                continue;
            int64_t d = evs[y].t - evs[x].t;
            if (d >= lower && d <= upper) {
                seen[evs[x].id][evs[y].id] = -1; /* expected once */
                expect++;
                lmatched[evs[x].id] = 1;
            }
        }
    }
    for (int x = 0; x < nl; x++)
        unmatched_expect += outer && !lmatched[x];
    for (uint32_t i = 0; i < c->n; i++) {
        const orow *o = &c->rows[i];
        if (o->c[5].null) { /* unmatched left row */
            unmatched_seen++;
            if (!outer || lmatched[o->c[2].i] || !o->c[3].null || !o->c[4].null || !o->c[6].null)
                bad++;
            continue;
        }
        int64_t l = o->c[2].i, r = o->c[5].i;
        char nm[24];
        snprintf(nm, sizeof nm, "r%lld", (long long)r);
        if (seen[l][r] != -1 || strcmp(o->c[6].s, nm) != 0 || o->c[0].i != o->c[3].i)
            bad++;
        else
            seen[l][r] = 1;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(c->n - (uint32_t)unmatched_seen, expect);
    CHECK_EQ_INT(unmatched_seen, unmatched_expect);
    CHECK(expect > 0);
    em_arena_release(&a);
    em_op_destroy(&c->op);
    em_op_destroy(j);
    em_schema_destroy(ls);
    em_schema_destroy(rs);
}

TEST(interval_join_random_vs_nested_loop)
{
    for (unsigned seed = 1; seed <= 4; seed++) {
        ij_random(seed, -50, 50, 0);
        ij_random(seed + 100, 0, 200, 0);
        ij_random(seed + 200, 30, 120, 1);
        ij_random(seed + 300, -100, -20, 1);
    }
}

/* State is dropped once the watermark passes the bound; a LEFT interval
 * join emits an unmatched left row exactly when wm > l.time + upper. */
TEST(interval_join_state_drop_and_outer_timing)
{
    em_schema *ls = ij_left_schema(), *rs = ij_right_schema();
    em_arena a;
    em_op_ctx cx;
    em_errbuf err;
    ctx_init(&cx, &a, &err);
    em_op *j = NULL;
    CHECK_EQ_INT(em_interval_join_create(&j, "ij", ls, 0, 1, rs, 0, 1, -5, 10, 1, &err), 0);
    collector *c = collect(j);
    cx.batch_id = 1;
    ev l1[] = {{0, 1, 100, 0, 0}, {0, 2, 100, 1, 0}, {0, 3, 200, 2, 0}, {0, 0, 100, 3, 1}};
    CHECK_EQ_INT(j->vt->push(j, 0, ij_batch(ls, l1, 4, 0, &a), &cx), 0);
    CHECK_EQ_INT(c->n, 1); /* the NULL-key left row at once, with NULLs */
    CHECK(c->n == 1 && c->rows[0].c[0].null && c->rows[0].c[5].null);
    CHECK_EQ_INT(j->stats.state_keys, 3);
    ev r1[] = {{1, 2, 95, 0, 0}, {1, 2, 94, 1, 0}, {1, 9, 100, 2, 0}};
    CHECK_EQ_INT(j->vt->push(j, 1, ij_batch(rs, r1, 3, 1, &a), &cx), 0);
    CHECK_EQ_INT(c->n, 2); /* (lid 1, rid 0): 95 - 100 = -5 in [-5, 10]; 94 is not */
    CHECK(c->n == 2 && c->rows[1].c[2].i == 1 && c->rows[1].c[5].i == 0);
    CHECK_EQ_INT(j->stats.state_keys, 5); /* left 1,2,3 + right 2,9 */
    em_arena_reset(&a);

    cx.batch_id = 2;
    CHECK_EQ_INT(j->vt->advance(j, 101, &cx), 0);
    /* right rows: 95 + 5 = 100 < 101 and 94 + 5 < 101 and 100 + 5 >= 101 */
    CHECK_EQ_INT(j->stats.state_keys, 4);
    cx.watermark = 101;
    CHECK_EQ_INT(j->vt->advance(j, 110, &cx), 0);
    CHECK_EQ_INT(c->n, 2); /* 100 + 10 < 110 is false: left rows still wait */
    cx.watermark = 110;
    ev r2[] = {{1, 1, 110, 3, 0}, {1, 1, 50, 4, 0}};
    CHECK_EQ_INT(j->vt->push(j, 1, ij_batch(rs, r2, 2, 1, &a), &cx), 0);
    CHECK_EQ_INT(j->stats.late_dropped, 1); /* time 50 < watermark 110 */
    CHECK_EQ_INT(c->n, 3);                  /* (lid 0, rid 3): 110 - 100 = 10 */
    CHECK(c->n == 3 && c->rows[2].c[2].i == 0 && c->rows[2].c[5].i == 3);
    em_arena_reset(&a);

    cx.batch_id = 3;
    CHECK_EQ_INT(j->vt->advance(j, 111, &cx), 0);
    /* left 0 and 1 expire, both matched: no NULL row; lid 2 (t 200) waits */
    CHECK_EQ_INT(c->n, 3);
    cx.watermark = 111;
    CHECK_EQ_INT(j->vt->advance(j, 210, &cx), 0);
    CHECK_EQ_INT(c->n, 3);
    cx.watermark = 210;
    CHECK_EQ_INT(j->vt->advance(j, 211, &cx), 0);
    CHECK_EQ_INT(c->n, 4);
    CHECK(c->n == 4 && c->rows[3].c[2].i == 2 && c->rows[3].c[5].null && c->rows[3].c[6].null &&
          c->rows[3].batch == 3);
    CHECK_EQ_INT(j->stats.state_keys, 0);
    em_arena_release(&a);
    em_op_destroy(&c->op);
    em_op_destroy(j);
    em_schema_destroy(ls);
    em_schema_destroy(rs);
}

TEST(interval_join_rejects_bad_arguments)
{
    em_schema *ls = ij_left_schema(), *rs = ij_right_schema();
    em_errbuf err;
    em_errbuf_clear(&err);
    em_op *j = NULL;
    CHECK_EQ_INT(em_interval_join_create(&j, "ij", ls, 0, 1, rs, 0, 1, 10, 5, 0, &err), EM_EINVAL);
    CHECK_EQ_INT(em_interval_join_create(&j, "ij", ls, 0, 0, rs, 0, 1, 0, 5, 0, &err), EM_ETYPE);
    CHECK_EQ_INT(em_interval_join_create(&j, "ij", ls, 0, 1, rs, 3, 1, 0, 5, 0, &err), EM_ETYPE);
    CHECK(j == NULL);
    em_schema_destroy(ls);
    em_schema_destroy(rs);
}

/* Every allocation failing in turn: creation, table updates, joins and
 * state drops return EM_ENOMEM (or succeed) and leak nothing. */
TEST(out_of_memory_at_every_allocation)
{
    em_schema *ss = stream_schema(), *ts = table_schema();
    em_schema *ls = ij_left_schema(), *rs = ij_right_schema();
    em_arena in, out;
    em_arena_init(&in, 0);
    em_arena_init(&out, 0);
    const char *tk[] = {"a", "b", "c", "a"}, *tv[] = {"x", "y", NULL, "z"};
    const char *sk[] = {"a", "b", "c", "d"};
    em_batch *tb = table_batch(ts, tk, tv, 4, &in), *sb = stream_batch(ss, sk, 4, 1, 1, &in);
    ev le[] = {{0, 1, 100, 0, 0}, {0, 2, 100, 1, 0}, {0, 0, 5, 2, 1}};
    ev re[] = {{1, 1, 105, 0, 0}, {1, 2, 300, 1, 0}};
    em_batch *lb = ij_batch(ls, le, 3, 0, &in), *rb = ij_batch(rs, re, 2, 1, &in);
    int completed = 0, failures = 0;
    for (uint64_t n = 1; n < 2000 && !completed; n++) {
        em_errbuf err;
        em_op_ctx cx = {.arena = &out, .batch_id = 1, .watermark = EM_TS_MIN, .err = &err};
        uint64_t before = em_mem_failures();
        em_mem_fail_after(n);
        em_op *j = NULL, *ij = NULL;
        int rc = em_table_join_create(&j, "j", ss, 0, ts, 0, 1, &err);
        if (!rc)
            rc = j->vt->push(j, 1, tb, &cx);
        if (!rc)
            rc = j->vt->push(j, 0, sb, &cx);
        int rc2 = em_interval_join_create(&ij, "ij", ls, 0, 1, rs, 0, 1, 0, 10, 1, &err);
        if (!rc2)
            rc2 = ij->vt->push(ij, 0, lb, &cx);
        if (!rc2)
            rc2 = ij->vt->push(ij, 1, rb, &cx);
        if (!rc2)
            rc2 = ij->vt->advance(ij, EM_TS_MAX, &cx);
        em_mem_fail_after(0);
        if (rc)
            CHECK_EQ_INT(rc, EM_ENOMEM);
        if (rc2)
            CHECK_EQ_INT(rc2, EM_ENOMEM);
        failures += rc || rc2;
        completed = em_mem_failures() == before;
        em_op_destroy(j);
        em_op_destroy(ij);
        em_arena_reset(&out);
    }
    CHECK(completed);
    CHECK(failures > 10);
    em_arena_release(&in);
    em_arena_release(&out);
    em_schema_destroy(ss);
    em_schema_destroy(ts);
    em_schema_destroy(ls);
    em_schema_destroy(rs);
}

int main(void)
{
    RUN(spark_join_per_batch);
    RUN(spark_left_outer_join_per_batch);
    RUN(table_upsert_delete_and_same_batch_visibility);
    RUN(create_rejects_bad_keys);
    RUN(random_against_reference_map);
    RUN(double_keys_compare_by_value);
    RUN(interval_join_random_vs_nested_loop);
    RUN(interval_join_state_drop_and_outer_timing);
    RUN(interval_join_rejects_bad_arguments);
    RUN(out_of_memory_at_every_allocation);
    return t_done();
}
