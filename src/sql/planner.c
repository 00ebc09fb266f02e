/*
 * sql/planner.c - analyzer and planner: AST -> engine graph (planner.h).
 *
 * Name resolution works on scopes: the columns a FROM item makes visible,
 * each with its SQL qualifier (table name or alias), its SQL name and the
 * actual column name in the underlying stream. Expressions are converted
 * to engine expressions (em_expr) against a scope; after an aggregation
 * the scope is the aggregate's output, and an expression there must be a
 * GROUP BY expression, an aggregate call, a window bound, or built from
 * those (matched by their canonical text, as PostgreSQL does).
 */
#include "sql/planner.h"

#include "core/mem.h"
#include "core/suggest.h"
#include "sql/diag.h"
#include "sql/parser.h"
#include "sql/pushdown.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_COLS 1024

typedef struct col_ref {
    const char *qual;   /* qualifier: relation name or alias; may be NULL */
    const char *name;   /* as SQL sees it */
    const char *actual; /* name in the stream's schema */
} col_ref;

typedef struct scope {
    em_stream *st;
    col_ref *cols;
    uint32_t n;
    /* a window function in FROM, not yet applied */
    int windowed;
    em_window win;
    em_sql_pos win_pos;
    const char *time_col;
} scope;

typedef enum { REL_SOURCE, REL_TABLE, REL_VIEW, REL_SINK } rel_kind;

typedef struct rel {
    const char *name;
    rel_kind kind;
    em_stream *st;
    em_sql_pos pos;
    const char *key; /* tables: the PRIMARY KEY column */
    const char **ukeys; /* views: upsert key output columns (sink_keys), or NULL */
    uint32_t nukeys;
} rel;

/* The aggregation context of a SELECT after GROUP BY. */
typedef struct agg_ctx {
    em_sql_expr **group;
    char **group_text;
    const char **group_col; /* output column of each GROUP BY expr, or NULL */
    uint32_t ngroup;
    em_sql_expr **aggs;
    char **agg_text;
    uint32_t naggs;
    int windowed;
} agg_ctx;

typedef struct planner {
    em_engine *e;
    const em_sql_script *s;
    em_buf *diag;
    em_arena arena; /* planner scratch: names, scopes */
    rel *rels;
    uint32_t nrels, caprels;
    const char *const *overrides;
    const char *dead_letter; /* the dead-letter sink's name, or NULL */
    em_sql_pos dead_letter_pos;
    int dead_letter_found;
    int rc;
} planner;

static int fail(planner *p, em_sql_pos pos, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(planner *p, em_sql_pos pos, int code, const char *fmt, ...)
{
    if (p->rc)
        return p->rc; /* report the first error only */
    va_list ap;
    va_start(ap, fmt);
    em_sql_vdiag(p->diag, p->s->file_name, p->s->text, p->s->len, pos, "error", fmt, ap);
    va_end(ap);
    return p->rc = code;
}

/* An engine API call failed: report its message at pos. */
static int fail_engine(planner *p, em_sql_pos pos)
{
    return fail(p, pos, EM_EINVAL, "%s", em_engine_errmsg(p->e));
}

static char *pdup(planner *p, const char *s)
{
    return em_arena_strndup(&p->arena, s, strlen(s));
}

static char *pfmt(planner *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *pfmt(planner *p, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return pdup(p, buf);
}

/* ---- the catalog of sources, tables, views and sinks ---- */

static rel *find_rel(planner *p, const char *name)
{
    for (uint32_t i = 0; i < p->nrels; i++)
        if (strcasecmp(p->rels[i].name, name) == 0)
            return &p->rels[i];
    return NULL;
}

static int add_rel(planner *p, const char *name, rel_kind kind, em_stream *st, em_sql_pos pos)
{
    rel *old = find_rel(p, name);
    if (old)
        return fail(p, pos, EM_EEXISTS, "'%s' is already defined (line %u)", name,
                    old->pos.line);
    if (p->nrels == p->caprels) {
        uint32_t nc = p->caprels ? p->caprels * 2 : 16;
        rel *v = em_realloc(p->rels, nc * sizeof *v);
        if (!v)
            return fail(p, pos, EM_ENOMEM, "out of memory");
        p->rels = v;
        p->caprels = nc;
    }
    p->rels[p->nrels++] = (rel){pdup(p, name), kind, st, pos, NULL, NULL, 0};
    return 0;
}

static rel *need_rel(planner *p, const char *name, em_sql_pos pos)
{
    rel *r = find_rel(p, name);
    if (r && r->kind != REL_SINK)
        return r;
    const char *names[256] = {0};
    size_t n = 0;
    for (uint32_t i = 0; i < p->nrels && n < 256; i++)
        if (p->rels[i].kind != REL_SINK)
            names[n++] = p->rels[i].name;
    const char *s = em_suggest(name, names, n);
    if (r)
        fail(p, pos, EM_EINVAL, "'%s' is a sink; a query can read sources, tables and views",
             name);
    else
        fail(p, pos, EM_ENOTFOUND, "unknown source, table or view '%s'%s%s%s", name,
             s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
    return NULL;
}

/* ---- scopes ---- */

static int scope_of_stream(planner *p, scope *sc, em_stream *st, const char *qual)
{
    const em_schema *s = em_stream_schema(st);
    memset(sc, 0, sizeof *sc);
    sc->st = st;
    sc->n = s->nfields;
    sc->cols = em_arena_calloc(&p->arena, s->nfields ? s->nfields : 1, sizeof *sc->cols);
    if (!sc->cols)
        return EM_ENOMEM;
    for (uint32_t i = 0; i < s->nfields; i++)
        sc->cols[i] = (col_ref){qual, s->fields[i].name, s->fields[i].name};
    return 0;
}

static int is_window_col(const char *name)
{
    return strcasecmp(name, "window_start") == 0 || strcasecmp(name, "window_end") == 0;
}

/* Finds a column; reports unknown or ambiguous names. Returns the actual
 * stream column name, or NULL. */
static const char *resolve(planner *p, const scope *sc, const char *qual, const char *name,
                           em_sql_pos pos)
{
    const char *found = NULL;
    for (uint32_t i = 0; i < sc->n; i++) {
        const col_ref *c = &sc->cols[i];
        if (strcasecmp(c->name, name) != 0)
            continue;
        if (qual && (!c->qual || strcasecmp(c->qual, qual) != 0))
            continue;
        if (found && strcasecmp(found, c->actual) != 0) {
            fail(p, pos, EM_EINVAL, "column reference '%s' is ambiguous; qualify it", name);
            return NULL;
        }
        found = c->actual;
    }
    if (found)
        return found;
    if (!qual && sc->windowed && is_window_col(name))
        return name; /* added by the window function when it is applied */
    const char *names[MAX_COLS] = {0};
    size_t n = 0;
    for (uint32_t i = 0; i < sc->n && n < MAX_COLS; i++)
        names[n++] = sc->cols[i].name;
    const char *s = em_suggest(name, names, n);
    if (qual)
        fail(p, pos, EM_ENOTFOUND, "unknown column '%s.%s'%s%s%s", qual, name,
             s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
    else
        fail(p, pos, EM_ENOTFOUND, "unknown column '%s'%s%s%s", name,
             s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
    return NULL;
}

/* ---- expressions ---- */

static const char *const aggregate_names[] = {
    "count",      "sum",       "avg",      "min",     "max",         "stddev",
    "stddev_samp", "stddev_pop", "var_samp", "var_pop", "variance", "first_value",
    "last_value", "nowcast_pm",
};

static int is_aggregate(const em_sql_expr *x)
{
    if (x->kind != EM_SQL_E_FUNC)
        return 0;
    for (size_t i = 0; i < sizeof aggregate_names / sizeof aggregate_names[0]; i++)
        if (strcasecmp(x->v.func.name, aggregate_names[i]) == 0)
            return 1;
    return 0;
}

static char *expr_text(planner *p, const em_sql_expr *x)
{
    em_buf b;
    em_buf_init(&b, 1 << 16);
    em_sql_expr_print(x, &b);
    char *t = pdup(p, b.ptr ? b.ptr : "");
    em_buf_release(&b);
    return t;
}

static const char *binop_fn(em_sql_binop op)
{
    switch (op) {
    case EM_SQL_OP_OR:
        return "or";
    case EM_SQL_OP_AND:
        return "and";
    case EM_SQL_OP_EQ:
        return "=";
    case EM_SQL_OP_NE:
        return "<>";
    case EM_SQL_OP_LT:
        return "<";
    case EM_SQL_OP_LE:
        return "<=";
    case EM_SQL_OP_GT:
        return ">";
    case EM_SQL_OP_GE:
        return ">=";
    case EM_SQL_OP_CONCAT:
        return "||";
    case EM_SQL_OP_ADD:
        return "+";
    case EM_SQL_OP_SUB:
        return "-";
    case EM_SQL_OP_MUL:
        return "*";
    case EM_SQL_OP_DIV:
        return "/";
    case EM_SQL_OP_MOD:
        return "%";
    }
    return "?";
}

static em_expr *conv(planner *p, const scope *sc, const agg_ctx *ag, const em_sql_expr *x);

static em_expr *negate(planner *p, em_expr *x)
{
    return x ? em_call(p->e, "not", 1, &x) : NULL;
}

static em_expr *conv_list(planner *p, const scope *sc, const agg_ctx *ag, em_sql_expr *const *xs,
                          uint32_t n, em_expr **out)
{
    for (uint32_t i = 0; i < n; i++)
        if (!(out[i] = conv(p, sc, ag, xs[i])))
            return NULL;
    return out[0];
}

static em_expr *conv(planner *p, const scope *sc, const agg_ctx *ag, const em_sql_expr *x)
{
    em_engine *e = p->e;
    if (p->rc)
        return NULL;
    if (ag) {
        /* after GROUP BY: aggregates and group expressions are columns */
        if (is_aggregate(x)) {
            char *t = expr_text(p, x);
            for (uint32_t i = 0; i < ag->naggs; i++)
                if (strcmp(ag->agg_text[i], t) == 0)
                    return em_col(e, pfmt(p, "__a%u", i));
            fail(p, x->pos, EM_EINVAL, "aggregate not expected here");
            return NULL;
        }
        if (x->kind != EM_SQL_E_INT && x->kind != EM_SQL_E_DOUBLE &&
            x->kind != EM_SQL_E_STRING && x->kind != EM_SQL_E_BOOL) {
            char *t = expr_text(p, x);
            for (uint32_t i = 0; i < ag->ngroup; i++)
                if (ag->group_col[i] && strcmp(ag->group_text[i], t) == 0)
                    return em_col(e, ag->group_col[i]);
        }
        if (x->kind == EM_SQL_E_COLUMN) {
            if (ag->windowed && !x->v.col.qualifier && is_window_col(x->v.col.name))
                return em_col(e, x->v.col.name);
            fail(p, x->pos, EM_EINVAL,
                 "column '%s' must appear in the GROUP BY clause or be used in an aggregate "
                 "function",
                 x->v.col.name);
            return NULL;
        }
    } else if (is_aggregate(x)) {
        fail(p, x->pos, EM_EINVAL, "aggregate function %s() is not allowed here",
             x->v.func.name);
        return NULL;
    }
    em_expr *a[256];
    em_expr *r = NULL;
    switch (x->kind) {
    case EM_SQL_E_NULL:
        r = em_null(e);
        break;
    case EM_SQL_E_BOOL:
        r = em_bool(e, x->v.b);
        break;
    case EM_SQL_E_INT:
        r = em_int(e, x->v.i);
        break;
    case EM_SQL_E_DOUBLE:
        r = em_double(e, x->v.d);
        break;
    case EM_SQL_E_STRING:
        r = em_text(e, x->v.str.ptr);
        break;
    case EM_SQL_E_TIMESTAMP:
        r = em_timestamp(e, x->v.ts.us);
        break;
    case EM_SQL_E_INTERVAL:
        r = em_interval(e, x->v.i);
        break;
    case EM_SQL_E_COLUMN: {
        const char *actual = resolve(p, sc, x->v.col.qualifier, x->v.col.name, x->pos);
        r = actual ? em_col(e, actual) : NULL;
        break;
    }
    case EM_SQL_E_UNARY:
        if (!(a[0] = conv(p, sc, ag, x->v.unary.arg)))
            return NULL;
        r = em_call(e, x->v.unary.op == EM_SQL_OP_NOT ? "not" : "neg", 1, a);
        break;
    case EM_SQL_E_BINARY:
        if (!(a[0] = conv(p, sc, ag, x->v.bin.l)) || !(a[1] = conv(p, sc, ag, x->v.bin.r)))
            return NULL;
        r = em_call(e, binop_fn(x->v.bin.op), 2, a);
        break;
    case EM_SQL_E_FUNC:
        if (x->v.func.nargs > 255) {
            fail(p, x->pos, EM_ELIMIT, "too many arguments");
            return NULL;
        }
        if (x->v.func.nargs && !conv_list(p, sc, ag, x->v.func.args, x->v.func.nargs, a))
            return NULL;
        r = em_call(e, x->v.func.name, x->v.func.nargs, a);
        break;
    case EM_SQL_E_EXTRACT:
        a[0] = em_text(e, x->v.extract.field);
        if (!(a[1] = conv(p, sc, ag, x->v.extract.arg)))
            return NULL;
        r = em_call(e, "extract", 2, a);
        break;
    case EM_SQL_E_CAST:
        if (!(a[0] = conv(p, sc, ag, x->v.cast.arg)))
            return NULL;
        r = em_cast(e, a[0], x->v.cast.type);
        break;
    case EM_SQL_E_CASE: {
        uint32_t n = x->v.cases.nwhens;
        if (n > 120) {
            fail(p, x->pos, EM_ELIMIT, "too many WHEN branches");
            return NULL;
        }
        em_expr **conds = a, **vals = a + 128, *operand = NULL, *els = NULL;
        if (x->v.cases.operand && !(operand = conv(p, sc, ag, x->v.cases.operand)))
            return NULL;
        for (uint32_t i = 0; i < n; i++) {
            em_expr *c = conv(p, sc, ag, x->v.cases.whens[i].cond);
            if (!c || !(vals[i] = conv(p, sc, ag, x->v.cases.whens[i].result)))
                return NULL;
            if (operand) { /* simple CASE x WHEN v: x = v */
                em_expr *eq[2] = {operand, c};
                c = em_call(e, "=", 2, eq);
            }
            conds[i] = c;
        }
        if (x->v.cases.else_ && !(els = conv(p, sc, ag, x->v.cases.else_)))
            return NULL;
        r = em_case(e, n, conds, vals, els);
        break;
    }
    case EM_SQL_E_IS_NULL:
        if (!(a[0] = conv(p, sc, ag, x->v.is_null.arg)))
            return NULL;
        r = em_call(e, x->v.is_null.negated ? "is_not_null" : "is_null", 1, a);
        break;
    case EM_SQL_E_BETWEEN:
        if (!(a[0] = conv(p, sc, ag, x->v.between.arg)) ||
            !(a[1] = conv(p, sc, ag, x->v.between.lo)) ||
            !(a[2] = conv(p, sc, ag, x->v.between.hi)))
            return NULL;
        r = em_call(e, "between", 3, a);
        if (x->v.between.negated)
            r = negate(p, r);
        break;
    case EM_SQL_E_IN:
        if (x->v.in.n > 254) {
            fail(p, x->pos, EM_ELIMIT, "IN list longer than 254 values");
            return NULL;
        }
        if (!(a[0] = conv(p, sc, ag, x->v.in.arg)) ||
            !conv_list(p, sc, ag, x->v.in.list, x->v.in.n, a + 1))
            return NULL;
        r = em_call(e, "in", x->v.in.n + 1, a);
        if (x->v.in.negated)
            r = negate(p, r);
        break;
    case EM_SQL_E_LIKE:
        if (!(a[0] = conv(p, sc, ag, x->v.like.arg)) ||
            !(a[1] = conv(p, sc, ag, x->v.like.pattern)))
            return NULL;
        r = em_call(e, x->v.like.negated ? "not_like" : "like", 2, a);
        break;
    }
    if (!r && !p->rc)
        fail(p, x->pos, EM_ENOMEM, "out of memory");
    return r;
}

/* nowcast_pm(value, ts): ts must be a TIMESTAMP column; in a window it
 * must be the window's time column (the aggregate buckets hours by it),
 * in a running aggregate it becomes the aggregate's time column (*ts, one
 * per query). */
static int nowcast_time(planner *p, const scope *sc, const em_sql_expr *f, int windowed,
                        const char **ts)
{
    const em_sql_expr *t = f->v.func.nargs == 2 ? f->v.func.args[1] : NULL;
    if (!t || t->kind != EM_SQL_E_COLUMN)
        return fail(p, t ? t->pos : f->pos, EM_EINVAL,
                    "nowcast_pm() takes a value and a TIMESTAMP column: nowcast_pm(pm25, ts)");
    const char *c = resolve(p, sc, t->v.col.qualifier, t->v.col.name, t->pos);
    if (!c)
        return p->rc;
    const em_schema *s = em_stream_schema(sc->st);
    int i = -1;
    for (uint32_t k = 0; k < s->nfields; k++)
        if (strcasecmp(s->fields[k].name, c) == 0)
            i = (int)k;
    if (i < 0 || s->fields[i].type != EM_TYPE_TIMESTAMP)
        return fail(p, t->pos, EM_ETYPE, "nowcast_pm() time '%s' must be a TIMESTAMP column",
                    t->v.col.name);
    const char *want = windowed ? sc->win.time_col : *ts;
    if (windowed ? !want || strcasecmp(want, c) != 0 : want && strcasecmp(want, c) != 0)
        return fail(p, t->pos, EM_EINVAL,
                    "nowcast_pm() time '%s' must be the %s time column%s%s%s", t->v.col.name,
                    windowed ? "window's event" : "same", want ? " '" : "", want ? want : "",
                    want ? "'" : "");
    *ts = c;
    return 0;
}

/* ---- queries ---- */

typedef struct pushdown pushdown;

static int plan_query(planner *p, const em_sql_query *q, em_stream **out);
static int plan_join(planner *p, const em_sql_from *f, scope *sc, pushdown *pd);
static int refs_window_col(const em_sql_expr *x);
static int plan_table_func(planner *p, const em_sql_from *f, scope *sc);

static int64_t interval_arg(planner *p, const em_sql_expr *x, const char *what)
{
    if (!x || x->kind != EM_SQL_E_INTERVAL || x->v.i <= 0) {
        fail(p, x ? x->pos : p->s->stmts[0].pos, EM_EINVAL,
             "the %s must be a positive INTERVAL literal, e.g. INTERVAL '1' MINUTE", what);
        return -1;
    }
    return x->v.i;
}

static int plan_from(planner *p, const em_sql_from *f, scope *sc)
{
    switch (f->kind) {
    case EM_SQL_FROM_NAME: {
        rel *r = need_rel(p, f->name, f->pos);
        if (!r)
            return p->rc;
        return scope_of_stream(p, sc, r->st, f->alias ? f->alias : r->name);
    }
    case EM_SQL_FROM_SUBQUERY: {
        em_stream *st;
        int rc = plan_query(p, f->query, &st);
        return rc ? rc : scope_of_stream(p, sc, st, f->alias);
    }
    case EM_SQL_FROM_LATE: {
        rel *r = need_rel(p, f->name, f->pos);
        if (!r)
            return p->rc;
        if (r->kind != REL_SOURCE)
            return fail(p, f->pos, EM_EINVAL, "LATE() takes a source; '%s' is not one",
                        f->name);
        em_stream *st = em_late(r->st);
        if (!st)
            return fail_engine(p, f->pos);
        return scope_of_stream(p, sc, st, f->alias ? f->alias : r->name);
    }
    case EM_SQL_FROM_TUMBLE:
    case EM_SQL_FROM_HOP:
    case EM_SQL_FROM_SESSION: {
        int rc = plan_from(p, f->input, sc);
        if (rc)
            return rc;
        em_window w = {0};
        w.kind = f->kind == EM_SQL_FROM_TUMBLE ? EM_WINDOW_TUMBLE
                 : f->kind == EM_SQL_FROM_HOP  ? EM_WINDOW_HOP
                                               : EM_WINDOW_SESSION;
        if (!f->proctime) {
            const char *t = resolve(p, sc, NULL, f->time_col, f->time_pos);
            if (!t)
                return p->rc;
            const em_schema *s = em_stream_schema(sc->st);
            int idx = -1;
            for (uint32_t i = 0; i < s->nfields; i++)
                if (strcasecmp(s->fields[i].name, t) == 0)
                    idx = (int)i;
            if (idx < 0 || s->fields[idx].type != EM_TYPE_TIMESTAMP)
                return fail(p, f->time_pos, EM_ETYPE,
                            "window time column '%s' must be a TIMESTAMP", f->time_col);
            w.time_col = t;
        }
        const char *what = w.kind == EM_WINDOW_SESSION ? "session gap" : "window size";
        if (w.kind == EM_WINDOW_HOP) {
            if ((w.slide_us = interval_arg(p, f->args[0], "window slide")) < 0 ||
                (w.size_us = interval_arg(p, f->args[1], "window size")) < 0)
                return p->rc;
            if (w.size_us % w.slide_us != 0)
                return fail(p, f->args[1]->pos, EM_EINVAL,
                            "HOP window size must be a multiple of its slide");
        } else {
            int64_t v = interval_arg(p, f->args[0], what);
            if (v < 0)
                return p->rc;
            if (w.kind == EM_WINDOW_SESSION)
                w.gap_us = v;
            else
                w.size_us = v;
        }
        sc->windowed = 1;
        sc->win = w;
        sc->win_pos = f->pos;
        if (f->alias) /* TUMBLE(readings, ...) r: columns are r.x */
            for (uint32_t i = 0; i < sc->n; i++)
                sc->cols[i].qual = f->alias;
        return 0;
    }
    case EM_SQL_FROM_JOIN:
        return plan_join(p, f, sc, NULL);
    case EM_SQL_FROM_FUNC:
        return plan_table_func(p, f, sc);
    }
    return fail(p, f->pos, EM_EUNSUPPORTED, "unsupported FROM item");
}

/* ---- air-quality table functions: QC, ALERTS, SILENCE ----
 *
 * NAME(input, key_col, time_col[, value_col], name => literal, ...). The
 * column arguments are plain columns of the input; named options are
 * literals (numbers, INTERVALs, strings). Kept in one function so the rest
 * of the planner does not know about them. */

typedef struct tf_opt {
    const char *name;
    char kind; /* 'n' number, 'i' integer, 't' INTERVAL, 's' string */
    void *out;
    int given;
} tf_opt;

static int tf_option(planner *p, const em_sql_from *f, uint32_t i, tf_opt *opts, uint32_t nopts)
{
    const em_sql_expr *x = f->fargs[i];
    tf_opt *o = NULL;
    for (uint32_t k = 0; k < nopts; k++)
        if (strcasecmp(opts[k].name, f->fnames[i]) == 0)
            o = &opts[k];
    if (!o) {
        const char *names[32];
        for (uint32_t k = 0; k < nopts && k < 32; k++)
            names[k] = opts[k].name;
        const char *s = em_suggest(f->fnames[i], names, nopts < 32 ? nopts : 32);
        return fail(p, f->fpos[i], EM_EINVAL, "%s has no option '%s'%s%s%s", f->name,
                    f->fnames[i], s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
    }
    if (o->given)
        return fail(p, f->fpos[i], EM_EINVAL, "%s option '%s' given twice", f->name, o->name);
    o->given = 1;
    switch (o->kind) {
    case 'n':
        if (x->kind == EM_SQL_E_INT)
            *(double *)o->out = (double)x->v.i;
        else if (x->kind == EM_SQL_E_DOUBLE)
            *(double *)o->out = x->v.d;
        else
            break;
        return 0;
    case 'i':
        if (x->kind != EM_SQL_E_INT || x->v.i < 0)
            break;
        *(int64_t *)o->out = x->v.i;
        return 0;
    case 't':
        if (x->kind != EM_SQL_E_INTERVAL || x->v.i < 0)
            break;
        *(int64_t *)o->out = x->v.i;
        return 0;
    case 's':
        if (x->kind != EM_SQL_E_STRING)
            break;
        *(const char **)o->out = pdup(p, x->v.str.ptr);
        return 0;
    }
    static const char *const what[] = {"a number", "a non-negative integer",
                                       "an INTERVAL literal, e.g. INTERVAL '5' MINUTE",
                                       "a string"};
    int w = o->kind == 'n' ? 0 : o->kind == 'i' ? 1 : o->kind == 't' ? 2 : 3;
    return fail(p, x->pos, EM_EINVAL, "%s option '%s' must be %s", f->name, o->name, what[w]);
}

static int plan_table_func(planner *p, const em_sql_from *f, scope *sc)
{
    int qc = strcasecmp(f->name, "QC") == 0, alerts = strcasecmp(f->name, "ALERTS") == 0;
    int rc = plan_from(p, f->input, sc);
    if (rc)
        return rc;
    const char *sig = qc       ? "QC(input, key_col, time_col, value_col, option => value, ...)"
                      : alerts ? "ALERTS(input, key_col, time_col, value_col, enter => x, "
                                 "exit => y, ...)"
                               : "SILENCE(input, key_col, time_col, INTERVAL)";
    uint32_t ncols = qc || alerts ? 3 : 2, npos = 0;
    const char *cols[3] = {NULL, NULL, NULL};
    while (npos < f->nfargs && !f->fnames[npos])
        npos++;
    for (uint32_t i = npos; i < f->nfargs; i++)
        if (!f->fnames[i])
            return fail(p, f->fpos[i], EM_EINVAL,
                        "positional arguments of %s come before named ones: %s", f->name, sig);
    if (npos < ncols || npos > ncols + (qc || alerts ? 0 : 1))
        return fail(p, f->pos, EM_EINVAL, "%s takes %s", f->name, sig);
    for (uint32_t i = 0; i < ncols; i++) {
        const em_sql_expr *x = f->fargs[i];
        if (x->kind != EM_SQL_E_COLUMN)
            return fail(p, x->pos, EM_EINVAL, "%s argument %u must be a column name: %s",
                        f->name, i + 2, sig);
        if (!(cols[i] = resolve(p, sc, x->v.col.qualifier, x->v.col.name, x->pos)))
            return p->rc;
    }
    em_stream *st = NULL;
    if (qc) {
        em_qc_options o;
        em_qc_options_init(&o);
        tf_opt opts[] = {
            {"fail_min", 'n', &o.fail_min, 0},           {"fail_max", 'n', &o.fail_max, 0},
            {"suspect_min", 'n', &o.suspect_min, 0},     {"suspect_max", 'n', &o.suspect_max, 0},
            {"spike_suspect", 'n', &o.spike_suspect, 0}, {"spike_fail", 'n', &o.spike_fail, 0},
            {"rate_suspect", 'n', &o.rate_suspect, 0},   {"rate_fail", 'n', &o.rate_fail, 0},
            {"flat_tolerance", 'n', &o.flat_tolerance, 0},
            {"flat_suspect", 'i', &o.flat_suspect, 0},   {"flat_fail", 'i', &o.flat_fail, 0},
            {"future", 't', &o.future_us, 0},            {"prefix", 's', &o.prefix, 0},
        };
        for (uint32_t i = npos; i < f->nfargs; i++)
            if ((rc = tf_option(p, f, i, opts, sizeof opts / sizeof opts[0])))
                return rc;
        st = em_qc(sc->st, cols[0], cols[1], cols[2], &o);
    } else if (alerts) {
        em_alert_options o = {NAN, NAN, 0, 0, 0};
        tf_opt opts[] = {
            {"enter", 'n', &o.enter, 0},         {"exit", 'n', &o.exit, 0},
            {"for", 't', &o.for_us, 0},          {"hold", 't', &o.hold_us, 0},
            {"no_data", 't', &o.no_data_us, 0},
        };
        for (uint32_t i = npos; i < f->nfargs; i++)
            if ((rc = tf_option(p, f, i, opts, sizeof opts / sizeof opts[0])))
                return rc;
        if (!opts[0].given || !opts[1].given)
            return fail(p, f->pos, EM_EINVAL, "ALERTS needs enter => and exit => thresholds");
        st = em_alerts(sc->st, cols[0], cols[1], cols[2], &o);
    } else {
        int64_t timeout = -1;
        tf_opt opts[] = {{"timeout", 't', &timeout, 0}};
        for (uint32_t i = npos; i < f->nfargs; i++)
            if ((rc = tf_option(p, f, i, opts, 1)))
                return rc;
        if (npos == 3 && (timeout = interval_arg(p, f->fargs[2], "silence timeout")) < 0)
            return p->rc;
        if (timeout <= 0)
            return fail(p, f->pos, EM_EINVAL, "SILENCE needs a positive timeout: %s", sig);
        st = em_silence(sc->st, cols[0], cols[1], timeout);
    }
    if (!st)
        return fail_engine(p, f->pos);
    return scope_of_stream(p, sc, st, f->alias);
}

/* ---- joins ---- */

/* Collects the AND-ed conjuncts of an ON condition. */
static uint32_t conjuncts(const em_sql_expr *x, const em_sql_expr **out, uint32_t n, uint32_t cap)
{
    if (x->kind == EM_SQL_E_BINARY && x->v.bin.op == EM_SQL_OP_AND) {
        n = conjuncts(x->v.bin.l, out, n, cap);
        return conjuncts(x->v.bin.r, out, n, cap);
    }
    if (n < cap)
        out[n++] = x;
    return n;
}

/* Does every column of x resolve in sc (without reporting)? */
static int refs_only(const em_sql_expr *x, const scope *sc);

static int col_in(const scope *sc, const em_sql_expr *c)
{
    for (uint32_t i = 0; i < sc->n; i++)
        if (strcasecmp(sc->cols[i].name, c->v.col.name) == 0 &&
            (!c->v.col.qualifier ||
             (sc->cols[i].qual && strcasecmp(sc->cols[i].qual, c->v.col.qualifier) == 0)))
            return (int)i;
    return -1;
}

static int refs_only(const em_sql_expr *x, const scope *sc)
{
    switch (x->kind) {
    case EM_SQL_E_COLUMN:
        return col_in(sc, x) >= 0;
    case EM_SQL_E_UNARY:
        return refs_only(x->v.unary.arg, sc);
    case EM_SQL_E_BINARY:
        return refs_only(x->v.bin.l, sc) && refs_only(x->v.bin.r, sc);
    case EM_SQL_E_FUNC:
        for (uint32_t i = 0; i < x->v.func.nargs; i++)
            if (!refs_only(x->v.func.args[i], sc))
                return 0;
        return 1;
    case EM_SQL_E_CAST:
        return refs_only(x->v.cast.arg, sc);
    case EM_SQL_E_EXTRACT:
        return refs_only(x->v.extract.arg, sc);
    default:
        return x->kind <= EM_SQL_E_INTERVAL; /* literals */
    }
}

/* The scope of a join's output: left's columns (plus lextra key columns
 * the join added to the left input), then right's (plus rextra), under the
 * names the join gave them. */
static int join_scope(planner *p, scope *out, em_stream *st, const scope *l, uint32_t lextra,
                      const scope *r)
{
    const em_schema *s = em_stream_schema(st);
    memset(out, 0, sizeof *out);
    out->st = st;
    out->n = s->nfields;
    out->cols = em_arena_calloc(&p->arena, s->nfields ? s->nfields : 1, sizeof *out->cols);
    if (!out->cols)
        return EM_ENOMEM;
    uint32_t rstart = l->n + lextra;
    for (uint32_t i = 0; i < s->nfields; i++) {
        const char *actual = s->fields[i].name;
        if (i < l->n)
            out->cols[i] = (col_ref){l->cols[i].qual, l->cols[i].name, actual};
        else if (i >= rstart && i - rstart < r->n)
            out->cols[i] = (col_ref){r->cols[i - rstart].qual, r->cols[i - rstart].name, actual};
        else
            out->cols[i] = (col_ref){NULL, actual, actual}; /* __jkN */
    }
    return 0;
}

/* `x BETWEEN y - a AND y + b` with x, y time columns of the two sides:
 * returns 1 and the bound of r.time relative to l.time. */
static int interval_bound(const em_sql_expr *c, const scope *l, const scope *r,
                          const char **lt, const char **rt, int64_t *lower, int64_t *upper)
{
    if (c->kind != EM_SQL_E_BETWEEN || c->v.between.negated ||
        c->v.between.arg->kind != EM_SQL_E_COLUMN)
        return 0;
    const em_sql_expr *lo = c->v.between.lo, *hi = c->v.between.hi, *x = c->v.between.arg;
    const em_sql_expr *ylo = lo, *yhi = hi;
    int64_t a = 0, b = 0;
    if (lo->kind == EM_SQL_E_BINARY && lo->v.bin.r->kind == EM_SQL_E_INTERVAL &&
        (lo->v.bin.op == EM_SQL_OP_SUB || lo->v.bin.op == EM_SQL_OP_ADD)) {
        a = lo->v.bin.op == EM_SQL_OP_SUB ? -lo->v.bin.r->v.i : lo->v.bin.r->v.i;
        ylo = lo->v.bin.l;
    }
    if (hi->kind == EM_SQL_E_BINARY && hi->v.bin.r->kind == EM_SQL_E_INTERVAL &&
        (hi->v.bin.op == EM_SQL_OP_SUB || hi->v.bin.op == EM_SQL_OP_ADD)) {
        b = hi->v.bin.op == EM_SQL_OP_SUB ? -hi->v.bin.r->v.i : hi->v.bin.r->v.i;
        yhi = hi->v.bin.l;
    }
    if (ylo->kind != EM_SQL_E_COLUMN || yhi->kind != EM_SQL_E_COLUMN ||
        strcasecmp(ylo->v.col.name, yhi->v.col.name) != 0)
        return 0;
    int xl = col_in(l, x), xr = col_in(r, x), yl = col_in(l, ylo), yr = col_in(r, ylo);
    if (xl >= 0 && yr >= 0 && xr < 0) {
        /* l.t in [r.t + a, r.t + b]  <=>  r.t in [l.t - b, l.t - a] */
        *lt = l->cols[xl].actual;
        *rt = r->cols[yr].actual;
        *lower = -b;
        *upper = -a;
        return 1;
    }
    if (xr >= 0 && yl >= 0 && xl < 0) {
        *lt = l->cols[yl].actual;
        *rt = r->cols[xr].actual;
        *lower = a;
        *upper = b;
        return 1;
    }
    return 0;
}

/* ---- predicate pushdown ----
 *
 * The WHERE of a SELECT over a join is split into AND-ed conjuncts, and
 * the join moves each one that reads a single input (and is movable,
 * pushdown.h) below itself, as a filter of that input, where that keeps
 * the result: the stream side of a table join, INNER or LEFT (the side a
 * LEFT join preserves); either side of an INNER interval join, the left
 * side of a LEFT one. Further ON conditions of an INNER join move the
 * same way. A table is never filtered: it is upserted by key, and
 * dropping an update would keep the row it replaced. An interval join
 * keeps its conditions above it as well: its state may hold rows that a
 * build without pushdown stored unfiltered (a restored checkpoint); and
 * conditions calling now() stay above it only (it may emit a row in a
 * later micro-batch, whose now() is later). */

struct pushdown {
    const em_sql_select *sel; /* the SELECT over the join */
    const em_sql_expr *cs[64]; /* its WHERE's conjuncts (n == 0: not split) */
    uint32_t n;
    int done[64]; /* applied below the join: not needed above it */
};

enum { SIDE_L = 1, SIDE_R = 2, SIDE_BOTH = 4 };

typedef struct side_ctx {
    const scope *l, *r;
    int sides;
} side_ctx;

/* How a column reference resolves in sc: 0 not at all, 1 to one column,
 * -1 ambiguously (as resolve() decides, without reporting). */
static int scope_match(const scope *sc, const em_sql_expr *c)
{
    const char *found = NULL;
    for (uint32_t i = 0; i < sc->n; i++) {
        const col_ref *cr = &sc->cols[i];
        if (strcasecmp(cr->name, c->v.col.name) != 0 ||
            (c->v.col.qualifier && (!cr->qual || strcasecmp(cr->qual, c->v.col.qualifier) != 0)))
            continue;
        if (found && strcasecmp(found, cr->actual) != 0)
            return -1;
        found = cr->actual;
    }
    return found != NULL;
}

static int side_col(void *ud, const em_sql_expr *c)
{
    side_ctx *x = ud;
    int ml = scope_match(x->l, c), mr = scope_match(x->r, c);
    x->sides |= ml == 1 && mr == 0 ? SIDE_L : ml == 0 && mr == 1 ? SIDE_R : SIDE_BOTH;
    return 0;
}

/* The single input a condition reads, SIDE_L or SIDE_R (a constant goes
 * left), or 0 when it may not move below the join. */
static int cond_side(const em_sql_expr *x, const scope *l, const scope *r, int lwindowed)
{
    if (!em__sql_movable(x) || (lwindowed && refs_window_col(x)))
        return 0;
    side_ctx c = {l, r, 0};
    em__sql_each_col(x, side_col, &c);
    if (c.sides != SIDE_L && c.sides != SIDE_R && c.sides != 0)
        return 0;
    return c.sides ? c.sides : SIDE_L;
}

/* Filters sc's stream by the AND of the conditions cs[i] with side[i] ==
 * want (none: no filter). */
static int filter_side(planner *p, scope *sc, const em_sql_expr *const *cs, const int *side,
                       uint32_t n, int want)
{
    em_expr *acc = NULL;
    em_sql_pos pos = {0};
    for (uint32_t i = 0; i < n; i++) {
        if (side[i] != want)
            continue;
        em_expr *w = conv(p, sc, NULL, cs[i]);
        if (!w)
            return p->rc;
        em_expr *a[2] = {acc, w};
        if (!acc)
            pos = cs[i]->pos;
        if (!(acc = acc ? em_call(p->e, "and", 2, a) : w))
            return fail(p, cs[i]->pos, EM_ENOMEM, "out of memory");
    }
    if (acc && !(sc->st = em_filter(sc->st, acc)))
        return fail_engine(p, pos);
    return 0;
}

/* Moves what may go below the join of l and r there: the ON conjuncts
 * not used as key or bound (on_used; INNER joins only) and the WHERE
 * conjuncts in pd (may be NULL). Marks those it no longer needs above. */
static int push_below(planner *p, scope *l, scope *r, int table, int left, int lwindowed,
                      const em_sql_expr *const *on, uint32_t non, int *on_used, pushdown *pd)
{
    const em_sql_expr *cs[128];
    int side[128], *done[128];
    uint32_t n = 0;
    for (uint32_t i = 0; i < non && !left; i++)
        if (!on_used[i]) {
            cs[n] = on[i];
            done[n++] = &on_used[i];
        }
    for (uint32_t i = 0; pd && i < pd->n; i++) {
        cs[n] = pd->cs[i];
        done[n++] = &pd->done[i];
    }
    for (uint32_t i = 0; i < n; i++) {
        side[i] = cond_side(cs[i], l, r, lwindowed);
        if ((side[i] == SIDE_R && (table || left)) || (!table && em__sql_uses_now(cs[i])))
            side[i] = 0;
        if (side[i] && table)
            *done[i] = 1;
    }
    int rc = filter_side(p, l, cs, side, n, SIDE_L);
    return rc ? rc : filter_side(p, r, cs, side, n, SIDE_R);
}

/* ---- column pruning below a table join ----
 *
 * The join copies every column of its stream side into its output, so a
 * projection below it drops the stream's columns that nothing above reads.
 * A column is kept when anything read after the join (the SELECT's
 * items, the rest of its WHERE, GROUP BY, HAVING, the join key and the
 * ON conditions left above, the window's time column) names a column of
 * that name, whatever the qualifier. Nothing is dropped
 * for SELECT * or when a name does not resolve (its error, with its
 * suggestions, comes later as before). */

typedef struct used_cols {
    const scope *l, *r;
    int windowed; /* window_start and window_end come after the join */
    const char *names[256];
    uint32_t n;
    int all; /* keep everything */
} used_cols;

static int note_col(void *ud, const em_sql_expr *c)
{
    used_cols *u = ud;
    if (!scope_match(u->l, c) && !scope_match(u->r, c))
        u->all = !(u->windowed && !c->v.col.qualifier && is_window_col(c->v.col.name));
    else if (u->n < 256)
        u->names[u->n++] = c->v.col.name;
    else
        u->all = 1;
    return u->all;
}

static int prune_left(planner *p, scope *l, const scope *r, const em_sql_from *f,
                      const em_sql_expr *key, const em_sql_expr *const *on, uint32_t non,
                      const int *on_used, const pushdown *pd, int windowed,
                      const char *time_col)
{
    const em_sql_select *sel = pd ? pd->sel : NULL;
    if (!sel)
        return 0;
    used_cols u = {.l = l, .r = r, .windowed = windowed};
    for (uint32_t i = 0; i < sel->nitems && !u.all; i++)
        u.all = sel->items[i].kind != EM_SQL_ITEM_EXPR ||
                em__sql_each_col(sel->items[i].expr, note_col, &u);
    for (uint32_t i = 0; i < pd->n && !u.all; i++)
        if (!pd->done[i])
            em__sql_each_col(pd->cs[i], note_col, &u);
    if (!pd->n && !u.all)
        em__sql_each_col(sel->where, note_col, &u);
    for (uint32_t i = 0; i < sel->ngroup_by && !u.all; i++)
        em__sql_each_col(sel->group_by[i], note_col, &u);
    if (!u.all)
        em__sql_each_col(sel->having, note_col, &u);
    if (!u.all)
        em__sql_each_col(key, note_col, &u);
    for (uint32_t i = 0; i < non && !u.all; i++)
        if (!on_used[i]) /* the key is used, and so are conditions moved below */
            em__sql_each_col(on[i], note_col, &u);
    if (u.all)
        return 0;
    em_expr *cols[MAX_COLS];
    const char *names[MAX_COLS];
    uint32_t k = 0;
    for (uint32_t i = 0; i < l->n && i < MAX_COLS; i++) {
        int keep = time_col && strcasecmp(l->cols[i].actual, time_col) == 0;
        for (uint32_t j = 0; j < u.n && !keep; j++)
            keep = strcasecmp(l->cols[i].name, u.names[j]) == 0;
        if (!keep)
            continue;
        l->cols[k] = l->cols[i];
        names[k] = l->cols[i].actual;
        if (!(cols[k] = em_col(p->e, names[k])))
            return fail(p, f->pos, EM_ENOMEM, "out of memory");
        k++;
    }
    if (k == l->n || k == 0)
        return 0; /* nothing to drop (or nothing left: keep the rows' shape) */
    if (!(l->st = em_select(l->st, k, cols, names)))
        return fail_engine(p, f->pos);
    l->n = k;
    return 0;
}

/* The WHERE conditions left above the join (NULL with p->rc == 0: none). */
static em_expr *where_above(planner *p, const scope *sc, const em_sql_expr *where,
                            const pushdown *pd)
{
    uint32_t left = 0;
    for (uint32_t i = 0; i < pd->n; i++)
        left += !pd->done[i];
    if (left == pd->n) /* nothing moved: the condition as written */
        return conv(p, sc, NULL, where);
    em_expr *acc = NULL;
    for (uint32_t i = 0; i < pd->n; i++) {
        if (pd->done[i])
            continue;
        em_expr *w = conv(p, sc, NULL, pd->cs[i]);
        if (!w)
            return NULL;
        em_expr *a[2] = {acc, w};
        if (!(acc = acc ? em_call(p->e, "and", 2, a) : w)) {
            fail(p, pd->cs[i]->pos, EM_ENOMEM, "out of memory");
            return NULL;
        }
    }
    return acc;
}

static int plan_join(planner *p, const em_sql_from *f, scope *sc, pushdown *pd)
{
    scope l, r;
    int rc = plan_from(p, f->left, &l);
    if (rc || (rc = plan_from(p, f->right, &r)))
        return rc;
    if (r.windowed)
        return fail(p, f->right->pos, EM_EUNSUPPORTED,
                    "a window function on the right of a JOIN is not supported; put it on "
                    "the left, or join views that GROUP BY the window on window_start");
    /* a window function on the left applies to the joined rows: it keeps
     * the left's time column, whose name the join keeps */
    int lwindowed = l.windowed;
    em_window lwin = l.win;
    em_sql_pos lwin_pos = l.win_pos;
    l.windowed = 0;
    const em_sql_expr *cs[64];
    uint32_t n = conjuncts(f->on, cs, 0, 64);
    int left = f->join_type == EM_SQL_JOIN_LEFT;
    const rel *rr = f->right->kind == EM_SQL_FROM_NAME ? find_rel(p, f->right->name) : NULL;
    int used[64] = {0};
    em_stream *st = NULL;
    if (rr && rr->kind == REL_TABLE) {
        /* stream JOIN table ON <stream expr> = <table key> */
        const em_sql_expr *key = NULL;
        for (uint32_t i = 0; i < n && !key; i++) {
            const em_sql_expr *c = cs[i];
            if (c->kind != EM_SQL_E_BINARY || c->v.bin.op != EM_SQL_OP_EQ)
                continue;
            for (int side = 0; side < 2 && !key; side++) {
                const em_sql_expr *t = side ? c->v.bin.l : c->v.bin.r;
                const em_sql_expr *o = side ? c->v.bin.r : c->v.bin.l;
                if (t->kind != EM_SQL_E_COLUMN || col_in(&l, t) >= 0)
                    continue;
                int ci = col_in(&r, t);
                if (ci < 0 || !refs_only(o, &l) || strcasecmp(r.cols[ci].name, rr->key) != 0)
                    continue;
                key = o;
                used[i] = 1;
            }
        }
        if (!key)
            return fail(p, f->on->pos, EM_EINVAL,
                        "a join with table '%s' needs ON <stream expression> = %s.%s (its "
                        "PRIMARY KEY)",
                        rr->name, f->right->alias ? f->right->alias : rr->name, rr->key);
        em_expr *k = conv(p, &l, NULL, key);
        if (!k)
            return p->rc;
        if ((rc = push_below(p, &l, &r, 1, left, lwindowed, cs, n, used, pd)) ||
            (rc = prune_left(p, &l, &r, f, key, cs, n, used, pd, lwindowed,
                             lwindowed ? lwin.time_col : NULL)))
            return rc;
        if (!(st = em_join_table(l.st, r.st, k, left)))
            return fail_engine(p, f->on->pos);
    } else {
        /* stream JOIN stream: key equalities and one time bound */
        const char *lt = NULL, *rt = NULL;
        int64_t lower = 0, upper = 0;
        int windows = 0; /* matching window bounds of two windowed views */
        const em_sql_expr *lk = NULL, *rk = NULL;
        for (uint32_t i = 0; i < n; i++) {
            const em_sql_expr *c = cs[i];
            if (!lt && interval_bound(c, &l, &r, &lt, &rt, &lower, &upper)) {
                used[i] = 1;
                continue;
            }
            if (c->kind != EM_SQL_E_BINARY || c->v.bin.op != EM_SQL_OP_EQ)
                continue;
            const em_sql_expr *a = c->v.bin.l, *b = c->v.bin.r;
            if (!refs_only(a, &l) || !refs_only(b, &r)) {
                const em_sql_expr *t = a;
                a = b;
                b = t;
            }
            if (!refs_only(a, &l) || !refs_only(b, &r))
                continue;
            if (!lt && a->kind == EM_SQL_E_COLUMN && b->kind == EM_SQL_E_COLUMN &&
                is_window_col(a->v.col.name) && is_window_col(b->v.col.name)) {
                lt = l.cols[col_in(&l, a)].actual; /* matching windows: same bound */
                rt = r.cols[col_in(&r, b)].actual;
                windows = 1;
                used[i] = 1;
                continue;
            }
            if (!lk) {
                lk = a;
                rk = b;
                used[i] = 1;
            }
        }
        if (!lt)
            return fail(p, f->on->pos, EM_EINVAL,
                        "a join of two streams needs a time bound in ON, e.g. a.ts BETWEEN "
                        "b.ts - INTERVAL '5' SECOND AND b.ts + INTERVAL '5' SECOND, or "
                        "matching windows (a.window_start = b.window_start)");
        if (!lk)
            return fail(p, f->on->pos, EM_EINVAL,
                        "a join of two streams needs a key equality in ON (a.key = b.key)");
        em_expr *lke = conv(p, &l, NULL, lk), *rke = lke ? conv(p, &r, NULL, rk) : NULL;
        if (!rke)
            return p->rc;
        if ((rc = push_below(p, &l, &r, 0, left, lwindowed, cs, n, used, pd)))
            return rc;
        const char *rname = f->right->alias ? f->right->alias : f->right->name;
        st = windows ? em_join_windows(l.st, r.st, lke, rke, lt, rt, left, rname ? rname : "right")
                     : em_join_interval(l.st, r.st, lke, rke, lt, rt, lower, upper, left,
                                        rname ? rname : "right");
        if (!st)
            return fail_engine(p, f->on->pos);
    }
    /* both joins append the evaluated key to the left input ("__jk0") */
    if ((rc = join_scope(p, sc, st, &l, 1, &r)))
        return rc;
    sc->windowed = lwindowed;
    sc->win = lwin;
    sc->win_pos = lwin_pos;
    /* other conditions filter the joined rows (INNER only: for LEFT they
     * would have to decide the match, which the join does not support) */
    for (uint32_t i = 0; i < n; i++) {
        if (used[i])
            continue;
        if (left)
            return fail(p, cs[i]->pos, EM_EUNSUPPORTED,
                        "a LEFT JOIN condition may only hold the key equality and time bound; "
                        "move this condition to WHERE");
        em_expr *w = conv(p, sc, NULL, cs[i]);
        if (!w)
            return p->rc;
        if (!(sc->st = em_filter(sc->st, w)))
            return fail_engine(p, cs[i]->pos);
    }
    return 0;
}

/* Applies a window function that has no GROUP BY over its bounds: one row
 * per (row, window) with window_start and window_end. */
static int apply_window_rows(planner *p, scope *sc)
{
    em_stream *st = em_window_rows(sc->st, &sc->win);
    if (!st)
        return fail_engine(p, sc->win_pos);
    const char *qual = sc->n ? sc->cols[0].qual : NULL;
    int rc = scope_of_stream(p, sc, st, qual);
    sc->windowed = 0;
    return rc;
}

static int collect_aggs(planner *p, const em_sql_expr *x, agg_ctx *ag, int inside)
{
    if (!x || p->rc)
        return p->rc;
    if (is_aggregate(x)) {
        if (inside)
            return fail(p, x->pos, EM_EINVAL, "aggregate function calls cannot be nested");
        char *t = expr_text(p, x);
        for (uint32_t i = 0; i < ag->naggs; i++)
            if (strcmp(ag->agg_text[i], t) == 0)
                return 0;
        if (ag->naggs >= 256)
            return fail(p, x->pos, EM_ELIMIT, "more than 256 aggregates in one SELECT");
        ag->aggs[ag->naggs] = (em_sql_expr *)x;
        ag->agg_text[ag->naggs++] = t;
        for (uint32_t i = 0; i < x->v.func.nargs; i++)
            collect_aggs(p, x->v.func.args[i], ag, 1);
        return p->rc;
    }
    switch (x->kind) {
    case EM_SQL_E_UNARY:
        return collect_aggs(p, x->v.unary.arg, ag, inside);
    case EM_SQL_E_BINARY:
        collect_aggs(p, x->v.bin.l, ag, inside);
        return collect_aggs(p, x->v.bin.r, ag, inside);
    case EM_SQL_E_FUNC:
        for (uint32_t i = 0; i < x->v.func.nargs; i++)
            collect_aggs(p, x->v.func.args[i], ag, inside);
        return p->rc;
    case EM_SQL_E_EXTRACT:
        return collect_aggs(p, x->v.extract.arg, ag, inside);
    case EM_SQL_E_CAST:
        return collect_aggs(p, x->v.cast.arg, ag, inside);
    case EM_SQL_E_CASE:
        collect_aggs(p, x->v.cases.operand, ag, inside);
        for (uint32_t i = 0; i < x->v.cases.nwhens; i++) {
            collect_aggs(p, x->v.cases.whens[i].cond, ag, inside);
            collect_aggs(p, x->v.cases.whens[i].result, ag, inside);
        }
        return collect_aggs(p, x->v.cases.else_, ag, inside);
    case EM_SQL_E_IS_NULL:
        return collect_aggs(p, x->v.is_null.arg, ag, inside);
    case EM_SQL_E_BETWEEN:
        collect_aggs(p, x->v.between.arg, ag, inside);
        collect_aggs(p, x->v.between.lo, ag, inside);
        return collect_aggs(p, x->v.between.hi, ag, inside);
    case EM_SQL_E_IN:
        collect_aggs(p, x->v.in.arg, ag, inside);
        for (uint32_t i = 0; i < x->v.in.n; i++)
            collect_aggs(p, x->v.in.list[i], ag, inside);
        return p->rc;
    case EM_SQL_E_LIKE:
        collect_aggs(p, x->v.like.arg, ag, inside);
        return collect_aggs(p, x->v.like.pattern, ag, inside);
    default:
        return 0;
    }
}

/* The output name of a select item. */
static const char *item_name(planner *p, const em_sql_select_item *it, uint32_t i)
{
    if (it->alias)
        return it->alias;
    const em_sql_expr *x = it->expr;
    if (x->kind == EM_SQL_E_COLUMN)
        return x->v.col.name;
    if (x->kind == EM_SQL_E_FUNC)
        return x->v.func.name;
    if (x->kind == EM_SQL_E_EXTRACT)
        return x->v.extract.field;
    if (x->kind == EM_SQL_E_CAST && x->v.cast.arg->kind == EM_SQL_E_COLUMN)
        return x->v.cast.arg->v.col.name;
    return pfmt(p, "col%u", i + 1);
}

/* Builds the final projection of a SELECT over scope sc (ag after GROUP BY). */
static int plan_items(planner *p, const em_sql_select *sel, scope *sc, const agg_ctx *ag,
                      em_stream **out)
{
    static em_expr *exprs[MAX_COLS];
    static const char *names[MAX_COLS];
    em_sql_pos pos[MAX_COLS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < sel->nitems; i++) {
        const em_sql_select_item *it = &sel->items[i];
        if (it->kind != EM_SQL_ITEM_EXPR) {
            if (ag)
                return fail(p, it->pos, EM_EINVAL,
                            "SELECT * cannot be used with GROUP BY or aggregates; name the "
                            "columns");
            uint32_t matched = 0;
            for (uint32_t c = 0; c < sc->n && n < MAX_COLS; c++) {
                const col_ref *cr = &sc->cols[c];
                if (cr->name[0] == '_' && cr->name[1] == '_')
                    continue; /* planner-internal columns */
                if (it->kind == EM_SQL_ITEM_QSTAR &&
                    (!cr->qual || strcasecmp(cr->qual, it->qualifier) != 0))
                    continue;
                pos[n] = it->pos;
                names[n] = cr->name;
                exprs[n++] = em_col(p->e, cr->actual);
                matched++;
            }
            if (!matched && it->kind == EM_SQL_ITEM_QSTAR)
                return fail(p, it->pos, EM_ENOTFOUND, "no relation named '%s' in FROM",
                            it->qualifier);
            continue;
        }
        if (n >= MAX_COLS)
            return fail(p, it->pos, EM_ELIMIT, "more than %d output columns", MAX_COLS);
        pos[n] = it->pos;
        names[n] = item_name(p, it, n);
        if (!(exprs[n] = conv(p, sc, ag, it->expr)))
            return p->rc;
        n++;
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcasecmp(names[i], names[j]) == 0)
                return fail(p, pos[i], EM_EINVAL,
                            "duplicate output column '%s'; name it with AS", names[i]);
    /* SELECT * (or the same columns in the same order): no projection */
    const em_schema *in = em_stream_schema(sc->st);
    int identity = !ag && n == in->nfields;
    for (uint32_t i = 0; identity && i < n; i++) {
        const em_sql_select_item *it = &sel->items[i < sel->nitems ? i : 0];
        identity = strcmp(names[i], in->fields[i].name) == 0 &&
                   (sel->nitems == 1 && it->kind == EM_SQL_ITEM_STAR);
    }
    if (identity) {
        *out = sc->st;
        return 0;
    }
    em_stream *st = em_select(sc->st, n, exprs, names);
    if (!st)
        return fail_engine(p, sel->pos);
    *out = st;
    return 0;
}

/* Whether x mentions window_start or window_end. */
static int refs_window_col(const em_sql_expr *x)
{
    if (!x)
        return 0;
    switch (x->kind) {
    case EM_SQL_E_COLUMN:
        return is_window_col(x->v.col.name);
    case EM_SQL_E_UNARY:
        return refs_window_col(x->v.unary.arg);
    case EM_SQL_E_BINARY:
        return refs_window_col(x->v.bin.l) || refs_window_col(x->v.bin.r);
    case EM_SQL_E_FUNC:
        for (uint32_t i = 0; i < x->v.func.nargs; i++)
            if (refs_window_col(x->v.func.args[i]))
                return 1;
        return 0;
    case EM_SQL_E_EXTRACT:
        return refs_window_col(x->v.extract.arg);
    case EM_SQL_E_CAST:
        return refs_window_col(x->v.cast.arg);
    case EM_SQL_E_CASE:
        if (refs_window_col(x->v.cases.operand) || refs_window_col(x->v.cases.else_))
            return 1;
        for (uint32_t i = 0; i < x->v.cases.nwhens; i++)
            if (refs_window_col(x->v.cases.whens[i].cond) ||
                refs_window_col(x->v.cases.whens[i].result))
                return 1;
        return 0;
    case EM_SQL_E_IS_NULL:
        return refs_window_col(x->v.is_null.arg);
    case EM_SQL_E_BETWEEN:
        return refs_window_col(x->v.between.arg) || refs_window_col(x->v.between.lo) ||
               refs_window_col(x->v.between.hi);
    case EM_SQL_E_IN:
        if (refs_window_col(x->v.in.arg))
            return 1;
        for (uint32_t i = 0; i < x->v.in.n; i++)
            if (refs_window_col(x->v.in.list[i]))
                return 1;
        return 0;
    case EM_SQL_E_LIKE:
        return refs_window_col(x->v.like.arg) || refs_window_col(x->v.like.pattern);
    default:
        return 0;
    }
}

static int is_aggregate_node(void *ud, const em_sql_expr *x)
{
    (void)ud;
    return is_aggregate(x);
}

/* SELECT DISTINCT a, b (named columns, no aggregates) as GROUP BY a, b, or
 * NULL when sel is not one (or on error). */
static em_sql_select *distinct_as_group_by(planner *p, const em_sql_select *sel)
{
    if (!sel->distinct || sel->ngroup_by ||
        em__sql_visit(sel->having, is_aggregate_node, NULL))
        return NULL;
    for (uint32_t i = 0; i < sel->nitems; i++)
        if (sel->items[i].kind != EM_SQL_ITEM_EXPR ||
            em__sql_visit(sel->items[i].expr, is_aggregate_node, NULL))
            return NULL;
    em_sql_select *copy = em_arena_alloc(&p->arena, sizeof *copy);
    em_sql_expr **group = em_arena_calloc(&p->arena, sel->nitems ? sel->nitems : 1,
                                          sizeof *group);
    if (!copy || !group) {
        fail(p, sel->pos, EM_ENOMEM, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < sel->nitems; i++)
        group[i] = sel->items[i].expr;
    *copy = *sel;
    copy->group_by = group;
    copy->ngroup_by = sel->nitems;
    copy->distinct = 0;
    return copy;
}

static int plan_select(planner *p, const em_sql_select *sel, em_stream **out)
{
    /* DISTINCT = GROUP BY every selected expression, decided before the
     * FROM is planned (planning it twice would run it twice) */
    const em_sql_select *grouped = distinct_as_group_by(p, sel);
    if (p->rc)
        return p->rc;
    if (grouped)
        sel = grouped;
    scope sc;
    pushdown pd = {.sel = sel, .n = 0};
    int join = sel->from->kind == EM_SQL_FROM_JOIN;
    if (join && sel->where && (pd.n = em__sql_conjuncts(sel->where, pd.cs, 64)) > 64)
        pd.n = 0; /* too many to split: the WHERE stays above the join */
    int rc = join ? plan_join(p, sel->from, &sc, &pd) : plan_from(p, sel->from, &sc);
    if (rc)
        return rc;
    if (sel->where) {
        /* A WHERE on the window function's input columns filters rows before
         * they are windowed, so a GROUP BY of the window stays a windowed
         * aggregation (each window emitted once, when it closes). Only a
         * condition on window_start/window_end needs the window rows. */
        if (sc.windowed && refs_window_col(sel->where)) {
            for (uint32_t i = 0; i < sel->ngroup_by; i++)
                if (refs_window_col(sel->group_by[i]))
                    return fail(p, sel->where->pos, EM_EUNSUPPORTED,
                                "a WHERE on window_start/window_end cannot filter a windowed "
                                "GROUP BY (windows are emitted when they close): put the "
                                "condition in HAVING");
            if ((rc = apply_window_rows(p, &sc)))
                return rc;
        }
        em_expr *w = where_above(p, &sc, sel->where, &pd);
        if (p->rc)
            return p->rc;
        em_stream *st = w ? em_filter(sc.st, w) : sc.st;
        if (!st)
            return fail_engine(p, sel->where->pos);
        sc.st = st;
    }
    /* aggregation? */
    agg_ctx ag = {0};
    em_sql_expr *aggs[256];
    char *agg_text[256];
    ag.aggs = aggs;
    ag.agg_text = agg_text;
    for (uint32_t i = 0; i < sel->nitems; i++)
        if (sel->items[i].kind == EM_SQL_ITEM_EXPR)
            collect_aggs(p, sel->items[i].expr, &ag, 0);
    collect_aggs(p, sel->having, &ag, 0);
    if (p->rc)
        return p->rc;
    if (sel->ngroup_by == 0 && ag.naggs == 0 && !sel->distinct) {
        if (sel->having)
            return fail(p, sel->having->pos, EM_EINVAL, "HAVING needs GROUP BY or aggregates");
        if (sc.windowed && (rc = apply_window_rows(p, &sc)))
            return rc;
        return plan_items(p, sel, &sc, NULL, out);
    }
    if (sel->distinct && (sel->ngroup_by || ag.naggs))
        return fail(p, sel->pos, EM_EUNSUPPORTED,
                    "SELECT DISTINCT with GROUP BY or aggregates is not supported; drop one");
    /* any other DISTINCT became a GROUP BY above, unless it selects * */
    for (uint32_t i = 0; sel->distinct && i < sel->nitems; i++)
        if (sel->items[i].kind != EM_SQL_ITEM_EXPR)
            return fail(p, sel->items[i].pos, EM_EUNSUPPORTED,
                        "SELECT DISTINCT * is not supported; name the columns");
    /* GROUP BY: window bounds select the window; other expressions are keys */
    int windowed_group = 0;
    for (uint32_t i = 0; i < sel->ngroup_by; i++) {
        const em_sql_expr *g = sel->group_by[i];
        if (sc.windowed && g->kind == EM_SQL_E_COLUMN && !g->v.col.qualifier &&
            is_window_col(g->v.col.name))
            windowed_group = 1;
    }
    if (sc.windowed && !windowed_group && (rc = apply_window_rows(p, &sc)))
        return rc;
    uint32_t ng = sel->ngroup_by;
    em_expr *keys[ng ? ng : 1];
    const char *key_names[ng ? ng : 1];
    em_sql_expr *gexprs[ng ? ng : 1];
    char *gtext[ng ? ng : 1];
    const char *gcol[ng ? ng : 1];
    uint32_t nkeys = 0;
    for (uint32_t i = 0; i < ng; i++) {
        em_sql_expr *g = sel->group_by[i];
        gexprs[i] = g;
        gtext[i] = expr_text(p, g);
        gcol[i] = NULL;
        if (windowed_group && g->kind == EM_SQL_E_COLUMN && !g->v.col.qualifier &&
            is_window_col(g->v.col.name))
            continue;
        if (is_aggregate(g))
            return fail(p, g->pos, EM_EINVAL, "aggregate functions are not allowed in GROUP BY");
        if (!(keys[nkeys] = conv(p, &sc, NULL, g)))
            return p->rc;
        const char *kn = g->kind == EM_SQL_E_COLUMN ? g->v.col.name : pfmt(p, "__k%u", i);
        for (uint32_t j = 0; j < nkeys; j++)
            if (strcasecmp(key_names[j], kn) == 0)
                kn = pfmt(p, "__k%u", i); /* the same name grouped twice (t1.x, t2.x) */
        key_names[nkeys++] = kn;
        gcol[i] = kn;
    }
    ag.group = gexprs;
    ag.group_text = gtext;
    ag.group_col = gcol;
    ag.ngroup = ng;
    ag.windowed = windowed_group;
    em_agg_call calls[ag.naggs ? ag.naggs : 1];
    const char *nowcast_ts = NULL; /* running nowcast_pm: its event-time column */
    for (uint32_t i = 0; i < ag.naggs; i++) {
        const em_sql_expr *f = ag.aggs[i];
        calls[i].fn = f->v.func.name;
        calls[i].distinct = f->v.func.distinct;
        calls[i].name = pfmt(p, "__a%u", i);
        calls[i].arg = NULL;
        if (f->v.func.star) {
            if (strcasecmp(f->v.func.name, "count") != 0)
                return fail(p, f->pos, EM_EINVAL, "only count(*) takes *");
        } else if (strcasecmp(f->v.func.name, "nowcast_pm") == 0) {
            if ((rc = nowcast_time(p, &sc, f, windowed_group, &nowcast_ts)) ||
                !(calls[i].arg = conv(p, &sc, NULL, f->v.func.args[0])))
                return p->rc;
        } else if (f->v.func.nargs != 1) {
            return fail(p, f->pos, EM_EINVAL, "aggregate %s() takes one argument",
                        f->v.func.name);
        } else if (!(calls[i].arg = conv(p, &sc, NULL, f->v.func.args[0]))) {
            return p->rc;
        }
    }
    em_window none = {EM_WINDOW_NONE, nowcast_ts, 0, 0, 0};
    em_stream *st = em_aggregate(sc.st, nkeys, keys, key_names, ag.naggs, calls,
                                 windowed_group ? &sc.win : &none);
    if (!st)
        return fail_engine(p, sel->pos);
    scope post;
    if ((rc = scope_of_stream(p, &post, st, NULL)))
        return rc;
    if (sel->having) {
        em_expr *h = conv(p, &post, &ag, sel->having);
        if (!h)
            return p->rc;
        if (!(st = em_filter(st, h)))
            return fail_engine(p, sel->having->pos);
        post.st = st;
    }
    return plan_items(p, sel, &post, &ag, out);
}

static int plan_query(planner *p, const em_sql_query *q, em_stream **out)
{
    em_stream *acc = NULL;
    for (uint32_t i = 0; i < q->nselects; i++) {
        em_stream *st;
        int rc = plan_select(p, q->selects[i], &st);
        if (rc)
            return rc;
        if (acc && !(st = em_union(acc, st)))
            return fail(p, q->selects[i]->pos, EM_ETYPE,
                        "UNION ALL inputs must have the same column names and types");
        acc = st;
    }
    *out = acc;
    return 0;
}

/* ---- statements ---- */

/* key, value pairs of a WITH list, minus `connector` (returned apart). */
/* The connector's options of a statement; `connector` and (sinks) `id`,
 * the stable id of the sink's stateful operators, are the engine's. */
static const char **options_kv(planner *p, const em_sql_stmt *st, const char **connector,
                               const char **id)
{
    const char **kv = em_arena_calloc(&p->arena, 2 * st->noptions + 1, sizeof *kv);
    if (!kv)
        return NULL;
    uint32_t n = 0;
    *connector = NULL;
    if (id)
        *id = NULL;
    for (uint32_t i = 0; i < st->noptions; i++) {
        const em_sql_option *o = &st->options[i];
        if (strcasecmp(o->key, "connector") == 0) {
            *connector = o->value;
            continue;
        }
        if (id && strcasecmp(o->key, "id") == 0) {
            *id = o->value;
            continue;
        }
        kv[n++] = o->key;
        kv[n++] = o->value;
    }
    kv[n] = NULL;
    return kv;
}

/* Where to report an engine error about a statement's options: at the
 * option the message names ("option 'pth'"), else at the statement name. */
static em_sql_pos option_pos(planner *p, const em_sql_stmt *st)
{
    const char *msg = em_engine_errmsg(p->e);
    for (uint32_t i = 0; i < st->noptions; i++) {
        char quoted[160];
        snprintf(quoted, sizeof quoted, "option '%s'", st->options[i].key);
        if (strstr(msg, quoted))
            return st->options[i].key_pos;
        snprintf(quoted, sizeof quoted, "connector '%s'", st->options[i].value);
        if (strcasecmp(st->options[i].key, "connector") == 0 && strstr(msg, quoted))
            return st->options[i].value_pos;
    }
    return st->name_pos;
}

static em_schema *stmt_schema(const em_sql_stmt *st)
{
    const char *names[st->ncolumns ? st->ncolumns : 1];
    em_type types[st->ncolumns ? st->ncolumns : 1];
    for (uint32_t i = 0; i < st->ncolumns; i++) {
        names[i] = st->columns[i].name;
        types[i] = st->columns[i].type;
    }
    return em_schema_create(st->ncolumns, names, types);
}

static int overridden(planner *p, const char *name)
{
    for (size_t i = 0; p->overrides && p->overrides[i]; i += 2)
        if (strcasecmp(p->overrides[i], name) == 0)
            return 1;
    return 0;
}

/* The dead-letter sink must be known before any sink is planned, and the
 * SET naming it may come after its CREATE SINK: look it up first, a --set
 * override winning over the script. */
static void find_dead_letter(planner *p)
{
    for (size_t i = 0; p->overrides && p->overrides[i]; i += 2)
        if (strcasecmp(p->overrides[i], "dead_letter") == 0)
            p->dead_letter = p->overrides[i + 1];
    for (uint32_t i = 0; i < p->s->nstmts && !p->dead_letter; i++) {
        const em_sql_stmt *st = &p->s->stmts[i];
        if (st->kind == EM_SQL_STMT_SET && strcasecmp(st->name, "dead_letter") == 0) {
            p->dead_letter = st->set.value;
            p->dead_letter_pos = st->name_pos;
        }
    }
    if (p->dead_letter && !p->dead_letter[0])
        p->dead_letter = NULL;
}

static int plan_source(planner *p, const em_sql_stmt *st, int table)
{
    const char *connector;
    const char **kv = options_kv(p, st, &connector, NULL);
    if (!kv)
        return fail(p, st->pos, EM_ENOMEM, "out of memory");
    if (!connector)
        return fail(p, st->name_pos, EM_EINVAL,
                    "%s '%s' needs WITH (connector = '...'), e.g. 'file' or 'generator'",
                    table ? "table" : "source", st->name);
    for (uint32_t i = 0; i < st->ncolumns; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcasecmp(st->columns[i].name, st->columns[j].name) == 0)
                return fail(p, st->columns[i].pos, EM_EEXISTS, "column '%s' is declared twice",
                            st->columns[i].name);
    const char *pk = NULL;
    for (uint32_t i = 0; i < st->ncolumns; i++) {
        if (!st->columns[i].primary_key)
            continue;
        if (!table)
            return fail(p, st->columns[i].pos, EM_EINVAL,
                        "PRIMARY KEY belongs to CREATE TABLE, not to a source");
        if (pk)
            return fail(p, st->columns[i].pos, EM_EINVAL,
                        "a table has one PRIMARY KEY column");
        pk = st->columns[i].name;
    }
    if (table && !pk)
        return fail(p, st->name_pos, EM_EINVAL, "table '%s' needs a PRIMARY KEY column",
                    st->name);
    if (find_rel(p, st->name))
        return add_rel(p, st->name, REL_SOURCE, NULL, st->name_pos);
    em_schema *s = stmt_schema(st);
    if (!s)
        return fail(p, st->pos, EM_ENOMEM, "out of memory");
    em_stream *stream = table ? em_table(p->e, st->name, connector, s, pk, kv)
                              : em_source(p->e, st->name, connector, s, kv);
    em_schema_destroy(s);
    if (!stream)
        return fail_engine(p, option_pos(p, st));
    if (st->watermark) {
        const em_sql_watermark *w = st->watermark;
        if (w->delay_us < 0)
            return fail(p, w->expr ? w->expr->pos : w->pos, EM_EUNSUPPORTED,
                        "WATERMARK must be the column or column - INTERVAL '...'");
        if (em_source_watermark(stream, w->column, w->delay_us))
            return fail(p, w->column_pos, EM_EINVAL, "%s", em_engine_errmsg(p->e));
    }
    int rc = add_rel(p, st->name, table ? REL_TABLE : REL_SOURCE, stream, st->name_pos);
    if (!rc && table)
        p->rels[p->nrels - 1].key = pdup(p, pk);
    return rc;
}

/* Index of an output column by case-insensitive name, or -1. */
static int out_col(const em_schema *sch, const char *name)
{
    for (uint32_t i = 0; i < sch->nfields; i++)
        if (strcasecmp(sch->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Whether select item x computes GROUP BY expression g: the same column
 * (qualifier ignored) or the same expression text. */
static int same_group_expr(planner *p, const em_sql_expr *x, const em_sql_expr *g)
{
    if (x->kind == EM_SQL_E_COLUMN && g->kind == EM_SQL_E_COLUMN)
        return strcasecmp(x->v.col.name, g->v.col.name) == 0;
    return strcasecmp(expr_text(p, x), expr_text(p, g)) == 0;
}

/* The upsert key of a sink's query: for one SELECT with a non-windowed
 * GROUP BY (or DISTINCT) whose every group expression is an output column,
 * the names of those output columns (docs/sql.md, "Emission semantics").
 * Returns the number of keys (0: append-only output). */
static uint32_t sink_keys(planner *p, const em_sql_query *q, const em_stream *out,
                          const char **names, uint32_t cap)
{
    const em_schema *sch = em_stream_schema(out);
    if (q->nselects != 1)
        return 0;
    const em_sql_select *sel = q->selects[0];
    const rel *v = NULL;
    if (!sel->ngroup_by && !sel->distinct && sel->from && sel->from->kind == EM_SQL_FROM_NAME)
        v = find_rel(p, sel->from->name);
    if (v && v->kind == REL_VIEW && v->nukeys && v->nukeys <= cap) {
        /* SELECT from one keyed view (a running aggregate): its key
         * columns, when the output keeps them under their names */
        for (uint32_t k = 0; k < v->nukeys; k++) {
            int found = 0;
            for (uint32_t i = 0; i < sel->nitems && !found; i++) {
                const em_sql_select_item *it = &sel->items[i];
                if (it->kind != EM_SQL_ITEM_EXPR)
                    found = out_col(sch, v->ukeys[k]) >= 0;
                else if (it->expr->kind == EM_SQL_E_COLUMN && !it->alias &&
                         strcasecmp(it->expr->v.col.name, v->ukeys[k]) == 0)
                    found = 1;
            }
            int c = out_col(sch, v->ukeys[k]);
            if (!found || c < 0)
                return 0;
            names[k] = sch->fields[c].name;
        }
        return v->nukeys;
    }
    if (sel->nitems != sch->nfields || sel->nitems > cap)
        return 0;
    for (uint32_t i = 0; i < sel->nitems; i++)
        if (sel->items[i].kind != EM_SQL_ITEM_EXPR)
            return 0;
    if (sel->distinct && !sel->ngroup_by) {
        for (uint32_t i = 0; i < sel->nitems; i++)
            names[i] = sch->fields[i].name;
        return sel->nitems;
    }
    uint32_t n = 0;
    for (uint32_t g = 0; g < sel->ngroup_by; g++) {
        const em_sql_expr *ge = sel->group_by[g];
        if (ge->kind == EM_SQL_E_COLUMN && is_window_col(ge->v.col.name))
            return 0; /* windowed: final results, appended */
        uint32_t i = 0;
        while (i < sel->nitems && !same_group_expr(p, sel->items[i].expr, ge))
            i++;
        if (i == sel->nitems || n == cap)
            return 0; /* a group not in the output: no usable key */
        names[n++] = sch->fields[i].name;
    }
    return n;
}

static int plan_stmt(planner *p, const em_sql_stmt *st)
{
    switch (st->kind) {
    case EM_SQL_STMT_SET:
        if (overridden(p, st->name))
            return 0;
        if (em_engine_set(p->e, st->name, st->set.value))
            return fail(p, st->name_pos, EM_EINVAL, "%s", em_engine_errmsg(p->e));
        return 0;
    case EM_SQL_STMT_CREATE_SOURCE:
        return plan_source(p, st, 0);
    case EM_SQL_STMT_CREATE_TABLE:
        return plan_source(p, st, 1);
    case EM_SQL_STMT_CREATE_VIEW: {
        if (find_rel(p, st->name))
            return add_rel(p, st->name, REL_VIEW, NULL, st->name_pos);
        em_stream *out;
        if (em_engine_set_scope(p->e, st->name))
            return fail_engine(p, st->name_pos);
        int rc = plan_query(p, st->query, &out);
        em_engine_set_scope(p->e, NULL);
        if (rc || (rc = add_rel(p, st->name, REL_VIEW, out, st->name_pos)))
            return rc;
        /* the web UI shows a view's latest rows like a sink's */
        if (em_sink(out, st->name, "view", NULL))
            return fail_engine(p, st->name_pos);
        const char *keys[MAX_COLS];
        uint32_t nkeys = sink_keys(p, st->query, out, keys, MAX_COLS);
        rel *v = &p->rels[p->nrels - 1];
        if (nkeys && (v->ukeys = em_arena_calloc(&p->arena, nkeys, sizeof *v->ukeys))) {
            for (uint32_t i = 0; i < nkeys; i++)
                v->ukeys[i] = pdup(p, keys[i]);
            v->nukeys = nkeys;
        }
        return 0;
    }
    case EM_SQL_STMT_CREATE_SINK: {
        if (find_rel(p, st->name))
            return add_rel(p, st->name, REL_SINK, NULL, st->name_pos);
        const char *connector, *id;
        const char **kv = options_kv(p, st, &connector, &id);
        if (!kv)
            return fail(p, st->pos, EM_ENOMEM, "out of memory");
        if (!connector)
            return fail(p, st->name_pos, EM_EINVAL,
                        "sink '%s' needs WITH (connector = '...'), e.g. 'file' or 'stdout'",
                        st->name);
        em_stream *out;
        int dead = p->dead_letter && strcasecmp(p->dead_letter, st->name) == 0;
        if (!st->query && !dead)
            return fail(p, st->name_pos, EM_EINVAL,
                        "sink '%s' has no AS query; only the dead-letter sink (SET dead_letter "
                        "= '%s') receives rows without one",
                        st->name, st->name);
        if (st->query && dead)
            return fail(p, st->name_pos, EM_EINVAL,
                        "sink '%s' is the dead-letter sink: it receives the job's bad records "
                        "and takes no AS query",
                        st->name);
        if (dead) {
            if (!(out = em_bad_records(p->e)))
                return fail_engine(p, st->name_pos);
            p->dead_letter_found = 1;
        } else {
            if (em_engine_set_scope(p->e, id && id[0] ? id : st->name))
                return fail_engine(p, st->name_pos);
            int rc = plan_query(p, st->query, &out);
            em_engine_set_scope(p->e, NULL);
            if (rc)
                return rc;
        }
        const char *keys[MAX_COLS];
        uint32_t nkeys = st->query ? sink_keys(p, st->query, out, keys, MAX_COLS) : 0;
        if (em_sink_keyed(out, st->name, connector, kv, nkeys, keys))
            return fail_engine(p, option_pos(p, st));
        return add_rel(p, st->name, REL_SINK, NULL, st->name_pos);
    }
    }
    return fail(p, st->pos, EM_EUNSUPPORTED, "unsupported statement");
}

int em_sql_plan(em_engine *e, const em_sql_script *script, const em_sql_plan_opts *opts,
                em_buf *diag)
{
    planner p = {0};
    p.e = e;
    p.s = script;
    p.diag = diag;
    p.overrides = opts ? opts->overrides : NULL;
    em_arena_init(&p.arena, 16 * 1024);
    for (size_t i = 0; p.overrides && p.overrides[i]; i += 2)
        if (em_engine_set(e, p.overrides[i], p.overrides[i + 1])) {
            em_buf_printf(diag, "--set %s: %s\n", p.overrides[i], em_engine_errmsg(e));
            p.rc = EM_EINVAL;
            goto done;
        }
    find_dead_letter(&p);
    for (uint32_t i = 0; i < script->nstmts && !p.rc; i++)
        plan_stmt(&p, &script->stmts[i]);
    if (!p.rc && p.dead_letter && !p.dead_letter_found)
        fail(&p, p.dead_letter_pos, EM_EINVAL,
             "dead_letter names '%s', but the job has no CREATE SINK %s WITH (...)",
             p.dead_letter, p.dead_letter);
    if (!p.rc) {
        uint32_t sinks = 0;
        for (uint32_t i = 0; i < p.nrels; i++)
            sinks += p.rels[i].kind == REL_SINK;
        if (!sinks) {
            em_sql_pos end = {1, 1, 0};
            fail(&p, end, EM_EINVAL,
                 "the job has no CREATE SINK: nothing would be output");
        }
    }
done:
    em_free(p.rels);
    em_arena_release(&p.arena);
    return p.rc;
}

int em_sql_load_file(em_engine *e, const char *path, const em_sql_plan_opts *opts, em_buf *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        em_buf_printf(diag, "%s: error: cannot open: %s\n", path, strerror(errno));
        return EM_EIO;
    }
    em_buf text;
    em_buf_init(&text, (size_t)64 << 20);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = em_buf_append(&text, chunk, n))) {
            em_buf_printf(diag, "%s: error: file too large (over 64 MiB)\n", path);
            break;
        }
    fclose(f);
    if (!rc) {
        em_arena arena;
        em_arena_init(&arena, 64 * 1024);
        em_sql_script *script;
        rc = em_sql_parse(path, text.ptr ? text.ptr : "", text.len, &arena, &script, diag);
        if (!rc)
            rc = em_sql_plan(e, script, opts, diag);
        em_arena_release(&arena);
    }
    em_buf_release(&text);
    return rc;
}
