/*
 * sql/ast_print.c - canonical rendering of a syntax tree (ast.h).
 *
 * The output is valid job text that parses back to an identical tree
 * (modulo positions): names are double-quoted exactly when a bare word
 * would read differently (keywords, upper case, odd characters), operator
 * expressions are fully parenthesised so precedence is visible, and
 * literals are normalised. Tests rely on it to check the parser's
 * structure; tools may use it to echo a job back.
 *
 * Recursion follows the tree, whose height the parser bounds
 * (EM_SQL_MAX_HEIGHT for expressions, EM_SQL_MAX_DEPTH for queries).
 */
#include "sql/ast.h"

#include "ember/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct printer {
    em_buf *out;
    int rc; /* first em_buf error; printing stops there */
} printer;

static void put(printer *pr, const char *s)
{
    if (!pr->rc)
        pr->rc = em_buf_puts(pr->out, s);
}

static void put_n(printer *pr, const char *s, size_t n)
{
    if (!pr->rc)
        pr->rc = em_buf_append(pr->out, s, n);
}

static void put_name(printer *pr, const char *name)
{
    int bare = (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_';
    for (const char *c = name; *c && bare; c++)
        bare = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '$';
    if (bare && em_sql_keyword_lookup(name, strlen(name)) == EM_SQL_KW_NONE) {
        put(pr, name);
        return;
    }
    put(pr, "\"");
    for (const char *c = name; *c; c++) {
        if (*c == '"')
            put(pr, "\"\"");
        else
            put_n(pr, c, 1);
    }
    put(pr, "\"");
}

static void put_string(printer *pr, const char *s, size_t n)
{
    put(pr, "'");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            put(pr, "''");
        else
            put_n(pr, s + i, 1);
    }
    put(pr, "'");
}

static void put_double(printer *pr, double d)
{
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eE"))
        strcat(buf, ".0");
    put(pr, buf);
}

static void put_interval(printer *pr, int64_t us)
{
    static const struct {
        const char *unit;
        int64_t us;
    } units[] = {{"DAY", INT64_C(86400000000)},
                 {"HOUR", INT64_C(3600000000)},
                 {"MINUTE", 60000000},
                 {"SECOND", 1000000},
                 {"MILLISECOND", 1000}};
    char buf[64];
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (us % units[i].us == 0) {
            snprintf(buf, sizeof buf, "INTERVAL '%lld' %s", (long long)(us / units[i].us),
                     units[i].unit);
            put(pr, buf);
            return;
        }
    }
    snprintf(buf, sizeof buf, "INTERVAL '%lld.%06lld' SECOND", (long long)(us / 1000000),
             (long long)(us % 1000000));
    put(pr, buf);
}

const char *em_sql_binop_name(em_sql_binop op)
{
    static const char *const names[] = {"OR", "AND", "=", "<>", "<", "<=", ">",
                                        ">=", "||",  "+", "-",  "*", "/",  "%"};
    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

static void expr(printer *pr, const em_sql_expr *e);

static void expr_list(printer *pr, em_sql_expr *const *list, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            put(pr, ", ");
        expr(pr, list[i]);
    }
}

static void expr(printer *pr, const em_sql_expr *e)
{
    char buf[32];
    switch (e->kind) {
    case EM_SQL_E_NULL:
        put(pr, "NULL");
        break;
    case EM_SQL_E_BOOL:
        put(pr, e->v.b ? "TRUE" : "FALSE");
        break;
    case EM_SQL_E_INT:
        snprintf(buf, sizeof buf, "%lld", (long long)e->v.i);
        put(pr, buf);
        break;
    case EM_SQL_E_DOUBLE:
        put_double(pr, e->v.d);
        break;
    case EM_SQL_E_STRING:
        put_string(pr, e->v.str.ptr, e->v.str.len);
        break;
    case EM_SQL_E_TIMESTAMP:
        put(pr, "TIMESTAMP ");
        put_string(pr, e->v.ts.text, strlen(e->v.ts.text));
        break;
    case EM_SQL_E_INTERVAL:
        put_interval(pr, e->v.i);
        break;
    case EM_SQL_E_COLUMN:
        if (e->v.col.qualifier) {
            put_name(pr, e->v.col.qualifier);
            put(pr, ".");
        }
        put_name(pr, e->v.col.name);
        break;
    case EM_SQL_E_UNARY:
        put(pr, e->v.unary.op == EM_SQL_OP_NOT ? "(NOT " : "(- ");
        expr(pr, e->v.unary.arg);
        put(pr, ")");
        break;
    case EM_SQL_E_BINARY:
        put(pr, "(");
        expr(pr, e->v.bin.l);
        put(pr, " ");
        put(pr, em_sql_binop_name(e->v.bin.op));
        put(pr, " ");
        expr(pr, e->v.bin.r);
        put(pr, ")");
        break;
    case EM_SQL_E_FUNC:
        /* A quoted "extract" must stay quoted, or it would reparse as
         * extract(field FROM x). */
        if (strcmp(e->v.func.name, "extract") == 0)
            put(pr, "\"extract\"");
        else
            put_name(pr, e->v.func.name);
        put(pr, e->v.func.distinct ? "(DISTINCT " : "(");
        if (e->v.func.star)
            put(pr, "*");
        expr_list(pr, e->v.func.args, e->v.func.nargs);
        put(pr, ")");
        break;
    case EM_SQL_E_EXTRACT:
        put(pr, "extract(");
        put(pr, e->v.extract.field);
        put(pr, " FROM ");
        expr(pr, e->v.extract.arg);
        put(pr, ")");
        break;
    case EM_SQL_E_CAST:
        put(pr, "CAST(");
        expr(pr, e->v.cast.arg);
        put(pr, " AS ");
        put(pr, em_type_name(e->v.cast.type));
        put(pr, ")");
        break;
    case EM_SQL_E_CASE:
        put(pr, "CASE");
        if (e->v.cases.operand) {
            put(pr, " ");
            expr(pr, e->v.cases.operand);
        }
        for (uint32_t i = 0; i < e->v.cases.nwhens; i++) {
            put(pr, " WHEN ");
            expr(pr, e->v.cases.whens[i].cond);
            put(pr, " THEN ");
            expr(pr, e->v.cases.whens[i].result);
        }
        if (e->v.cases.else_) {
            put(pr, " ELSE ");
            expr(pr, e->v.cases.else_);
        }
        put(pr, " END");
        break;
    case EM_SQL_E_IS_NULL:
        put(pr, "(");
        expr(pr, e->v.is_null.arg);
        put(pr, e->v.is_null.negated ? " IS NOT NULL)" : " IS NULL)");
        break;
    case EM_SQL_E_BETWEEN:
        put(pr, "(");
        expr(pr, e->v.between.arg);
        put(pr, e->v.between.negated ? " NOT BETWEEN " : " BETWEEN ");
        expr(pr, e->v.between.lo);
        put(pr, " AND ");
        expr(pr, e->v.between.hi);
        put(pr, ")");
        break;
    case EM_SQL_E_IN:
        put(pr, "(");
        expr(pr, e->v.in.arg);
        put(pr, e->v.in.negated ? " NOT IN (" : " IN (");
        expr_list(pr, e->v.in.list, e->v.in.n);
        put(pr, "))");
        break;
    case EM_SQL_E_LIKE:
        put(pr, "(");
        expr(pr, e->v.like.arg);
        put(pr, e->v.like.negated ? " NOT LIKE " : " LIKE ");
        expr(pr, e->v.like.pattern);
        put(pr, ")");
        break;
    }
}

static void query(printer *pr, const em_sql_query *q);

static void alias(printer *pr, const char *a)
{
    if (a) {
        put(pr, " AS ");
        put_name(pr, a);
    }
}

static void from(printer *pr, const em_sql_from *f)
{
    static const char *const fn[] = {"", "", "TUMBLE", "HOP", "SESSION", "LATE", ""};
    switch (f->kind) {
    case EM_SQL_FROM_NAME:
        put_name(pr, f->name);
        break;
    case EM_SQL_FROM_SUBQUERY:
        put(pr, "(");
        query(pr, f->query);
        put(pr, ")");
        break;
    case EM_SQL_FROM_LATE:
        put(pr, "LATE(");
        put_name(pr, f->name);
        put(pr, ")");
        break;
    case EM_SQL_FROM_TUMBLE:
    case EM_SQL_FROM_HOP:
    case EM_SQL_FROM_SESSION:
        put(pr, fn[f->kind]);
        put(pr, "(");
        from(pr, f->input);
        put(pr, ", ");
        if (f->proctime)
            put(pr, "PROCTIME()");
        else
            put_name(pr, f->time_col);
        for (uint32_t i = 0; i < f->nargs; i++) {
            put(pr, ", ");
            expr(pr, f->args[i]);
        }
        put(pr, ")");
        break;
    case EM_SQL_FROM_FUNC:
        put(pr, f->name);
        put(pr, "(");
        from(pr, f->input);
        for (uint32_t i = 0; i < f->nfargs; i++) {
            put(pr, ", ");
            if (f->fnames[i]) {
                put_name(pr, f->fnames[i]);
                put(pr, " => ");
            }
            expr(pr, f->fargs[i]);
        }
        put(pr, ")");
        break;
    case EM_SQL_FROM_JOIN:
        from(pr, f->left);
        put(pr, f->join_type == EM_SQL_JOIN_LEFT ? " LEFT JOIN " : " JOIN ");
        from(pr, f->right);
        put(pr, " ON ");
        expr(pr, f->on);
        return; /* aliases belong to the inputs */
    }
    alias(pr, f->alias);
}

static void select_(printer *pr, const em_sql_select *s)
{
    put(pr, s->distinct ? "SELECT DISTINCT " : "SELECT ");
    for (uint32_t i = 0; i < s->nitems; i++) {
        const em_sql_select_item *it = &s->items[i];
        if (i)
            put(pr, ", ");
        if (it->kind == EM_SQL_ITEM_STAR) {
            put(pr, "*");
        } else if (it->kind == EM_SQL_ITEM_QSTAR) {
            put_name(pr, it->qualifier);
            put(pr, ".*");
        } else {
            expr(pr, it->expr);
            alias(pr, it->alias);
        }
    }
    put(pr, " FROM ");
    from(pr, s->from);
    if (s->where) {
        put(pr, " WHERE ");
        expr(pr, s->where);
    }
    if (s->ngroup_by) {
        put(pr, " GROUP BY ");
        expr_list(pr, s->group_by, s->ngroup_by);
    }
    if (s->having) {
        put(pr, " HAVING ");
        expr(pr, s->having);
    }
}

static void query(printer *pr, const em_sql_query *q)
{
    for (uint32_t i = 0; i < q->nselects; i++) {
        if (i)
            put(pr, " UNION ALL ");
        select_(pr, q->selects[i]);
    }
}

static void value(printer *pr, const em_sql_option *o)
{
    switch (o->kind) {
    case EM_SQL_VAL_STRING:
        put_string(pr, o->value, o->value_len);
        break;
    case EM_SQL_VAL_BOOL:
        put(pr, strcmp(o->value, "true") == 0 ? "TRUE" : "FALSE");
        break;
    case EM_SQL_VAL_NUMBER:
        put(pr, o->value);
        break;
    case EM_SQL_VAL_WORD:
        put_name(pr, o->value);
        break;
    }
}

static void options(printer *pr, const em_sql_stmt *st)
{
    put(pr, " WITH (");
    for (uint32_t i = 0; i < st->noptions; i++) {
        const em_sql_option *o = &st->options[i];
        if (i)
            put(pr, ", ");
        /* Dotted or odd keys print as 'strings', which parse to the same key. */
        const char *k = o->key;
        int bare = (k[0] >= 'a' && k[0] <= 'z') || k[0] == '_';
        for (const char *c = k; *c && bare; c++)
            bare = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
        if (bare)
            put(pr, k); /* keys may be keywords: WITH (table = 't') */
        else
            put_string(pr, k, strlen(k));
        put(pr, " = ");
        value(pr, o);
    }
    put(pr, ")");
}

static void stmt(printer *pr, const em_sql_stmt *st)
{
    static const char *const what[] = {"SET ", "CREATE SOURCE ", "CREATE TABLE ", "CREATE VIEW ",
                                       "CREATE SINK "};
    put(pr, what[st->kind]);
    put_name(pr, st->name);
    switch (st->kind) {
    case EM_SQL_STMT_SET:
        put(pr, " = ");
        value(pr, &st->set);
        break;
    case EM_SQL_STMT_CREATE_SOURCE:
    case EM_SQL_STMT_CREATE_TABLE:
        put(pr, " (");
        for (uint32_t i = 0; i < st->ncolumns; i++) {
            if (i)
                put(pr, ", ");
            put_name(pr, st->columns[i].name);
            put(pr, " ");
            put(pr, em_type_name(st->columns[i].type));
            if (st->columns[i].primary_key)
                put(pr, " PRIMARY KEY");
        }
        if (st->watermark) {
            put(pr, st->ncolumns ? ", WATERMARK FOR " : "WATERMARK FOR ");
            put_name(pr, st->watermark->column);
            put(pr, " AS ");
            expr(pr, st->watermark->expr);
        }
        put(pr, ")");
        options(pr, st);
        break;
    case EM_SQL_STMT_CREATE_VIEW:
        put(pr, " AS ");
        query(pr, st->query);
        break;
    case EM_SQL_STMT_CREATE_SINK:
        options(pr, st);
        if (st->query) { /* none for the dead-letter sink */
            put(pr, " AS ");
            query(pr, st->query);
        }
        break;
    }
    put(pr, ";\n");
}

int em_sql_ast_print(const em_sql_script *s, em_buf *out)
{
    printer pr = {out, 0};
    for (uint32_t i = 0; i < s->nstmts && !pr.rc; i++)
        stmt(&pr, &s->stmts[i]);
    return pr.rc;
}

int em_sql_expr_print(const em_sql_expr *e, em_buf *out)
{
    printer pr = {out, 0};
    expr(&pr, e);
    return pr.rc;
}
