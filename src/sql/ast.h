/*
 * sql/ast.h - the syntax tree of a job file, as written.
 *
 * The parser (parser.h) builds it; the analyzer resolves names and types
 * and plans the engine graph from it. Every node lives in the em_arena
 * passed to em_sql_parse: releasing that arena frees the whole tree, and
 * no node is valid after that. Names are NUL-terminated; unquoted names
 * are folded to lower case, "quoted" ones kept exact. Every node records
 * the position (line, column, byte offset) of its first token so later
 * passes can point at it in error messages (diag.h).
 *
 * Literals are already evaluated: integers to int64, decimals to double,
 * TIMESTAMP '...' and INTERVAL ... to microseconds. Expression trees are
 * at most EM_SQL_MAX_HEIGHT levels high, so recursive passes are safe.
 */
#ifndef EMBER_SQL_AST_H
#define EMBER_SQL_AST_H

#include "core/str.h"
#include "ember/types.h"
#include "sql/lexer.h"

#include <stddef.h>
#include <stdint.h>

/* Parser limits: nesting of parentheses/subqueries/function calls while
 * parsing, and height of an expression tree (operator chains count). */
#define EM_SQL_MAX_DEPTH 256
#define EM_SQL_MAX_HEIGHT 200

typedef struct em_sql_expr em_sql_expr;
typedef struct em_sql_query em_sql_query;

typedef enum em_sql_expr_kind {
    EM_SQL_E_NULL,      /* NULL */
    EM_SQL_E_BOOL,      /* TRUE / FALSE: v.b */
    EM_SQL_E_INT,       /* v.i */
    EM_SQL_E_DOUBLE,    /* v.d */
    EM_SQL_E_STRING,    /* v.str */
    EM_SQL_E_TIMESTAMP, /* v.ts: µs since epoch + the literal's text */
    EM_SQL_E_INTERVAL,  /* v.i: µs */
    EM_SQL_E_COLUMN,    /* v.col */
    EM_SQL_E_UNARY,     /* v.unary */
    EM_SQL_E_BINARY,    /* v.bin */
    EM_SQL_E_FUNC,      /* v.func: name(args), count(*), f(DISTINCT x) */
    EM_SQL_E_EXTRACT,   /* v.extract: extract(field FROM arg) */
    EM_SQL_E_CAST,      /* v.cast */
    EM_SQL_E_CASE,      /* v.cases */
    EM_SQL_E_IS_NULL,   /* v.is_null: arg IS [NOT] NULL */
    EM_SQL_E_BETWEEN,   /* v.between: arg [NOT] BETWEEN lo AND hi */
    EM_SQL_E_IN,        /* v.in: arg [NOT] IN (list) */
    EM_SQL_E_LIKE,      /* v.like: arg [NOT] LIKE pattern */
} em_sql_expr_kind;

typedef enum em_sql_unop {
    EM_SQL_OP_NEG, /* -x (a minus before a numeric literal folds into it) */
    EM_SQL_OP_NOT,
} em_sql_unop;

typedef enum em_sql_binop {
    EM_SQL_OP_OR,
    EM_SQL_OP_AND,
    EM_SQL_OP_EQ,
    EM_SQL_OP_NE,
    EM_SQL_OP_LT,
    EM_SQL_OP_LE,
    EM_SQL_OP_GT,
    EM_SQL_OP_GE,
    EM_SQL_OP_CONCAT,
    EM_SQL_OP_ADD,
    EM_SQL_OP_SUB,
    EM_SQL_OP_MUL,
    EM_SQL_OP_DIV,
    EM_SQL_OP_MOD,
} em_sql_binop;

/* "AND", "+", ...; static storage. */
const char *em_sql_binop_name(em_sql_binop op);

typedef struct em_sql_when {
    em_sql_expr *cond; /* searched CASE: a condition; simple CASE: a value */
    em_sql_expr *result;
} em_sql_when;

struct em_sql_expr {
    em_sql_expr_kind kind;
    em_sql_pos pos;  /* first token */
    uint32_t height; /* 1 for a leaf */
    union {
        int b;
        int64_t i;
        double d;
        struct {
            const char *ptr; /* decoded, NUL-terminated, may hold NULs */
            size_t len;
        } str;
        struct {
            int64_t us;
            const char *text; /* as written between the quotes */
        } ts;
        struct {
            const char *qualifier; /* NULL, or the "t" of t.col */
            const char *name;
        } col;
        struct {
            em_sql_unop op;
            em_sql_expr *arg;
        } unary;
        struct {
            em_sql_binop op;
            em_sql_expr *l, *r;
        } bin;
        struct {
            const char *name; /* lower case unless quoted */
            em_sql_expr **args;
            uint32_t nargs;
            int distinct; /* f(DISTINCT ...) */
            int star;     /* f(*): nargs == 0 */
        } func;
        struct {
            const char *field; /* "epoch", "year", ..., lower case */
            em_sql_expr *arg;
        } extract;
        struct {
            em_sql_expr *arg;
            em_type type;
            em_sql_pos type_pos;
        } cast;
        struct {
            em_sql_expr *operand; /* simple CASE x WHEN ...; NULL = searched */
            em_sql_when *whens;
            uint32_t nwhens; /* >= 1 */
            em_sql_expr *else_; /* NULL when absent */
        } cases;
        struct {
            em_sql_expr *arg;
            int negated;
        } is_null;
        struct {
            em_sql_expr *arg, *lo, *hi;
            int negated;
        } between;
        struct {
            em_sql_expr *arg;
            em_sql_expr **list;
            uint32_t n; /* >= 1 */
            int negated;
        } in;
        struct {
            em_sql_expr *arg, *pattern;
            int negated;
        } like;
    } v;
};

typedef enum em_sql_item_kind {
    EM_SQL_ITEM_EXPR,  /* expr [AS alias] */
    EM_SQL_ITEM_STAR,  /* * */
    EM_SQL_ITEM_QSTAR, /* qualifier.* */
} em_sql_item_kind;

typedef struct em_sql_select_item {
    em_sql_item_kind kind;
    em_sql_pos pos;
    em_sql_expr *expr;     /* EXPR */
    const char *alias;     /* EXPR: NULL when not given */
    em_sql_pos alias_pos;
    const char *qualifier; /* QSTAR */
} em_sql_select_item;

typedef enum em_sql_from_kind {
    EM_SQL_FROM_NAME,     /* source, table or view: name */
    EM_SQL_FROM_SUBQUERY, /* (query) alias */
    EM_SQL_FROM_TUMBLE,   /* input, time column, args[0] = size */
    EM_SQL_FROM_HOP,      /* input, time column, args[0] = slide, args[1] = size */
    EM_SQL_FROM_SESSION,  /* input, time column, args[0] = gap */
    EM_SQL_FROM_LATE,     /* LATE(name) */
    EM_SQL_FROM_JOIN,     /* left JOIN right ON on */
    EM_SQL_FROM_FUNC,     /* QC / ALERTS / SILENCE(input, fargs...): name, input, fargs */
} em_sql_from_kind;

typedef enum em_sql_join_type {
    EM_SQL_JOIN_INNER,
    EM_SQL_JOIN_LEFT,
} em_sql_join_type;

typedef struct em_sql_from em_sql_from;
struct em_sql_from {
    em_sql_from_kind kind;
    em_sql_pos pos;
    const char *name;  /* NAME, LATE */
    const char *alias; /* NULL when not given (always set for SUBQUERY) */
    em_sql_pos alias_pos;
    em_sql_query *query; /* SUBQUERY */
    /* Windows: the input is a NAME or SUBQUERY item (subquery alias
     * optional there). time_col is NULL when proctime is set. */
    em_sql_from *input;
    const char *time_col;
    em_sql_pos time_pos;
    int proctime;
    em_sql_expr *args[2];
    uint32_t nargs;
    /* FUNC: positional and named (`name => expr`) arguments after the
     * input; fnames[i] is NULL for a positional one, fpos[i] its position. */
    em_sql_expr **fargs;
    const char **fnames;
    em_sql_pos *fpos;
    uint32_t nfargs;
    /* JOIN: left-deep; right is never a JOIN. */
    em_sql_join_type join_type;
    em_sql_from *left, *right;
    em_sql_expr *on;
};

typedef struct em_sql_select {
    em_sql_pos pos; /* SELECT */
    int distinct;
    em_sql_select_item *items;
    uint32_t nitems;
    em_sql_from *from;
    em_sql_expr *where; /* NULL when absent */
    em_sql_expr **group_by;
    uint32_t ngroup_by;
    em_sql_expr *having; /* NULL when absent */
} em_sql_select;

/* selects[0] UNION ALL selects[1] UNION ALL ... */
struct em_sql_query {
    em_sql_pos pos;
    em_sql_select **selects;
    uint32_t nselects; /* >= 1 */
};

/* One WITH option or a SET value: 'string', number, TRUE/FALSE, or an
 * unquoted word. text holds the value as written (strings decoded, words
 * and booleans lower case, numbers with their sign). */
typedef enum em_sql_value_kind {
    EM_SQL_VAL_STRING,
    EM_SQL_VAL_NUMBER,
    EM_SQL_VAL_BOOL,
    EM_SQL_VAL_WORD,
} em_sql_value_kind;

typedef struct em_sql_option {
    const char *key; /* lower case unless quoted; 'quoted' keys kept exact */
    em_sql_pos key_pos;
    em_sql_value_kind kind;
    const char *value;
    size_t value_len;
    em_sql_pos value_pos;
} em_sql_option;

typedef struct em_sql_column_def {
    const char *name;
    em_sql_pos pos;
    em_type type;
    em_sql_pos type_pos;
    int primary_key;
} em_sql_column_def;

typedef struct em_sql_watermark {
    const char *column; /* WATERMARK FOR column */
    em_sql_pos pos;     /* WATERMARK */
    em_sql_pos column_pos;
    em_sql_expr *expr;  /* AS expr */
    /* When expr is "column - INTERVAL ..." (or just "column"): the delay
     * in µs; otherwise -1 and the analyzer decides. */
    int64_t delay_us;
} em_sql_watermark;

typedef enum em_sql_stmt_kind {
    EM_SQL_STMT_SET,
    EM_SQL_STMT_CREATE_SOURCE,
    EM_SQL_STMT_CREATE_TABLE,
    EM_SQL_STMT_CREATE_VIEW,
    EM_SQL_STMT_CREATE_SINK,
} em_sql_stmt_kind;

typedef struct em_sql_stmt {
    em_sql_stmt_kind kind;
    em_sql_pos pos; /* SET / CREATE */
    const char *name; /* setting name, or the created object's name */
    em_sql_pos name_pos;
    em_sql_option set; /* SET: key == name */
    em_sql_column_def *columns; /* SOURCE, TABLE */
    uint32_t ncolumns;
    em_sql_watermark *watermark; /* SOURCE, TABLE; NULL when absent */
    em_sql_option *options; /* SOURCE, TABLE, SINK: WITH (...) */
    uint32_t noptions;
    em_sql_query *query; /* VIEW, SINK */
} em_sql_stmt;

typedef struct em_sql_script {
    const char *file_name; /* as passed to em_sql_parse (copied) */
    const char *text;      /* borrowed source text, for diagnostics */
    size_t len;
    em_sql_stmt *stmts;
    uint32_t nstmts;
} em_sql_script;

/* Appends a canonical rendering of s to out: one statement per line, names
 * quoted only when needed, every operator expression fully parenthesised,
 * literals normalised (INTERVALs in their largest exact unit). Parsing the
 * output gives a tree that prints identically. Returns 0, or EM_ENOMEM /
 * EM_ELIMIT from out (whose content is then truncated). */
int em_sql_ast_print(const em_sql_script *s, em_buf *out);

/* Appends one expression in the same canonical form. */
int em_sql_expr_print(const em_sql_expr *e, em_buf *out);

#endif
