/*
 * expr/expr.h - vectorized scalar expressions.
 *
 * An expression is a tree built from constructors below, allocated from a
 * plan arena that must outlive every bind and eval of it. em_expr_bind
 * resolves column names against a schema, picks a kernel for every call from
 * the built-in tables (func*.c) or a user registry, and inserts implicit
 * casts; em_expr_eval then evaluates the tree column-at-a-time over a
 * batch's selected rows, narrowing the rows for the right side of AND/OR
 * and for CASE branches (eval.c).
 *
 * Semantics follow docs SQL.md and, where it is silent, PostgreSQL:
 * three-valued logic, NULL in -> NULL out, integer division truncating
 * toward zero, division/modulo by zero -> NULL, BIGINT overflow -> NULL
 * (checked with __builtin_*_overflow, never wraps).
 */
#ifndef EMBER_EXPR_EXPR_H
#define EMBER_EXPR_EXPR_H

#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/mem.h"
#include "ember/ember.h"
#include "ember/types.h"

#include <stdint.h>

typedef struct em_expr em_expr;

/* ---- user function registry ----
 *
 * Holds scalar functions registered through the C API, next to the static
 * built-in tables of func.c. A heap object owned by its creator (the engine
 * keeps one per engine). Expressions bound with it point into it, so it must
 * outlive every bound expression that calls a user function. */
typedef struct em_func_registry em_func_registry;

/* Creates an empty registry in *out. Returns 0 or EM_ENOMEM. */
int em_func_registry_create(em_func_registry **out);
/* Frees the registry and its definitions (NULL-safe). */
void em_func_registry_destroy(em_func_registry *r);
/* Registers fn(ud, ...) as name(arg_types[0..nargs)) -> result. name and
 * arg_types are copied; ud is passed back to fn and never freed. The
 * function is strict: a row where any argument is NULL is NULL whatever fn
 * writes. Returns 0, EM_EEXISTS (a built-in or registered function already
 * has this name and exactly these argument types), EM_EINVAL (empty name,
 * NULL fn, more than 255 args, NULL argument type), EM_EUNSUPPORTED (TEXT
 * or NULL result: a user function cannot allocate text) or EM_ENOMEM; err
 * (may be NULL) says which. */
int em_func_registry_add(em_func_registry *r, const char *name, uint32_t nargs,
                         const em_type *arg_types, em_type result, em_scalar_fn fn, void *ud,
                         em_errbuf *err);

/* Constructors. Each allocates one node from a (and copies names/text into
 * a); returns NULL on out-of-memory (a NULL child makes the parent NULL, so
 * a caller may check only the root). Nodes live until a is reset. */

/* A column by name, resolved (case-insensitively) by em_expr_bind. */
em_expr *em_expr_column(em_arena *a, const char *name);
/* A column by index into the input batch with a known type (already bound). */
em_expr *em_expr_column_index(em_arena *a, uint32_t idx, em_type t);
em_expr *em_expr_lit_int(em_arena *a, int64_t v);
em_expr *em_expr_lit_double(em_arena *a, double v);
em_expr *em_expr_lit_bool(em_arena *a, int v);
/* TEXT literal: copies n bytes of p. */
em_expr *em_expr_lit_text(em_arena *a, const char *p, size_t n);
em_expr *em_expr_lit_null(em_arena *a);
em_expr *em_expr_lit_timestamp(em_arena *a, int64_t us);
em_expr *em_expr_lit_interval(em_arena *a, int64_t us);
/* A function or operator call: "+","-","*","/","%","||","=","<>","<","<=",
 * ">",">=","and","or","not","is_null","is_not_null","neg","like",
 * "not_like","between" (x, lo, hi),"in" (args[0] IN args[1..]), or a scalar
 * function name (case-insensitive). args (nargs pointers) is copied. */
em_expr *em_expr_call(em_arena *a, const char *fn, uint32_t nargs, em_expr **args);
/* 1 when a and b are the same expression (same tree of columns, literals,
 * calls, CASEs and CASTs): their values are equal on every row. */
int em_expr_same(const em_expr *a, const em_expr *b);
/* CASE WHEN conds[i] THEN vals[i] ... ELSE else_or_null END; arrays copied. */
em_expr *em_expr_case(em_arena *a, uint32_t nwhen, em_expr **conds, em_expr **vals,
                      em_expr *else_or_null);
/* CAST(x AS t). */
em_expr *em_expr_cast(em_arena *a, em_expr *x, em_type t);

/* Resolves names against in, picks implementations, inserts implicit casts
 * (BIGINT->DOUBLE, NULL->any, TIMESTAMP +/- INTERVAL) and computes result
 * types. Modifies e in place (new cast nodes come from the arena e was built
 * in). Returns 0, EM_ENOTFOUND (unknown column or function), EM_ETYPE (no
 * implementation for the argument types), EM_EINVAL (unknown extract /
 * date_trunc field literal) or EM_ENOMEM; on error err (may be
 * NULL) names the column/function and the types involved. */
int em_expr_bind(em_expr *e, const em_schema *in, em_errbuf *err);
/* Like em_expr_bind, but a call may also resolve to a user function of reg
 * (NULL: built-ins only). Built-ins win over user functions of the same
 * signature. reg must outlive e. */
int em_expr_bind_with(em_expr *e, const em_schema *in, const em_func_registry *reg,
                      em_errbuf *err);

/* Whether name is a built-in scalar function (any argument types): those
 * are deterministic within a micro-batch and never fail it, unlike user
 * functions. */
int em_func_builtin(const char *name);

/* Result type of a bound expression (EM_TYPE_NULL before bind for calls). */
em_type em_expr_type(const em_expr *e);

typedef struct em_eval_ctx {
    em_arena *arena; /* batch arena: results and scratch come from here */
    int64_t now_us;  /* now() = the batch's logical time */
} em_eval_ctx;

/* Evaluates bound e over the selected rows of in. out gets in->nrows rows
 * (only selected positions meaningful) allocated from cx->arena; a column
 * reference may alias the input column's buffers (zero copy), so out is
 * valid as long as both in and the arena are. Returns 0 or EM_ENOMEM /
 * EM_ESTATE (not bound). */
int em_expr_eval(const em_expr *e, const em_batch *in, em_eval_ctx *cx, em_column *out);

/* Narrows in->sel to the rows where bound BOOLEAN pred is TRUE (NULL and
 * false are dropped). The new selection array comes from cx->arena; the old
 * one is not modified. Returns 0, EM_ETYPE (pred not BOOLEAN) or EM_ENOMEM. */
int em_expr_filter(const em_expr *pred, em_batch *in, em_eval_ctx *cx);

#endif
