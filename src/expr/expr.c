/*
 * expr/expr.c - expression constructors, binding (name resolution, overload
 * choice, implicit casts) and tree evaluation, plus em_expr_filter with a
 * one-pass fast path for `column <op> literal`.
 */
#include "expr/expr_int.h"

#include "ember/error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static em_expr *node(em_arena *a, em_expr_kind k, em_type t)
{
    em_expr *e = em_arena_calloc(a, 1, sizeof *e);
    if (e) {
        e->kind = k;
        e->type = t;
        e->arena = a;
    }
    return e;
}

em_expr *em_expr_column(em_arena *a, const char *name)
{
    em_expr *e = node(a, EX_COL, EM_TYPE_NULL);
    if (e && !(e->name = em_arena_strndup(a, name, strlen(name))))
        return NULL;
    return e;
}

em_expr *em_expr_column_index(em_arena *a, uint32_t idx, em_type t)
{
    em_expr *e = node(a, EX_COL, t);
    if (e) {
        e->col = idx;
        e->bound = 1;
    }
    return e;
}

em_expr *em_expr_lit_int(em_arena *a, int64_t v)
{
    em_expr *e = node(a, EX_LIT, EM_TYPE_BIGINT);
    if (e)
        e->lit.i = v;
    return e;
}

em_expr *em_expr_lit_double(em_arena *a, double v)
{
    em_expr *e = node(a, EX_LIT, EM_TYPE_DOUBLE);
    if (e)
        e->lit.d = v;
    return e;
}

em_expr *em_expr_lit_bool(em_arena *a, int v)
{
    em_expr *e = node(a, EX_LIT, EM_TYPE_BOOLEAN);
    if (e)
        e->lit.b = v != 0;
    return e;
}

em_expr *em_expr_lit_text(em_arena *a, const char *p, size_t n)
{
    em_expr *e = node(a, EX_LIT, EM_TYPE_TEXT);
    if (e && !(e->text = em_arena_strndup(a, p, n)))
        return NULL;
    if (e)
        e->text_len = n;
    return e;
}

em_expr *em_expr_lit_null(em_arena *a)
{
    em_expr *e = node(a, EX_LIT, EM_TYPE_NULL);
    if (e)
        e->null_lit = 1;
    return e;
}

em_expr *em_expr_lit_timestamp(em_arena *a, int64_t us)
{
    em_expr *e = node(a, EX_LIT, EM_TYPE_TIMESTAMP);
    if (e)
        e->lit.i = us;
    return e;
}

em_expr *em_expr_lit_interval(em_arena *a, int64_t us)
{
    em_expr *e = node(a, EX_LIT, EM_TYPE_INTERVAL);
    if (e)
        e->lit.i = us;
    return e;
}

em_expr *em_expr_call(em_arena *a, const char *fn, uint32_t nargs, em_expr **args)
{
    for (uint32_t i = 0; i < nargs; i++)
        if (!args[i])
            return NULL;
    em_expr *e = node(a, EX_CALL, EM_TYPE_NULL);
    if (!e || !(e->name = em_arena_strndup(a, fn, strlen(fn))))
        return NULL;
    e->nargs = nargs;
    if (nargs) {
        if (!(e->args = em_arena_alloc(a, nargs * sizeof *args)))
            return NULL;
        memcpy(e->args, args, nargs * sizeof *args);
    }
    return e;
}

em_expr *em_expr_case(em_arena *a, uint32_t nwhen, em_expr **conds, em_expr **vals,
                      em_expr *else_or_null)
{
    em_expr *e = node(a, EX_CASE, EM_TYPE_NULL);
    if (!e)
        return NULL;
    e->nwhen = nwhen;
    e->nargs = 2 * nwhen + (else_or_null ? 1 : 0);
    if (!(e->args = em_arena_alloc(a, (e->nargs ? e->nargs : 1) * sizeof *e->args)))
        return NULL;
    for (uint32_t i = 0; i < nwhen; i++) {
        if (!conds[i] || !vals[i])
            return NULL;
        e->args[i] = conds[i];
        e->args[nwhen + i] = vals[i];
    }
    if (else_or_null)
        e->args[2 * nwhen] = else_or_null;
    return e;
}

em_expr *em_expr_cast(em_arena *a, em_expr *x, em_type t)
{
    if (!x)
        return NULL;
    em_expr *e = node(a, EX_CAST, t);
    if (!e || !(e->args = em_arena_alloc(a, sizeof *e->args)))
        return NULL;
    e->nargs = 1;
    e->args[0] = x;
    return e;
}

em_type em_expr_type(const em_expr *e)
{
    return e->type;
}

/* ---- binding ---- */

/* Common supertype of a and b for implicit coercion, or -1. */
static int unify(em_type a, em_type b)
{
    if (a == b || b == EM_TYPE_NULL)
        return (int)a;
    if (a == EM_TYPE_NULL)
        return (int)b;
    if ((a == EM_TYPE_BIGINT && b == EM_TYPE_DOUBLE) || (a == EM_TYPE_DOUBLE && b == EM_TYPE_BIGINT))
        return EM_TYPE_DOUBLE;
    return -1;
}

static int can_coerce(em_type from, em_type to)
{
    return from == to || from == EM_TYPE_NULL || (from == EM_TYPE_BIGINT && to == EM_TYPE_DOUBLE);
}

static em_type sig_arg(const em_func_def *d, uint32_t i)
{
    return d->args[i < 3 ? i : 2];
}

/* Wraps *slot in a cast to t if its type differs. */
static int coerce(em_expr **slot, em_type t)
{
    em_expr *x = *slot;
    if (x->type == t)
        return 0;
    if (x->kind == EX_LIT && x->null_lit) {
        x->type = t; /* a typed NULL literal */
        return 0;
    }
    if (x->kind == EX_LIT && x->type == EM_TYPE_BIGINT && t == EM_TYPE_DOUBLE) {
        x->lit.d = (double)x->lit.i; /* fold, so `dbl_col > 1` keeps the filter fast path */
        x->type = t;
        return 0;
    }
    em_expr *c = em_expr_cast(x->arena, x, t);
    if (!c)
        return EM_ENOMEM;
    *slot = c;
    return 0;
}

/* Does d accept the argument types? Computes the ANY type in *anyt.
 * exact: no coercion allowed except within ANY groups. */
static int sig_match(const em_func_def *d, em_expr **args, uint32_t n, int exact, int *anyt)
{
    if (n < d->min_args || (d->max_args != 255 && n > d->max_args))
        return 0;
    *anyt = EM_TYPE_NULL;
    for (uint32_t i = 0; i < n; i++) {
        em_type want = sig_arg(d, i), got = args[i]->type;
        if (want == EM__T_ANY || want == EM__T_NUM) {
            if (want == EM__T_NUM && got != EM_TYPE_NULL && got != EM_TYPE_BIGINT &&
                got != EM_TYPE_DOUBLE)
                return 0;
            int u = unify((em_type)*anyt, got);
            if (u < 0)
                return 0;
            *anyt = u;
        } else if (exact ? got != want : !can_coerce(got, want)) {
            return 0;
        }
    }
    return 1;
}

static const em_func_def *find_def(const char *name, em_expr **args, uint32_t n, int *anyt,
                                   int *name_found)
{
    static const em_func_def *const tables[] = {em__funcs_ops, em__funcs_scalar};
    *name_found = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t t = 0; t < 2; t++)
            for (const em_func_def *d = tables[t]; d->name; d++) {
                if (strcasecmp(d->name, name) != 0)
                    continue;
                *name_found = 1;
                if (sig_match(d, args, n, pass == 0, anyt))
                    return d;
            }
    return NULL;
}

static void type_list(em_expr **args, uint32_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < n && len < cap; i++) {
        int w = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", em_type_name(args[i]->type));
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

int em_expr_bind(em_expr *e, const em_schema *in, em_errbuf *err)
{
    int rc = 0;
    if (e->kind == EX_COL) {
        if (e->bound && !e->name)
            return 0;
        int idx = em_schema_find(in, e->name, strlen(e->name));
        if (idx < 0)
            return em_errf(err, EM_ENOTFOUND, "unknown column \"%s\"", e->name);
        e->col = (uint32_t)idx;
        e->type = in->fields[idx].type;
        e->bound = 1;
        return 0;
    }
    if (e->kind == EX_LIT)
        return 0;
    for (uint32_t i = 0; i < e->nargs; i++)
        if ((rc = em_expr_bind(e->args[i], in, err)) != 0)
            return rc;
    if (e->kind == EX_CAST) {
        em_type f = e->args[0]->type, t = e->type;
        int ok = f == t || f == EM_TYPE_NULL || t == EM_TYPE_TEXT || f == EM_TYPE_TEXT ||
                 ((f == EM_TYPE_BIGINT || f == EM_TYPE_DOUBLE || f == EM_TYPE_BOOLEAN) &&
                  (t == EM_TYPE_BIGINT || t == EM_TYPE_DOUBLE || t == EM_TYPE_BOOLEAN)) ||
                 ((f == EM_TYPE_BIGINT || f == EM_TYPE_TIMESTAMP) &&
                  (t == EM_TYPE_BIGINT || t == EM_TYPE_TIMESTAMP)) ||
                 ((f == EM_TYPE_BIGINT || f == EM_TYPE_INTERVAL) &&
                  (t == EM_TYPE_BIGINT || t == EM_TYPE_INTERVAL));
        if (!ok || t == EM_TYPE_NULL)
            return em_errf(err, EM_ETYPE, "cannot cast %s to %s", em_type_name(f), em_type_name(t));
        return 0;
    }
    if (e->kind == EX_CASE) {
        int u = EM_TYPE_NULL;
        for (uint32_t i = 0; i < e->nwhen; i++) {
            em_type ct = e->args[i]->type;
            if (ct != EM_TYPE_BOOLEAN && ct != EM_TYPE_NULL)
                return em_errf(err, EM_ETYPE, "CASE WHEN condition must be BOOLEAN, not %s",
                               em_type_name(ct));
            if ((rc = coerce(&e->args[i], EM_TYPE_BOOLEAN)) != 0)
                return rc;
        }
        for (uint32_t i = e->nwhen; i < e->nargs; i++) {
            int v = unify((em_type)u, e->args[i]->type);
            if (v < 0)
                return em_errf(err, EM_ETYPE, "CASE branches have types %s and %s",
                               em_type_name((em_type)u), em_type_name(e->args[i]->type));
            u = v;
        }
        for (uint32_t i = e->nwhen; i < e->nargs; i++)
            if ((rc = coerce(&e->args[i], (em_type)u)) != 0)
                return rc;
        e->type = (em_type)u;
        return 0;
    }
    /* concat() takes any types (PostgreSQL); render non-TEXT as TEXT */
    if (strcasecmp(e->name, "concat") == 0)
        for (uint32_t i = 0; i < e->nargs; i++)
            if (e->args[i]->type != EM_TYPE_TEXT && e->args[i]->type != EM_TYPE_NULL &&
                (rc = coerce(&e->args[i], EM_TYPE_TEXT)) != 0)
                return rc;
    int anyt, found;
    const em_func_def *d = find_def(e->name, e->args, e->nargs, &anyt, &found);
    if (!d) {
        char types[256];
        type_list(e->args, e->nargs, types, sizeof types);
        if (!found)
            return em_errf(err, EM_ENOTFOUND, "unknown function %s(%s)", e->name, types);
        return em_errf(err, EM_ETYPE, "no function %s(%s): wrong argument types or count",
                       e->name, types);
    }
    for (uint32_t i = 0; i < e->nargs; i++) {
        em_type want = sig_arg(d, i);
        if (want == EM__T_ANY || want == EM__T_NUM)
            want = (em_type)anyt;
        if (want != EM_TYPE_NULL && (rc = coerce(&e->args[i], want)) != 0)
            return rc;
    }
    int is_extract = strcasecmp(e->name, "extract") == 0;
    if ((is_extract || strcasecmp(e->name, "date_trunc") == 0) && e->args[0]->kind == EX_LIT &&
        e->args[0]->type == EM_TYPE_TEXT && !e->args[0]->null_lit) {
        em_slice f = em_slice_of(e->args[0]->text, e->args[0]->text_len);
        int fi = em__extract_field(f);
        if (is_extract ? fi < 0 : (fi != 3 && fi != 4 && fi != 5))
            return em_errf(err, EM_EINVAL, "%s: unknown field '%s' (expected %s)", e->name,
                           e->args[0]->text,
                           is_extract ? "epoch, year, month, day, hour, minute or second"
                                      : "minute, hour or day");
        if (is_extract && (fi == 0 || fi == 6))
            d++; /* the DOUBLE-returning entry follows */
    }
    e->def = d;
    e->type = d->ret == EM__T_ANY ? (em_type)anyt : d->ret;
    return 0;
}

/* ---- evaluation ---- */

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

static int eval_case(const em_expr *e, const em_batch *in, em_eval_ctx *cx, em_column *out)
{
    em_column *a = em_arena_calloc(cx->arena, e->nargs ? e->nargs : 1, sizeof *a);
    int rc = 0;
    if (!a)
        return EM_ENOMEM;
    for (uint32_t i = 0; i < e->nargs; i++)
        if ((rc = em_expr_eval(e->args[i], in, cx, &a[i])) != 0)
            return rc;
    int has_else = e->nargs > 2 * e->nwhen;
    em_type t = e->type == EM_TYPE_NULL ? EM_TYPE_BOOLEAN : e->type;
    uint32_t cap = 0;
    if (t == EM_TYPE_TEXT)
        for (uint32_t i = e->nwhen; i < e->nargs; i++)
            cap += a[i].data_len;
    if ((rc = em__out_alloc(cx, in, t, cap, out)) != 0)
        return rc;
    em_text_out to;
    em__text_begin(&to, out);
    EM__FOREACH_ROW(in, k, r) {
        const em_column *src = NULL;
        for (uint32_t w = 0; w < e->nwhen && !src; w++)
            if (!em_column_is_null(&a[w], r) && a[w].v.b[r])
                src = &a[e->nwhen + w];
        if (!src && has_else)
            src = &a[2 * e->nwhen];
        if (!src || em_column_is_null(src, r) || e->type == EM_TYPE_NULL) {
            rc = t == EM_TYPE_TEXT ? em__text_null(cx, &to, r) : em__set_null(cx, out, r);
        } else if (t == EM_TYPE_TEXT) {
            em_slice s = em_column_text(src, r);
            rc = em__text_put(cx, &to, r, s.ptr, s.len);
        } else {
            size_t w = em_type_width(t);
            memcpy((char *)out->v.ptr + w * r, (const char *)src->v.ptr + w * r, w);
        }
        if (rc)
            return rc;
    }
    if (t == EM_TYPE_TEXT)
        em__text_finish(&to);
    out->type = e->type;
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
        em_column *a = em_arena_calloc(cx->arena, e->nargs ? e->nargs : 1, sizeof *a);
        if (!a)
            return EM_ENOMEM;
        for (uint32_t i = 0; i < e->nargs; i++)
            if ((rc = em_expr_eval(e->args[i], in, cx, &a[i])) != 0)
                return rc;
        memset(out, 0, sizeof *out);
        out->type = e->type;
        return e->def->fn(cx, a, e->nargs, in, out);
    }
    }
    return EM_ESTATE;
}

/* One pass over the selection for `column <op> literal` on BIGINT/DOUBLE. */
#define CMP_LOOP(T, arr, lit)                                                                      \
    do {                                                                                           \
        const T *v_ = (arr);                                                                       \
        T l_ = (lit);                                                                              \
        for (uint32_t k = 0; k < cnt; k++) {                                                       \
            uint32_t r = in->sel ? in->sel[k] : k;                                                 \
            int keep;                                                                              \
            switch (op) {                                                                          \
            case 0: keep = v_[r] == l_; break;                                                     \
            case 1: keep = v_[r] != l_; break;                                                     \
            case 2: keep = v_[r] < l_; break;                                                      \
            case 3: keep = v_[r] <= l_; break;                                                     \
            case 4: keep = v_[r] > l_; break;                                                      \
            default: keep = v_[r] >= l_; break;                                                    \
            }                                                                                      \
            sel[ns] = r;                                                                           \
            ns += (uint32_t)(keep && !em_column_is_null(c, r));                                    \
        }                                                                                          \
    } while (0)

static int fast_filter(const em_expr *p, em_batch *in, uint32_t *sel, uint32_t *nsel)
{
    static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
    if (p->kind != EX_CALL || p->nargs != 2)
        return 0;
    const em_expr *c0 = p->args[0], *l = p->args[1];
    if (c0->kind != EX_COL || l->kind != EX_LIT || l->null_lit || c0->type != l->type)
        return 0;
    int op = -1;
    for (int i = 0; i < 6; i++)
        if (strcmp(p->name, ops[i]) == 0 || (i == 1 && strcmp(p->name, "!=") == 0))
            op = i;
    if (op < 0 || !c0->bound || c0->col >= in->ncols)
        return 0;
    const em_column *c = &in->cols[c0->col];
    uint32_t cnt = em_batch_count(in), ns = 0;
    if (c->type == EM_TYPE_DOUBLE)
        CMP_LOOP(double, c->v.f64, l->lit.d);
    else if (c->type == EM_TYPE_BIGINT || c->type == EM_TYPE_TIMESTAMP)
        CMP_LOOP(int64_t, c->v.i64, l->lit.i);
    else
        return 0;
    *nsel = ns;
    return 1;
}

int em_expr_filter(const em_expr *pred, em_batch *in, em_eval_ctx *cx)
{
    if (pred->type != EM_TYPE_BOOLEAN && pred->type != EM_TYPE_NULL)
        return EM_ETYPE;
    uint32_t cnt = em_batch_count(in), ns = 0;
    uint32_t *sel = em_arena_alloc(cx->arena, (cnt ? cnt : 1) * sizeof *sel);
    if (!sel)
        return EM_ENOMEM;
    if (!fast_filter(pred, in, sel, &ns)) {
        em_column c;
        int rc = em_expr_eval(pred, in, cx, &c);
        if (rc)
            return rc;
        for (uint32_t k = 0; k < cnt; k++) {
            uint32_t r = em_batch_row(in, k);
            sel[ns] = r;
            ns += (uint32_t)(c.type == EM_TYPE_BOOLEAN && !em_column_is_null(&c, r) && c.v.b[r]);
        }
    }
    in->sel = sel;
    in->nsel = ns;
    return 0;
}
