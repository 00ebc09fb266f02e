/*
 * sql/parser.h - job file text to syntax tree (ast.h).
 *
 * A recursive-descent parser over the lexer's tokens. It stops at the
 * first syntax error and reports it as a compiler-style diagnostic
 * (diag.h) naming what was expected and what was found. Recursion is
 * capped (EM_SQL_MAX_DEPTH, EM_SQL_MAX_HEIGHT), so no input can overflow
 * the stack; all memory comes from the caller's arena.
 */
#ifndef EMBER_SQL_PARSER_H
#define EMBER_SQL_PARSER_H

#include "core/mem.h"
#include "core/str.h"
#include "sql/ast.h"

#include <stddef.h>

/* Parses text[0..len) (need not be NUL-terminated; may contain any bytes).
 * file_name is used in diagnostics and copied into the script. On success
 * returns 0 and stores the script in *out; the tree and everything it
 * points to live in arena (released by the caller, which frees it all)
 * and the script also borrows text, which must outlive it. On a syntax
 * error returns EM_EPARSE, appends "FILE:LINE:COL: error: ..." plus the
 * source line and a caret to diag (if not NULL), and sets *out to NULL;
 * on out-of-memory returns EM_ENOMEM. Either way, whatever was allocated
 * stays in the arena until the caller releases it. */
int em_sql_parse(const char *file_name, const char *text, size_t len, em_arena *arena,
                 em_sql_script **out, em_buf *diag);

/* Parses a single expression (the whole text), e.g. for --set values or
 * tests. Same ownership and error rules as em_sql_parse. */
int em_sql_parse_expr(const char *file_name, const char *text, size_t len, em_arena *arena,
                      em_sql_expr **out, em_buf *diag);

#endif
