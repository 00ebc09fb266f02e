/*
 * Unit tests for src/expr: binding, NULL semantics, operators, casts,
 * scalar functions and filters, on a small fixture batch.
 */
#include "batch/batch.h"
#include "core/clock.h"
#include "core/errbuf.h"
#include "ember/error.h"
#include "expr/expr.h"
#include "t.h"

#include <stdlib.h>

static em_arena A;
static em_schema *S;
static em_batch *BT;
static em_eval_ctx CX;

#define COL(n) em_expr_column(&A, n)
#define I(v) em_expr_lit_int(&A, v)
#define D(v) em_expr_lit_double(&A, v)
#define T(s) em_expr_lit_text(&A, s, strlen(s))
#define BO(v) em_expr_lit_bool(&A, v)
#define N() em_expr_lit_null(&A)
#define CALL(fn, ...)                                                                              \
    em_expr_call(&A, fn, (uint32_t)(sizeof((em_expr *[]){__VA_ARGS__}) / sizeof(em_expr *)),      \
                 (em_expr *[]){__VA_ARGS__})

static int64_t ts(const char *s)
{
    int64_t us = 0;
    em_ts_parse(s, strlen(s), &us);
    return us;
}

static void setup(void)
{
    const char *names[] = {"a", "b", "s", "t", "f"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE, EM_TYPE_TEXT, EM_TYPE_TIMESTAMP,
                       EM_TYPE_BOOLEAN};
    em_arena_init(&A, 0);
    S = em_schema_create(5, names, types);
    em_batch_builder bb;
    em_batch_builder_init(&bb, S, 8, &A);
    /* row 0 */
    em_batch_builder_set_i64(&bb, 0, 7);
    em_batch_builder_set_f64(&bb, 1, 2.5);
    em_batch_builder_set_text(&bb, 2, "Hello", 5);
    em_batch_builder_set_i64(&bb, 3, ts("2024-05-01T12:34:56.5Z"));
    em_batch_builder_set_bool(&bb, 4, true);
    em_batch_builder_end_row(&bb);
    /* row 1 */
    em_batch_builder_set_i64(&bb, 0, -7);
    em_batch_builder_set_f64(&bb, 1, 0.0);
    em_batch_builder_set_text(&bb, 2, "world", 5);
    em_batch_builder_set_i64(&bb, 3, ts("1969-12-31T23:59:00Z"));
    em_batch_builder_set_bool(&bb, 4, false);
    em_batch_builder_end_row(&bb);
    /* row 2: all NULL */
    em_batch_builder_end_row(&bb);
    /* row 3 */
    em_batch_builder_set_i64(&bb, 0, INT64_MAX);
    em_batch_builder_set_f64(&bb, 1, -4.0);
    em_batch_builder_set_text(&bb, 2, "  ab_c%  ", 9);
    em_batch_builder_set_i64(&bb, 3, 0);
    em_batch_builder_set_bool(&bb, 4, true);
    em_batch_builder_end_row(&bb);
    BT = em_batch_builder_finish(&bb);
    CX.arena = &A;
    CX.now_us = ts("2030-01-01T00:00:00Z");
}

static void teardown(void)
{
    em_arena_release(&A);
    em_schema_destroy(S);
}

/* Binds and evaluates e, returning row's value as text ("NULL", "t"/"f",
 * numbers, text, ISO timestamps) or "ERR<code>". */
static const char *val(em_expr *e, uint32_t row)
{
    static char bufs[8][96];
    static int nb;
    char *buf = bufs[nb++ & 7];
    em_column c;
    em_errbuf eb;
    int rc = e ? em_expr_bind(e, S, &eb) : EM_ENOMEM;
    if (!rc)
        rc = em_expr_eval(e, BT, &CX, &c);
    if (rc) {
        snprintf(buf, 96, "ERR%d", rc);
        return buf;
    }
    if (c.type == EM_TYPE_NULL || em_column_is_null(&c, row))
        return "NULL";
    switch (c.type) {
    case EM_TYPE_BOOLEAN: return c.v.b[row] ? "t" : "f";
    case EM_TYPE_BIGINT:
    case EM_TYPE_INTERVAL: snprintf(buf, 96, "%lld", (long long)c.v.i64[row]); break;
    case EM_TYPE_DOUBLE: snprintf(buf, 96, "%.10g", c.v.f64[row]); break;
    case EM_TYPE_TEXT: {
        em_slice s = em_column_text(&c, row);
        snprintf(buf, 96, "%.*s", (int)s.len, s.ptr);
        break;
    }
    case EM_TYPE_TIMESTAMP: em_ts_format(c.v.i64[row], buf); break;
    default: return "?";
    }
    return buf;
}

TEST(null_logic_truth_tables)
{
    setup();
    /* rows: T F N for x (column f rows 0,1,2) against literal y */
    const char *and_t[3][3] = {{"t", "f", "NULL"}, {"f", "f", "f"}, {"NULL", "f", "NULL"}};
    const char *or_t[3][3] = {{"t", "t", "t"}, {"t", "f", "NULL"}, {"t", "NULL", "NULL"}};
    for (uint32_t x = 0; x < 3; x++) {
        for (int y = 0; y < 3; y++) {
            em_expr *ly = y == 0 ? BO(1) : y == 1 ? BO(0) : N();
            CHECK_EQ_STR(val(CALL("and", COL("f"), ly), x), and_t[x][y]);
            ly = y == 0 ? BO(1) : y == 1 ? BO(0) : N();
            CHECK_EQ_STR(val(CALL("or", COL("f"), ly), x), or_t[x][y]);
        }
    }
    CHECK_EQ_STR(val(CALL("not", COL("f")), 0), "f");
    CHECK_EQ_STR(val(CALL("not", COL("f")), 2), "NULL");
    CHECK_EQ_STR(val(CALL("is_null", COL("a")), 2), "t");
    CHECK_EQ_STR(val(CALL("is_not_null", COL("a")), 2), "f");
    CHECK_EQ_STR(val(CALL("is_null", N()), 0), "t");
    teardown();
}

TEST(arithmetic)
{
    setup();
    CHECK_EQ_STR(val(CALL("+", COL("a"), I(1)), 0), "8");
    CHECK_EQ_STR(val(CALL("+", COL("a"), I(1)), 2), "NULL");
    CHECK_EQ_STR(val(CALL("+", COL("a"), I(1)), 3), "NULL"); /* overflow */
    CHECK_EQ_STR(val(CALL("*", COL("a"), I(2)), 3), "NULL");
    CHECK_EQ_STR(val(CALL("-", I(INT64_MIN), I(1)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("/", COL("a"), I(2)), 1), "-3"); /* truncates toward 0 */
    CHECK_EQ_STR(val(CALL("%", COL("a"), I(2)), 1), "-1");
    CHECK_EQ_STR(val(CALL("/", COL("a"), I(0)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("%", COL("a"), I(0)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("/", I(INT64_MIN), I(-1)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("/", D(1), COL("b")), 1), "NULL"); /* double / 0 */
    CHECK_EQ_STR(val(CALL("*", COL("a"), COL("b")), 0), "17.5"); /* BIGINT -> DOUBLE */
    CHECK_EQ_STR(val(CALL("neg", COL("a")), 0), "-7");
    CHECK_EQ_STR(val(CALL("+", COL("a"), N()), 0), "NULL");
    CHECK_EQ_STR(val(CALL("+", COL("t"), em_expr_lit_interval(&A, 60 * EM_USEC_PER_SEC)), 1),
                 "1970-01-01T00:00:00.000Z");
    CHECK_EQ_STR(val(CALL("-", COL("t"), COL("t")), 0), "0");
    CHECK_EQ_STR(val(CALL("||", COL("s"), T("!")), 0), "Hello!");
    CHECK_EQ_STR(val(CALL("||", COL("s"), T("!")), 2), "NULL");
    teardown();
}

TEST(comparisons_mixed_types)
{
    setup();
    CHECK_EQ_STR(val(CALL(">", COL("a"), COL("b")), 0), "t");
    CHECK_EQ_STR(val(CALL("=", COL("a"), D(7.0)), 0), "t");
    CHECK_EQ_STR(val(CALL("<>", COL("a"), D(7.5)), 0), "t");
    CHECK_EQ_STR(val(CALL("<", COL("s"), T("world")), 0), "t"); /* 'H' < 'w' bytewise */
    CHECK_EQ_STR(val(CALL("<=", COL("s"), T("world")), 1), "t");
    CHECK_EQ_STR(val(CALL(">=", COL("s"), T("worlds")), 1), "f");
    CHECK_EQ_STR(val(CALL("=", COL("a"), COL("a")), 2), "NULL");
    CHECK_EQ_STR(val(CALL("=", N(), N()), 0), "NULL");
    CHECK_EQ_STR(val(CALL("<", COL("t"), em_expr_lit_timestamp(&A, 1)), 3), "t");
    teardown();
}

TEST(like_in_between)
{
    setup();
    CHECK_EQ_STR(val(CALL("like", COL("s"), T("H%o")), 0), "t");
    CHECK_EQ_STR(val(CALL("like", COL("s"), T("w_rld")), 1), "t");
    CHECK_EQ_STR(val(CALL("like", COL("s"), T("w_rl")), 1), "f");
    CHECK_EQ_STR(val(CALL("like", COL("s"), T("%")), 2), "NULL");
    CHECK_EQ_STR(val(CALL("like", COL("s"), T("%\\%%")), 3), "t");
    CHECK_EQ_STR(val(CALL("like", COL("s"), T("%\\%%")), 0), "f");
    CHECK_EQ_STR(val(CALL("not_like", COL("s"), T("%l%")), 1), "f");
    CHECK_EQ_STR(val(CALL("in", COL("a"), I(1), I(7)), 0), "t");
    CHECK_EQ_STR(val(CALL("in", COL("a"), I(1), D(2.5)), 0), "f");
    CHECK_EQ_STR(val(CALL("in", COL("a"), I(1), N()), 0), "NULL");
    CHECK_EQ_STR(val(CALL("in", COL("a"), I(7), N()), 0), "t");
    CHECK_EQ_STR(val(CALL("in", COL("a"), I(7)), 2), "NULL");
    CHECK_EQ_STR(val(CALL("between", COL("a"), I(0), I(10)), 0), "t");
    CHECK_EQ_STR(val(CALL("between", COL("a"), I(0), I(10)), 1), "f");
    CHECK_EQ_STR(val(CALL("between", COL("a"), N(), I(0)), 0), "f");
    CHECK_EQ_STR(val(CALL("between", COL("a"), N(), I(10)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("between", COL("b"), I(2), D(2.5)), 0), "t");
    teardown();
}

TEST(case_expr)
{
    setup();
    em_expr *conds[2], *vals[2];
    for (uint32_t row = 0; row < 3; row++) {
        conds[0] = CALL(">", COL("a"), I(0));
        conds[1] = CALL("<", COL("a"), I(0));
        vals[0] = T("pos");
        vals[1] = T("neg");
        const char *want[] = {"pos", "neg", "other"};
        CHECK_EQ_STR(val(em_expr_case(&A, 2, conds, vals, T("other")), row), want[row]);
    }
    conds[0] = CALL(">", COL("a"), I(0));
    vals[0] = COL("a");
    CHECK_EQ_STR(val(em_expr_case(&A, 1, conds, vals, NULL), 1), "NULL");
    conds[0] = CALL(">", COL("a"), I(0));
    vals[0] = COL("a");
    CHECK_EQ_STR(val(em_expr_case(&A, 1, conds, vals, D(0.5)), 1), "0.5");
    CHECK_EQ_STR(val(em_expr_case(&A, 1, conds, vals, D(0.5)), 0), "7"); /* promoted */
    teardown();
}

TEST(cast_matrix)
{
    setup();
    CHECK_EQ_STR(val(em_expr_cast(&A, T(" 42 "), EM_TYPE_BIGINT), 0), "42");
    CHECK_EQ_STR(val(em_expr_cast(&A, T("4x"), EM_TYPE_BIGINT), 0), "NULL");
    CHECK_EQ_STR(val(em_expr_cast(&A, T("99999999999999999999"), EM_TYPE_BIGINT), 0), "NULL");
    CHECK_EQ_STR(val(em_expr_cast(&A, T("1e3"), EM_TYPE_DOUBLE), 0), "1000");
    CHECK_EQ_STR(val(em_expr_cast(&A, T("yes"), EM_TYPE_BOOLEAN), 0), "t");
    CHECK_EQ_STR(val(em_expr_cast(&A, T("maybe"), EM_TYPE_BOOLEAN), 0), "NULL");
    CHECK_EQ_STR(val(em_expr_cast(&A, T("2024-05-01"), EM_TYPE_TIMESTAMP), 0),
                 "2024-05-01T00:00:00.000Z");
    CHECK_EQ_STR(val(em_expr_cast(&A, T("nope"), EM_TYPE_TIMESTAMP), 0), "NULL");
    CHECK_EQ_STR(val(em_expr_cast(&A, T("1 minute"), EM_TYPE_INTERVAL), 0), "60000000");
    CHECK_EQ_STR(val(em_expr_cast(&A, D(2.5), EM_TYPE_BIGINT), 0), "2"); /* half to even */
    CHECK_EQ_STR(val(em_expr_cast(&A, D(3.5), EM_TYPE_BIGINT), 0), "4");
    CHECK_EQ_STR(val(em_expr_cast(&A, D(1e300), EM_TYPE_BIGINT), 0), "NULL");
    CHECK_EQ_STR(val(em_expr_cast(&A, COL("a"), EM_TYPE_DOUBLE), 1), "-7");
    CHECK_EQ_STR(val(em_expr_cast(&A, COL("f"), EM_TYPE_BIGINT), 0), "1");
    CHECK_EQ_STR(val(em_expr_cast(&A, COL("a"), EM_TYPE_BOOLEAN), 1), "t");
    CHECK_EQ_STR(val(em_expr_cast(&A, COL("b"), EM_TYPE_TEXT), 0), "2.5");
    CHECK_EQ_STR(val(em_expr_cast(&A, D(0.1), EM_TYPE_TEXT), 0), "0.1");
    CHECK_EQ_STR(val(em_expr_cast(&A, COL("a"), EM_TYPE_TEXT), 3), "9223372036854775807");
    CHECK_EQ_STR(val(em_expr_cast(&A, COL("f"), EM_TYPE_TEXT), 1), "false");
    CHECK_EQ_STR(val(em_expr_cast(&A, COL("t"), EM_TYPE_TEXT), 0), "2024-05-01T12:34:56.500Z");
    CHECK_EQ_STR(val(em_expr_cast(&A, em_expr_lit_interval(&A, -90500000), EM_TYPE_TEXT), 0),
                 "-00:01:30.500000");
    CHECK_EQ_STR(val(em_expr_cast(&A, COL("s"), EM_TYPE_TEXT), 2), "NULL");
    CHECK_EQ_STR(val(em_expr_cast(&A, N(), EM_TYPE_DOUBLE), 0), "NULL");
    em_errbuf eb;
    CHECK_EQ_INT(em_expr_bind(em_expr_cast(&A, COL("t"), EM_TYPE_BOOLEAN), S, &eb), EM_ETYPE);
    CHECK_EQ_STR(eb.msg, "cannot cast TIMESTAMP to BOOLEAN");
    teardown();
}

TEST(math_functions)
{
    setup();
    CHECK_EQ_STR(val(CALL("abs", COL("a")), 1), "7");
    CHECK_EQ_STR(val(CALL("abs", I(INT64_MIN)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("abs", D(-2.5)), 0), "2.5");
    CHECK_EQ_STR(val(CALL("round", D(2.5)), 0), "3");
    CHECK_EQ_STR(val(CALL("round", D(-2.5)), 0), "-3");
    CHECK_EQ_STR(val(CALL("round", D(1.125), I(2)), 0), "1.13");
    CHECK_EQ_STR(val(CALL("round", I(1234), I(-2)), 0), "1200");
    CHECK_EQ_STR(val(CALL("floor", D(-1.5)), 0), "-2");
    CHECK_EQ_STR(val(CALL("ceil", D(-1.5)), 0), "-1");
    CHECK_EQ_STR(val(CALL("sqrt", D(16)), 0), "4");
    CHECK_EQ_STR(val(CALL("sqrt", D(-1)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("exp", I(0)), 0), "1");
    CHECK_EQ_STR(val(CALL("ln", D(0)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("ln", D(1)), 0), "0");
    CHECK_EQ_STR(val(CALL("log10", I(1000)), 0), "3");
    CHECK_EQ_STR(val(CALL("power", I(2), I(10)), 0), "1024");
    CHECK_EQ_STR(val(CALL("power", D(-8), D(0.5)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("least", I(3), I(1), N()), 0), "1");
    CHECK_EQ_STR(val(CALL("greatest", I(1), D(2.5)), 0), "2.5");
    CHECK_EQ_STR(val(CALL("greatest", COL("a"), N()), 2), "NULL");
    CHECK_EQ_STR(val(CALL("least", COL("s"), T("Z")), 0), "Hello");
    CHECK_EQ_STR(val(CALL("coalesce", N(), COL("a"), I(0)), 0), "7");
    CHECK_EQ_STR(val(CALL("coalesce", N(), COL("a"), I(0)), 2), "0");
    CHECK_EQ_STR(val(CALL("nullif", COL("a"), I(7)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("nullif", COL("a"), I(7)), 1), "-7");
    teardown();
}

TEST(text_functions)
{
    setup();
    CHECK_EQ_STR(val(CALL("lower", COL("s")), 0), "hello");
    CHECK_EQ_STR(val(CALL("upper", COL("s")), 1), "WORLD");
    CHECK_EQ_STR(val(CALL("upper", COL("s")), 2), "NULL");
    CHECK_EQ_STR(val(CALL("length", T("h\xc3\xa9llo")), 0), "5"); /* characters */
    CHECK_EQ_STR(val(CALL("length", COL("s")), 2), "NULL");
    CHECK_EQ_STR(val(CALL("substr", T("hello"), I(0), I(3)), 0), "he");
    CHECK_EQ_STR(val(CALL("substr", T("hello"), I(2)), 0), "ello");
    CHECK_EQ_STR(val(CALL("substr", T("hello"), I(4), I(100)), 0), "lo");
    CHECK_EQ_STR(val(CALL("substr", T("hello"), I(9)), 0), "");
    CHECK_EQ_STR(val(CALL("substr", T("h\xc3\xa9llo"), I(2), I(1)), 0), "\xc3\xa9");
    CHECK_EQ_STR(val(CALL("substr", T("hello"), I(1), I(-1)), 0), "NULL");
    CHECK_EQ_STR(val(CALL("trim", COL("s")), 3), "ab_c%");
    CHECK_EQ_STR(val(CALL("concat", T("a"), N(), I(1), COL("s")), 0), "a1Hello");
    CHECK_EQ_STR(val(CALL("concat", T("a"), N(), I(1), COL("s")), 2), "a1");
    CHECK_EQ_STR(val(CALL("concat", COL("s"), COL("s")), 1), "worldworld");
    teardown();
}

TEST(time_functions)
{
    setup();
    CHECK_EQ_STR(val(CALL("date_trunc", T("hour"), COL("t")), 0), "2024-05-01T12:00:00.000Z");
    CHECK_EQ_STR(val(CALL("date_trunc", T("minute"), COL("t")), 0), "2024-05-01T12:34:00.000Z");
    CHECK_EQ_STR(val(CALL("date_trunc", T("day"), COL("t")), 1), "1969-12-31T00:00:00.000Z");
    CHECK_EQ_STR(val(CALL("date_trunc", T("day"), COL("t")), 2), "NULL");
    CHECK_EQ_STR(val(CALL("extract", T("year"), COL("t")), 0), "2024");
    CHECK_EQ_STR(val(CALL("extract", T("month"), COL("t")), 0), "5");
    CHECK_EQ_STR(val(CALL("extract", T("day"), COL("t")), 1), "31");
    CHECK_EQ_STR(val(CALL("extract", T("hour"), COL("t")), 1), "23");
    CHECK_EQ_STR(val(CALL("extract", T("minute"), COL("t")), 0), "34");
    CHECK_EQ_STR(val(CALL("extract", T("second"), COL("t")), 0), "56.5");
    CHECK_EQ_STR(val(CALL("extract", T("epoch"), COL("t")), 1), "-60");
    CHECK_EQ_STR(val(CALL("to_timestamp", I(86400)), 0), "1970-01-02T00:00:00.000Z");
    CHECK_EQ_STR(val(CALL("to_timestamp", D(1e300)), 0), "NULL");
    CHECK_EQ_STR(val(em_expr_call(&A, "now", 0, NULL), 3), "2030-01-01T00:00:00.000Z");
    teardown();
}

TEST(filter_with_selection)
{
    setup();
    uint32_t sel[] = {0, 1, 3};
    BT->sel = sel;
    BT->nsel = 3;
    em_expr *p = CALL(">", COL("a"), I(0)); /* fast path */
    CHECK_EQ_INT(em_expr_bind(p, S, NULL), 0);
    CHECK_EQ_INT(em_expr_filter(p, BT, &CX), 0);
    CHECK_EQ_INT(BT->nsel, 2);
    CHECK_EQ_INT(BT->sel[0], 0);
    CHECK_EQ_INT(BT->sel[1], 3);
    CHECK_EQ_INT(sel[1], 1); /* old selection untouched */
    em_expr *q = CALL("like", COL("s"), T("%c%")); /* general path */
    CHECK_EQ_INT(em_expr_bind(q, S, NULL), 0);
    CHECK_EQ_INT(em_expr_filter(q, BT, &CX), 0);
    CHECK_EQ_INT(BT->nsel, 1);
    CHECK_EQ_INT(BT->sel[0], 3);
    BT->sel = NULL;
    BT->nsel = BT->nrows;
    em_expr *r = CALL("<", COL("b"), D(1.0)); /* NULL row 2 dropped */
    CHECK_EQ_INT(em_expr_bind(r, S, NULL), 0);
    CHECK_EQ_INT(em_expr_filter(r, BT, &CX), 0);
    CHECK_EQ_INT(BT->nsel, 2);
    CHECK_EQ_INT(BT->sel[0], 1);
    CHECK_EQ_INT(BT->sel[1], 3);
    em_expr *nb = CALL("+", COL("a"), I(1));
    CHECK_EQ_INT(em_expr_bind(nb, S, NULL), 0);
    CHECK_EQ_INT(em_expr_filter(nb, BT, &CX), EM_ETYPE);
    teardown();
}

/* The one-pass filter for `col <op> literal` agrees with the general path
 * (the same predicate AND TRUE) on 3000 rows with NULLs and a selection. */
TEST(filter_fast_path_matches_general)
{
    const char *names[] = {"x", "y"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE};
    static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
    em_arena_init(&A, 0);
    S = em_schema_create(2, names, types);
    em_batch_builder bb;
    em_batch_builder_init(&bb, S, 3000, &A);
    srand(7);
    for (int i = 0; i < 3000; i++) {
        if (rand() % 10)
            em_batch_builder_set_i64(&bb, 0, rand() % 20 - 10);
        if (rand() % 10)
            em_batch_builder_set_f64(&bb, 1, (rand() % 200 - 100) / 10.0);
        em_batch_builder_end_row(&bb);
    }
    BT = em_batch_builder_finish(&bb);
    CX.arena = &A;
    uint32_t *base = em_arena_alloc(&A, 3000 * sizeof *base), nbase = 0;
    for (uint32_t i = 0; i < 3000; i++)
        if (i % 3)
            base[nbase++] = i;
    for (int col = 0; col < 2; col++) {
        for (int o = 0; o < 6; o++) {
            em_expr *lit = col ? D(0.5) : I(3);
            em_expr *fast = CALL(ops[o], COL(names[col]), lit);
            lit = col ? I(0) : I(3); /* BIGINT literal folded to DOUBLE */
            em_expr *fast2 = CALL(ops[o], COL(names[col]), lit);
            em_expr *gen = CALL("and", CALL(ops[o], COL(names[col]), col ? D(0.5) : I(3)), BO(1));
            em_expr *gen2 = CALL("and", CALL(ops[o], COL(names[col]), I(col ? 0 : 3)), BO(1));
            em_expr *fs[] = {fast, gen, fast2, gen2};
            uint32_t *res[4], nres[4];
            for (int k = 0; k < 4; k++) {
                BT->sel = base;
                BT->nsel = nbase;
                CHECK_EQ_INT(em_expr_bind(fs[k], S, NULL), 0);
                CHECK_EQ_INT(em_expr_filter(fs[k], BT, &CX), 0);
                res[k] = BT->sel;
                nres[k] = BT->nsel;
            }
            for (int k = 0; k < 4; k += 2) {
                CHECK_EQ_INT(nres[k], nres[k + 1]);
                CHECK(nres[k] > 0 && nres[k] < nbase);
                CHECK(memcmp(res[k], res[k + 1], nres[k] * sizeof(uint32_t)) == 0);
            }
        }
        /* BETWEEN with literal bounds (one pass) against its general
         * kernel (reached through `(x BETWEEN lo AND hi) = TRUE`), bounds
         * included, dense and over a selection */
        for (int dense = 0; dense < 2; dense++) {
            em_expr *fast = CALL("between", COL(names[col]), col ? D(-2.5) : I(-3), col ? I(2) : I(3));
            em_expr *gen = CALL("=", CALL("between", COL(names[col]), col ? D(-2.5) : I(-3),
                                          col ? I(2) : I(3)),
                                BO(1));
            em_expr *fs[] = {fast, gen};
            uint32_t *res[2], nres[2];
            for (int k = 0; k < 2; k++) {
                BT->sel = dense ? NULL : base;
                BT->nsel = dense ? BT->nrows : nbase;
                CHECK_EQ_INT(em_expr_bind(fs[k], S, NULL), 0);
                CHECK_EQ_INT(em_expr_filter(fs[k], BT, &CX), 0);
                res[k] = BT->sel;
                nres[k] = BT->nsel;
            }
            CHECK_EQ_INT(nres[0], nres[1]);
            CHECK(nres[0] > 0 && nres[0] < (dense ? BT->nrows : nbase));
            CHECK(memcmp(res[0], res[1], nres[0] * sizeof(uint32_t)) == 0);
            uint32_t at_bound = 0; /* the bounds themselves are in */
            for (uint32_t i = 0; i < nres[0]; i++)
                at_bound += col ? BT->cols[1].v.f64[res[0][i]] == 2.0
                                : BT->cols[0].v.i64[res[0][i]] == 3;
            CHECK(at_bound > 0);
        }
    }
    teardown();
}

/* `text OP 'literal'` (compared in place) agrees with the same comparison
 * against a computed value ('' || literal, the general kernel), as a filter
 * and as a value, for both sides, with NULLs, a selection, and values and
 * literals around the 4/8/16-byte steps of the inlined compare. */
TEST(text_literal_compare_matches_general)
{
    const char *names[] = {"s"};
    em_type types[] = {EM_TYPE_TEXT};
    static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
    static const char *const lits[] = {"",
                                       "ab",
                                       "abab",
                                       "view",
                                       "ababababa",
                                       "abababababababab",
                                       "abababababababababababababababababab",
                                       "ababababababababababababababababab b"};
    em_arena_init(&A, 0);
    S = em_schema_create(1, names, types);
    em_batch_builder bb;
    em_batch_builder_init(&bb, S, 3000, &A);
    srand(11);
    for (int i = 0; i < 3000; i++) {
        if (rand() % 10) {
            /* mostly prefixes of the literals' alphabet, some changed bytes */
            char v[40];
            int n = rand() % 40;
            for (int k = 0; k < n; k++)
                v[k] = "ab"[k & 1];
            if (n && rand() % 3 == 0)
                v[rand() % n] = (char)('a' + rand() % 26);
            em_batch_builder_set_text(&bb, 0, v, (size_t)n);
        }
        em_batch_builder_end_row(&bb);
    }
    BT = em_batch_builder_finish(&bb);
    CX.arena = &A;
    uint32_t *base = em_arena_alloc(&A, 3000 * sizeof *base), nbase = 0;
    for (uint32_t i = 0; i < 3000; i++)
        if (i % 3)
            base[nbase++] = i;
    int bad = 0, hits = 0;
    for (size_t li = 0; li < sizeof lits / sizeof lits[0]; li++) {
        for (int o = 0; o < 6; o++) {
            for (int left = 0; left < 2; left++) {
                em_expr *lit = T(lits[li]), *gen = CALL("||", T(""), T(lits[li]));
                em_expr *fast = left ? CALL(ops[o], lit, COL("s")) : CALL(ops[o], COL("s"), lit);
                em_expr *slow = left ? CALL(ops[o], gen, COL("s")) : CALL(ops[o], COL("s"), gen);
                CHECK_EQ_INT(em_expr_bind(fast, S, NULL), 0);
                CHECK_EQ_INT(em_expr_bind(slow, S, NULL), 0);
                /* as values, over the selection */
                BT->sel = base;
                BT->nsel = nbase;
                em_column fc, sc;
                CHECK_EQ_INT(em_expr_eval(fast, BT, &CX, &fc), 0);
                CHECK_EQ_INT(em_expr_eval(slow, BT, &CX, &sc), 0);
                CHECK_EQ_INT(fc.type, EM_TYPE_BOOLEAN);
                for (uint32_t k = 0; k < nbase; k++) {
                    uint32_t r = base[k];
                    int fn = em_column_is_null(&fc, r), sn = em_column_is_null(&sc, r);
                    bad += fn != sn || (!fn && fc.v.b[r] != sc.v.b[r]);
                }
                /* as filters */
                uint32_t *res[2], nres[2];
                em_expr *fs[] = {fast, slow};
                for (int k = 0; k < 2; k++) {
                    BT->sel = base;
                    BT->nsel = nbase;
                    CHECK_EQ_INT(em_expr_filter(fs[k], BT, &CX), 0);
                    res[k] = BT->sel;
                    nres[k] = BT->nsel;
                }
                bad += nres[0] != nres[1] ||
                       memcmp(res[0], res[1], nres[0] * sizeof(uint32_t)) != 0;
                hits += nres[0] > 0 && nres[0] < nbase;
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(hits > 40); /* the cases select some rows and not others */
    teardown();
}

TEST(column_index_aliases_input)
{
    setup();
    em_expr *e = em_expr_column_index(&A, 2, EM_TYPE_TEXT);
    em_column c;
    CHECK_EQ_INT(em_expr_bind(e, S, NULL), 0);
    CHECK_EQ_INT(em_expr_eval(e, BT, &CX, &c), 0);
    CHECK(c.v.ptr == BT->cols[2].v.ptr && c.data == BT->cols[2].data); /* zero copy */
    CHECK_EQ_STR(val(CALL("upper", em_expr_column_index(&A, 2, EM_TYPE_TEXT)), 0), "HELLO");
    em_expr *unbound = CALL("+", I(1), I(2));
    CHECK_EQ_INT(em_expr_eval(unbound, BT, &CX, &c), EM_ESTATE);
    CHECK(em_expr_call(&A, "+", 2, (em_expr *[]){I(1), NULL}) == NULL);
    teardown();
}

TEST(bind_errors)
{
    setup();
    em_errbuf eb;
    em_errbuf_clear(&eb);
    CHECK_EQ_INT(em_expr_bind(CALL("+", COL("nope"), I(1)), S, &eb), EM_ENOTFOUND);
    CHECK(strstr(eb.msg, "nope") != NULL);
    CHECK_EQ_INT(em_expr_bind(CALL("+", COL("s"), I(1)), S, &eb), EM_ETYPE);
    CHECK_EQ_STR(eb.msg, "no function +(TEXT, BIGINT): wrong argument types or count");
    CHECK_EQ_INT(em_expr_bind(CALL("frobnicate", I(1)), S, &eb), EM_ENOTFOUND);
    CHECK(strstr(eb.msg, "frobnicate") != NULL);
    CHECK_EQ_INT(em_expr_bind(CALL("sqrt", COL("s")), S, &eb), EM_ETYPE);
    CHECK(strstr(eb.msg, "sqrt(TEXT)") != NULL);
    CHECK_EQ_INT(em_expr_bind(CALL("=", COL("s"), COL("a")), S, &eb), EM_ETYPE);
    CHECK_EQ_INT(em_expr_bind(CALL("extract", T("week"), COL("t")), S, &eb), EM_EINVAL);
    CHECK(strstr(eb.msg, "week") != NULL);
    CHECK_EQ_INT(em_expr_bind(CALL("A", COL("A")), S, &eb), EM_ENOTFOUND);
    em_expr *ok = CALL("=", COL("A"), I(1)); /* case-insensitive column */
    CHECK_EQ_INT(em_expr_bind(ok, S, &eb), 0);
    CHECK_EQ_INT(em_expr_type(ok), EM_TYPE_BOOLEAN);
    teardown();
}

int main(void)
{
    RUN(null_logic_truth_tables);
    RUN(arithmetic);
    RUN(comparisons_mixed_types);
    RUN(like_in_between);
    RUN(case_expr);
    RUN(cast_matrix);
    RUN(math_functions);
    RUN(text_functions);
    RUN(time_functions);
    RUN(filter_with_selection);
    RUN(filter_fast_path_matches_general);
    RUN(text_literal_compare_matches_general);
    RUN(column_index_aliases_input);
    RUN(bind_errors);
    return t_done();
}
