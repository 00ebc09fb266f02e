/*
 * Unit tests for the stream-table join's output shapes (src/ops/join.c,
 * table_gather.c): a batch that passes the stream columns through and
 * selects the matched rows when many rows match, a dense copy when few do.
 * Random TEXT keys (inline and heap-held lengths, NULLs), selections of
 * several densities, INNER and LEFT, checked row by row against a
 * reference map; emitted batches keep their values when the table changes
 * afterwards.
 */
#include "batch/batch.h"
#include "ember/error.h"
#include "ops/join.h"
#include "ops/table.h"
#include "t.h"

#include <stdlib.h>

/* ---- an operator that keeps the emitted batches (valid until the arena
 *      is reset) ---- */

typedef struct keeper {
    em_op op;
    const em_batch *b[64];
    uint32_t n;
} keeper;

static int keep_push(em_op *op, int port, const em_batch *b, em_op_ctx *cx)
{
    keeper *k = (keeper *)op;
    (void)port;
    (void)cx;
    if (k->n < 64)
        k->b[k->n++] = b;
    return 0;
}

static void keep_destroy(em_op *op)
{
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable keep_vt = {.kind = "keeper", .push = keep_push, .destroy = keep_destroy};

/* ---- keys and values ---- */

#define NKEYS 300

/* Key i as text: short keys (inline in a table cell) for even i, 36-byte
 * UUID-like keys (heap-held, compared in 16-byte steps) for odd i. */
static void key_text(int i, char *out)
{
    if (i % 2 == 0)
        snprintf(out, 40, "k%d", i);
    else
        snprintf(out, 40, "%08x-0000-4000-8000-%012d", (unsigned)i * 2654435761u, i);
}

static em_slice cell_text(const em_column *c, uint32_t r)
{
    return em_column_text(c, r);
}

static int text_is(const em_column *c, uint32_t r, const char *s)
{
    em_slice t = cell_text(c, r);
    return t.len == strlen(s) && memcmp(t.ptr, s, t.len) == 0;
}

/* A table batch upserting (key i, "val<i>.<ver>" (long for i % 3 == 0), i)
 * for the keys in ks[0..n), or deleting them (del). */
static em_batch *table_rows(const em_schema *s, const int *ks, uint32_t n, int ver, int del,
                            em_arena *a)
{
    em_batch_builder bb;
    em_batch_builder_init(&bb, s, n, a);
    for (uint32_t i = 0; i < n; i++) {
        char k[40], v[64];
        key_text(ks[i], k);
        em_batch_builder_set_text(&bb, 0, k, strlen(k));
        if (!del) {
            snprintf(v, sizeof v, ks[i] % 3 ? "val%d.%d" : "a long value for key %d, v%d",
                     ks[i], ver);
            em_batch_builder_set_text(&bb, 1, v, strlen(v));
            em_batch_builder_set_i64(&bb, 2, ks[i]);
        }
        em_batch_builder_end_row(&bb);
    }
    return em_batch_builder_finish(&bb);
}

static void value_text(int k, int ver, char *out)
{
    snprintf(out, 64, k % 3 ? "val%d.%d" : "a long value for key %d, v%d", k, ver);
}

TEST(view_and_dense_outputs_match_reference)
{
    const char *sn[] = {"k", "v"}, *tn[] = {"k", "val", "n"};
    em_type st[] = {EM_TYPE_TEXT, EM_TYPE_BIGINT};
    em_type tt[] = {EM_TYPE_TEXT, EM_TYPE_TEXT, EM_TYPE_BIGINT};
    em_schema *ss = em_schema_create(2, sn, st), *ts = em_schema_create(3, tn, tt);
    em_arena a;
    em_arena_init(&a, 0);
    em_errbuf err;
    int views = 0, denses = 0, bad = 0;
    /* every: 1 = all rows selected, 3 = every third, 0 = no selection;
     * spread: stream keys drawn from NKEYS * spread (misses beyond NKEYS) */
    static const struct {
        int every, spread;
    } shapes[] = {{0, 1}, {1, 2}, {3, 1}, {0, 40}, {7, 30}};
    for (int left = 0; left < 2; left++) {
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
            em_op_ctx cx = {.arena = &a, .batch_id = 1, .watermark = EM_TS_MIN, .err = &err};
            em_op *j = NULL;
            CHECK_EQ_INT(em_table_join_create(&j, "j", ss, 0, ts, 0, left, &err), 0);
            keeper *kp = em_calloc(1, sizeof *kp);
            em_op_init(&kp->op, &keep_vt, "keep", NULL, 1);
            em_op_connect(j, &kp->op, 0);
            /* the table holds the even keys below NKEYS and every odd one */
            int ks[NKEYS], nk = 0, present[NKEYS] = {0};
            for (int i = 0; i < NKEYS; i++)
                if (i % 2 || i % 4 == 0) {
                    ks[nk++] = i;
                    present[i] = 1;
                }
            CHECK_EQ_INT(j->vt->push(j, 1, table_rows(ts, ks, (uint32_t)nk, 1, 0, &a), &cx), 0);
            /* 3000 stream rows, 1 in 20 with a NULL key */
            srand(100 + (unsigned)sh);
            em_batch_builder bb;
            em_batch_builder_init(&bb, ss, 3000, &a);
            int skey[3000];
            for (int i = 0; i < 3000; i++) {
                skey[i] = rand() % 20 ? rand() % (NKEYS * shapes[sh].spread) : -1;
                if (skey[i] >= 0) {
                    char k[40];
                    key_text(skey[i], k);
                    em_batch_builder_set_text(&bb, 0, k, strlen(k));
                }
                em_batch_builder_set_i64(&bb, 1, i);
                em_batch_builder_end_row(&bb);
            }
            em_batch *sb = em_batch_builder_finish(&bb);
            if (shapes[sh].every) {
                sb->sel = em_arena_alloc(&a, 3000 * sizeof *sb->sel);
                sb->nsel = 0;
                for (uint32_t i = 0; i < 3000; i += (uint32_t)shapes[sh].every)
                    sb->sel[sb->nsel++] = i;
            }
            CHECK_EQ_INT(j->vt->push(j, 0, sb, &cx), 0);
            /* expected: the selected rows in order, matched (or all if LEFT) */
            uint32_t want = 0, got = 0;
            for (uint32_t i = 0; i < em_batch_count(sb); i++) {
                int k = skey[em_batch_row(sb, i)];
                want += left || (k >= 0 && k < NKEYS && present[k]);
            }
            for (uint32_t bi = 0; bi < kp->n; bi++) {
                const em_batch *ob = kp->b[bi];
                int view = ob->cols[0].v.ptr == sb->cols[0].v.ptr;
                views += view;
                denses += !view;
                for (uint32_t i = 0; i < em_batch_count(ob); i++, got++) {
                    uint32_t r = em_batch_row(ob, i);
                    int64_t v = ob->cols[1].v.i64[r];
                    int k = v >= 0 && v < 3000 ? skey[v] : -2;
                    int hit = k >= 0 && k < NKEYS && present[k];
                    char kt[40], vt[64];
                    if (k >= 0)
                        key_text(k, kt);
                    value_text(k, 1, vt);
                    if (k == -2 || (k >= 0 ? !text_is(&ob->cols[0], r, kt)
                                           : !em_column_is_null(&ob->cols[0], r)))
                        bad++;
                    else if (hit && (em_column_is_null(&ob->cols[2], r) ||
                                     !text_is(&ob->cols[2], r, kt) ||
                                     em_column_is_null(&ob->cols[3], r) ||
                                     !text_is(&ob->cols[3], r, vt) ||
                                     em_column_is_null(&ob->cols[4], r) ||
                                     ob->cols[4].v.i64[r] != k))
                        bad++;
                    else if (!hit && (!left || !em_column_is_null(&ob->cols[2], r) ||
                                      !em_column_is_null(&ob->cols[3], r) ||
                                      !em_column_is_null(&ob->cols[4], r)))
                        bad++;
                    /* a NULL-checking fast path must see the NULLs */
                    if (!hit && !ob->cols[3].null_count)
                        bad++;
                }
            }
            CHECK_EQ_INT(got, want);
            /* emitted batches keep their values when the table changes:
             * delete half the keys, rewrite the rest */
            uint32_t nb = kp->n;
            int half = nk / 2;
            CHECK_EQ_INT(j->vt->push(j, 1, table_rows(ts, ks, (uint32_t)half, 0, 1, &a), &cx), 0);
            CHECK_EQ_INT(
                j->vt->push(j, 1, table_rows(ts, ks + half, (uint32_t)(nk - half), 2, 0, &a), &cx),
                0);
            for (uint32_t bi = 0; bi < nb; bi++) {
                const em_batch *ob = kp->b[bi];
                for (uint32_t i = 0; i < em_batch_count(ob); i++) {
                    uint32_t r = em_batch_row(ob, i);
                    int k = skey[ob->cols[1].v.i64[r]];
                    char vt[64];
                    value_text(k, 1, vt);
                    if (k >= 0 && k < NKEYS && present[k] && !text_is(&ob->cols[3], r, vt))
                        bad++;
                }
            }
            em_op_destroy(&kp->op);
            em_op_destroy(j);
            em_arena_reset(&a);
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(views > 0);  /* both output shapes were checked */
    CHECK(denses > 0);
    em_arena_release(&a);
    em_schema_destroy(ss);
    em_schema_destroy(ts);
}

/* BIGINT stream keys against a TIMESTAMP table key: the table key column
 * of the output is the stream's values typed TIMESTAMP; DOUBLE keys are
 * gathered from the table (-0.0 in the stream matches 0.0 in the table and
 * the table's value is output). */
TEST(key_column_types)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_errbuf err;
    em_op_ctx cx = {.arena = &a, .batch_id = 1, .watermark = EM_TS_MIN, .err = &err};
    for (int dbl = 0; dbl < 2; dbl++) {
        const char *sn[] = {"k"}, *tn[] = {"k", "x"};
        em_type st[] = {dbl ? EM_TYPE_DOUBLE : EM_TYPE_BIGINT};
        em_type tt[] = {dbl ? EM_TYPE_DOUBLE : EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT};
        em_schema *ss = em_schema_create(1, sn, st), *ts = em_schema_create(2, tn, tt);
        em_op *j = NULL;
        CHECK_EQ_INT(em_table_join_create(&j, "j", ss, 0, ts, 0, 0, &err), 0);
        keeper *kp = em_calloc(1, sizeof *kp);
        em_op_init(&kp->op, &keep_vt, "keep", NULL, 1);
        em_op_connect(j, &kp->op, 0);
        em_batch *tb = em_batch_alloc(ts, 2, &a);
        em_batch *sb = em_batch_alloc(ss, 3, &a);
        if (dbl) {
            tb->cols[0].v.f64[0] = 0.0, tb->cols[0].v.f64[1] = 1.5;
            sb->cols[0].v.f64[0] = -0.0, sb->cols[0].v.f64[1] = 1.5, sb->cols[0].v.f64[2] = 2;
        } else {
            tb->cols[0].v.i64[0] = 10, tb->cols[0].v.i64[1] = 20;
            sb->cols[0].v.i64[0] = 20, sb->cols[0].v.i64[1] = 10, sb->cols[0].v.i64[2] = 30;
        }
        tb->cols[1].v.i64[0] = 100, tb->cols[1].v.i64[1] = 200;
        CHECK_EQ_INT(j->vt->push(j, 1, tb, &cx), 0);
        CHECK_EQ_INT(j->vt->push(j, 0, sb, &cx), 0);
        CHECK_EQ_INT(kp->n, 1);
        const em_batch *ob = kp->b[0];
        CHECK_EQ_INT(em_batch_count(ob), 2);
        CHECK_EQ_INT(ob->cols[1].type, tt[0]);
        uint32_t r0 = em_batch_row(ob, 0), r1 = em_batch_row(ob, 1);
        if (dbl) {
            CHECK(!__builtin_signbit(ob->cols[1].v.f64[r0])); /* the table's 0.0 */
            CHECK(__builtin_signbit(ob->cols[0].v.f64[r0]));  /* the stream's -0.0 */
            CHECK_EQ_INT(ob->cols[2].v.i64[r1], 200);
        } else {
            CHECK_EQ_INT(ob->cols[1].v.i64[r0], 20);
            CHECK_EQ_INT(ob->cols[2].v.i64[r0], 200);
            CHECK_EQ_INT(ob->cols[1].v.i64[r1], 10);
            CHECK_EQ_INT(ob->cols[2].v.i64[r1], 100);
        }
        em_op_destroy(&kp->op);
        em_op_destroy(j);
        em_schema_destroy(ss);
        em_schema_destroy(ts);
        em_arena_reset(&a);
    }
    em_arena_release(&a);
}

int main(void)
{
    RUN(view_and_dense_outputs_match_reference);
    RUN(key_column_types);
    return t_done();
}
