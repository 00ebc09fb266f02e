/*
 * sql/parser_int.h - state shared by the parser's files: parser.c (entry
 * points, queries, tokens, errors), parser_stmt.c (statements) and
 * parser_expr.c (expressions and types).
 */
#ifndef EMBER_SQL_PARSER_INT_H
#define EMBER_SQL_PARSER_INT_H

#include "sql/ast.h"
#include "sql/lexer.h"
#include "sql/parser.h"

typedef struct em_sql_parser {
    em_sql_lexer lx;
    em_sql_token tok; /* current token */
    em_sql_pos prev_end; /* just after the previous token: where "found end of input" points */
    em_arena *arena;
    const char *file;
    const char *text;
    size_t len;
    em_buf *diag;
    int depth; /* current recursion depth (parentheses, calls, subqueries) */
    int rc;    /* first error; once set, every function returns at once */
} em_sql_parser;

/* Token handling. advance() moves to the next token; peek() returns the
 * token after the current one without consuming anything. */
void em__sql_advance(em_sql_parser *p);
em_sql_token em__sql_peek(em_sql_parser *p);
int em__sql_is_kw(const em_sql_parser *p, em_sql_kw kw);
/* A token usable as a name: a quoted identifier, or an unquoted one that
 * is not a reserved keyword. */
int em__sql_is_name(const em_sql_token *t);
/* Consumes a name and returns it decoded into the arena, or reports
 * "expected WHAT, found ..." and returns NULL. */
char *em__sql_name(em_sql_parser *p, const char *what, em_sql_pos *pos);

/* Errors: report once (the first error wins), set p->rc, return NULL.
 * expected() says "expected WHAT, found <current token>". */
void *em__sql_error(em_sql_parser *p, em_sql_pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *em__sql_expected(em_sql_parser *p, const char *what);
/* Like expected(), adding "; did you mean 'X'?" when the current token is
 * a word close to one of the NULL-terminated candidates. */
void *em__sql_expected_one_of(em_sql_parser *p, const char *what, const char *const *cands);
void *em__sql_nomem(em_sql_parser *p);
/* Consumes a token of kind k, or reports "expected WHAT, found ..." and
 * returns -1. */
int em__sql_expect(em_sql_parser *p, em_sql_tok_kind k, const char *what);
int em__sql_expect_kw(em_sql_parser *p, em_sql_kw kw, const char *what);
/* Depth guard around recursive descent: enter() reports and returns -1
 * past EM_SQL_MAX_DEPTH; every successful enter() is paired with leave(). */
int em__sql_enter(em_sql_parser *p);
void em__sql_leave(em_sql_parser *p);

/* Growable pointer/struct arrays in the arena. */
void *em__sql_push(em_sql_parser *p, void *arr, uint32_t *n, uint32_t *cap, size_t elem);

em_sql_expr *em__sql_parse_expr(em_sql_parser *p);
/* A column type name (with aliases); reports unknown names with a
 * suggestion. Returns 0 and *t, or -1. */
int em__sql_parse_type(em_sql_parser *p, em_type *t, em_sql_pos *pos);
em_sql_query *em__sql_parse_query(em_sql_parser *p);
/* One statement, without its ';'. Returns 0 or -1 (error reported). */
int em__sql_parse_stmt(em_sql_parser *p, em_sql_stmt *st);

#endif
