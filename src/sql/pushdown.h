/*
 * sql/pushdown.h - syntax-tree helpers for moving WHERE conditions below
 * joins (the planner decides where each one goes; see planner.c,
 * "predicate pushdown", and docs/sql.md, "Query planning").
 *
 * A condition is split into its AND-ed conjuncts; a conjunct may be
 * evaluated before a join when it reads one input only and is "movable":
 * evaluating it on rows the join would drop changes nothing but the work
 * done. Built-in functions are (they are deterministic within a
 * micro-batch and never fail one); aggregates and functions registered
 * through the C API (which may fail a micro-batch) are not.
 */
#ifndef EMBER_SQL_PUSHDOWN_H
#define EMBER_SQL_PUSHDOWN_H

#include "sql/ast.h"

#include <stdint.h>

/* The AND-ed conjuncts of x, left to right, into out. Returns their number,
 * or cap + 1 when there are more than cap (out then holds the first cap). */
uint32_t em__sql_conjuncts(const em_sql_expr *x, const em_sql_expr **out, uint32_t cap);

/* A visitor: returns 0 to go on. */
typedef int (*em__sql_node_fn)(void *ud, const em_sql_expr *x);

/* Calls fn for every node of x (NULL: none), parents before children, left
 * to right; stops at the first nonzero return and returns it, else 0. */
int em__sql_visit(const em_sql_expr *x, em__sql_node_fn fn, void *ud);

/* em__sql_visit over the column references of x only. */
int em__sql_each_col(const em_sql_expr *x, em__sql_node_fn fn, void *ud);

/* Whether x may be evaluated on more rows than it used to be (before a
 * join instead of after it) with the same result on the rows both see:
 * literals, columns, operators, CASE, CAST and built-in scalar functions. */
int em__sql_movable(const em_sql_expr *x);

/* Whether x calls now(), the micro-batch's logical time: such a condition
 * may not move below a join that emits a row in a later micro-batch than
 * the one its input row arrived in (a stream-stream join). */
int em__sql_uses_now(const em_sql_expr *x);

#endif
