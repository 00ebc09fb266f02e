/*
 * ops/basic.h - stateless operators: filter, project, union.
 */
#ifndef EMBER_OPS_BASIC_H
#define EMBER_OPS_BASIC_H

#include "expr/expr.h"
#include "ops/op.h"

/* Keeps rows where pred (bound to in) is TRUE. The predicate tree is
 * borrowed and must outlive the operator (the plan arena). */
int em_filter_create(em_op **out, const char *id, const em_schema *in, const em_expr *pred,
                     em_errbuf *err);

/* Computes n expressions (bound to in) as output columns named names[i].
 * Column references are passed through without copying. */
int em_project_create(em_op **out, const char *id, const em_schema *in, uint32_t n,
                      const em_expr *const *exprs, const char *const *names, em_errbuf *err);

/* Merges ninputs streams of the same schema (names and types). */
int em_union_create(em_op **out, const char *id, const em_schema *schema, int ninputs);

#endif
