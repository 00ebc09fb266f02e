/*
 * expr/func_arith.c - arithmetic (+ - * / %) and comparison (= <> < <= >
 * >=) kernels, for two evaluated columns and for a column against a
 * literal, which is passed as one scalar and never expanded into a column.
 *
 * Loops are written so the compiler can vectorise them: when em__dense(in)
 * holds they run over every physical row with no branch on the row (NULLs
 * come from ANDing the inputs' validity bitmaps once per batch; overflow
 * and division by zero are collected in a flag and only then turned into
 * NULLs by a second pass over the selection, which almost never runs).
 * Otherwise they visit the selected rows only. Unselected rows of a result
 * always hold initialised values: computed (dense) or zero.
 */
#include "expr/expr_int.h"

#include "ember/error.h"

#include <math.h>
#include <string.h>

/* A fixed-width result column: values left uninitialised when the kernel
 * writes every row (dense), zeroed otherwise. */
static int out_fixed(em_eval_ctx *cx, const em_batch *in, em_type t, int dense, em_column *out)
{
    if (!dense)
        return em__out_alloc(cx, in, t, 0, out);
    return em_column_alloc(out, t, in->nrows, 0, cx->arena);
}

/* ---- arithmetic ---- */

/* Runs BODY for each row (dense: all rows, else the selection) with xa, yb
 * bound to XA, YB. BODY sets res, and ovf (uint64_t 0/1) where the result
 * must be NULL; it must neither branch nor trap, so it also runs on rows
 * it will not keep. Expects dense, nrows, o, bad, rc, cx, in, out. */
#define ARITH_LOOPS(T, XA, YB, BODY)                                                               \
    do {                                                                                           \
        if (dense) {                                                                               \
            for (uint32_t r = 0; r < nrows; r++) {                                                 \
                T xa = (XA), yb = (YB), res;                                                       \
                uint64_t ovf = 0;                                                                  \
                BODY;                                                                              \
                bad |= ovf;                                                                        \
                o[r] = res;                                                                        \
            }                                                                                      \
        } else {                                                                                   \
            EM__FOREACH_ROW(in, k, r) {                                                            \
                T xa = (XA), yb = (YB), res;                                                       \
                uint64_t ovf = 0;                                                                  \
                BODY;                                                                              \
                bad |= ovf;                                                                        \
                o[r] = res;                                                                        \
            }                                                                                      \
        }                                                                                          \
        if (bad) {                                                                                 \
            EM__FOREACH_ROW(in, k, r) {                                                            \
                T xa = (XA), yb = (YB), res;                                                       \
                uint64_t ovf = 0;                                                                  \
                BODY;                                                                              \
                (void)res;                                                                         \
                if (ovf && (rc = em__set_null(cx, out, r)) != 0)                                   \
                    return rc;                                                                     \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* name: column OP column; name##_lit: column OP literal / literal OP column. */
#define ARITH_KERNEL(name, T, fld, DENSE, BODY)                                                    \
    static int name(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,          \
                    em_column *out)                                                                \
    {                                                                                              \
        int dense = DENSE(in), rc;                                                                 \
        uint32_t nrows = in->nrows;                                                                \
        uint64_t bad = 0;                                                                          \
        (void)na;                                                                                  \
        if ((rc = out_fixed(cx, in, out->type, dense, out)) != 0 ||                                \
            (rc = em__out_validity(cx, out, a, 2)) != 0)                                           \
            return rc;                                                                             \
        const T *restrict x = a[0].v.fld, *restrict y = a[1].v.fld;                                \
        T *restrict o = (T *)out->v.ptr;                                                           \
        ARITH_LOOPS(T, x[r], y[r], BODY);                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static int name##_lit(em_eval_ctx *cx, const em_column *xc, const void *litp, int lit_left,    \
                          const em_batch *in, em_column *out)                                      \
    {                                                                                              \
        int dense = DENSE(in), rc;                                                                 \
        uint32_t nrows = in->nrows;                                                                \
        uint64_t bad = 0;                                                                          \
        T l;                                                                                       \
        memcpy(&l, litp, sizeof l);                                                                \
        if ((rc = out_fixed(cx, in, out->type, dense, out)) != 0 ||                                \
            (rc = em__out_validity(cx, out, xc, 1)) != 0)                                          \
            return rc;                                                                             \
        const T *restrict x = xc->v.fld;                                                           \
        T *restrict o = (T *)out->v.ptr;                                                           \
        if (lit_left)                                                                              \
            ARITH_LOOPS(T, l, x[r], BODY);                                                         \
        else                                                                                       \
            ARITH_LOOPS(T, x[r], l, BODY);                                                         \
        return 0;                                                                                  \
    }

/* Kernels whose dense loop vectorises compute all rows unless fewer than
 * an eighth are selected: cheaper than zeroing the unselected ones. */
static inline int dense_cheap(const em_batch *in)
{
    return !in->sel || in->nsel >= in->nrows / 8;
}

/* BIGINT/TIMESTAMP/INTERVAL overflow gives NULL (PostgreSQL raises an
 * error; a stream processor must not stop on one bad record). Sums wrap in
 * unsigned arithmetic and test the sign bits, which vectorises. */
ARITH_KERNEL(add_i, int64_t, i64, dense_cheap, res = (int64_t)((uint64_t)xa + (uint64_t)yb);
             ovf = (uint64_t)((xa ^ res) & (yb ^ res)) >> 63)
ARITH_KERNEL(sub_i, int64_t, i64, dense_cheap, res = (int64_t)((uint64_t)xa - (uint64_t)yb);
             ovf = (uint64_t)((xa ^ yb) & (xa ^ res)) >> 63)
ARITH_KERNEL(mul_i, int64_t, i64, em__dense, ovf = (uint64_t)__builtin_mul_overflow(xa, yb, &res))
/* Division by zero and INT64_MIN / -1 give NULL; the divisor is replaced by
 * 1 on those rows so the division itself never traps. */
ARITH_KERNEL(div_i, int64_t, i64, em__dense,
             ovf = (uint64_t)((yb == 0) | ((xa == INT64_MIN) & (yb == -1)));
             res = xa / (ovf ? 1 : yb))
ARITH_KERNEL(mod_i, int64_t, i64, em__dense, ovf = (uint64_t)(yb == 0);
             res = yb == -1 ? 0 : xa % (((yb == 0) | (yb == -1)) ? 1 : yb))
ARITH_KERNEL(add_d, double, f64, dense_cheap, res = xa + yb)
ARITH_KERNEL(sub_d, double, f64, dense_cheap, res = xa - yb)
ARITH_KERNEL(mul_d, double, f64, dense_cheap, res = xa * yb)
ARITH_KERNEL(div_d, double, f64, dense_cheap, ovf = (uint64_t)(yb == 0.0);
             res = xa / (ovf ? 1.0 : yb))
ARITH_KERNEL(mod_d, double, f64, em__dense, ovf = (uint64_t)(yb == 0.0);
             res = fmod(xa, ovf ? 1.0 : yb))

/* Division by a constant as a multiply-high and shifts (Hacker's Delight
 * 10-1, signed): computes the magic multiplier and shift for divisor d,
 * 2 <= |d|, d != INT64_MIN. A hardware 64-bit division costs tens of
 * cycles; this is a few. */
static void div_magic(int64_t d, int64_t *mul, int *shift)
{
    const uint64_t two63 = UINT64_C(1) << 63;
    uint64_t ad = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
    uint64_t t = two63 + ((uint64_t)d >> 63), anc = t - 1 - t % ad;
    uint64_t q1 = two63 / anc, r1 = two63 - q1 * anc;
    uint64_t q2 = two63 / ad, r2 = two63 - q2 * ad, delta;
    int p = 63;
    do {
        p++;
        q1 *= 2;
        r1 *= 2;
        if (r1 >= anc) {
            q1++;
            r1 -= anc;
        }
        q2 *= 2;
        r2 *= 2;
        if (r2 >= ad) {
            q2++;
            r2 -= ad;
        }
        delta = ad - r2;
    } while (q1 < delta || (q1 == delta && r1 == 0));
    *mul = (int64_t)(d < 0 ? 0 - (q2 + 1) : q2 + 1);
    *shift = p - 64;
}

/* column / literal: by magic multiplication when the literal allows (the
 * result then never overflows), else the general kernel. */
static int div_i_lit_magic(em_eval_ctx *cx, const em_column *xc, const void *litp, int lit_left,
                           const em_batch *in, em_column *out)
{
    int64_t d, m;
    int s, dense = em__dense(in), rc;
    memcpy(&d, litp, sizeof d);
    if (lit_left || d == 0 || d == 1 || d == -1 || d == INT64_MIN)
        return div_i_lit(cx, xc, litp, lit_left, in, out);
    if ((rc = out_fixed(cx, in, out->type, dense, out)) != 0 ||
        (rc = em__out_validity(cx, out, xc, 1)) != 0)
        return rc;
    div_magic(d, &m, &s);
    /* the multiplier's sign may differ from d's: correct by +-x */
    int64_t add = d > 0 && m < 0 ? -1 : 0, sub = d < 0 && m > 0 ? -1 : 0;
    const int64_t *restrict x = xc->v.i64;
    int64_t *restrict o = out->v.i64;
#define MAGIC_DIV(r)                                                                               \
    do {                                                                                           \
        int64_t n_ = x[r], q_ = (int64_t)(((__int128)m * n_) >> 64);                               \
        q_ = (int64_t)((uint64_t)q_ + ((uint64_t)n_ & (uint64_t)add) -                             \
                       ((uint64_t)n_ & (uint64_t)sub));                                            \
        q_ >>= s;                                                                                  \
        o[r] = q_ + (int64_t)((uint64_t)q_ >> 63);                                                 \
    } while (0)
    if (dense)
        for (uint32_t r = 0, n = in->nrows; r < n; r++)
            MAGIC_DIV(r);
    else
        EM__FOREACH_ROW(in, k, r) MAGIC_DIV(r);
#undef MAGIC_DIV
    return 0;
}

/* ---- comparison ---- */

#define CMP_LOOPS(EXPR)                                                                            \
    do {                                                                                           \
        if (dense)                                                                                 \
            for (uint32_t r = 0; r < nrows; r++)                                                   \
                o[r] = (uint8_t)(EXPR);                                                            \
        else                                                                                       \
            EM__FOREACH_ROW(in, k, r) o[r] = (uint8_t)(EXPR);                                      \
    } while (0)

static int is_i64(em_type t)
{
    return t == EM_TYPE_BIGINT || t == EM_TYPE_TIMESTAMP || t == EM_TYPE_INTERVAL;
}

/* Allocates a BOOLEAN result; an untyped NULL comparison is NULL on every
 * selected row (*done set). */
static int cmp_out(em_eval_ctx *cx, const em_batch *in, const em_column *a, uint32_t n,
                   int dense, em_column *out, int *done)
{
    int rc = out_fixed(cx, in, EM_TYPE_BOOLEAN, dense, out);
    *done = 0;
    if (rc)
        return rc;
    if (a[0].type == EM_TYPE_NULL) {
        *done = 1;
        EM__FOREACH_ROW(in, k, r) if ((rc = em__set_null(cx, out, r)) != 0) return rc;
        return 0;
    }
    return em__out_validity(cx, out, a, n);
}

#define CMP_KERNEL(name, OP)                                                                       \
    static int name(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,          \
                    em_column *out)                                                                \
    {                                                                                              \
        em_type t = a[0].type;                                                                     \
        int dense = (t == EM_TYPE_DOUBLE || is_i64(t)) && em__dense(in), done;                     \
        uint32_t nrows = in->nrows;                                                                \
        (void)na;                                                                                  \
        int rc = cmp_out(cx, in, a, 2, dense, out, &done);                                         \
        if (rc || done)                                                                            \
            return rc;                                                                             \
        uint8_t *restrict o = out->v.b;                                                            \
        if (t == EM_TYPE_DOUBLE) {                                                                 \
            const double *restrict x = a[0].v.f64, *restrict y = a[1].v.f64;                       \
            CMP_LOOPS(x[r] OP y[r]);                                                               \
        } else if (is_i64(t)) {                                                                    \
            const int64_t *restrict x = a[0].v.i64, *restrict y = a[1].v.i64;                      \
            CMP_LOOPS(x[r] OP y[r]);                                                               \
        } else {                                                                                   \
            EM__FOREACH_ROW(in, k, r) o[r] = em__cmp_rows(&a[0], r, &a[1], r) OP 0;                \
        }                                                                                          \
        return 0;                                                                                  \
    }                                                                                              \
    static int name##_lit(em_eval_ctx *cx, const em_column *xc, const void *litp, int lit_left,    \
                          const em_batch *in, em_column *out)                                      \
    {                                                                                              \
        int dense = em__dense(in), done;                                                           \
        uint32_t nrows = in->nrows;                                                                \
        int rc = cmp_out(cx, in, xc, 1, dense, out, &done);                                        \
        if (rc || done)                                                                            \
            return rc;                                                                             \
        uint8_t *restrict o = out->v.b;                                                            \
        if (xc->type == EM_TYPE_DOUBLE) {                                                          \
            const double *restrict x = xc->v.f64;                                                  \
            double l;                                                                              \
            memcpy(&l, litp, sizeof l);                                                            \
            if (lit_left)                                                                          \
                CMP_LOOPS(l OP x[r]);                                                              \
            else                                                                                   \
                CMP_LOOPS(x[r] OP l);                                                              \
        } else {                                                                                   \
            const int64_t *restrict x = xc->v.i64;                                                 \
            int64_t l;                                                                             \
            memcpy(&l, litp, sizeof l);                                                            \
            if (lit_left)                                                                          \
                CMP_LOOPS(l OP x[r]);                                                              \
            else                                                                                   \
                CMP_LOOPS(x[r] OP l);                                                              \
        }                                                                                          \
        return 0;                                                                                  \
    }

CMP_KERNEL(eq_k, ==)
CMP_KERNEL(ne_k, !=)
CMP_KERNEL(lt_k, <)
CMP_KERNEL(le_k, <=)
CMP_KERNEL(gt_k, >)
CMP_KERNEL(ge_k, >=)

#define B EM_TYPE_BOOLEAN
#define I EM_TYPE_BIGINT
#define D EM_TYPE_DOUBLE
#define TS EM_TYPE_TIMESTAMP
#define IV EM_TYPE_INTERVAL
#define ANY EM__T_ANY

const em_func_def em__funcs_arith[] = {
    {"+", 2, 2, {I, I}, I, add_i},
    {"+", 2, 2, {D, D}, D, add_d},
    {"+", 2, 2, {TS, IV}, TS, add_i},
    {"+", 2, 2, {IV, TS}, TS, add_i},
    {"+", 2, 2, {IV, IV}, IV, add_i},
    {"-", 2, 2, {I, I}, I, sub_i},
    {"-", 2, 2, {D, D}, D, sub_d},
    {"-", 2, 2, {TS, IV}, TS, sub_i},
    {"-", 2, 2, {TS, TS}, IV, sub_i},
    {"-", 2, 2, {IV, IV}, IV, sub_i},
    {"*", 2, 2, {I, I}, I, mul_i},
    {"*", 2, 2, {D, D}, D, mul_d},
    {"*", 2, 2, {IV, I}, IV, mul_i},
    {"*", 2, 2, {I, IV}, IV, mul_i},
    {"/", 2, 2, {I, I}, I, div_i},
    {"/", 2, 2, {D, D}, D, div_d},
    {"/", 2, 2, {IV, I}, IV, div_i},
    {"%", 2, 2, {I, I}, I, mod_i},
    {"%", 2, 2, {D, D}, D, mod_d},
    {"=", 2, 2, {ANY, ANY}, B, eq_k},
    {"<>", 2, 2, {ANY, ANY}, B, ne_k},
    {"!=", 2, 2, {ANY, ANY}, B, ne_k},
    {"<", 2, 2, {ANY, ANY}, B, lt_k},
    {"<=", 2, 2, {ANY, ANY}, B, le_k},
    {">", 2, 2, {ANY, ANY}, B, gt_k},
    {">=", 2, 2, {ANY, ANY}, B, ge_k},
    {NULL, 0, 0, {0}, 0, NULL},
};

/* The lit kernels of comparisons accept only BIGINT-like and DOUBLE
 * operands; em_expr_eval checks the literal's type before using them. */
em_lit_kernel_fn em__lit_kernel(em_kernel_fn fn)
{
    static const struct {
        em_kernel_fn fn;
        em_lit_kernel_fn lit;
    } map[] = {
        {add_i, add_i_lit},
        {add_d, add_d_lit},
        {sub_i, sub_i_lit},
        {sub_d, sub_d_lit},
        {mul_i, mul_i_lit},
        {mul_d, mul_d_lit},
        {div_i, div_i_lit_magic},
        {div_d, div_d_lit},
        {mod_i, mod_i_lit},
        {mod_d, mod_d_lit},
        {eq_k, eq_k_lit},
        {ne_k, ne_k_lit},
        {lt_k, lt_k_lit},
        {le_k, le_k_lit},
        {gt_k, gt_k_lit},
        {ge_k, ge_k_lit},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].fn == fn)
            return map[i].lit;
    return NULL;
}
