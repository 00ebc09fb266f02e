/*
 * sql/diag.h - compiler-style diagnostics for job files.
 *
 * Every error a user sees about a job file has the form
 *
 *     job.sql:3:17: error: expected ')' after column list, found ';'
 *         pm25 DOUBLE;
 *                    ^
 *
 * i.e. FILE:LINE:COL, the severity, the message, then the offending source
 * line and a caret under the column (gcc/clang style). The parser and the
 * analyzer both report through this module so messages look the same.
 */
#ifndef EMBER_SQL_DIAG_H
#define EMBER_SQL_DIAG_H

#include "core/str.h"
#include "sql/lexer.h"

#include <stdarg.h>
#include <stddef.h>

/* Appends one diagnostic to out: "FILE:LINE:COL: LEVEL: MESSAGE\n", then
 * the source line containing pos.off (control characters shown as '?',
 * very long lines cut around the column) and a caret line, each ending in
 * '\n'. level is "error", "warning" or "note". text/len is the whole
 * source the position refers to; all arguments are borrowed. Returns 0 or
 * the em_buf error (EM_ENOMEM, EM_ELIMIT). */
int em_sql_diag(em_buf *out, const char *file, const char *text, size_t len, em_sql_pos pos,
                const char *level, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int em_sql_vdiag(em_buf *out, const char *file, const char *text, size_t len, em_sql_pos pos,
                 const char *level, const char *fmt, va_list ap);

#endif
