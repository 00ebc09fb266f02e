/*
 * sql/lexer.h - tokens of the job language (see /work/shared/SQL.md).
 *
 * The lexer walks a byte range and yields one token at a time. It never
 * allocates: a token is a position plus the raw bytes it covers in the
 * source; em_sql_token_text() decodes identifiers and string literals into
 * an arena when the parser needs them.
 *
 * Keywords are recognised case-insensitively and reported as
 * EM_SQL_TOK_IDENT with kw set, so that non-reserved keywords (SOURCE, KEY,
 * TIMESTAMP, ...) can still be used as names; "double-quoted" identifiers
 * are never keywords. Positions are 1-based lines and columns, where a
 * column counts characters (UTF-8 code points, a tab counts as one), plus
 * a 0-based byte offset.
 */
#ifndef EMBER_SQL_LEXER_H
#define EMBER_SQL_LEXER_H

#include "core/mem.h"

#include <stddef.h>
#include <stdint.h>

/* X(NAME, spelling, reserved). Reserved keywords cannot be used as names
 * unless double-quoted. */
#define EM_SQL_KEYWORDS(X)                                                                         \
    X(ALL, "all", 1)                                                                               \
    X(AND, "and", 1)                                                                               \
    X(AS, "as", 1)                                                                                 \
    X(BETWEEN, "between", 1)                                                                       \
    X(BY, "by", 1)                                                                                 \
    X(CASE, "case", 1)                                                                             \
    X(CAST, "cast", 1)                                                                             \
    X(CREATE, "create", 1)                                                                         \
    X(DISTINCT, "distinct", 1)                                                                     \
    X(ELSE, "else", 1)                                                                             \
    X(END, "end", 1)                                                                               \
    X(FALSE, "false", 1)                                                                           \
    X(FOR, "for", 0)                                                                               \
    X(FROM, "from", 1)                                                                             \
    X(GROUP, "group", 1)                                                                           \
    X(HAVING, "having", 1)                                                                         \
    X(IN, "in", 1)                                                                                 \
    X(INNER, "inner", 1)                                                                           \
    X(INTERVAL, "interval", 0)                                                                     \
    X(IS, "is", 1)                                                                                 \
    X(JOIN, "join", 1)                                                                             \
    X(KEY, "key", 0)                                                                               \
    X(LEFT, "left", 1)                                                                             \
    X(LIKE, "like", 1)                                                                             \
    X(NOT, "not", 1)                                                                               \
    X(NULL, "null", 1)                                                                             \
    X(ON, "on", 1)                                                                                 \
    X(OR, "or", 1)                                                                                 \
    X(OUTER, "outer", 1)                                                                           \
    X(PRIMARY, "primary", 0)                                                                       \
    X(SELECT, "select", 1)                                                                         \
    X(SET, "set", 0)                                                                               \
    X(SINK, "sink", 0)                                                                             \
    X(SOURCE, "source", 0)                                                                         \
    X(TABLE, "table", 0)                                                                           \
    X(THEN, "then", 1)                                                                             \
    X(TIMESTAMP, "timestamp", 0)                                                                   \
    X(TRUE, "true", 1)                                                                             \
    X(UNION, "union", 1)                                                                           \
    X(VIEW, "view", 0)                                                                             \
    X(WATERMARK, "watermark", 0)                                                                   \
    X(WHEN, "when", 1)                                                                             \
    X(WHERE, "where", 1)                                                                           \
    X(WITH, "with", 1)

typedef enum em_sql_kw {
    EM_SQL_KW_NONE = 0,
#define EM_SQL_KW_X_(name, text, reserved) EM_SQL_KW_##name,
    EM_SQL_KEYWORDS(EM_SQL_KW_X_)
#undef EM_SQL_KW_X_
        EM_SQL_KW__COUNT
} em_sql_kw;

typedef enum em_sql_tok_kind {
    EM_SQL_TOK_EOF = 0,
    EM_SQL_TOK_ERROR,   /* lexical error; message in the lexer */
    EM_SQL_TOK_IDENT,   /* unquoted name or keyword (kw != NONE) */
    EM_SQL_TOK_QIDENT,  /* "double-quoted" name, kept exact */
    EM_SQL_TOK_STRING,  /* 'text' with '' for a quote */
    EM_SQL_TOK_INTEGER, /* digits only */
    EM_SQL_TOK_DECIMAL, /* digits with '.' and/or an exponent */
    EM_SQL_TOK_PLUS,
    EM_SQL_TOK_MINUS,
    EM_SQL_TOK_STAR,
    EM_SQL_TOK_SLASH,
    EM_SQL_TOK_PERCENT,
    EM_SQL_TOK_CONCAT, /* || */
    EM_SQL_TOK_EQ,
    EM_SQL_TOK_NE, /* <> or != */
    EM_SQL_TOK_LT,
    EM_SQL_TOK_LE,
    EM_SQL_TOK_GT,
    EM_SQL_TOK_GE,
    EM_SQL_TOK_LPAREN,
    EM_SQL_TOK_RPAREN,
    EM_SQL_TOK_COMMA,
    EM_SQL_TOK_SEMI,
    EM_SQL_TOK_DOT,
} em_sql_tok_kind;

/* A place in the source: 1-based line and column, 0-based byte offset. */
typedef struct em_sql_pos {
    uint32_t line;
    uint32_t col;
    size_t off;
} em_sql_pos;

typedef struct em_sql_token {
    em_sql_tok_kind kind;
    em_sql_kw kw;   /* keyword id for EM_SQL_TOK_IDENT, else EM_SQL_KW_NONE */
    em_sql_pos pos; /* of the first byte */
    size_t len;     /* raw bytes in the source, quotes included */
} em_sql_token;

/* Lexer state. Plain struct: copying it snapshots the position, which is
 * how the parser looks ahead. */
typedef struct em_sql_lexer {
    const char *text;
    size_t len;
    size_t off;
    uint32_t line, col;
    const char *err;   /* static message of the last EM_SQL_TOK_ERROR */
    em_sql_pos err_pos;
} em_sql_lexer;

/* Starts lexing text[0..len). text is borrowed and must outlive the lexer
 * and every token it yields. */
void em_sql_lexer_init(em_sql_lexer *lx, const char *text, size_t len);

/* Skips blanks and comments and stores the next token in *tok. At the end
 * it yields EM_SQL_TOK_EOF (again on every later call). On a lexical error
 * (unterminated string, comment or quoted identifier, stray character,
 * malformed number) it yields EM_SQL_TOK_ERROR and sets lx->err and
 * lx->err_pos; the lexer then stays at the error. */
void em_sql_lexer_next(em_sql_lexer *lx, em_sql_token *tok);

/* Decodes an IDENT (folded to lower case), QIDENT (quotes removed, ""
 * unescaped) or STRING ('' unescaped) token of text into a NUL-terminated
 * copy from arena; any other token is copied raw. Stores the decoded
 * length (a string may contain NUL bytes) in *n if n is not NULL. Returns
 * NULL on out-of-memory. */
char *em_sql_token_text(const char *text, const em_sql_token *tok, em_arena *arena, size_t *n);

/* The keyword spelled s (any case), or EM_SQL_KW_NONE. */
em_sql_kw em_sql_keyword_lookup(const char *s, size_t n);

/* Lower-case spelling of a keyword ("select"); static storage. */
const char *em_sql_keyword_name(em_sql_kw kw);

/* 1 if kw is reserved (cannot be an unquoted name). */
int em_sql_keyword_reserved(em_sql_kw kw);

#endif
