/*
 * expr/expr.c - expression constructors and binding: name resolution,
 * overload choice among the built-in tables and the user registry, and
 * implicit casts. Evaluation is in eval.c.
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
    if (!d->fn)
        return ((const em_user_func *)d)->argv[i];
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
static int sig_match(const em_func_def *d, const em_type *types, uint32_t n, int exact, int *anyt)
{
    if (n < d->min_args || (d->max_args != 255 && n > d->max_args))
        return 0;
    *anyt = EM_TYPE_NULL;
    for (uint32_t i = 0; i < n; i++) {
        em_type want = sig_arg(d, i), got = types[i];
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

const em_func_def *em__func_find(const em_func_registry *reg, const char *name,
                                 const em_type *types, uint32_t n, int exact_only, int *anyt,
                                 int *name_found)
{
    static const em_func_def *const tables[] = {em__funcs_arith, em__funcs_ops, em__funcs_scalar,
                                                 em__funcs_aqi};
    uint32_t nuser = 0;
    const em_user_func *const *user = reg ? em__registry_defs(reg, &nuser) : NULL;
    *name_found = 0;
    for (int pass = 0; pass < (exact_only ? 1 : 2); pass++) {
        for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
            for (const em_func_def *d = tables[t]; d->name; d++) {
                if (strcasecmp(d->name, name) != 0)
                    continue;
                *name_found = 1;
                if (sig_match(d, types, n, pass == 0, anyt))
                    return d;
            }
        for (uint32_t i = 0; i < nuser; i++) {
            if (strcasecmp(user[i]->base.name, name) != 0)
                continue;
            *name_found = 1;
            if (sig_match(&user[i]->base, types, n, pass == 0, anyt))
                return &user[i]->base;
        }
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

/* A literal that `x OP literal` kernels take as a scalar. */
static int scalar_lit(const em_expr *x)
{
    return x->kind == EX_LIT && !x->null_lit &&
           (x->type == EM_TYPE_BIGINT || x->type == EM_TYPE_DOUBLE ||
            x->type == EM_TYPE_TIMESTAMP || x->type == EM_TYPE_INTERVAL);
}

/* Records on a bound call what the evaluator treats specially: AND/OR
 * (narrowing), comparisons and BETWEEN with literal bounds (filter fast
 * paths) and a literal operand. */
static void mark_special(em_expr *e)
{
    static const char *const cmps[] = {"=", "<>", "<", "<=", ">", ">=", "!="};
    e->opk = OPK_NONE;
    e->litk = NULL;
    if (!e->def->fn)
        return;
    if (strcasecmp(e->name, "and") == 0 && e->nargs == 2)
        e->opk = OPK_AND;
    else if (strcasecmp(e->name, "or") == 0 && e->nargs == 2)
        e->opk = OPK_OR;
    for (int i = 0; i < 7 && e->nargs == 2; i++)
        if (strcmp(e->name, cmps[i]) == 0) {
            e->opk = OPK_CMP;
            e->cmp = i == 6 ? 1 : i;
        }
    if (strcasecmp(e->name, "between") == 0 && e->nargs == 3 && scalar_lit(e->args[1]) &&
        scalar_lit(e->args[2]) && e->args[1]->type == e->args[0]->type &&
        e->args[2]->type == e->args[0]->type)
        e->opk = OPK_BETWEEN;
    em_lit_kernel_fn k = e->nargs == 2 ? em__lit_kernel(e->def->fn) : NULL;
    int l1 = e->nargs == 2 && scalar_lit(e->args[1]), l0 = e->nargs == 2 && scalar_lit(e->args[0]);
    if (k && (l1 || l0) && e->args[l1 ? 0 : 1]->type != EM_TYPE_NULL) {
        e->litk = k;
        e->lit_left = !l1;
    }
}

int em_expr_bind(em_expr *e, const em_schema *in, em_errbuf *err)
{
    return em_expr_bind_with(e, in, NULL, err);
}

int em_expr_bind_with(em_expr *e, const em_schema *in, const em_func_registry *reg,
                      em_errbuf *err)
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
        if ((rc = em_expr_bind_with(e->args[i], in, reg, err)) != 0)
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
    em_type small[8], *argt = small;
    if (e->nargs > 8)
        argt = em_arena_alloc(e->arena, e->nargs * sizeof *argt);
    if (!argt)
        return em_errf(err, EM_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < e->nargs; i++)
        argt[i] = e->args[i]->type;
    const em_func_def *d = em__func_find(reg, e->name, argt, e->nargs, 0, &anyt, &found);
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
    if ((is_extract || strcasecmp(e->name, "date_trunc") == 0) && d->fn &&
        e->args[0]->kind == EX_LIT && e->args[0]->type == EM_TYPE_TEXT && !e->args[0]->null_lit) {
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
    mark_special(e);
    return 0;
}

int em_expr_same(const em_expr *a, const em_expr *b)
{
    if (a == b)
        return 1;
    if (!a || !b || a->kind != b->kind || a->nargs != b->nargs)
        return 0;
    switch (a->kind) {
    case EX_COL:
        if (strcasecmp(a->name, b->name))
            return 0;
        break;
    case EX_LIT:
        if (a->null_lit != b->null_lit || a->type != b->type ||
            memcmp(&a->lit, &b->lit, sizeof a->lit) || a->text_len != b->text_len ||
            (a->text_len && memcmp(a->text, b->text, a->text_len)))
            return 0;
        break;
    case EX_CALL:
        if (!a->name || !b->name || strcasecmp(a->name, b->name))
            return 0;
        break;
    case EX_CASE:
        if (a->nwhen != b->nwhen)
            return 0;
        break;
    case EX_CAST:
        if (a->type != b->type)
            return 0;
        break;
    }
    for (uint32_t i = 0; i < a->nargs; i++)
        if (!em_expr_same(a->args[i], b->args[i]))
            return 0;
    return 1;
}
