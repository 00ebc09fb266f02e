/*
 * expr/eval.c - evaluation of bound expressions over a batch's selected
 * rows, and em_expr_filter.
 *
 * Work is narrowed to the rows that still matter: AND/OR evaluate their
 * right side only over the rows their left side left undecided, CASE
 * evaluates each THEN/ELSE branch only over the rows that reach it, and a
 * filter applies `a AND b` as a then b over a's survivors. A narrowed
 * evaluation is the same kernels run on a shallow copy of the batch whose
 * selection vector is smaller (allocated from the batch arena).
 * `x OP literal` calls use the kernels of func_arith.c that take the
 * literal as a scalar; a filter on such a comparison writes the selection
 * straight from the values, without a BOOLEAN column. `text OP 'literal'`
 * is compared in place here (text_lit_eval), the same two ways.
 */
#include "expr/expr_int.h"

#include "ember/error.h"

#include <string.h>

static uint32_t *alloc_sel(em_eval_ctx *cx, uint32_t n)
{
    return em_arena_alloc(cx->arena, (n ? n : 1) * sizeof(uint32_t));
}

/* in restricted to the rows sel[0..n) (a subset of in's selection). */
static em_batch narrowed(const em_batch *in, uint32_t *sel, uint32_t n)
{
    em_batch b = *in;
    b.sel = sel;
    b.nsel = n;
    return b;
}

static int eval_lit(const em_expr *e, const em_batch *in, em_eval_ctx *cx, em_column *out)
{
    uint32_t n = in->nrows;
    if (e->type == EM_TYPE_TEXT && e->text_len * n > INT32_MAX)
        return EM_ELIMIT;
    int rc = em__out_alloc(cx, in, e->type == EM_TYPE_NULL ? EM_TYPE_BOOLEAN : e->type,
                           e->type == EM_TYPE_TEXT ? (uint32_t)(e->text_len * n) : 0, out);
    if (rc)
        return rc;
    if (e->null_lit) {
        out->type = e->type;
        out->validity = em_arena_calloc(cx->arena, em_bitmap_bytes(n) + 1, 1);
        if (!out->validity)
            return EM_ENOMEM;
        out->null_count = n;
        return 0;
    }
    for (uint32_t r = 0; r < n; r++) {
        switch (e->type) {
        case EM_TYPE_BOOLEAN: out->v.b[r] = (uint8_t)e->lit.b; break;
        case EM_TYPE_DOUBLE: out->v.f64[r] = e->lit.d; break;
        case EM_TYPE_TEXT:
            memcpy(out->data + (size_t)r * e->text_len, e->text, e->text_len);
            out->v.off[r + 1] = (int32_t)((size_t)(r + 1) * e->text_len);
            break;
        default: out->v.i64[r] = e->lit.i; break;
        }
    }
    if (e->type == EM_TYPE_TEXT)
        out->data_len = (uint32_t)(e->text_len * n);
    return 0;
}

/* ---- AND / OR (three-valued: 0 false, 1 true, 2 unknown) ---- */

static inline int tv(const em_column *c, uint32_t r)
{
    return c->type == EM_TYPE_NULL || em_column_is_null(c, r) ? 2 : c->v.b[r] != 0;
}

/* o = x AND y (x OR y) over n rows of NULL-free BOOLEAN values. Kept out
 * of line: inlined, GCC loses the restrict qualifiers and (at -O2's cheap
 * cost model) no longer vectorises the loops. */
__attribute__((noinline)) static void and_or_dense(uint8_t *restrict o, const uint8_t *restrict x,
                                                   const uint8_t *restrict y, uint32_t n,
                                                   int is_and)
{
    if (is_and)
        for (uint32_t r = 0; r < n; r++)
            o[r] = (uint8_t)((x[r] & y[r]) != 0);
    else
        for (uint32_t r = 0; r < n; r++)
            o[r] = (uint8_t)((x[r] | y[r]) != 0);
}

/* The left side decides a row when it is FALSE (AND) or TRUE (OR); the
 * right side is evaluated over the other rows only. */
static int eval_logic(const em_expr *e, const em_batch *in, em_eval_ctx *cx, em_column *out)
{
    int is_and = e->opk == OPK_AND, decide = is_and ? 0 : 1;
    uint32_t cnt = em_batch_count(in), nr = 0, nrows = in->nrows;
    em_column x, y;
    int rc = em_expr_eval(e->args[0], in, cx, &x);
    if (rc)
        return rc;
    uint32_t *rest = alloc_sel(cx, cnt);
    if (!rest)
        return EM_ENOMEM;
    EM__FOREACH_ROW(in, k, r) {
        rest[nr] = r;
        nr += (uint32_t)(tv(&x, r) != decide);
    }
    if (nr) {
        em_batch sub = narrowed(in, rest, nr);
        if ((rc = em_expr_eval(e->args[1], nr == cnt ? in : &sub, cx, &y)) != 0)
            return rc;
    }
    int dense = em__dense(in);
    rc = dense ? em_column_alloc(out, EM_TYPE_BOOLEAN, nrows, 0, cx->arena)
               : em__out_alloc(cx, in, EM_TYPE_BOOLEAN, 0, out);
    if (rc)
        return rc;
    uint8_t *restrict o = out->v.b;
    if (!nr) {
        if (dense)
            memset(o, decide, nrows);
        else
            EM__FOREACH_ROW(in, k, r) o[r] = (uint8_t)decide;
        return 0;
    }
    if (x.type == EM_TYPE_BOOLEAN && y.type == EM_TYPE_BOOLEAN && !x.validity && !y.validity) {
        /* no NULLs: plain & / |; where the right side was not evaluated its
         * value is initialised and the left side's value decides */
        const uint8_t *xv = x.v.b, *yv = y.v.b;
        if (dense)
            and_or_dense(o, xv, yv, nrows, is_and);
        else
            EM__FOREACH_ROW(in, k, r) o[r] = (uint8_t)(is_and ? xv[r] && yv[r] : xv[r] || yv[r]);
        return 0;
    }
    if (dense)
        memset(o, 0, nrows);
    EM__FOREACH_ROW(in, k, r) {
        int a = tv(&x, r), v;
        if (a == decide) {
            v = decide;
        } else {
            int b = tv(&y, r);
            if (is_and)
                v = b == 0 ? 0 : (a == 2 || b == 2) ? 2 : 1;
            else
                v = b == 1 ? 1 : (a == 2 || b == 2) ? 2 : 0;
        }
        if (v == 2)
            rc = em__set_null(cx, out, r);
        else
            o[r] = (uint8_t)v;
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- CASE ---- */

/* Each WHEN is evaluated over the rows no earlier WHEN matched, each THEN
 * over the rows its WHEN matched, ELSE over the rest; then the result is
 * assembled in ascending row order (TEXT results must be appended so). */
static int eval_case(const em_expr *e, const em_batch *in, em_eval_ctx *cx, em_column *out)
{
    uint32_t cnt = em_batch_count(in), nb = e->nwhen + 1, none = nb;
    int has_else = e->nargs > 2 * e->nwhen;
    em_type t = e->type == EM_TYPE_NULL ? EM_TYPE_BOOLEAN : e->type;
    em_column *v = em_arena_calloc(cx->arena, nb, sizeof *v);
    uint32_t *which = alloc_sel(cx, in->nrows);
    uint32_t *open[2] = {alloc_sel(cx, cnt), alloc_sel(cx, cnt)}, *hit = alloc_sel(cx, cnt);
    int rc = 0;
    if (!v || !which || !open[0] || !open[1] || !hit)
        return EM_ENOMEM;
    em_batch cur = *in;
    for (uint32_t w = 0; w < e->nwhen && em_batch_count(&cur) && e->type != EM_TYPE_NULL; w++) {
        em_column c;
        uint32_t nh = 0, nn = 0, *next = open[w & 1];
        if ((rc = em_expr_eval(e->args[w], &cur, cx, &c)) != 0)
            return rc;
        EM__FOREACH_ROW(&cur, k, r) {
            uint32_t m = (uint32_t)(tv(&c, r) == 1);
            hit[nh] = r;
            next[nn] = r;
            nh += m;
            nn += 1 - m;
        }
        if (nh) {
            em_batch hb = narrowed(in, hit, nh);
            if ((rc = em_expr_eval(e->args[e->nwhen + w], &hb, cx, &v[w])) != 0)
                return rc;
            for (uint32_t k = 0; k < nh; k++)
                which[hit[k]] = w;
        }
        cur = narrowed(in, next, nn);
    }
    if (e->type == EM_TYPE_NULL) {
        cur = *in;
    } else if (has_else && em_batch_count(&cur)) {
        if ((rc = em_expr_eval(e->args[2 * e->nwhen], &cur, cx, &v[e->nwhen])) != 0)
            return rc;
    }
    EM__FOREACH_ROW(&cur, k, r) which[r] = has_else && e->type != EM_TYPE_NULL ? e->nwhen : none;
    uint32_t cap = 0;
    if (t == EM_TYPE_TEXT)
        for (uint32_t i = 0; i < nb; i++)
            cap += v[i].data_len;
    if ((rc = em__out_alloc(cx, in, t, cap, out)) != 0)
        return rc;
    em_text_out to;
    if (t == EM_TYPE_TEXT)
        em__text_begin(&to, out);
    size_t wd = em_type_width(t);
    EM__FOREACH_ROW(in, k, r) {
        const em_column *src = which[r] < nb ? &v[which[r]] : NULL;
        if (!src || em_column_is_null(src, r)) {
            rc = t == EM_TYPE_TEXT ? em__text_null(cx, &to, r) : em__set_null(cx, out, r);
        } else if (t == EM_TYPE_TEXT) {
            em_slice s = em_column_text(src, r);
            rc = em__text_put(cx, &to, r, s.ptr, s.len);
        } else if (wd == 8) {
            out->v.i64[r] = src->v.i64[r];
        } else {
            out->v.b[r] = src->v.b[r];
        }
        if (rc)
            return rc;
    }
    if (t == EM_TYPE_TEXT)
        em__text_finish(&to);
    out->type = e->type;
    return 0;
}

/* ---- TEXT column OP TEXT literal ---- */

/* The literal's index (0 or 1) when e is `x OP 'text'` or `'text' OP x`
 * with x TEXT, else -1. Such comparisons are done in place: for = and <>
 * a length check and an inlined byte compare per row, never expanding the
 * literal into a column or calling memcmp. */
static int text_lit_arg(const em_expr *e)
{
    if (e->kind != EX_CALL || e->opk != OPK_CMP || e->nargs != 2)
        return -1;
    for (int i = 0; i < 2; i++) {
        const em_expr *l = e->args[i], *x = e->args[!i];
        if (l->kind == EX_LIT && !l->null_lit && l->type == EM_TYPE_TEXT &&
            x->type == EM_TYPE_TEXT)
            return i;
    }
    return -1;
}

/* Whether x OP lit holds (op as em_expr.cmp, already mirrored when the
 * literal is on the left). */
static inline int text_cmp_lit(const char *x, size_t xn, const char *l, size_t ln, int op)
{
    if (op <= 1)
        return (xn == ln && em_bytes_eq(x, l, ln)) == (op == 0);
    size_t n = xn < ln ? xn : ln;
    int c = n ? memcmp(x, l, n) : 0;
    if (!c)
        c = (xn > ln) - (xn < ln);
    switch (op) {
    case 2: return c < 0;
    case 3: return c <= 0;
    case 4: return c > 0;
    default: return c >= 0;
    }
}

/* Appends to sel (*n) the selected rows of in where e (text_lit_arg li)
 * holds and x is not NULL; if out is not NULL, instead fills it with the
 * BOOLEAN result. */
static int text_lit_eval(const em_expr *e, int li, const em_batch *in, em_eval_ctx *cx,
                         uint32_t *sel, uint32_t *n, em_column *out)
{
    static const int mirror[] = {0, 1, 4, 5, 2, 3};
    const em_expr *l = e->args[li];
    int op = li ? e->cmp : mirror[e->cmp];
    em_column x;
    int rc = em_expr_eval(e->args[!li], in, cx, &x);
    if (rc)
        return rc;
    const int32_t *off = x.v.off;
    const char *d = x.data, *lt = l->text;
    size_t ln = l->text_len;
    const uint8_t *vb = x.null_count ? x.validity : NULL;
    if (out) {
        if ((rc = em__out_alloc(cx, in, EM_TYPE_BOOLEAN, 0, out)) != 0)
            return rc;
        uint8_t *o = out->v.b;
        EM__FOREACH_ROW(in, k, r) {
            o[r] = (uint8_t)text_cmp_lit(d + off[r], (size_t)(off[r + 1] - off[r]), lt, ln, op);
        }
        return em__out_validity(cx, out, &x, 1);
    }
    uint32_t ns = 0;
    if (op == 0 && !vb) {
        EM__FOREACH_ROW(in, k, r) {
            int32_t s = off[r];
            sel[ns] = r;
            ns += (uint32_t)((size_t)(off[r + 1] - s) == ln && em_bytes_eq(d + s, lt, ln));
        }
    } else {
        EM__FOREACH_ROW(in, k, r) {
            sel[ns] = r;
            ns += (uint32_t)(text_cmp_lit(d + off[r], (size_t)(off[r + 1] - off[r]), lt, ln, op) &&
                             !(vb && !((vb[r >> 3] >> (r & 7)) & 1)));
        }
    }
    *n = ns;
    return 0;
}

int em_expr_eval(const em_expr *e, const em_batch *in, em_eval_ctx *cx, em_column *out)
{
    int rc = 0;
    switch (e->kind) {
    case EX_COL:
        if (!e->bound || e->col >= in->ncols)
            return EM_ESTATE;
        *out = in->cols[e->col]; /* zero copy alias */
        return 0;
    case EX_LIT:
        return eval_lit(e, in, cx, out);
    case EX_CASE:
        return eval_case(e, in, cx, out);
    case EX_CAST: {
        em_column x;
        if ((rc = em_expr_eval(e->args[0], in, cx, &x)) != 0)
            return rc;
        return em__cast_column(cx, &x, in, e->type, out);
    }
    case EX_CALL: {
        if (!e->def)
            return EM_ESTATE;
        if (e->opk == OPK_AND || e->opk == OPK_OR)
            return eval_logic(e, in, cx, out);
        int li = text_lit_arg(e);
        if (li >= 0) {
            rc = text_lit_eval(e, li, in, cx, NULL, NULL, out);
            out->type = e->type;
            return rc;
        }
        if (e->litk) {
            const em_expr *l = e->args[!e->lit_left];
            em_column x;
            if ((rc = em_expr_eval(e->args[e->lit_left], in, cx, &x)) != 0)
                return rc;
            memset(out, 0, sizeof *out);
            out->type = e->type;
            return e->litk(cx, &x, &l->lit, e->lit_left, in, out);
        }
        em_column *a = em_arena_calloc(cx->arena, e->nargs ? e->nargs : 1, sizeof *a);
        if (!a)
            return EM_ENOMEM;
        for (uint32_t i = 0; i < e->nargs; i++)
            if ((rc = em_expr_eval(e->args[i], in, cx, &a[i])) != 0)
                return rc;
        memset(out, 0, sizeof *out);
        out->type = e->type;
        if (!e->def->fn)
            return em__func_call_user((const em_user_func *)e->def, cx, a, e->nargs, in, out);
        return e->def->fn(cx, a, e->nargs, in, out);
    }
    }
    return EM_ESTATE;
}

/* ---- filters ---- */

/* Appends to sel (ns) the rows of in where X OP L holds and the row is not
 * NULL: branch-free, one pass, dense or over the selection. */
#define SEL_LOOP(X, OP, L)                                                                         \
    do {                                                                                           \
        if (!vb && !in->sel) {                                                                     \
            for (uint32_t r = 0; r < cnt; r++) {                                                   \
                sel[ns] = r;                                                                       \
                ns += (uint32_t)(X[r] OP L);                                                       \
            }                                                                                      \
        } else if (!vb) {                                                                          \
            for (uint32_t k = 0; k < cnt; k++) {                                                   \
                uint32_t r = in->sel[k];                                                           \
                sel[ns] = r;                                                                       \
                ns += (uint32_t)(X[r] OP L);                                                       \
            }                                                                                      \
        } else {                                                                                   \
            EM__FOREACH_ROW(in, k, r) {                                                            \
                sel[ns] = r;                                                                       \
                ns += (uint32_t)(X[r] OP L) & (uint32_t)((vb[r >> 3] >> (r & 7)) & 1);             \
            }                                                                                      \
        }                                                                                          \
    } while (0)

#define SEL_OPS(X, L)                                                                              \
    do {                                                                                           \
        switch (op) {                                                                              \
        case 0: SEL_LOOP(X, ==, L); break;                                                         \
        case 1: SEL_LOOP(X, !=, L); break;                                                         \
        case 2: SEL_LOOP(X, <, L); break;                                                          \
        case 3: SEL_LOOP(X, <=, L); break;                                                         \
        case 4: SEL_LOOP(X, >, L); break;                                                          \
        default: SEL_LOOP(X, >=, L); break;                                                        \
        }                                                                                          \
    } while (0)

/* `x OP literal` (or `literal OP x`, mirrored) straight into a selection.
 * Returns 1 if handled (rc in *rc), 0 if p is not of that shape. */
static int filter_cmp_lit(const em_expr *p, const em_batch *in, em_eval_ctx *cx, uint32_t *sel,
                          uint32_t *n, int *rc)
{
    static const int mirror[] = {0, 1, 4, 5, 2, 3};
    if (p->opk != OPK_CMP || !p->litk)
        return 0;
    const em_expr *l = p->args[!p->lit_left];
    int op = p->lit_left ? mirror[p->cmp] : p->cmp;
    em_column x;
    if ((*rc = em_expr_eval(p->args[p->lit_left], in, cx, &x)) != 0)
        return 1;
    const uint8_t *vb = x.validity;
    uint32_t cnt = em_batch_count(in), ns = 0;
    if (x.type == EM_TYPE_DOUBLE) {
        const double *restrict xv = x.v.f64;
        double lv = l->lit.d;
        SEL_OPS(xv, lv);
    } else {
        const int64_t *restrict xv = x.v.i64;
        int64_t lv = l->lit.i;
        SEL_OPS(xv, lv);
    }
    *n = ns;
    return 1;
}

/* Appends to sel (ns) the rows of in where LO <= X <= HI and the row is not
 * NULL, as SEL_LOOP. */
#define SEL_RANGE(X, LO, HI)                                                                       \
    do {                                                                                           \
        if (!vb && !in->sel) {                                                                     \
            for (uint32_t r = 0; r < cnt; r++) {                                                   \
                sel[ns] = r;                                                                       \
                ns += (uint32_t)(X[r] >= LO) & (uint32_t)(X[r] <= HI);                             \
            }                                                                                      \
        } else {                                                                                   \
            EM__FOREACH_ROW(in, k, r) {                                                            \
                sel[ns] = r;                                                                       \
                ns += (uint32_t)(X[r] >= LO) & (uint32_t)(X[r] <= HI) &                            \
                      (uint32_t)(!vb || ((vb[r >> 3] >> (r & 7)) & 1));                            \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* `x BETWEEN lo AND hi` with literal bounds (x >= lo AND x <= hi, as the
 * standard defines it) straight into a selection, in one pass. Returns 1
 * if handled (rc in *rc), 0 if p is not of that shape. */
static int filter_between_lit(const em_expr *p, const em_batch *in, em_eval_ctx *cx,
                              uint32_t *sel, uint32_t *n, int *rc)
{
    if (p->kind != EX_CALL || p->opk != OPK_BETWEEN)
        return 0;
    em_column x;
    if ((*rc = em_expr_eval(p->args[0], in, cx, &x)) != 0)
        return 1;
    const uint8_t *vb = x.validity;
    uint32_t cnt = em_batch_count(in), ns = 0;
    if (x.type == EM_TYPE_DOUBLE) {
        const double *restrict xv = x.v.f64;
        double lo = p->args[1]->lit.d, hi = p->args[2]->lit.d;
        SEL_RANGE(xv, lo, hi);
    } else {
        const int64_t *restrict xv = x.v.i64;
        int64_t lo = p->args[1]->lit.i, hi = p->args[2]->lit.i;
        SEL_RANGE(xv, lo, hi);
    }
    *n = ns;
    return 1;
}

/* Writes to sel (room for em_batch_count(in)) the rows of in where p is
 * TRUE, ascending, and their number to *n. */
static int filter_rows(const em_expr *p, const em_batch *in, em_eval_ctx *cx, uint32_t *sel,
                       uint32_t *n)
{
    uint32_t cnt = em_batch_count(in), nl = 0, nr = 0, nrr = 0;
    int rc = 0;
    if (p->kind == EX_CALL && p->opk == OPK_AND) {
        uint32_t *l = alloc_sel(cx, cnt);
        if (!l)
            return EM_ENOMEM;
        if ((rc = filter_rows(p->args[0], in, cx, l, &nl)) != 0)
            return rc;
        em_batch sub = narrowed(in, l, nl);
        *n = 0;
        return nl ? filter_rows(p->args[1], &sub, cx, sel, n) : 0;
    }
    if (p->kind == EX_CALL && p->opk == OPK_OR) {
        uint32_t *l = alloc_sel(cx, cnt), *rest = alloc_sel(cx, cnt), *rr = alloc_sel(cx, cnt);
        if (!l || !rest || !rr)
            return EM_ENOMEM;
        if ((rc = filter_rows(p->args[0], in, cx, l, &nl)) != 0)
            return rc;
        uint32_t j = 0;
        EM__FOREACH_ROW(in, k, r) {
            int taken = j < nl && l[j] == r;
            j += (uint32_t)taken;
            rest[nr] = r;
            nr += (uint32_t)!taken;
        }
        em_batch sub = narrowed(in, rest, nr);
        if (nr && (rc = filter_rows(p->args[1], &sub, cx, rr, &nrr)) != 0)
            return rc;
        uint32_t a = 0, b = 0, m = 0;
        while (a < nl || b < nrr)
            sel[m++] = b >= nrr || (a < nl && l[a] < rr[b]) ? l[a++] : rr[b++];
        *n = m;
        return 0;
    }
    if (filter_cmp_lit(p, in, cx, sel, n, &rc) || filter_between_lit(p, in, cx, sel, n, &rc))
        return rc;
    int li = text_lit_arg(p);
    if (li >= 0)
        return text_lit_eval(p, li, in, cx, sel, n, NULL);
    em_column c;
    if ((rc = em_expr_eval(p, in, cx, &c)) != 0)
        return rc;
    uint32_t ns = 0;
    if (c.type == EM_TYPE_BOOLEAN)
        EM__FOREACH_ROW(in, k, r) {
            sel[ns] = r;
            ns += (uint32_t)(!em_column_is_null(&c, r) && c.v.b[r]);
        }
    *n = ns;
    return 0;
}

int em_expr_filter(const em_expr *pred, em_batch *in, em_eval_ctx *cx)
{
    if (pred->type != EM_TYPE_BOOLEAN && pred->type != EM_TYPE_NULL)
        return EM_ETYPE;
    uint32_t ns = 0, *sel = alloc_sel(cx, em_batch_count(in));
    if (!sel)
        return EM_ENOMEM;
    int rc = filter_rows(pred, in, cx, sel, &ns);
    if (rc)
        return rc;
    in->sel = sel;
    in->nsel = ns;
    return 0;
}
