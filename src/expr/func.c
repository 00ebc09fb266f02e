/*
 * expr/func.c - the operator table and kernels for negation, three-valued
 * logic, IS NULL, LIKE, BETWEEN, IN and ||, and the result-column helpers
 * shared by all kernels.
 *
 * Kernels loop over the selection vector only; rows outside it keep
 * unspecified but initialised values. Arithmetic and comparison live in
 * func_arith.c.
 */
#include "expr/expr_int.h"

#include "ember/error.h"

#include <math.h>
#include <string.h>

/* ---- result helpers ---- */

int em__out_alloc(em_eval_ctx *cx, const em_batch *in, em_type t, uint32_t cap, em_column *out)
{
    em_type at = t == EM_TYPE_NULL ? EM_TYPE_BOOLEAN : t;
    int rc = em_column_alloc(out, at, in->nrows, cap, cx->arena);
    if (rc)
        return rc;
    if (at != EM_TYPE_TEXT)
        memset(out->v.ptr, 0, (in->nrows ? in->nrows : 1) * em_type_width(at));
    out->type = t;
    return 0;
}

uint32_t em__count_nulls(const uint8_t *bm, uint32_t n)
{
    uint32_t valid = 0;
    for (uint32_t i = 0; i < n / 8; i++)
        valid += (uint32_t)__builtin_popcount(bm[i]);
    if (n % 8)
        valid += (uint32_t)__builtin_popcount(bm[n / 8] & ((1u << (n % 8)) - 1));
    return n - valid;
}

int em__out_validity(em_eval_ctx *cx, em_column *out, const em_column *a, uint32_t n)
{
    size_t nb = em_bitmap_bytes(out->len);
    uint8_t *restrict v = NULL;
    out->validity = NULL;
    out->null_count = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *restrict x = a[i].validity;
        if (!x)
            continue;
        if (!v) {
            if (!(v = em_arena_alloc(cx->arena, nb ? nb : 1)))
                return EM_ENOMEM;
            memcpy(v, x, nb);
        } else {
            for (size_t k = 0; k < nb; k++)
                v[k] &= x[k];
        }
    }
    if (v) {
        out->validity = v;
        out->null_count = em__count_nulls(v, out->len);
    }
    return 0;
}

int em__set_null(em_eval_ctx *cx, em_column *out, uint32_t row)
{
    return em_column_set_null(out, row, cx->arena);
}

void em__text_begin(em_text_out *t, em_column *c)
{
    t->c = c;
    t->next = 0;
    c->v.off[0] = 0;
    c->data_len = 0;
}

static void text_fill(em_text_out *t, uint32_t row)
{
    while (t->next < row) {
        t->c->v.off[t->next + 1] = (int32_t)t->c->data_len;
        t->next++;
    }
}

int em__text_put(em_eval_ctx *cx, em_text_out *t, uint32_t row, const char *p, size_t n)
{
    text_fill(t, row);
    t->c->v.off[row] = (int32_t)t->c->data_len;
    return em__text_append(cx, t, row, p, n);
}

int em__text_append(em_eval_ctx *cx, em_text_out *t, uint32_t row, const char *p, size_t n)
{
    em_column *c = t->c;
    if ((size_t)c->data_len + n > INT32_MAX)
        return EM_ELIMIT;
    if (c->data_len + n > c->data_cap) {
        size_t nc = (size_t)c->data_cap * 2 + n + 64;
        char *d = em_arena_grow(cx->arena, c->data, c->data_len, nc);
        if (!d)
            return EM_ENOMEM;
        c->data = d;
        c->data_cap = (uint32_t)(nc > UINT32_MAX ? UINT32_MAX : nc);
    }
    if (n)
        memcpy(c->data + c->data_len, p, n);
    c->data_len += (uint32_t)n;
    c->v.off[row + 1] = (int32_t)c->data_len;
    t->next = row + 1;
    return 0;
}

int em__text_null(em_eval_ctx *cx, em_text_out *t, uint32_t row)
{
    int rc = em__text_put(cx, t, row, "", 0);
    return rc ? rc : em__set_null(cx, t->c, row);
}

void em__text_finish(em_text_out *t)
{
    text_fill(t, t->c->len);
}

/* ---- negation ---- */

/* A fixed-width result: values uninitialised when every row will be
 * written (dense), zeroed otherwise; validity that of a[0]. */
static int out_like_arg(em_eval_ctx *cx, const em_batch *in, em_type t, int dense,
                        const em_column *a, em_column *out)
{
    int rc = dense ? em_column_alloc(out, t, in->nrows, 0, cx->arena)
                   : em__out_alloc(cx, in, t, 0, out);
    return rc ? rc : em__out_validity(cx, out, a, 1);
}

static int neg_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                 em_column *out)
{
    em_type t = out->type;
    int dense = em__dense(in), rc;
    uint32_t n = in->nrows;
    (void)na;
    if (t == EM_TYPE_NULL || a[0].type == EM_TYPE_NULL) { /* neg(NULL) */
        if ((rc = em__out_alloc(cx, in, t, 0, out)) != 0)
            return rc;
        EM__FOREACH_ROW(in, k, r) if ((rc = em__set_null(cx, out, r)) != 0) return rc;
        return 0;
    }
    if ((rc = out_like_arg(cx, in, t, dense, a, out)) != 0)
        return rc;
    if (t == EM_TYPE_DOUBLE) {
        const double *restrict x = a[0].v.f64;
        double *restrict o = out->v.f64;
        if (dense)
            for (uint32_t r = 0; r < n; r++)
                o[r] = -x[r];
        else
            EM__FOREACH_ROW(in, k, r) o[r] = -x[r];
        return 0;
    }
    /* BIGINT, INTERVAL: -INT64_MIN overflows to NULL */
    const int64_t *restrict x = a[0].v.i64;
    int64_t *restrict o = out->v.i64;
    uint64_t bad = 0;
    if (dense)
        for (uint32_t r = 0; r < n; r++) {
            o[r] = (int64_t)(0 - (uint64_t)x[r]);
            bad |= (uint64_t)(x[r] == INT64_MIN);
        }
    else
        EM__FOREACH_ROW(in, k, r) {
            o[r] = (int64_t)(0 - (uint64_t)x[r]);
            bad |= (uint64_t)(x[r] == INT64_MIN);
        }
    if (bad)
        EM__FOREACH_ROW(in, k, r) {
            if (x[r] == INT64_MIN && (rc = em__set_null(cx, out, r)) != 0)
                return rc;
        }
    return 0;
}

/* ---- comparison ---- */

int em__cmp_rows(const em_column *a, uint32_t ra, const em_column *b, uint32_t rb)
{
    switch (a->type) {
    case EM_TYPE_BOOLEAN: return (a->v.b[ra] > b->v.b[rb]) - (a->v.b[ra] < b->v.b[rb]);
    case EM_TYPE_DOUBLE: return (a->v.f64[ra] > b->v.f64[rb]) - (a->v.f64[ra] < b->v.f64[rb]);
    case EM_TYPE_TEXT: {
        em_slice x = em_column_text(a, ra), y = em_column_text(b, rb);
        size_t n = x.len < y.len ? x.len : y.len;
        int c = n ? memcmp(x.ptr, y.ptr, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return (x.len > y.len) - (x.len < y.len);
    }
    case EM_TYPE_NULL: return 0;
    default: return (a->v.i64[ra] > b->v.i64[rb]) - (a->v.i64[ra] < b->v.i64[rb]);
    }
}

/* ---- logic (three-valued: 0 false, 1 true, 2 unknown) ---- */

static inline int tv(const em_column *c, uint32_t r)
{
    return c->type == EM_TYPE_NULL || em_column_is_null(c, r) ? 2 : c->v.b[r];
}

static int put_tv(em_eval_ctx *cx, em_column *out, uint32_t r, int v)
{
    if (v == 2)
        return em__set_null(cx, out, r);
    out->v.b[r] = (uint8_t)v;
    return 0;
}

static int logic_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                   em_column *out, int is_and)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_BOOLEAN, 0, out);
    if (rc)
        return rc;
    (void)na;
    EM__FOREACH_ROW(in, k, r) {
        int x = tv(&a[0], r), y = tv(&a[1], r), v;
        if (is_and)
            v = (x == 0 || y == 0) ? 0 : (x == 2 || y == 2) ? 2 : 1;
        else
            v = (x == 1 || y == 1) ? 1 : (x == 2 || y == 2) ? 2 : 0;
        if ((rc = put_tv(cx, out, r, v)) != 0)
            return rc;
    }
    return 0;
}

static int and_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                 em_column *out)
{
    return logic_k(cx, a, na, in, out, 1);
}

static int or_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                em_column *out)
{
    return logic_k(cx, a, na, in, out, 0);
}

static int not_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                 em_column *out)
{
    int dense = em__dense(in), rc;
    (void)na;
    if (a[0].type == EM_TYPE_NULL) {
        if ((rc = em__out_alloc(cx, in, EM_TYPE_BOOLEAN, 0, out)) != 0)
            return rc;
        EM__FOREACH_ROW(in, k, r) if ((rc = em__set_null(cx, out, r)) != 0) return rc;
        return 0;
    }
    if ((rc = out_like_arg(cx, in, EM_TYPE_BOOLEAN, dense, a, out)) != 0)
        return rc;
    const uint8_t *restrict x = a[0].v.b;
    uint8_t *restrict o = out->v.b;
    if (dense)
        for (uint32_t r = 0, n = in->nrows; r < n; r++)
            o[r] = (uint8_t)(x[r] == 0);
    else
        EM__FOREACH_ROW(in, k, r) o[r] = (uint8_t)(x[r] == 0);
    return 0;
}

static int isnull_any(em_eval_ctx *cx, const em_column *a, const em_batch *in, em_column *out,
                      int want_null)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_BOOLEAN, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        int isn = a[0].type == EM_TYPE_NULL || em_column_is_null(&a[0], r);
        out->v.b[r] = (uint8_t)(isn == want_null);
    }
    return 0;
}

static int isnull_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                    em_column *out)
{
    (void)na;
    return isnull_any(cx, a, in, out, 1);
}

static int notnull_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                     em_column *out)
{
    (void)na;
    return isnull_any(cx, a, in, out, 0);
}

/* ---- BETWEEN, IN ---- */

static int between_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                     em_column *out)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_BOOLEAN, 0, out);
    (void)na;
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        int nx = a[0].type == EM_TYPE_NULL || em_column_is_null(&a[0], r);
        int lo = nx || em_column_is_null(&a[1], r) ? 2 : em__cmp_rows(&a[0], r, &a[1], r) >= 0;
        int hi = nx || em_column_is_null(&a[2], r) ? 2 : em__cmp_rows(&a[0], r, &a[2], r) <= 0;
        int v = (lo == 0 || hi == 0) ? 0 : (lo == 2 || hi == 2) ? 2 : 1;
        if ((rc = put_tv(cx, out, r, v)) != 0)
            return rc;
    }
    return 0;
}

static int in_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                em_column *out)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_BOOLEAN, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        int v = 0;
        if (a[0].type == EM_TYPE_NULL || em_column_is_null(&a[0], r)) {
            v = 2;
        } else {
            for (uint32_t i = 1; i < na && v != 1; i++) {
                if (em_column_is_null(&a[i], r))
                    v = 2;
                else if (em__cmp_rows(&a[0], r, &a[i], r) == 0)
                    v = 1;
            }
        }
        if ((rc = put_tv(cx, out, r, v)) != 0)
            return rc;
    }
    return 0;
}

/* ---- LIKE ---- */

/* % matches any run, _ one byte; backslash escapes. Iterative with one
 * backtrack point, so it is linear-ish and never recurses. */
static int like_match(const char *s, size_t n, const char *p, size_t m)
{
    size_t i = 0, j = 0, star_j = (size_t)-1, star_i = 0;
    while (i < n) {
        if (j < m && p[j] == '%') {
            star_j = ++j;
            star_i = i;
        } else if (j < m && p[j] == '\\' && j + 1 < m && p[j + 1] == s[i]) {
            i++;
            j += 2;
        } else if (j < m && p[j] != '\\' && (p[j] == '_' || p[j] == s[i])) {
            i++;
            j++;
        } else if (star_j != (size_t)-1) {
            i = ++star_i;
            j = star_j;
        } else {
            return 0;
        }
    }
    while (j < m && p[j] == '%')
        j++;
    return j == m;
}

static int like_any(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                    em_column *out, int negate)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_BOOLEAN, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        if (em__anynull(a, na, r) || a[0].type == EM_TYPE_NULL || a[1].type == EM_TYPE_NULL) {
            if ((rc = em__set_null(cx, out, r)) != 0)
                return rc;
            continue;
        }
        em_slice s = em_column_text(&a[0], r), p = em_column_text(&a[1], r);
        out->v.b[r] = (uint8_t)(like_match(s.ptr, s.len, p.ptr, p.len) != negate);
    }
    return 0;
}

static int like_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                  em_column *out)
{
    return like_any(cx, a, na, in, out, 0);
}

static int notlike_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                     em_column *out)
{
    return like_any(cx, a, na, in, out, 1);
}

/* ---- || (NULL operand gives NULL, as in PostgreSQL) ---- */

static int concat_op_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                       em_column *out)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_TEXT, a[0].data_len + a[1].data_len, out);
    if (rc)
        return rc;
    em_text_out t;
    em__text_begin(&t, out);
    EM__FOREACH_ROW(in, k, r) {
        if (em__anynull(a, na, r)) {
            rc = em__text_null(cx, &t, r);
        } else {
            em_slice x = em_column_text(&a[0], r), y = em_column_text(&a[1], r);
            if ((rc = em__text_put(cx, &t, r, x.ptr, x.len)) == 0)
                rc = em__text_append(cx, &t, r, y.ptr, y.len);
        }
        if (rc)
            return rc;
    }
    em__text_finish(&t);
    return 0;
}

#define B EM_TYPE_BOOLEAN
#define I EM_TYPE_BIGINT
#define D EM_TYPE_DOUBLE
#define S EM_TYPE_TEXT
#define TS EM_TYPE_TIMESTAMP
#define IV EM_TYPE_INTERVAL
#define ANY EM__T_ANY
#define NUM EM__T_NUM

const em_func_def em__funcs_ops[] = {
    {"neg", 1, 1, {NUM}, ANY, neg_k},
    {"neg", 1, 1, {IV}, IV, neg_k},
    {"||", 2, 2, {S, S}, S, concat_op_k},
    {"and", 2, 2, {B, B}, B, and_k},
    {"or", 2, 2, {B, B}, B, or_k},
    {"not", 1, 1, {B}, B, not_k},
    {"is_null", 1, 1, {ANY}, B, isnull_k},
    {"is_not_null", 1, 1, {ANY}, B, notnull_k},
    {"like", 2, 2, {S, S}, B, like_k},
    {"not_like", 2, 2, {S, S}, B, notlike_k},
    {"between", 3, 3, {ANY, ANY, ANY}, B, between_k},
    {"in", 2, 255, {ANY, ANY, ANY}, B, in_k},
    {NULL, 0, 0, {0}, 0, NULL},
};
