/*
 * sql/pushdown.c - conjuncts, column visits and the "movable" test used to
 * move WHERE conditions below joins. See pushdown.h.
 */
#include "sql/pushdown.h"

#include "expr/expr.h"

#include <strings.h>

static uint32_t split(const em_sql_expr *x, const em_sql_expr **out, uint32_t n, uint32_t cap)
{
    if (x->kind == EM_SQL_E_BINARY && x->v.bin.op == EM_SQL_OP_AND) {
        n = split(x->v.bin.l, out, n, cap);
        return split(x->v.bin.r, out, n, cap);
    }
    if (n < cap)
        out[n] = x;
    return n + 1;
}

uint32_t em__sql_conjuncts(const em_sql_expr *x, const em_sql_expr **out, uint32_t cap)
{
    uint32_t n = split(x, out, 0, cap);
    return n > cap ? cap + 1 : n;
}

static int visit_list(em_sql_expr *const *xs, uint32_t n, em__sql_node_fn fn, void *ud)
{
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++)
        rc = em__sql_visit(xs[i], fn, ud);
    return rc;
}

int em__sql_visit(const em_sql_expr *x, em__sql_node_fn fn, void *ud)
{
    int rc;
    if (!x)
        return 0;
    if ((rc = fn(ud, x)))
        return rc;
    switch (x->kind) {
    case EM_SQL_E_UNARY:
        return em__sql_visit(x->v.unary.arg, fn, ud);
    case EM_SQL_E_BINARY:
        if ((rc = em__sql_visit(x->v.bin.l, fn, ud)))
            return rc;
        return em__sql_visit(x->v.bin.r, fn, ud);
    case EM_SQL_E_FUNC:
        return visit_list(x->v.func.args, x->v.func.nargs, fn, ud);
    case EM_SQL_E_EXTRACT:
        return em__sql_visit(x->v.extract.arg, fn, ud);
    case EM_SQL_E_CAST:
        return em__sql_visit(x->v.cast.arg, fn, ud);
    case EM_SQL_E_CASE:
        if ((rc = em__sql_visit(x->v.cases.operand, fn, ud)))
            return rc;
        for (uint32_t i = 0; i < x->v.cases.nwhens && !rc; i++)
            if (!(rc = em__sql_visit(x->v.cases.whens[i].cond, fn, ud)))
                rc = em__sql_visit(x->v.cases.whens[i].result, fn, ud);
        return rc ? rc : em__sql_visit(x->v.cases.else_, fn, ud);
    case EM_SQL_E_IS_NULL:
        return em__sql_visit(x->v.is_null.arg, fn, ud);
    case EM_SQL_E_BETWEEN:
        if ((rc = em__sql_visit(x->v.between.arg, fn, ud)) ||
            (rc = em__sql_visit(x->v.between.lo, fn, ud)))
            return rc;
        return em__sql_visit(x->v.between.hi, fn, ud);
    case EM_SQL_E_IN:
        if ((rc = em__sql_visit(x->v.in.arg, fn, ud)))
            return rc;
        return visit_list(x->v.in.list, x->v.in.n, fn, ud);
    case EM_SQL_E_LIKE:
        if ((rc = em__sql_visit(x->v.like.arg, fn, ud)))
            return rc;
        return em__sql_visit(x->v.like.pattern, fn, ud);
    default:
        return 0; /* literals and columns */
    }
}

typedef struct col_visit {
    em__sql_node_fn fn;
    void *ud;
} col_visit;

static int only_cols(void *ud, const em_sql_expr *x)
{
    const col_visit *c = ud;
    return x->kind == EM_SQL_E_COLUMN ? c->fn(c->ud, x) : 0;
}

int em__sql_each_col(const em_sql_expr *x, em__sql_node_fn fn, void *ud)
{
    col_visit c = {fn, ud};
    return em__sql_visit(x, only_cols, &c);
}

static int movable_list(em_sql_expr *const *xs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!em__sql_movable(xs[i]))
            return 0;
    return 1;
}

int em__sql_movable(const em_sql_expr *x)
{
    if (!x)
        return 1;
    switch (x->kind) {
    case EM_SQL_E_COLUMN:
        return 1;
    case EM_SQL_E_UNARY:
        return em__sql_movable(x->v.unary.arg);
    case EM_SQL_E_BINARY:
        return em__sql_movable(x->v.bin.l) && em__sql_movable(x->v.bin.r);
    case EM_SQL_E_FUNC:
        /* aggregates and user functions are not built-in scalar functions */
        return !x->v.func.star && !x->v.func.distinct && em_func_builtin(x->v.func.name) &&
               movable_list(x->v.func.args, x->v.func.nargs);
    case EM_SQL_E_EXTRACT:
        return em__sql_movable(x->v.extract.arg);
    case EM_SQL_E_CAST:
        return em__sql_movable(x->v.cast.arg);
    case EM_SQL_E_CASE:
        if (!em__sql_movable(x->v.cases.operand) || !em__sql_movable(x->v.cases.else_))
            return 0;
        for (uint32_t i = 0; i < x->v.cases.nwhens; i++)
            if (!em__sql_movable(x->v.cases.whens[i].cond) ||
                !em__sql_movable(x->v.cases.whens[i].result))
                return 0;
        return 1;
    case EM_SQL_E_IS_NULL:
        return em__sql_movable(x->v.is_null.arg);
    case EM_SQL_E_BETWEEN:
        return em__sql_movable(x->v.between.arg) && em__sql_movable(x->v.between.lo) &&
               em__sql_movable(x->v.between.hi);
    case EM_SQL_E_IN:
        return em__sql_movable(x->v.in.arg) && movable_list(x->v.in.list, x->v.in.n);
    case EM_SQL_E_LIKE:
        return em__sql_movable(x->v.like.arg) && em__sql_movable(x->v.like.pattern);
    default:
        return 1; /* literals */
    }
}

static int is_now(void *ud, const em_sql_expr *x)
{
    (void)ud;
    return x->kind == EM_SQL_E_FUNC && strcasecmp(x->v.func.name, "now") == 0;
}

int em__sql_uses_now(const em_sql_expr *x)
{
    return em__sql_visit(x, is_now, NULL) != 0;
}
