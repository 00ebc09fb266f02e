/*
 * Unit tests for the fast paths of src/expr: `x OP literal` kernels against
 * the general column kernels, dense against selected evaluation, AND/OR/CASE
 * selection narrowing and filters against row-by-row references, user
 * functions through a registry, and out-of-memory at every allocation.
 */
#include "batch/batch.h"
#include "core/errbuf.h"
#include "ember/error.h"
#include "expr/expr.h"
#include "t.h"

#include <stdlib.h>

#define NROWS 3000

static em_arena A;
static em_schema *S;
static em_batch *BT;
static em_eval_ctx CX;
static uint32_t *SEL, NSEL;

#define COL(n) em_expr_column(&A, n)
#define I(v) em_expr_lit_int(&A, v)
#define D(v) em_expr_lit_double(&A, v)
#define CALL(fn, ...)                                                                              \
    em_expr_call(&A, fn, (uint32_t)(sizeof((em_expr *[]){__VA_ARGS__}) / sizeof(em_expr *)),      \
                 (em_expr *[]){__VA_ARGS__})

/* x BIGINT (with extremes), y DOUBLE (with zeros), b BOOLEAN; ~10% NULLs. */
static void setup(void)
{
    const char *names[] = {"x", "y", "b"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE, EM_TYPE_BOOLEAN};
    em_arena_init(&A, 0);
    S = em_schema_create(3, names, types);
    em_batch_builder bb;
    em_batch_builder_init(&bb, S, NROWS, &A);
    srand(11);
    for (int i = 0; i < NROWS; i++) {
        int64_t xv = rand() % 21 - 10;
        if (i % 97 == 0)
            xv = i % 2 ? INT64_MAX : INT64_MIN;
        if (rand() % 10)
            em_batch_builder_set_i64(&bb, 0, xv);
        if (rand() % 10)
            em_batch_builder_set_f64(&bb, 1, (rand() % 41 - 20) / 4.0);
        if (rand() % 10)
            em_batch_builder_set_bool(&bb, 2, rand() % 2);
        em_batch_builder_end_row(&bb);
    }
    BT = em_batch_builder_finish(&bb);
    CX.arena = &A;
    SEL = em_arena_alloc(&A, NROWS * sizeof *SEL);
    NSEL = 0;
    for (uint32_t i = 0; i < NROWS; i++)
        if (i % 3 == 1) /* a sparse selection: kernels take the selected path */
            SEL[NSEL++] = i;
}

static void teardown(void)
{
    em_arena_release(&A);
    em_schema_destroy(S);
}

/* Selection modes: 0 none (dense), 1 sparse SEL, 2 all but every 7th row
 * (dense over a selection). */
static void use_sel(int mode)
{
    static uint32_t most[NROWS];
    uint32_t n = 0;
    BT->sel = mode == 1 ? SEL : mode == 2 ? most : NULL;
    BT->nsel = mode == 1 ? NSEL : NROWS;
    if (mode == 2) {
        for (uint32_t i = 0; i < NROWS; i++)
            if (i % 7)
                most[n++] = i;
        BT->nsel = n;
    }
}

static int eval(em_expr *e, em_column *out)
{
    int rc = e ? em_expr_bind(e, S, NULL) : EM_ENOMEM;
    return rc ? rc : em_expr_eval(e, BT, &CX, out);
}

/* Same NULLs and values on every selected row. */
static int same(const em_column *a, const em_column *b)
{
    if (a->type != b->type)
        return 0;
    for (uint32_t k = 0; k < em_batch_count(BT); k++) {
        uint32_t r = em_batch_row(BT, k);
        int na = em_column_is_null(a, r), nb = em_column_is_null(b, r);
        if (na != nb)
            return 0;
        if (na)
            continue;
        int differ;
        if (a->type == EM_TYPE_BOOLEAN)
            differ = (a->v.b[r] != 0) != (b->v.b[r] != 0);
        else if (a->type == EM_TYPE_DOUBLE) /* NaN equals NaN here */
            differ = a->v.f64[r] != b->v.f64[r] && a->v.f64[r] == a->v.f64[r];
        else
            differ = a->v.i64[r] != b->v.i64[r];
        if (differ)
            return 0;
    }
    return 1;
}

/* A literal the binder cannot see as one (CAST of it): the general path. */
static em_expr *opaque(em_expr *lit, em_type t)
{
    return em_expr_cast(&A, lit, t);
}

TEST(literal_kernels_match_column_kernels)
{
    setup();
    static const char *const ops[] = {"+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">="};
    const int64_t ilits[] = {3, 0, -1, INT64_MAX, INT64_MIN, 10, -7};
    const double dlits[] = {0.5, 0.0, -2.25};
    for (int mode = 0; mode < 3; mode++) {
        use_sel(mode);
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
            for (int left = 0; left < 2; left++) {
                for (size_t l = 0; l < 7 + 3; l++) {
                    int dbl = l >= 7;
                    em_expr *c1 = COL(dbl ? "y" : "x"), *c2 = COL(dbl ? "y" : "x");
                    em_expr *l1 = dbl ? D(dlits[l - 7]) : I(ilits[l]);
                    em_expr *l2 = opaque(dbl ? D(dlits[l - 7]) : I(ilits[l]),
                                         dbl ? EM_TYPE_DOUBLE : EM_TYPE_BIGINT);
                    em_expr *fast = left ? CALL(ops[o], l1, c1) : CALL(ops[o], c1, l1);
                    em_expr *slow = left ? CALL(ops[o], l2, c2) : CALL(ops[o], c2, l2);
                    em_column a, b;
                    CHECK_EQ_INT(eval(fast, &a), 0);
                    CHECK_EQ_INT(eval(slow, &b), 0);
                    if (!same(&a, &b))
                        printf("    mismatch: mode %d op %s left %d lit %zu\n", mode, ops[o],
                               left, l);
                    CHECK(same(&a, &b));
                }
            }
        }
    }
    for (int mode = 0; mode < 3; mode++) { /* unary: neg, not */
        use_sel(mode);
        em_column a, b, nb, bb;
        CHECK_EQ_INT(eval(CALL("neg", COL("x")), &a), 0);
        CHECK_EQ_INT(eval(CALL("-", I(0), COL("x")), &b), 0); /* -INT64_MIN: NULL in both */
        CHECK(same(&a, &b));
        CHECK_EQ_INT(eval(CALL("neg", COL("y")), &a), 0);
        CHECK_EQ_INT(eval(CALL("*", COL("y"), D(-1)), &b), 0);
        CHECK(same(&a, &b));
        CHECK_EQ_INT(eval(CALL("not", COL("b")), &nb), 0);
        CHECK_EQ_INT(eval(COL("b"), &bb), 0);
        int bad = 0;
        for (uint32_t k = 0; k < em_batch_count(BT); k++) {
            uint32_t r = em_batch_row(BT, k);
            int isn = em_column_is_null(&bb, r);
            bad += em_column_is_null(&nb, r) != isn || (!isn && nb.v.b[r] == bb.v.b[r]);
        }
        CHECK_EQ_INT(bad, 0);
    }
    /* overflow and division by zero are NULL on the fast path too */
    use_sel(0);
    em_column c;
    CHECK_EQ_INT(eval(CALL("+", COL("x"), I(1)), &c), 0);
    CHECK(em_column_is_null(&c, 97)); /* INT64_MAX + 1 */
    CHECK_EQ_INT(eval(CALL("/", COL("x"), I(0)), &c), 0);
    CHECK_EQ_INT(c.null_count, NROWS);
    CHECK_EQ_INT(eval(CALL("/", COL("x"), I(-1)), &c), 0);
    CHECK(em_column_is_null(&c, 0)); /* INT64_MIN / -1 */
    teardown();
}

/* Three-valued value of a BOOLEAN column: 0, 1, 2 = NULL. */
static int tv(const em_column *c, uint32_t r)
{
    return em_column_is_null(c, r) ? 2 : c->v.b[r] != 0;
}

TEST(and_or_case_narrowing_match_reference)
{
    setup();
    for (int mode = 0; mode < 3; mode++) {
        use_sel(mode);
        em_column p, q, land, lor, cs, v1, v2, v3;
        CHECK_EQ_INT(eval(CALL(">", COL("x"), I(2)), &p), 0);
        CHECK_EQ_INT(eval(CALL("or", COL("b"), CALL("<", COL("y"), D(0.5))), &q), 0);
        CHECK_EQ_INT(eval(CALL("and", CALL(">", COL("x"), I(2)),
                               CALL("or", COL("b"), CALL("<", COL("y"), D(0.5)))),
                          &land),
                     0);
        CHECK_EQ_INT(eval(CALL("or", CALL(">", COL("x"), I(2)),
                               CALL("or", COL("b"), CALL("<", COL("y"), D(0.5)))),
                          &lor),
                     0);
        em_expr *conds[] = {CALL(">", COL("x"), I(2)), CALL("<", COL("y"), D(0.5))};
        em_expr *vals[] = {CALL("*", COL("y"), D(2)), CALL("+", COL("x"), I(1))};
        CHECK_EQ_INT(eval(em_expr_case(&A, 2, conds, vals, CALL("-", COL("y"), D(1))), &cs), 0);
        CHECK_EQ_INT(eval(CALL("*", COL("y"), D(2)), &v1), 0);
        CHECK_EQ_INT(eval(em_expr_cast(&A, CALL("+", COL("x"), I(1)), EM_TYPE_DOUBLE), &v2), 0);
        CHECK_EQ_INT(eval(CALL("-", COL("y"), D(1)), &v3), 0);
        em_column pp;
        CHECK_EQ_INT(eval(CALL("<", COL("y"), D(0.5)), &pp), 0);
        int bad = 0;
        for (uint32_t k = 0; k < em_batch_count(BT); k++) {
            uint32_t r = em_batch_row(BT, k);
            int a = tv(&p, r), b = tv(&q, r);
            int want_and = (a == 0 || b == 0) ? 0 : (a == 2 || b == 2) ? 2 : 1;
            int want_or = (a == 1 || b == 1) ? 1 : (a == 2 || b == 2) ? 2 : 0;
            bad += tv(&land, r) != want_and;
            bad += tv(&lor, r) != want_or;
            const em_column *src = a == 1 ? &v1 : tv(&pp, r) == 1 ? &v2 : &v3;
            int n1 = em_column_is_null(src, r), n2 = em_column_is_null(&cs, r);
            bad += n1 != n2 || (!n1 && src->v.f64[r] != cs.v.f64[r]);
        }
        CHECK_EQ_INT(bad, 0);
    }
    teardown();
}

TEST(filters_match_general_path)
{
    setup();
    em_expr *preds[] = {
        CALL("and", CALL(">", COL("x"), I(0)), CALL("<=", COL("y"), D(1.0))),
        CALL("or", CALL(">", COL("x"), I(5)), CALL("<", D(1.0), COL("y"))),
        CALL("or", CALL("and", COL("b"), CALL("<>", COL("x"), I(3))), CALL("is_null", COL("y"))),
        CALL(">=", I(0), COL("x")),
    };
    for (int mode = 0; mode < 3; mode++) {
        for (size_t i = 0; i < sizeof preds / sizeof preds[0]; i++) {
            use_sel(mode);
            uint32_t *sel0 = BT->sel, n0 = BT->nsel;
            em_column c;
            CHECK_EQ_INT(eval(preds[i], &c), 0);
            uint32_t want[NROWS], nw = 0;
            for (uint32_t k = 0; k < em_batch_count(BT); k++) {
                uint32_t r = em_batch_row(BT, k);
                if (tv(&c, r) == 1)
                    want[nw++] = r;
            }
            CHECK_EQ_INT(em_expr_filter(preds[i], BT, &CX), 0);
            CHECK_EQ_INT(BT->nsel, nw);
            CHECK(nw > 0 && memcmp(BT->sel, want, nw * sizeof *want) == 0);
            CHECK(BT->sel != sel0 || n0 == 0);
        }
    }
    teardown();
}

/* plus(BIGINT, DOUBLE) -> DOUBLE; NULL where the sum is negative. */
static int plus(void *ud, const em_column *args, uint32_t nargs, const em_batch *in,
                em_column *out)
{
    (void)nargs;
    if (ud)
        return EM_ERANGE;
    for (uint32_t k = 0; k < em_batch_count(in); k++) {
        uint32_t r = em_batch_row(in, k);
        double s = (double)args[0].v.i64[r] + args[1].v.f64[r];
        if (s < 0)
            out->validity[r >> 3] &= (uint8_t) ~(1u << (r & 7));
        out->v.f64[r] = s;
    }
    return 0;
}

TEST(user_functions_through_registry)
{
    setup();
    em_func_registry *reg;
    em_errbuf eb;
    em_type t2[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE}, t1 = EM_TYPE_DOUBLE;
    CHECK_EQ_INT(em_func_registry_create(&reg), 0);
    CHECK_EQ_INT(em_func_registry_add(reg, "plus", 2, t2, EM_TYPE_DOUBLE, plus, NULL, &eb), 0);
    CHECK_EQ_INT(em_func_registry_add(reg, "failing", 1, &t1, EM_TYPE_DOUBLE, plus, &eb, &eb), 0);
    CHECK_EQ_INT(em_func_registry_add(reg, "PLUS", 2, t2, EM_TYPE_DOUBLE, plus, NULL, &eb),
                 EM_EEXISTS);
    CHECK_EQ_INT(em_func_registry_add(reg, "sqrt", 1, &t1, EM_TYPE_DOUBLE, plus, NULL, &eb),
                 EM_EEXISTS);
    em_expr *e = CALL("plus", COL("x"), COL("y"));
    CHECK_EQ_INT(em_expr_bind(e, S, &eb), EM_ENOTFOUND); /* not without the registry */
    e = CALL("plus", COL("x"), COL("y"));
    CHECK_EQ_INT(em_expr_bind_with(e, S, reg, &eb), 0);
    CHECK_EQ_INT(em_expr_type(e), EM_TYPE_DOUBLE);
    em_expr *f = CALL("plus", I(1), I(2)); /* second argument cast BIGINT -> DOUBLE */
    CHECK_EQ_INT(em_expr_bind_with(f, S, reg, &eb), 0);
    for (int mode = 0; mode < 2; mode++) {
        use_sel(mode);
        em_column c, x, y, k3;
        CHECK_EQ_INT(em_expr_eval(e, BT, &CX, &c), 0);
        CHECK_EQ_INT(eval(COL("x"), &x), 0);
        CHECK_EQ_INT(eval(COL("y"), &y), 0);
        CHECK_EQ_INT(em_expr_eval(f, BT, &CX, &k3), 0);
        int bad = 0;
        for (uint32_t k = 0; k < em_batch_count(BT); k++) {
            uint32_t r = em_batch_row(BT, k);
            int isnull = em_column_is_null(&x, r) || em_column_is_null(&y, r);
            double s = isnull ? 0 : (double)x.v.i64[r] + y.v.f64[r];
            isnull = isnull || s < 0;
            bad += em_column_is_null(&c, r) != isnull || (!isnull && c.v.f64[r] != s);
            bad += em_column_is_null(&k3, r) || k3.v.f64[r] != 3.0;
        }
        CHECK_EQ_INT(bad, 0);
    }
    em_expr *g = CALL("failing", COL("y"));
    em_column c;
    CHECK_EQ_INT(em_expr_bind_with(g, S, reg, &eb), 0);
    CHECK_EQ_INT(em_expr_eval(g, BT, &CX, &c), EM_ERANGE); /* the function's error */
    CHECK_EQ_INT(em_expr_bind_with(CALL("plus", COL("b"), COL("y")), S, reg, &eb), EM_ETYPE);
    CHECK_EQ_STR(eb.msg, "no function plus(BOOLEAN, DOUBLE): wrong argument types or count");
    em_func_registry_destroy(reg);
    teardown();
}

/* Fails allocation N = 1, 2, ... during evaluation and filtering: every
 * failure must come back as EM_ENOMEM, never a crash, and the arena frees
 * everything. Small arena chunks make each allocation an em_malloc. */
TEST(out_of_memory_at_every_allocation)
{
    setup();
    em_expr *exprs[] = {
        CALL("and", CALL(">", COL("x"), I(0)), CALL("<", CALL("*", COL("y"), D(1.8)), D(3))),
        CALL("+", CALL("*", COL("y"), D(1.8)), I(32)),
        CALL("/", COL("x"), I(0)),
        em_expr_case(&A, 1, (em_expr *[]){CALL(">", COL("x"), I(2))},
                     (em_expr *[]){em_expr_cast(&A, COL("x"), EM_TYPE_TEXT)},
                     em_expr_lit_text(&A, "low", 3)),
        CALL("or", COL("b"), CALL("is_null", COL("y"))),
    };
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++)
        CHECK_EQ_INT(em_expr_bind(exprs[i], S, NULL), 0);
    em_arena small;
    em_arena_init(&small, 64);
    em_eval_ctx cx = {&small, 0};
    int finished = 0, wrong = 0;
    uint64_t fails0 = em_mem_failures();
    for (uint64_t n = 1; n < 400 && !finished; n++) {
        use_sel(n % 2);
        em_mem_fail_after(n);
        int rc = 0;
        for (size_t i = 0; i < sizeof exprs / sizeof exprs[0] && !rc; i++) {
            em_column c;
            rc = em_expr_eval(exprs[i], BT, &cx, &c);
        }
        if (!rc)
            rc = em_expr_filter(exprs[0], BT, &cx);
        em_mem_fail_after(0);
        if (rc == 0)
            finished = 1;
        else
            wrong += rc != EM_ENOMEM;
        em_arena_release(&small);
    }
    CHECK(finished);
    CHECK_EQ_INT(wrong, 0);
    CHECK(em_mem_failures() - fails0 > 20); /* the failures really were injected */
    em_func_registry *reg = NULL;
    em_type t = EM_TYPE_DOUBLE;
    for (uint64_t n = 1; n <= 4; n++) { /* registry: create + add */
        em_mem_fail_after(n);
        int rc = em_func_registry_create(&reg);
        if (!rc)
            rc = em_func_registry_add(reg, "f", 1, &t, EM_TYPE_DOUBLE, plus, NULL, NULL);
        em_mem_fail_after(0);
        CHECK(rc == 0 || rc == EM_ENOMEM);
        em_func_registry_destroy(reg);
        reg = NULL;
    }
    teardown();
}

int main(void)
{
    RUN(literal_kernels_match_column_kernels);
    RUN(and_or_case_narrowing_match_reference);
    RUN(filters_match_general_path);
    RUN(user_functions_through_registry);
    RUN(out_of_memory_at_every_allocation);
    return t_done();
}
