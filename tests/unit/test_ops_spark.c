/*
 * Operator semantics reproduced from Spark Streaming's own test suites
 * (apache/spark streaming/src/test/.../BasicOperationsSuite.scala and
 * WindowOperationsSuite.scala), with event time = batch index in seconds.
 *
 * Mapping: a Spark window of duration W and slide S that Spark emits at
 * batch time T (T = S, 2S, ...) holds batches T-W .. T-1 (0-based), i.e.
 * Ember's HOP window [T-W, T) with window_end = T. Spark emits per batch;
 * Ember emits a window once when the watermark passes its end, so results
 * are compared per window_end, for the windows Spark's run produced. Where
 * Ember's documented semantics differ (empty windows emit nothing; a running
 * aggregate emits only changed groups), the test says so.
 */
#include "expr/expr.h"
#include "ops/agg.h"
#include "ops/basic.h"
#include "ops/winrows.h"
#include "t.h"

#include <stdlib.h>

#define SEC INT64_C(1000000)
#define MAXROWS 256

/* ---- a collector operator: formats every row it receives as text ---- */

typedef struct collector {
    em_op base;
    char *rows[MAXROWS];
    int n;
} collector;

static void fmt_row(const em_batch *b, uint32_t r, char *out, size_t cap)
{
    size_t pos = 0;
    for (uint32_t c = 0; c < b->ncols && pos < cap; c++) {
        const em_column *col = &b->cols[c];
        const char *sep = c ? "," : "";
        if (em_column_is_null(col, r)) {
            pos += (size_t)snprintf(out + pos, cap - pos, "%snull", sep);
            continue;
        }
        switch (col->type) {
        case EM_TYPE_TEXT: {
            em_slice s = em_column_text(col, r);
            pos += (size_t)snprintf(out + pos, cap - pos, "%s%.*s", sep, (int)s.len, s.ptr);
            break;
        }
        case EM_TYPE_TIMESTAMP:
            pos += (size_t)snprintf(out + pos, cap - pos, "%s%llds", sep,
                                    (long long)(col->v.i64[r] / SEC));
            break;
        case EM_TYPE_DOUBLE:
            pos += (size_t)snprintf(out + pos, cap - pos, "%s%g", sep, col->v.f64[r]);
            break;
        case EM_TYPE_BOOLEAN:
            pos += (size_t)snprintf(out + pos, cap - pos, "%s%d", sep, col->v.b[r]);
            break;
        default:
            pos += (size_t)snprintf(out + pos, cap - pos, "%s%lld", sep,
                                    (long long)col->v.i64[r]);
        }
    }
}

static int collect_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    (void)cx;
    collector *c = (collector *)op;
    for (uint32_t i = 0; i < em_batch_count(in); i++) {
        char buf[256];
        fmt_row(in, em_batch_row(in, i), buf, sizeof buf);
        if (c->n < MAXROWS)
            c->rows[c->n++] = strdup(buf);
    }
    return 0;
}

static void collect_reset(collector *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->rows[i]);
    c->n = 0;
}

static void collect_destroy(em_op *op)
{
    collect_reset((collector *)op);
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable collect_vt = {.kind = "collect",
                                        .push = collect_push,
                                        .destroy = collect_destroy};

static collector *collector_new(void)
{
    collector *c = em_calloc(1, sizeof *c);
    em_op_init(&c->base, &collect_vt, "collect", NULL, 1);
    return c;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compares collected rows (optionally only those containing filter) with
 * the expected ones as multisets. */
static int same_rows(collector *c, const char *const *want, int nwant)
{
    qsort(c->rows, (size_t)c->n, sizeof *c->rows, cmp_str);
    char *w[MAXROWS];
    for (int i = 0; i < nwant; i++)
        w[i] = (char *)want[i];
    qsort(w, (size_t)nwant, sizeof *w, cmp_str);
    int ok = c->n == nwant;
    for (int i = 0; ok && i < nwant; i++)
        ok = strcmp(c->rows[i], w[i]) == 0;
    if (!ok) {
        printf("    got %d rows:", c->n);
        for (int i = 0; i < c->n; i++)
            printf(" [%s]", c->rows[i]);
        printf("\n    want %d rows:", nwant);
        for (int i = 0; i < nwant; i++)
            printf(" [%s]", w[i]);
        printf("\n");
    }
    return ok;
}

/* Drops collected rows whose window_end (column `col`, "Ns") is > max_end
 * seconds: windows after the end of Spark's run. */
static void keep_windows_until(collector *c, int col, long max_end)
{
    int k = 0;
    for (int i = 0; i < c->n; i++) {
        const char *p = c->rows[i];
        for (int f = 0; f < col && p; f++) {
            p = strchr(p, ',');
            if (p)
                p++;
        }
        if (p && atol(p) <= max_end)
            c->rows[k++] = c->rows[i];
        else
            free(c->rows[i]);
    }
    c->n = k;
}

/* ---- input: micro-batch k holds (word, v) rows at event time k s ---- */

typedef struct row {
    const char *word;
    int64_t v;
} row;

static em_schema *kv_schema(void)
{
    const char *names[] = {"word", "v", "ts"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP};
    return em_schema_create(3, names, types);
}

static em_batch *make_batch(const em_schema *s, const row *rows, int n, int64_t k, em_arena *a)
{
    em_batch_builder bb;
    em_batch_builder_init(&bb, s, n ? (uint32_t)n : 1, a);
    for (int i = 0; i < n; i++) {
        em_batch_builder_set_text(&bb, 0, rows[i].word, strlen(rows[i].word));
        em_batch_builder_set_i64(&bb, 1, rows[i].v);
        em_batch_builder_set_i64(&bb, 2, k * SEC);
        em_batch_builder_end_row(&bb);
    }
    return em_batch_builder_finish(&bb);
}

/* Runs nbatch micro-batches through op (watermark = last event time, no
 * delay), then ends the input (watermark +inf). after(k) is called after
 * micro-batch k's end_batch, if set. */
static void run(em_op *op, const em_schema *s, const row *const *batches, const int *sizes,
                int nbatch, void (*after)(int k, void *ud), void *ud)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_errbuf err;
    int64_t wm = EM_TS_MIN;
    for (int k = 0; k < nbatch; k++) {
        em_op_ctx cx = {&a, k + 1, (k + 1) * SEC, wm, NULL, &err, 0};
        em_batch *b = make_batch(s, batches[k], sizes[k], k, &a);
        if (b->nrows)
            CHECK_EQ_INT(op->vt->push(op, 0, b, &cx), 0);
        if (b->nrows && k * SEC > wm) {
            wm = k * SEC;
            if (op->vt->advance)
                CHECK_EQ_INT(op->vt->advance(op, wm, &cx), 0);
        }
        if (op->vt->end_batch)
            CHECK_EQ_INT(op->vt->end_batch(op, &cx), 0);
        if (after)
            after(k, ud);
        em_arena_reset(&a);
    }
    em_op_ctx cx = {&a, nbatch + 1, (nbatch + 1) * SEC, wm, NULL, &err, 0};
    if (op->vt->advance)
        CHECK_EQ_INT(op->vt->advance(op, EM_TS_MAX, &cx), 0);
    if (op->vt->end_batch)
        CHECK_EQ_INT(op->vt->end_batch(op, &cx), 0);
    em_arena_release(&a);
}

/* A HOP/TUMBLE aggregate of `kind` over v (or count(*)), keyed by word
 * unless keyless, feeding a new collector. */
static em_op *window_agg(const em_schema *s, em_agg_kind kind, int keyed, int64_t size,
                         int64_t slide, collector **out)
{
    em_errbuf err;
    int key = 0;
    em_agg_spec spec = {kind, kind == EM_AGG_COUNT_STAR ? -1 : 1, "x"};
    em_window_spec w = {size == slide ? EM_WIN_TUMBLE : EM_WIN_HOP, 2, size * SEC, slide * SEC,
                        0};
    em_op *op = NULL;
    CHECK_EQ_INT(em_aggregate_create(&op, "agg", s, keyed ? 1 : 0, &key, 1, &spec, &w, &err), 0);
    *out = collector_new();
    em_op_connect(op, &(*out)->base, 0);
    return op;
}

static void finish(em_op *op, collector *c)
{
    em_op_destroy(op);
    em_op_destroy(&c->base);
}

/* Spark WindowOperationsSuite reduceByKeyAndWindow cases: key,ws,we,sum. */
static void check_reduce_by_key_and_window(const row *const *in, const int *sizes, int nbatch,
                                           int64_t w, int64_t s, int nout,
                                           const char *const *want, int nwant)
{
    em_schema *sc = kv_schema();
    collector *c;
    em_op *op = window_agg(sc, EM_AGG_SUM, 1, w, s, &c);
    run(op, sc, in, sizes, nbatch, NULL, NULL);
    keep_windows_until(c, 2, (long)(nout * s));
    CHECK(same_rows(c, want, nwant));
    finish(op, c);
    em_schema_destroy(sc);
}

static const row A1[] = {{"a", 1}}, A1A3[] = {{"a", 1}, {"a", 3}}, A1B1[] = {{"a", 1}, {"b", 1}},
                 A1B1C1[] = {{"a", 1}, {"b", 1}, {"c", 1}};

TEST(reduce_by_key_and_window_basic_reduction)
{
    const row *in[] = {A1A3};
    int n[] = {2};
    const char *want[] = {"a,-1s,1s,4"};
    check_reduce_by_key_and_window(in, n, 1, 2, 1, 1, want, 1);
}

TEST(reduce_by_key_and_window_key_already_in_window)
{
    const row *in[] = {A1, A1};
    int n[] = {1, 1};
    const char *want[] = {"a,-1s,1s,1", "a,0s,2s,2"};
    check_reduce_by_key_and_window(in, n, 2, 2, 1, 2, want, 2);
}

TEST(reduce_by_key_and_window_new_key_added)
{
    const row *in[] = {A1, A1B1};
    int n[] = {1, 2};
    const char *want[] = {"a,-1s,1s,1", "a,0s,2s,2", "b,0s,2s,1"};
    check_reduce_by_key_and_window(in, n, 2, 2, 1, 2, want, 3);
}

TEST(reduce_by_key_and_window_key_removed)
{
    /* Spark: Seq((a,1)), Seq((a,2)), Seq((a,1)), Seq() */
    const row *in[] = {A1, A1, NULL, NULL};
    int n[] = {1, 1, 0, 0};
    const char *want[] = {"a,-1s,1s,1", "a,0s,2s,2", "a,1s,3s,1"};
    check_reduce_by_key_and_window(in, n, 4, 2, 1, 4, want, 3);
}

TEST(reduce_by_key_and_window_larger_slide)
{
    /* largerSlideInput, window 4 s, slide 2 s -> (a,3) (a,10) (a,18) (a,11) */
    static const row r1[] = {{"a", 1}}, r2[] = {{"a", 2}}, r3[] = {{"a", 3}}, r4[] = {{"a", 4}},
                     r5[] = {{"a", 5}}, r6[] = {{"a", 6}};
    const row *in[] = {r1, r2, r3, r4, r5, r6, NULL, NULL};
    int n[] = {1, 1, 1, 1, 1, 1, 0, 0};
    const char *want[] = {"a,-2s,2s,3", "a,0s,4s,10", "a,2s,6s,18", "a,4s,8s,11"};
    check_reduce_by_key_and_window(in, n, 8, 4, 2, 4, want, 4);
}

TEST(reduce_by_key_and_window_big_test)
{
    /* bigInput -> bigReduceOutput, window 2 s, slide 1 s */
    const row *in[] = {A1, A1B1, A1B1C1, A1B1, A1, NULL, A1, A1B1, A1B1C1, A1B1, A1, NULL};
    int n[] = {1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0};
    static const char *const out[12][3] = {
        {"a=1"},          {"a=2", "b=1"}, {"a=2", "b=2", "c=1"}, {"a=2", "b=2", "c=1"},
        {"a=2", "b=1"},   {"a=1"},        {"a=1"},               {"a=2", "b=1"},
        {"a=2", "b=2", "c=1"}, {"a=2", "b=2", "c=1"}, {"a=2", "b=1"}, {"a=1"}};
    const char *want[36];
    char buf[36][32];
    int nw = 0;
    for (int t = 0; t < 12; t++)
        for (int j = 0; j < 3 && out[t][j]; j++) {
            snprintf(buf[nw], sizeof buf[nw], "%c,%ds,%ds,%s", out[t][j][0], t - 1, t + 1,
                     out[t][j] + 2);
            want[nw] = buf[nw];
            nw++;
        }
    check_reduce_by_key_and_window(in, n, 12, 2, 1, 12, want, nw);
}

TEST(count_by_value_and_window)
{
    static const row r1[] = {{"a", 0}}, r2[] = {{"b", 0}, {"b", 0}}, r3[] = {{"a", 0}, {"b", 0}};
    const row *in[] = {r1, r2, r3};
    int n[] = {1, 2, 2};
    em_schema *sc = kv_schema();
    collector *c;
    em_op *op = window_agg(sc, EM_AGG_COUNT_STAR, 1, 2, 1, &c);
    run(op, sc, in, n, 3, NULL, NULL);
    keep_windows_until(c, 2, 3);
    const char *want[] = {"a,-1s,1s,1", "a,0s,2s,1", "b,0s,2s,2", "a,1s,3s,1", "b,1s,3s,3"};
    CHECK(same_rows(c, want, 5));
    finish(op, c);
    em_schema_destroy(sc);
}

TEST(count_by_window)
{
    /* Spark: Seq(1), Seq(1), Seq(1,2), Seq(0), Seq(), Seq() -> 1 2 3 3 1 0.
     * Ember emits nothing for the empty last window (SQL.md: "Windows with
     * no rows emit nothing"). */
    static const row r1[] = {{"1", 1}}, r12[] = {{"1", 1}, {"2", 2}}, r0[] = {{"0", 0}};
    const row *in[] = {r1, r1, r12, r0, NULL, NULL};
    int n[] = {1, 1, 2, 1, 0, 0};
    em_schema *sc = kv_schema();
    collector *c;
    em_op *op = window_agg(sc, EM_AGG_COUNT_STAR, 0, 2, 1, &c);
    run(op, sc, in, n, 6, NULL, NULL);
    keep_windows_until(c, 1, 6);
    const char *want[] = {"-1s,1s,1", "0s,2s,2", "1s,3s,3", "2s,4s,3", "3s,5s,1"};
    CHECK(same_rows(c, want, 5));
    finish(op, c);
    em_schema_destroy(sc);
}

TEST(reduce_by_key_per_batch)
{
    /* BasicOperationsSuite reduceByKey: Seq(a,a,b), Seq("",""), Seq() ->
     * (a,2),(b,1) | ("",2) | nothing: a TUMBLE of one batch */
    static const row b1[] = {{"a", 1}, {"a", 1}, {"b", 1}}, b2[] = {{"", 1}, {"", 1}};
    const row *in[] = {b1, b2, NULL};
    int n[] = {3, 2, 0};
    em_schema *sc = kv_schema();
    collector *c;
    em_op *op = window_agg(sc, EM_AGG_SUM, 1, 1, 1, &c);
    run(op, sc, in, n, 3, NULL, NULL);
    const char *want[] = {"a,0s,1s,2", "b,0s,1s,1", ",1s,2s,2"};
    CHECK(same_rows(c, want, 3));
    finish(op, c);
    em_schema_destroy(sc);
}

TEST(count_by_value_per_batch)
{
    /* Seq(1), Seq(1,1,1), Seq(1,2), Seq(1,1,2,2) -> (1,1) | (1,3) | (1,1),(2,1) | (2,2),(1,2) */
    static const row b1[] = {{"1", 0}}, b2[] = {{"1", 0}, {"1", 0}, {"1", 0}},
                     b3[] = {{"1", 0}, {"2", 0}}, b4[] = {{"1", 0}, {"1", 0}, {"2", 0}, {"2", 0}};
    const row *in[] = {b1, b2, b3, b4};
    int n[] = {1, 3, 2, 4};
    em_schema *sc = kv_schema();
    collector *c;
    em_op *op = window_agg(sc, EM_AGG_COUNT_STAR, 1, 1, 1, &c);
    run(op, sc, in, n, 4, NULL, NULL);
    const char *want[] = {"1,0s,1s,1", "1,1s,2s,3", "1,2s,3s,1", "2,2s,3s,1", "2,3s,4s,2",
                          "1,3s,4s,2"};
    CHECK(same_rows(c, want, 6));
    finish(op, c);
    em_schema_destroy(sc);
}

TEST(window_rows_basic_tumbling_larger)
{
    /* testWindow: input Seq(0)..Seq(5); rows per window as window_end:value */
    static const row r[6][1] = {{{"0", 0}}, {{"1", 1}}, {{"2", 2}}, {{"3", 3}}, {{"4", 4}},
                                {{"5", 5}}};
    const row *in[] = {r[0], r[1], r[2], r[3], r[4], r[5]};
    int n[] = {1, 1, 1, 1, 1, 1};
    struct {
        int64_t w, s;
        int nout;
        const char *want[12];
        int nwant;
    } cases[] = {
        /* basic window (2 s, 1 s): 0 | 0,1 | 1,2 | 2,3 | 3,4 | 4,5 */
        {2, 1, 6, {"1:0", "2:0", "2:1", "3:1", "3:2", "4:2", "4:3", "5:3", "5:4", "6:4", "6:5"},
         11},
        /* tumbling window (2 s, 2 s): 0,1 | 2,3 | 4,5 */
        {2, 2, 3, {"2:0", "2:1", "4:2", "4:3", "6:4", "6:5"}, 6},
        /* larger window (4 s, 2 s): 0,1 | 0..3 | 2..5 | 4,5 */
        {4, 2, 4, {"2:0", "2:1", "4:0", "4:1", "4:2", "4:3", "6:2", "6:3", "6:4", "6:5", "8:4",
                   "8:5"}, 12},
    };
    em_schema *sc = kv_schema();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        em_errbuf err;
        em_op *op;
        CHECK_EQ_INT(em_window_rows_create(&op, "w", sc, 2, cases[i].w * SEC, cases[i].s * SEC,
                                           &err), 0);
        /* project window_end:v through a second collector format */
        collector *c = collector_new();
        em_op_connect(op, &c->base, 0);
        run(op, sc, in, n, 6, NULL, NULL);
        keep_windows_until(c, 4, (long)(cases[i].nout * cases[i].s));
        /* rows are word,v,ts,ws,we: rewrite as we:v */
        for (int k = 0; k < c->n; k++) {
            char word[16], we[16];
            long v, ts, ws;
            sscanf(c->rows[k], "%15[^,],%ld,%lds,%lds,%15[^s]", word, &v, &ts, &ws, we);
            snprintf(c->rows[k], strlen(c->rows[k]) + 1, "%s:%ld", we, v);
        }
        CHECK(same_rows(c, cases[i].want, cases[i].nwant));
        finish(op, c);
    }
    em_schema_destroy(sc);
}

/* updateStateByKey: Spark prints the whole state after every batch; Ember's
 * running aggregate emits the groups that changed. Applying the changes in
 * order must give Spark's state after every batch. */
typedef struct state_check {
    collector *c;
    char keys[8][8];
    long vals[8];
    int n;
    int ok;
} state_check;

static void apply_changes(int k, void *ud)
{
    static const char *const spark[6] = {"a=1",         "a=2 b=1", "a=3 b=2 c=1",
                                         "a=4 b=3 c=1", "a=5 b=3 c=1", "a=5 b=3 c=1"};
    state_check *st = ud;
    for (int i = 0; i < st->c->n; i++) {
        char key[8];
        long v;
        sscanf(st->c->rows[i], "%7[^,],%ld", key, &v);
        int j = 0;
        while (j < st->n && strcmp(st->keys[j], key) != 0)
            j++;
        if (j == st->n)
            snprintf(st->keys[st->n++], sizeof st->keys[0], "%s", key);
        st->vals[j] = v;
    }
    collect_reset(st->c);
    char now[64] = "";
    for (char ch = 'a'; ch <= 'c'; ch++)
        for (int j = 0; j < st->n; j++)
            if (st->keys[j][0] == ch)
                snprintf(now + strlen(now), sizeof now - strlen(now), "%s%c=%ld",
                         now[0] ? " " : "", ch, st->vals[j]);
    if (strcmp(now, spark[k]) != 0) {
        printf("    after batch %d: state %s, Spark %s\n", k, now, spark[k]);
        st->ok = 0;
    }
}

TEST(update_state_by_key_running_count)
{
    static const row b1[] = {{"a", 1}}, b2[] = {{"a", 1}, {"b", 1}},
                     b3[] = {{"a", 1}, {"b", 1}, {"c", 1}};
    const row *in[] = {b1, b2, b3, b2, b1, NULL};
    int n[] = {1, 2, 3, 2, 1, 0};
    em_schema *sc = kv_schema();
    em_errbuf err;
    int key = 0;
    em_agg_spec spec = {EM_AGG_COUNT_STAR, -1, "n"};
    em_window_spec w = {EM_WIN_NONE, -1, 0, 0, 0};
    em_op *op;
    CHECK_EQ_INT(em_aggregate_create(&op, "agg", sc, 1, &key, 1, &spec, &w, &err), 0);
    state_check st = {collector_new(), {{0}}, {0}, 0, 1};
    em_op_connect(op, &st.c->base, 0);
    run(op, sc, in, n, 6, apply_changes, &st);
    CHECK(st.ok);
    finish(op, st.c);
    em_schema_destroy(sc);
}

TEST(union_with_mapped_self)
{
    /* union: s.union(s.map(_ + 4)) over 1..4, 101..104, 201..204 */
    em_schema *sc = kv_schema();
    em_arena plan;
    em_arena_init(&plan, 0);
    em_errbuf err;
    em_expr *args[] = {em_expr_column(&plan, "v"), em_expr_lit_int(&plan, 4)};
    em_expr *cols[] = {em_expr_column(&plan, "word"), em_expr_call(&plan, "+", 2, args),
                       em_expr_column(&plan, "ts")};
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(em_expr_bind(cols[i], sc, &err), 0);
    const char *names[] = {"word", "v", "ts"};
    em_op *proj, *un;
    CHECK_EQ_INT(em_project_create(&proj, "p", sc, 3, (const em_expr *const *)cols, names, &err),
                 0);
    CHECK_EQ_INT(em_union_create(&un, "u", sc, 2), 0);
    collector *c = collector_new();
    em_op_connect(proj, un, 1);
    em_op_connect(un, &c->base, 0);
    em_arena a;
    em_arena_init(&a, 0);
    char want_buf[24][24];
    const char *want[24];
    int nw = 0;
    for (int k = 0; k < 3; k++) {
        row r[4];
        for (int i = 0; i < 4; i++)
            r[i] = (row){"x", 100 * k + 1 + i};
        em_batch *b = make_batch(sc, r, 4, k, &a);
        em_op_ctx cx = {&a, k + 1, 0, EM_TS_MIN, NULL, &err, 0};
        CHECK_EQ_INT(un->vt->push(un, 0, b, &cx), 0);
        CHECK_EQ_INT(proj->vt->push(proj, 0, b, &cx), 0);
        for (int i = 1; i <= 8; i++) {
            snprintf(want_buf[nw], sizeof want_buf[nw], "x,%d,%ds", 100 * k + i, k);
            want[nw] = want_buf[nw];
            nw++;
        }
        em_arena_reset(&a);
    }
    CHECK(same_rows(c, want, nw));
    em_arena_release(&a);
    em_arena_release(&plan);
    em_op_destroy(proj);
    em_op_destroy(un);
    em_op_destroy(&c->base);
    em_schema_destroy(sc);
}

int main(void)
{
    RUN(reduce_by_key_and_window_basic_reduction);
    RUN(reduce_by_key_and_window_key_already_in_window);
    RUN(reduce_by_key_and_window_new_key_added);
    RUN(reduce_by_key_and_window_key_removed);
    RUN(reduce_by_key_and_window_larger_slide);
    RUN(reduce_by_key_and_window_big_test);
    RUN(count_by_value_and_window);
    RUN(count_by_window);
    RUN(reduce_by_key_per_batch);
    RUN(count_by_value_per_batch);
    RUN(window_rows_basic_tumbling_larger);
    RUN(update_state_by_key_running_count);
    RUN(union_with_mapped_self);
    return t_done();
}
