/*
 * sql/parser_stmt.c - statements: SET, CREATE SOURCE / TABLE (column
 * lists, WATERMARK, PRIMARY KEY), CREATE VIEW, CREATE SINK, and WITH
 * options. Queries come from parser.c, expressions from parser_expr.c.
 */
#include "ember/error.h"
#include "sql/parser_int.h"

#include <stdio.h>
#include <string.h>

/* ---- statements -------------------------------------------------------- */

/* A SET or WITH value: 'string', number, TRUE/FALSE, or a bare word. */
static int option_value(em_sql_parser *p, em_sql_option *o)
{
    em_sql_token t = p->tok;
    o->value_pos = t.pos;
    int neg = 0;
    if (t.kind == EM_SQL_TOK_MINUS) {
        em_sql_token n = em__sql_peek(p);
        if (n.kind == EM_SQL_TOK_INTEGER || n.kind == EM_SQL_TOK_DECIMAL) {
            neg = 1;
            em__sql_advance(p);
            t = p->tok;
        }
    }
    switch (t.kind) {
    case EM_SQL_TOK_STRING:
        o->kind = EM_SQL_VAL_STRING;
        o->value = em_sql_token_text(p->text, &t, p->arena, &o->value_len);
        break;
    case EM_SQL_TOK_INTEGER:
    case EM_SQL_TOK_DECIMAL: {
        char *v = em_arena_alloc(p->arena, t.len + 2);
        if (v) {
            v[0] = '-';
            memcpy(v + 1, p->text + t.pos.off, t.len);
            v[t.len + 1] = 0;
            o->value = v + !neg;
            o->value_len = t.len + (size_t)neg;
        }
        o->kind = EM_SQL_VAL_NUMBER;
        break;
    }
    case EM_SQL_TOK_QIDENT:
    case EM_SQL_TOK_IDENT:
        o->kind = (t.kw == EM_SQL_KW_TRUE || t.kw == EM_SQL_KW_FALSE) ? EM_SQL_VAL_BOOL
                                                                      : EM_SQL_VAL_WORD;
        o->value = em_sql_token_text(p->text, &t, p->arena, &o->value_len);
        break;
    default:
        em__sql_expected(p, "a value ('string', number, TRUE or FALSE)");
        return -1;
    }
    if (!o->value) {
        em__sql_nomem(p);
        return -1;
    }
    em__sql_advance(p);
    return 0;
}

/* Option key: name, dotted name (scan.mode) or 'string'. */
static char *option_key(em_sql_parser *p)
{
    if (p->tok.kind == EM_SQL_TOK_STRING) {
        char *k = em_sql_token_text(p->text, &p->tok, p->arena, NULL);
        if (!k)
            return em__sql_nomem(p);
        em__sql_advance(p);
        return k;
    }
    if (p->tok.kind != EM_SQL_TOK_IDENT && p->tok.kind != EM_SQL_TOK_QIDENT)
        return em__sql_expected(p, "option name");
    char *k = em_sql_token_text(p->text, &p->tok, p->arena, NULL);
    em__sql_advance(p);
    while (k && p->tok.kind == EM_SQL_TOK_DOT) {
        em__sql_advance(p);
        if (p->tok.kind != EM_SQL_TOK_IDENT && p->tok.kind != EM_SQL_TOK_QIDENT)
            return em__sql_expected(p, "option name after '.'");
        char *part = em_sql_token_text(p->text, &p->tok, p->arena, NULL);
        size_t a = strlen(k), b = part ? strlen(part) : 0;
        char *joined = part ? em_arena_alloc(p->arena, a + b + 2) : NULL;
        if (!joined)
            return em__sql_nomem(p);
        memcpy(joined, k, a);
        joined[a] = '.';
        memcpy(joined + a + 1, part, b + 1);
        k = joined;
        em__sql_advance(p);
    }
    return k ? k : em__sql_nomem(p);
}

static int with_options(em_sql_parser *p, em_sql_stmt *st)
{
    uint32_t cap = 0;
    char what[96];
    if (em__sql_expect(p, EM_SQL_TOK_LPAREN, "'(' after WITH"))
        return -1;
    if (p->tok.kind == EM_SQL_TOK_RPAREN) {
        em__sql_advance(p);
        return 0;
    }
    for (;;) {
        em_sql_option *o = em__sql_push(p, &st->options, &st->noptions, &cap, sizeof *o);
        if (!o)
            return -1;
        o->key_pos = p->tok.pos;
        if (!(o->key = option_key(p)))
            return -1;
        snprintf(what, sizeof what, "'=' after option name '%.40s'", o->key);
        if (em__sql_expect(p, EM_SQL_TOK_EQ, what) || option_value(p, o))
            return -1;
        if (p->tok.kind == EM_SQL_TOK_COMMA) {
            em__sql_advance(p);
            continue;
        }
        return em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after WITH options");
    }
}

static int watermark(em_sql_parser *p, em_sql_stmt *st)
{
    if (st->watermark) {
        em__sql_error(p, p->tok.pos, "only one WATERMARK is allowed per %s",
                      st->kind == EM_SQL_STMT_CREATE_TABLE ? "table" : "source");
        return -1;
    }
    em_sql_watermark *w = em_arena_calloc(p->arena, 1, sizeof *w);
    if (!w) {
        em__sql_nomem(p);
        return -1;
    }
    w->pos = p->tok.pos;
    em__sql_advance(p); /* WATERMARK */
    em__sql_advance(p); /* FOR */
    if (!(w->column = em__sql_name(p, "column name after WATERMARK FOR", &w->column_pos)) ||
        em__sql_expect_kw(p, EM_SQL_KW_AS, "AS after WATERMARK FOR column") ||
        !(w->expr = em__sql_parse_expr(p)))
        return -1;
    const em_sql_expr *e = w->expr, *c = e;
    w->delay_us = -1;
    if (e->kind == EM_SQL_E_BINARY && e->v.bin.op == EM_SQL_OP_SUB &&
        e->v.bin.r->kind == EM_SQL_E_INTERVAL)
        c = e->v.bin.l;
    if (c->kind == EM_SQL_E_COLUMN && !c->v.col.qualifier && strcmp(c->v.col.name, w->column) == 0)
        w->delay_us = c == e ? 0 : e->v.bin.r->v.i;
    st->watermark = w;
    return 0;
}

static int column_list(em_sql_parser *p, em_sql_stmt *st)
{
    int table = st->kind == EM_SQL_STMT_CREATE_TABLE;
    uint32_t cap = 0;
    const char *pk_name = NULL; /* PRIMARY KEY (col) constraint */
    em_sql_pos pk_pos = {0, 0, 0};
    int npk = 0;
    if (em__sql_expect(p, EM_SQL_TOK_LPAREN, table ? "'(' and a column list after table name"
                                                   : "'(' and a column list after source name"))
        return -1;
    for (;;) {
        em_sql_token next = em__sql_peek(p);
        if (em__sql_is_kw(p, EM_SQL_KW_WATERMARK) && next.kind == EM_SQL_TOK_IDENT &&
            next.kw == EM_SQL_KW_FOR) {
            if (watermark(p, st))
                return -1;
        } else if (em__sql_is_kw(p, EM_SQL_KW_PRIMARY) && next.kind == EM_SQL_TOK_IDENT &&
                   next.kw == EM_SQL_KW_KEY) {
            em_sql_pos at = p->tok.pos;
            if (!table || npk) {
                em__sql_error(p, at, table ? "only one PRIMARY KEY column is allowed"
                                           : "PRIMARY KEY is only allowed in CREATE TABLE");
                return -1;
            }
            em__sql_advance(p);
            em__sql_advance(p);
            if (em__sql_expect(p, EM_SQL_TOK_LPAREN, "'(' after PRIMARY KEY") ||
                !(pk_name = em__sql_name(p, "column name in PRIMARY KEY (...)", &pk_pos)) ||
                em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after PRIMARY KEY column"))
                return -1;
            npk++;
        } else {
            em_sql_column_def *c = em__sql_push(p, &st->columns, &st->ncolumns, &cap, sizeof *c);
            if (!c || !(c->name = em__sql_name(p, "column name", &c->pos)) ||
                em__sql_parse_type(p, &c->type, &c->type_pos))
                return -1;
            if (c->type == EM_TYPE_INTERVAL) {
                em__sql_error(p, c->type_pos,
                              "INTERVAL is not a column type (intervals are literals only)");
                return -1;
            }
            if (em__sql_is_kw(p, EM_SQL_KW_PRIMARY)) {
                em_sql_pos at = p->tok.pos;
                if (!table || npk) {
                    em__sql_error(p, at, table ? "only one PRIMARY KEY column is allowed"
                                               : "PRIMARY KEY is only allowed in CREATE TABLE");
                    return -1;
                }
                em__sql_advance(p);
                if (em__sql_expect_kw(p, EM_SQL_KW_KEY, "KEY after PRIMARY"))
                    return -1;
                c->primary_key = 1;
                npk++;
            }
        }
        if (p->tok.kind == EM_SQL_TOK_COMMA) {
            em__sql_advance(p);
            continue;
        }
        if (em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after column list"))
            return -1;
        break;
    }
    if (pk_name) {
        uint32_t i;
        for (i = 0; i < st->ncolumns; i++)
            if (strcmp(st->columns[i].name, pk_name) == 0)
                break;
        if (i == st->ncolumns) {
            em__sql_error(p, pk_pos, "PRIMARY KEY column '%s' is not a column of table '%s'",
                          pk_name, st->name);
            return -1;
        }
        st->columns[i].primary_key = 1;
    }
    if (table && npk == 0) {
        em__sql_error(p, st->name_pos,
                      "table '%s' needs a PRIMARY KEY column (a table keeps the latest row per "
                      "key)",
                      st->name);
        return -1;
    }
    return 0;
}

static int create_stmt(em_sql_parser *p, em_sql_stmt *st)
{
    em__sql_advance(p); /* CREATE */
    em_sql_kw kw = p->tok.kind == EM_SQL_TOK_IDENT ? p->tok.kw : EM_SQL_KW_NONE;
    const char *what;
    switch (kw) {
    case EM_SQL_KW_SOURCE:
        st->kind = EM_SQL_STMT_CREATE_SOURCE, what = "source name";
        break;
    case EM_SQL_KW_TABLE:
        st->kind = EM_SQL_STMT_CREATE_TABLE, what = "table name";
        break;
    case EM_SQL_KW_VIEW:
        st->kind = EM_SQL_STMT_CREATE_VIEW, what = "view name";
        break;
    case EM_SQL_KW_SINK:
        st->kind = EM_SQL_STMT_CREATE_SINK, what = "sink name";
        break;
    default: {
        static const char *const kinds[] = {"SOURCE", "TABLE", "VIEW", "SINK", NULL};
        em__sql_expected_one_of(p, "SOURCE, TABLE, VIEW or SINK after CREATE", kinds);
        return -1;
    }
    }
    em__sql_advance(p);
    if (!(st->name = em__sql_name(p, what, &st->name_pos)))
        return -1;
    switch (st->kind) {
    case EM_SQL_STMT_CREATE_SOURCE:
    case EM_SQL_STMT_CREATE_TABLE:
        if (column_list(p, st) || em__sql_expect_kw(p, EM_SQL_KW_WITH, "WITH after column list") ||
            with_options(p, st))
            return -1;
        return 0;
    case EM_SQL_STMT_CREATE_VIEW:
        if (em__sql_expect_kw(p, EM_SQL_KW_AS, "AS after view name"))
            return -1;
        break;
    default:
        if (em__sql_expect_kw(p, EM_SQL_KW_WITH, "WITH after sink name") || with_options(p, st))
            return -1;
        /* A sink without a query receives the job's bad records; the
         * planner checks that it is the one SET dead_letter names. */
        if (p->tok.kind == EM_SQL_TOK_SEMI || p->tok.kind == EM_SQL_TOK_EOF)
            return 0;
        if (em__sql_expect_kw(p, EM_SQL_KW_AS, "AS after WITH options"))
            return -1;
        break;
    }
    return (st->query = em__sql_parse_query(p)) ? 0 : -1;
}

int em__sql_parse_stmt(em_sql_parser *p, em_sql_stmt *st)
{
    st->pos = p->tok.pos;
    if (em__sql_is_kw(p, EM_SQL_KW_CREATE))
        return create_stmt(p, st);
    if (em__sql_is_kw(p, EM_SQL_KW_SET)) {
        char what[96];
        st->kind = EM_SQL_STMT_SET;
        em__sql_advance(p);
        if (!(st->name = em__sql_name(p, "setting name after SET", &st->name_pos)))
            return -1;
        st->set.key = st->name;
        st->set.key_pos = st->name_pos;
        snprintf(what, sizeof what, "'=' after setting name '%.40s'", st->name);
        if (em__sql_expect(p, EM_SQL_TOK_EQ, what) || option_value(p, &st->set))
            return -1;
        return 0;
    }
    if (em__sql_is_kw(p, EM_SQL_KW_SELECT)) {
        em__sql_error(p, p->tok.pos,
                      "a query must be part of CREATE VIEW name AS ... or CREATE SINK name WITH "
                      "(...) AS ...");
        return -1;
    }
    static const char *const starts[] = {"CREATE", "SET", NULL};
    em__sql_expected_one_of(p, "SET or CREATE", starts);
    return -1;
}
